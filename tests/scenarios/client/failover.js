// Failover across brokers (the `servers` option): connect() walks the list,
// a lost connection moves to another server after the backoff, the first
// server is preferred again at the next reconnection, never by dropping a
// healthy connection.
import { MQTTClient } from "mqtt";
import Time from "time";
import Timer from "timer";
import { report, resources, onMessage } from "harness";
import { settled, delay, cases, sslParams } from "./common";

const server = "127.0.0.1";

export default cases({
	/** connect() with servers at `ports`, in that order: its outcome; then disconnect(). */
	async connectWalk({ ports, timeout, clientId = "walker" }) {
		const client = new MQTTClient({ clientId, servers: ports.map(port => ({ server, port })) });
		const start = Time.ticks;
		const outcome = await settled(client.connect(true, timeout));
		const elapsed = Time.ticks - start;
		const connected = client.connected;
		await client.disconnect();
		return { outcome, elapsed, connected, after: resources() };
	},

	/**
	 * TLS options per server, over TLS brokers at `ports[0]` and `ports[1]`
	 * and a plain one at `plainPort`, the client's `ssl` trusting `caHex`:
	 * the first server has its own (a CA that did not sign its certificate),
	 * the second the client's; then a client whose only server says `ssl:
	 * null`, for the plain broker. Each connect()'s outcome.
	 */
	async tlsEach({ host, ports, plainPort, caHex, untrustedHex }) {
		const ssl = sslParams({ caHex });
		const walker = new MQTTClient({
			clientId: "tls-walker", ssl,
			servers: [{ server: host, port: ports[0], ssl: sslParams({ caHex: untrustedHex }) }, { server: host, port: ports[1] }]
		});
		const walked = await settled(walker.connect(true, 5));
		await walker.disconnect();
		const plain = new MQTTClient({ clientId: "plain", ssl, servers: [{ server: host, port: plainPort, ssl: null }] });
		const plainOutcome = await settled(plain.connect(true, 5));
		await plain.disconnect();
		return { walked, plain: plainOutcome, after: resources() };
	},

	/**
	 * servers A then B, reconnect {minDelay, maxDelay}. After each connection
	 * the client publishes `failover/N` at QoS 1 (N: the connection's number)
	 * and reports {connected: N, gap}: gap, the ms from the loss that ended the
	 * connection before (onDisconnect) to this CONNACK. The test moves the
	 * brokers between connections, and sends {step: "end"} to finish.
	 */
	async failover({ ports, minDelay, maxDelay }) {
		const events = [];
		let connections = 0, lostAt;
		const client = new MQTTClient({
			clientId: "failover", servers: ports.map(port => ({ server, port })), reconnect: { minDelay, maxDelay },
			onConnect() {
				const n = ++connections, gap = lostAt === undefined ? undefined : Time.ticks - lostAt;
				events.push(gap === undefined ? `connected ${n}` : `connected ${n} after ${gap} ms`);
				client.publish(`failover/${n}`, `connection ${n}`, false, 1).then(
					() => report({ connected: n, gap }),
					error => report({ connected: n, gap, failed: error.message }));
			},
			onDisconnect(reason) {
				lostAt = Time.ticks;
				events.push(`disconnected: ${reason.message}`);
			}
		});
		return new Promise(resolve => {
			onMessage(async ({ step }) => {
				if (step !== "end")
					return;
				await client.disconnect();
				resolve({ events, connections, after: resources() });
			});
			client.connect(true).catch(error => resolve({ failed: error.message }));
		});
	},

	/**
	 * QoS 1 both ways on a cluster's nodes at `ports`, clean session 0 (each
	 * connection attempt bounded by `timeout` s), while
	 * the test stops the node the client is on: `count` messages out/N, paced
	 * every `pace` ms, and whatever arrives on in/#. The test sends {expect:
	 * n} once its publisher is done: the case waits (20 s at most) until n
	 * distinct in/ messages arrived, then disconnects.
	 */
	async cluster({ ports, count, pace, minDelay, maxDelay, timeout, clientId }) {
		const incoming = {}, events = [];
		let lostAt, connections = 0, expected, arrived;
		const client = new MQTTClient({
			clientId, servers: ports.map(port => ({ server, port })), push: true, outgoingLimit: count + 8,
			reconnect: { minDelay, maxDelay },
			callback(topic) {
				const name = String.fromArrayBuffer(topic);
				incoming[name] = (incoming[name] ?? 0) + 1;
				if (expected !== undefined && Object.keys(incoming).length >= expected)
					arrived?.();
			},
			onConnect(sessionPresent) {
				connections++;
				const gap = lostAt === undefined ? undefined : Time.ticks - lostAt;
				events.push({ connected: connections, sessionPresent, gap });
				report({ connected: connections, sessionPresent, gap });
			},
			onDisconnect(reason) {
				lostAt = Time.ticks;
				events.push({ disconnected: reason.message });
			}
		});
		const all = new Promise(resolve => { arrived = resolve; });
		onMessage(({ expect }) => {
			expected = expect;
			if (Object.keys(incoming).length >= expected)
				arrived();
		});
		await client.connect(false, timeout);
		await client.subscribe("in/#", 1);
		report({ ready: true });
		const published = [];
		for (let i = 0; i < count; i++) {
			published.push(client.publish(`out/${i}`, `m${i}`, false, 1).then(() => "ok", error => error.message));
			await delay(pace);
		}
		const outcomes = await Promise.all(published);
		await new Promise(resolve => {
			const timer = Timer.set(resolve, 20000);
			all.then(() => { Timer.clear(timer); resolve(); });
		});
		await delay(300);	// duplicates, if any, would come now
		await client.disconnect();
		return { outcomes, incoming, events, connections, after: resources() };
	}
});
