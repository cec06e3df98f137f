// Beyond the seed: QoS 2 exactly once, unsubscribe, keep-alive, push mode,
// reconnect that keeps what is in flight, connection-state hooks.
import { MQTTClient } from "mqtt";
import Time from "time";
import Timer from "timer";
import { report, resources, onMessage } from "harness";
import { text, settled, delay, cases } from "./common";

const server = "127.0.0.1";

export default cases({
	/** The broker sends a QoS 2 PUBLISH twice before PUBREL: the callback runs once. */
	async qos2Duplicate({ port, protocolVersion }) {
		const received = [];
		const client = protocolVersion ? new MQTTClient({ clientId: "qos2-duplicate", server, port, protocolVersion }) : new MQTTClient("qos2-duplicate", server, port);
		client.setCallback((topic, msg) => received.push(text(msg)));
		await client.connect();
		await client.subscribe("dup/t", 2);
		report({ subscribed: true });
		await client.waitMsg();
		for (let i = 0; i < 6; i++)	// the duplicate and the PUBREL come and go
			await client.checkMsg();
		await client.disconnect();
		return received;
	},

	/** Several topics in one SUBSCRIBE and one UNSUBSCRIBE; after it, nothing more comes. */
	async unsubscribe({ port, quiet }) {
		const received = [];
		const client = new MQTTClient("unsubscriber", server, port);
		client.setCallback((topic, msg) => received.push(text(topic)));
		await client.connect();
		const granted = await client.subscribe(["multi/a", "multi/b", "multi/c"], [0, 1, 2]);
		const single = await client.subscribe("multi/single", 1);
		return new Promise(resolve => {
			onMessage(async ({ step }) => {
				if (step === "received") {
					while (received.length < 4)
						await client.waitMsg();
					const unsubscribed = await settled(client.unsubscribe(["multi/a", "multi/b", "multi/c"]));
					const unsubscribedSingle = await settled(client.unsubscribe("multi/single"));
					report({ unsubscribed, unsubscribedSingle });
				}
				else if (step === "after") {
					// Listen `quiet` ms: a message that came after UNSUBACK lands in `received`.
					const start = Time.ticks;
					while (Time.delta(start) < quiet)
						await client.checkMsg();
					await client.disconnect();
					resolve({ granted, single, received });
				}
			});
			report({ subscribed: true });
		});
	},

	/** keepalive 1 s: idle, the client pings by itself; `busy` publishes every 250 ms instead. */
	async keepalive({ port, busy, duration, protocolVersion }) {
		const client = new MQTTClient({ clientId: "keepalive", server, port, keepalive: 1, protocolVersion });
		await client.connect();
		const start = Time.ticks;
		while (Time.ticks - start < duration) {
			if (busy)
				await client.publish("keepalive/busy", "x");
			await delay(busy ? 250 : 100);
		}
		const manual = await settled(client.ping());
		await delay(100);
		await client.disconnect();
		return { manual, after: resources() };
	},

	/**
	 * keepalive 1 s, idle for `duration` ms, with the host's Time.ticks a
	 * device's 32-bit counter that rolls over meanwhile: the client must keep
	 * pinging and stay connected. Time measured with Time.delta, as the SDK
	 * says to.
	 */
	async keepaliveAcrossRollover({ port, duration }) {
		const disconnects = [];
		const client = new MQTTClient({ clientId: "keepalive-rollover", server, port, keepalive: 1, onDisconnect: reason => disconnects.push(reason.message) });
		await client.connect();
		const start = Time.ticks;
		while (Time.delta(start) < duration)
			await delay(100);
		const end = Time.ticks;
		const connected = client.connected;
		await client.disconnect();
		return { start, end, connected, disconnects, after: resources() };
	},

	/**
	 * The broker stops answering, its socket open: keep-alive declares the
	 * connection dead within 1.5 keep-alive intervals of the last send, and
	 * reconnect brings it back.
	 */
	async halfOpen({ port }) {
		const events = [];
		let lastSend = 0;
		return new Promise(async resolve => {
			const client = new MQTTClient({
				clientId: "half-open", server, port, keepalive: 1, reconnect: { minDelay: 50, maxDelay: 100 },
				onConnect(sessionPresent) {
					events.push({ event: "connected", at: Time.ticks });
					lastSend = Time.ticks;
					if (events.length === 3) {
						client.disconnect().then(() => resolve({ events, after: resources() }));
					}
				},
				onDisconnect(reason) {
					events.push({ event: "disconnected", at: Time.ticks, reason: reason.message, sinceLastSend: Time.ticks - lastSend });
				}
			});
			await client.connect();
		});
	},

	/**
	 * The broker resets the connection at the first PUBLISH while the client
	 * writes a QoS 0 message every `pace` ms, keep-alive off: nothing but the
	 * writes can tell the client the link is gone (mcsim's socket never calls
	 * onError after a failed write). It must notice, reconnect, and publish
	 * on the new connection; each connection and loss is reported.
	 */
	async resetWhileWriting({ port, pace }) {
		const events = [];
		let sent = 0;
		return new Promise(resolve => {
			const client = new MQTTClient({
				clientId: "reset-writer", server, port, keepalive: 0, reconnect: { minDelay: 50, maxDelay: 100 },
				onConnect() {
					events.push({ event: "connected", at: Time.ticks });
					if (events.length > 1) {
						Timer.clear(writer);
						client.publish("after/reset", "again", false, 1).then(
							() => client.disconnect(),
							error => { events.push({ event: "failed", reason: error.message }); return client.disconnect(); }
						).then(() => resolve({ events, sent, after: resources() }));
					}
				},
				onDisconnect(reason) {
					events.push({ event: "disconnected", at: Time.ticks, reason: reason.message });
				}
			});
			const writer = Timer.repeat(() => {
				if (client.connected)
					client.publish(`w/${sent++}`, "x", false, 0).catch(() => {});
			}, pace);
			client.connect().catch(error => { Timer.clear(writer); resolve({ failed: error.message }); });
		});
	},

	/** Push mode: every message reaches the callback as it arrives, without waitMsg. */
	async push({ port, count }) {
		return new Promise(async resolve => {
			const received = [];
			const client = new MQTTClient({
				clientId: "push", server, port, push: true,
				async callback(topic, msg) {
					received.push(text(msg));
					if (received.length === count) {
						await client.disconnect();
						resolve(received);
					}
				}
			});
			await client.connect();
			await client.subscribe("push/#", 1);
			report({ subscribed: true });
		});
	},

	/**
	 * Outgoing and incoming QoS 1 and 2 while the broker is killed and
	 * restarted: every publish resolves, every message comes.
	 */
	async survive({ port, count, clientId }) {
		const incoming = {};
		const events = [];
		let connections = 0;
		const client = new MQTTClient({
			clientId, server, port, push: true, outgoingLimit: 4 * count,
			reconnect: { minDelay: 100, maxDelay: 400 },
			callback(topic) {
				const name = text(topic);
				incoming[name] = (incoming[name] ?? 0) + 1;
			},
			onConnect(sessionPresent) {
				connections++;
				events.push(`connected ${sessionPresent ? 1 : 0}`);
			},
			onDisconnect(reason) {
				events.push(`disconnected: ${reason.message}`);
			}
		});
		await client.connect(false);
		await client.subscribe("in/#", 2);
		report({ ready: true });
		const outcomes = [];
		const published = [];
		for (let i = 0; i < count; i++) {
			for (const qos of [1, 2])
				published.push(client.publish(`out/${qos}/${i}`, `m${i}`, false, qos).then(() => "ok", error => error.message));
			if (i % 10 === 9)
				await delay(10);	// paced, so that the broker dies with messages in flight
		}
		outcomes.push(...await Promise.all(published));
		const expected = 2 * count;
		const start = Time.ticks;
		while (Object.keys(incoming).length < expected && Time.ticks - start < 20000)
			await delay(50);
		await delay(300);	// duplicates, if any, would come now
		await client.disconnect();
		return {
			failed: outcomes.filter(outcome => outcome !== "ok"),
			incoming, connections, events, after: resources()
		};
	},

	/** While reconnecting, publishes wait up to outgoingLimit; past it they reject; the waiting ones go out after. */
	async offlineBound({ port }) {
		let disconnected, connectedAgain;
		const lost = new Promise(resolve => { disconnected = resolve; });
		const back = new Promise(resolve => { connectedAgain = resolve; });
		let connects = 0;
		const client = new MQTTClient({
			clientId: "offline-bound", server, port, outgoingLimit: 5, reconnect: { minDelay: 100, maxDelay: 200 },
			onConnect() { if (++connects === 2) connectedAgain(); },
			onDisconnect() { disconnected(); }
		});
		await client.connect(false);
		report({ connected: true });
		await lost;
		const waiting = [];
		for (let i = 0; i < 5; i++)
			waiting.push(settled(client.publish(`offline/${i}`, `m${i}`, false, i % 3)));
		const refused = await settled(client.publish("offline/6", "m6", false, 1));
		report({ queued: true });
		await back;
		const outcomes = await Promise.all(waiting);
		await client.disconnect();
		return { refused, outcomes, after: resources() };
	},

	/** After a reconnect that finds no session, the client subscribes again by itself. */
	async resubscribe({ port }) {
		const received = [];
		let connects = 0;
		return new Promise(async resolve => {
			const client = new MQTTClient({
				clientId: "resubscriber", server, port, push: true, reconnect: { minDelay: 50, maxDelay: 100 },
				callback(topic, msg) {
					received.push(text(msg));
					if (received.length === 2)
						client.disconnect().then(() => resolve({ received, connects }));
				},
				onConnect(sessionPresent) {
					connects++;
					report({ connected: connects, sessionPresent });
				}
			});
			await client.connect(false);
			await client.subscribe("resub/t", 1);
			report({ subscribed: true });
		});
	},

	/** A publish in flight when the connection drops settles once the next connection acknowledges it. */
	async inFlightSurvives({ port, protocolVersion }) {
		const client = new MQTTClient({ clientId: "in-flight", server, port, protocolVersion, reconnect: { minDelay: 50, maxDelay: 100 } });
		await client.connect(false);
		const results = await Promise.all([
			settled(client.publish("flight/1", "one", false, 1)),
			settled(client.publish("flight/2", "two", false, 2)),
			settled(client.publish("flight/3", "three", false, 1))
		]);
		await client.disconnect();
		return { results, after: resources() };
	},

	/** disconnect() leaves nothing behind, whether connected or in the middle of reconnecting. */
	async noLeftovers({ port, whileReconnecting }) {
		let lost;
		const disconnected = new Promise(resolve => { lost = resolve; });
		const client = new MQTTClient({
			clientId: "leftovers", server, port, keepalive: 1, reconnect: { minDelay: 200, maxDelay: 400 },
			onDisconnect() { lost(); }
		});
		await client.connect();
		report({ connected: true });
		if (whileReconnecting)
			await disconnected;
		const during = resources();
		await client.disconnect();
		const after = resources();
		await delay(600);	// a reconnect would have happened by now
		return { during, after, later: resources(), connected: client.connected };
	}
});
