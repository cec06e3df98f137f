// Exchanges with real peers through real brokers: an MQTT.js client on the
// other side, big payloads through small windows, retained messages.
import { MQTTClient } from "mqtt";
import { report, onMessage } from "harness";
import { text, cases } from "./common";

const server = "127.0.0.1";
const hex = buffer => Array.from(new Uint8Array(buffer), byte => byte.toString(16).padStart(2, "0")).join("");
const fromHex = string => Uint8Array.from(string.match(/../g) ?? [], pair => parseInt(pair, 16));

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
	async bigEcho({ port, size, qos }) {
		const pattern = index => (index * 31 + (index >> 10)) & 0xFF;
		const payload = new Uint8Array(size);
		for (let i = 0; i < size; i++)
			payload[i] = pattern(i);
		let echoed;
		const client = new MQTTClient({ clientId: `xs-big-${size}`, server, port, maxPacketSize: size + 64, callback: (topic, msg) => { echoed = msg; } });
		await client.connect();
		await client.subscribe("echo/big", qos);
		await client.publish("echo/big", payload, false, qos);
		while (!echoed)
			await client.waitMsg();
		await client.disconnect();
		const bytes = new Uint8Array(echoed);
		let mismatch = -1;
		for (let i = 0; i < bytes.length && mismatch < 0; i++)
			if (bytes[i] !== pattern(i))
				mismatch = i;
		return { length: bytes.length, mismatch };
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
