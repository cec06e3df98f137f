// The session of MQTT 3.1.1 (3.1.2.4) on the client's side, case by case:
// what survives disconnect() and a lost connection while clean session is 0,
// what connect(true) discards, dead peers found while busy, and the smaller
// defects of issue #11. tests/session.test.js drives each case and checks the
// packets on the wire; each case returns what the app saw.
import { MQTTClient } from "mqtt";
import Time from "time";
import Timer from "timer";
import { report, resources, onMessage } from "harness";
import { text, settled, delay, cases, nextMessage } from "./common";

const server = "127.0.0.1";

/** Reads with checkMsg until `done()` holds, then `linger` ms more (a duplicate would come then), at most `limit` ms. */
async function readUntil(client, done, { linger = 400, limit = 5000 } = {}) {
	const start = Time.ticks;
	let doneAt;
	while (Time.ticks - start < limit) {
		if (doneAt === undefined && done())
			doneAt = Time.ticks;
		if (doneAt !== undefined && Time.ticks - doneAt >= linger)
			break;
		try {
			await client.checkMsg();
		}
		catch {
			await delay(20);	// not connected at this instant: a reconnect is under way
		}
	}
}

/** `promise`, or `fallback` after `ms`; no timer left behind either way. */
function within(promise, ms, fallback) {
	let timer;
	return Promise.race([
		promise.finally(() => Timer.clear(timer)),
		new Promise(resolve => { timer = Timer.set(() => resolve(fallback), ms); })
	]);
}

/** A rejection as {name, message, code}: code for an MQTTException. */
async function failure(promise) {
	try {
		await promise;
		return "resolved";
	}
	catch (error) {
		return { name: error.name, message: error.message, code: error.code };
	}
}

