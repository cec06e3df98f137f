// Where the library's heap goes, part by part, for npm run bench: each
// figure is the growth of the XS slot and chunk heap (after a collection)
// that one step adds, measured as tests/mcsim/measure measures the whole.
// The parts of an idle connected client with keep-alive (the client made,
// its socket, the rest of its connection, the keep-alive), then what traffic
// adds (a subscription, QoS 1 round trips, a message received). What stays
// after disconnect() is tests/mcsim/measure's to say.
import { MQTTClient } from "mqtt";
import { PacketParser } from "mqtt/parser";
import TCP from "embedded:io/socket/tcp";
import { settings, settled, baseline, growth, finish, fail } from "footprint";

const { server = "127.0.0.1", port } = settings;
const STEPS = ["made", "connected", "bareSocket", "parser", "subscribed", "qos1", "received"];
const figures = new Int32Array(2 * STEPS.length);
const small = new Uint8Array(16).fill(0xAA);
let client, held;

/** Growth over a fresh baseline for what `step` does: the bytes it leaves held. */
async function part(index, step) {
	await settled();
	baseline();
	held = await step();
	await settled();
	growth(figures, 2 * index);
}

async function main() {
	await part(0, () => client = new MQTTClient({ clientId: "parts", server, port, keepalive: 60 }));
	await part(1, () => client.connect());
	await part(2, () => new Promise(resolve => {
		const socket = new TCP({ address: server, port, onWritable() { resolve(socket); }, onReadable() {}, onError() {} });
	}));
	held.close();
	await part(3, () => new PacketParser(65536));
	held = undefined;	// the parser goes before the next baseline, not within the next step's figure
	client.setCallback(() => {});
	await part(4, () => client.subscribe("parts/in", 1));
	await part(5, async () => {
		for (let i = 0; i < 20; i++)
			await client.publish("parts/qos1", small, false, 1);
	});
	await part(6, async () => {
		await client.publish("parts/in", small, false, 1);
		await client.waitMsg();
	});
	await client.disconnect();
	const result = {};
	STEPS.forEach((name, i) => { result[name] = { slots: figures[2 * i], chunks: figures[2 * i + 1] }; });
	finish(result);
}

main().catch(fail);
