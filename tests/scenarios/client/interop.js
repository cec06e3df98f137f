// Exchanges with real peers through real brokers: an MQTT.js client on the
// other side, big payloads through small windows, retained messages.
import { MQTTClient } from "mqtt";
import { report, onMessage, resources } from "harness";
import Timer from "timer";
import Time from "time";
import { text, settled, cases, fromHex, hex, sslParams } from "./common";

const server = "127.0.0.1";
const pattern = (index, seed = 0) => (index * 31 + (index >> 10) + seed * 7) & 0xFF;

/** A payload of `size` bytes whose every byte says where it belongs (and, with `seed`, to which message). */
function patterned(size, seed = 0) {
	const payload = new Uint8Array(size);
	for (let i = 0; i < size; i++)
		payload[i] = pattern(i, seed);
	return payload;
}

/** The first byte that is not where patterned() put it, or -1. */
function mismatchOf(buffer, seed = 0) {
	const bytes = new Uint8Array(buffer);
	for (let i = 0; i < bytes.length; i++)
		if (bytes[i] !== pattern(i, seed))
			return i;
	return -1;
}

/**
 * The client options shared by the transfer cases: through TCP, or through
 * the TLS socket when the case says `tls` (then `host` is the server name
 * the certificate must match, and `ca`/`caHex` the CA to trust).
 */
function transferClient(params, clientId, options) {
	const { host = server, port, tls } = params;
	return new MQTTClient({ clientId, server: host, port, ssl: tls ? sslParams(params) : undefined, ...options });
}