export default cases({
	/**
	 * Messages arrive and the app does not read them; then disconnect() (or
	 * the connection is lost: the test cuts it) and connect(false). What the
	 * app had not read must come again from the broker, each once.
	 */
	async unreadAcrossReconnect({ port, clientId, mode, expected }) {
		const received = [];
		let lost;
		const gone = new Promise(resolve => { lost = resolve; });
		const client = new MQTTClient({ clientId, server, port, onDisconnect: lost });
		client.setCallback((topic, msg) => received.push(`${text(topic)} ${text(msg)}`));
		await client.connect(false);
		await client.subscribe("unread/#", 2);
		report({ subscribed: true });
		await nextMessage();	// the messages are in the client, unread (or the connection was cut)
		if (mode === "disconnect")
			await client.disconnect();
		else
			await gone;
		const sessionPresent = await client.connect(false);
		await readUntil(client, () => received.length >= expected, { linger: 600 });
		await client.disconnect();
		return { received, sessionPresent };
	},

	/**
	 * The scripted broker completes a QoS 2 message, then sends a new PUBLISH
	 * with the same packet id, topic and payload: on the same connection
	 * (`later` false), after the broker dropped the connection and the client
	 * reconnected by itself ("reconnect"), or after disconnect() and
	 * connect(false) ("disconnect").
	 */
	async reusedId({ port, later, protocolVersion }) {
		const received = [];
		const client = new MQTTClient({
			clientId: "reused-id", server, port, protocolVersion,
			reconnect: later === "reconnect" ? { minDelay: 50, maxDelay: 100 } : false
		});
		client.setCallback((topic, msg) => received.push(text(msg)));
		await client.connect(false);
		await client.subscribe("reuse/t", 2);
		if (later === "disconnect") {
			await readUntil(client, () => received.length >= 1, { linger: 300 });	// delivered, PUBREL answered
			await client.disconnect();
			await client.connect(false);
		}
		await readUntil(client, () => received.length >= 2, { linger: 300, limit: 3000 });
		await client.disconnect();
		return received;
	},

	/**
	 * The scripted broker sends a QoS 2 message and withholds PUBREL; the
	 * connection ends (disconnect(), or lost); on connect(false) the broker
	 * resends it (DUP) and then releases it.
	 */
	async qos2AwaitingPubrel({ port, mode }) {
		const received = [];
		let lost;
		const gone = new Promise(resolve => { lost = resolve; });
		const client = new MQTTClient({ clientId: "awaiting-pubrel", server, port, onDisconnect: lost });
		client.setCallback((topic, msg) => received.push(text(msg)));
		await client.connect(false);
		await client.subscribe("pending/t", 2);
		await readUntil(client, () => received.length >= 1, { linger: 200 });	// delivered; PUBREC out
		if (mode === "disconnect")
			await client.disconnect();
		else
			await gone;
		const sessionPresent = await client.connect(false);
		await readUntil(client, () => false, { limit: 800 });
		await client.disconnect();
		return { received, sessionPresent };
	},

	/**
	 * Four publishes (QoS 1, 2, 1, 2) that the scripted broker leaves
	 * unacknowledged (but PUBREC for the second); the connection ends
	 * (disconnect() or lost); their Promises reject. Then connect(`clean`),
	 * and with connect(true) a fresh publish.
	 */
	async outgoingSession({ port, mode, clean }) {
		let lost;
		const gone = new Promise(resolve => { lost = resolve; });
		const client = new MQTTClient({ clientId: "outgoing-session", server, port, onDisconnect: lost });
		await client.connect(false);
		const publishes = [
			failure(client.publish("out/1", "one", false, 1)),
			failure(client.publish("out/2", "two", false, 2)),
			failure(client.publish("out/3", "three", false, 1)),
			failure(client.publish("out/4", "four", false, 2))
		];
		report({ published: true });
		await nextMessage();	// the broker has them all (and the PUBREL); or it cut the connection
		if (mode === "disconnect")
			await client.disconnect();
		else
			await gone;
		const outcomes = await Promise.all(publishes);
		const sessionPresent = await client.connect(clean);
		await delay(300);	// what the session resends goes out now
		const fresh = clean ? await settled(client.publish("fresh/t", "new", false, 1)) : undefined;
		await client.disconnect();
		return { outcomes, sessionPresent, fresh };
	},

	/**
	 * keepalive 2 s through a proxy that the test silences: idle, or
	 * publishing every 500 ms at QoS 0 or 1. Reports "dead" from onDisconnect
	 * at once (the test times it on its own clock); with `reconnect`, the
	 * client comes back through a healthy path and the QoS 1 publishes made
	 * meanwhile resolve; without, they reject.
	 */
	async deadPeer({ port, load, reconnect, clientId }) {
		let connections = 0, dead, back;
		const died = new Promise(resolve => { dead = resolve; });
		const returned = new Promise(resolve => { back = resolve; });
		const client = new MQTTClient({
			clientId, server, port, keepalive: 2,
			reconnect: reconnect ? { minDelay: 50, maxDelay: 100 } : false,
			onConnect() { if (++connections === 2) back(); },
			onDisconnect(reason) {
				report({ dead: reason.message });
				dead(reason.message);
			}
		});
		await client.connect(false);
		let stop = false;
		onMessage(() => { stop = true; });	// the test gave up waiting
		report({ ready: true });
		const publishes = [];
		while (!stop) {
			if (await within(died.then(() => true), 500, false))
				break;
			if (load === "qos0")
				client.publish("busy/0", "x").catch(() => {});
			else if (load === "qos1")
				publishes.push(settled(client.publish("busy/1", `m${publishes.length}`, false, 1)));
		}
		const detected = !stop;
		if (detected && reconnect)
			await within(returned, 5000);
		const outcomes = await within(Promise.all(publishes), 5000, "still pending after 5 s");
		await client.disconnect();
		return { outcomes, connections, after: resources() };
	},

	/**
	 * With reconnect and a queue of 4: the queue is full when the broker drops
	 * the connection; the client reconnects and the broker resends. Then the
	 * app reads everything.
	 */
	async fullQueueAtReconnect({ port, expected }) {
		const received = [];
		let connections = 0;
		const client = new MQTTClient({
			clientId: "full-queue", server, port, queueLength: 4, reconnect: { minDelay: 50, maxDelay: 100 },
			onConnect() { report({ connected: ++connections }); }
		});
		client.setCallback((topic, msg) => received.push(text(topic)));
		await client.connect(false);
		await client.subscribe("full/#", 2);
		report({ subscribed: true });
		await nextMessage();	// reconnected, the broker has resent
		await readUntil(client, () => new Set(received).size >= expected, { linger: 500 });
		await client.disconnect();
		return { received };
	},

	/**
	 * waitMsg mode (push off), and the app does not read: the broker's QoS 1
	 * messages wait in the queue. With `reconnect` when `lost` (the broker
	 * then drops the connection and resends on the next one). Once the test
	 * says the resend is in (`step: read`), the app reads until linger.
	 */
	async queuedResend({ port, lost }) {
		const received = [];
		const client = new MQTTClient({
			clientId: "queued-resend", server, port, reconnect: lost ? { minDelay: 50, maxDelay: 100 } : undefined
		});
		client.setCallback((topic, msg) => received.push(`${text(topic)} ${text(msg)}`));
		await client.connect(false);
		await client.subscribe("resend/t", 1);
		report({ subscribed: true });
		await nextMessage();	// the resend reached the client
		await readUntil(client, () => received.length >= 2, { linger: 400 });
		await client.disconnect();
		return { received };
	},

	/**
	 * With reconnect and a queue of 4: the broker swallows the SUBACK of the
	 * automatic resubscription and drops the connection; on the next one it
	 * answers. Then it sends 6 messages while the app waits for nothing:
	 * none may reach the callback before the app reads.
	 */
	async lostResubscribeAck({ port, expected }) {
		const received = [];
		let reading = false, outside = 0;
		const client = new MQTTClient({
			clientId: "lost-suback", server, port, queueLength: 4, reconnect: { minDelay: 50, maxDelay: 100 }
		});
		client.setCallback((topic, msg) => {
			if (!reading)
				outside++;
			received.push(text(msg));
		});
		await client.connect(false);
		await client.subscribe("resub/t", 1);
		report({ subscribed: true });
		await nextMessage();	// the messages were sent
		reading = true;
		await readUntil(client, () => received.length >= expected, { linger: 200 });
		await client.disconnect();
		return { received, outside };
	},

	/**
	 * With reconnect: a QoS 1 publish waits for an acknowledgement when the
	 * broker drops the connection and then refuses the reconnection with
	 * `code` (for 3, only twice).
	 */
	async refusedReconnect({ port, code }) {
		const reasons = [];
		const client = new MQTTClient({
			clientId: "refused", server, port, reconnect: { minDelay: 50, maxDelay: 100 },
			onDisconnect(reason) { reasons.push({ name: reason.name, code: reason.code, message: reason.message }); }
		});
		await client.connect(false);
		const publish = failure(client.publish("refused/t", "waiting", false, 1));
		report({ published: true });
		const outcome = await within(publish, 2500, "still pending after 2.5 s");
		await delay(400);	// a client that retries would try again now
		const connected = client.connected;
		report({ settled: true });
		let again;
		if (code !== 3) {
			// Idle: connect() may be called again (the broker refuses it too).
			again = await failure(client.connect(true, 2));
		}
		await client.disconnect();
		return { outcome: outcome === "resolved" ? "ok" : outcome, reasons, connected, again, after: resources() };
	},

	/**
	 * outgoingLimit 5 and a broker that acknowledges nothing: five QoS 1/2
	 * publishes wait for their acknowledgements, every publish after them
	 * rejects at once.
	 */
	async outgoingBound({ port }) {
		const client = new MQTTClient({ clientId: "outgoing-bound", server, port, outgoingLimit: 5 });
		await client.connect();
		const held = [];
		for (let i = 0; i < 5; i++)
			held.push(settled(client.publish(`bound/${i}`, `m${i}`, false, 1 + (i % 2))));
		const extra = [];
		for (let i = 5; i < 20; i++)
			extra.push(settled(client.publish(`bound/${i}`, `m${i}`, false, i % 3)));
		const outcomes = await within(Promise.all(extra), 500);
		report({ published: true });
		await delay(100);
		await client.disconnect();
		return { extra: outcomes ?? "some still pending after 500 ms", held: await Promise.all(held) };
	}
});