export default cases({
	/** Receives `expect` messages from the peer, then publishes `outgoing` (from the test) back. */
	async exchange({ port, expect, outgoing }) {
		const received = [];
		const client = new MQTTClient("xs-interop", server, port);
		client.setCallback((topic, msg) => received.push({ topic: text(topic), payload: hex(msg) }));
		await client.connect();
		const granted = await client.subscribe("interop/to-xs/#", 2);
		report({ subscribed: granted });
		const firstBytes = [];
		while (received.length < expect) {
			const first = await client.waitMsg();	// a PUBLISH, or the PUBREL of a QoS 2 one
			if (first >> 4 === 3)
				firstBytes.push(first);
		}
		for (const { topic, payload, binary, qos, retain } of outgoing)
			await client.publish(topic, binary ? fromHex(payload).buffer : payload, retain, qos);
		await client.disconnect();
		return { received, qos: firstBytes.map(first => (first >> 1) & 3) };
	},

	/** Publishes `size` bytes to itself through the broker and checks every byte that comes back. */
	async bigEcho(params) {
		const { size, qos } = params;
		let echoed;
		const client = transferClient(params, `xs-big-${size}`, { maxPacketSize: size + 64, callback: (topic, msg) => { echoed = msg; } });
		await client.connect();
		await client.subscribe("echo/big", qos);
		await client.publish("echo/big", patterned(size), false, qos);
		while (!echoed)
			await client.waitMsg();
		await client.disconnect();
		return { length: echoed.byteLength, mismatch: mismatchOf(echoed), after: resources() };
	},

	/** Publishes each of `sizes` (bytes of payload) to itself, one after another; each comes back intact. */
	async echoSizes(params) {
		const { sizes, qos = 1 } = params;
		let echoed;
		const client = transferClient(params, "xs-sizes", { maxPacketSize: Math.max(...sizes) + 64, callback: (topic, msg) => { echoed = msg; } });
		await client.connect();
		await client.subscribe("echo/size", qos);
		const results = [];
		for (const size of sizes) {
			echoed = undefined;
			const published = await settled(client.publish("echo/size", patterned(size, size), false, qos));
			while (!echoed && published === "ok")
				await client.waitMsg();
			results.push({ size, published, length: echoed?.byteLength, mismatch: echoed ? mismatchOf(echoed, size) : -1 });
		}
		await client.disconnect();
		return results;
	},

	/**
	 * `count` publishes of `size` bytes issued at once, none awaited before
	 * the next (outgoingLimit raised to take them all); every Promise settles
	 * and every message comes back intact.
	 */
	async burst(params) {
		const { count, size, qos = 1 } = params;
		const seen = new Array(count).fill(0);
		const corrupt = [];
		let received = 0, done;
		const all = new Promise(resolve => { done = resolve; });
		const client = transferClient(params, "xs-burst", {
			maxPacketSize: size + 64, outgoingLimit: count, push: true,
			callback(topic, msg) {
				const index = Number(text(topic).slice("burst/".length));
				seen[index]++;
				if (mismatchOf(msg, index) >= 0 || msg.byteLength !== size)
					corrupt.push(index);
				if (++received === count)
					done();
			}
		});
		await client.connect();
		await client.subscribe("burst/#", qos);
		const publishes = [];
		for (let i = 0; i < count; i++)
			publishes.push(settled(client.publish(`burst/${i}`, patterned(size, i), false, qos)));
		const outcomes = await Promise.all(publishes);
		let timer;
		await Promise.race([all, new Promise(resolve => { timer = Timer.set(resolve, 30000); })]);	// what has not come by then is reported missing
		Timer.clear(timer);
		await client.disconnect();
		return {
			failed: outcomes.filter(outcome => outcome !== "ok"),
			missing: seen.flatMap((n, index) => n === 0 ? [index] : []),
			corrupt,
			after: resources()
		};
	},

	/** Subscribes where a retained message waits: it comes, with the retain flag. */
	async retained({ port, topic }) {
		const received = [];
		const client = new MQTTClient("xs-retained", server, port);
		client.setCallback((t, msg) => received.push({ topic: text(t), payload: text(msg) }));
		await client.connect();
		const granted = await client.subscribe(topic, 1);
		const first = await client.waitMsg();
		await client.disconnect();
		return { granted, first, received };
	},

	/** Subscribes to each of `filters` at QoS 1 and collects what arrives within `wait` ms. */
	async collect({ port, filters, wait }) {
		const received = [];
		const client = new MQTTClient("xs-collect", server, port);
		client.setCallback((t, msg) => received.push({ topic: text(t), payload: text(msg) }));
		await client.connect();
		const granted = await client.subscribe(filters, 1);
		const until = Time.ticks + wait;
		while (Time.ticks < until)
			await client.checkMsg();
		await client.disconnect();
		return { granted, received };
	},

	/** Subscribes to a topic the ACL denies and one it allows; the peer then publishes to both. */
	async aclDenied({ port }) {
		const received = [];
		const client = new MQTTClient({ clientId: "xs-acl", server, port, user: "device", password: "pw" });
		client.setCallback((topic, msg) => received.push(text(topic)));
		await client.connect();
		const denied = await client.subscribe("denied/t", 1);
		const allowed = await client.subscribe("allowed/t", 1);
		report({ subscribed: true });
		while (!received.includes("allowed/t"))
			await client.waitMsg();
		for (let i = 0; i < 4; i++)	// the denied message, had it come, was published first
			await client.checkMsg();
		await client.disconnect();
		return { denied, allowed, received };
	},

	/** Many publishes and subscribes in flight at once, all settled by their own acknowledgements. */
	async inFlight({ port, count }) {
		const client = new MQTTClient({ clientId: "xs-in-flight", server, port, outgoingLimit: 4 * count, callback: () => {} });
		await client.connect();
		const operations = [];
		for (let i = 0; i < count; i++) {
			operations.push(client.publish(`flight/${i}`, `m${i}`, false, 1 + (i & 1)));
			if (i % 10 === 0)
				operations.push(client.subscribe(`flight/sub/${i}`, i % 3));
		}
		const results = await Promise.all(operations);
		await client.disconnect();
		return results;
	}
});
