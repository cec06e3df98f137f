// The library's footprint and rates in mcsim, for npm run bench, measured as
// tests/mcsim/sdk-client and tests/mcsim/raw-socket measure theirs: heap
// growth over a baseline taken before the constructor (idle and connected;
// after a subscription and 20 QoS 1 round trips; after 2,000 QoS 0 publishes;
// after disconnect() and the last reference dropped; a second client,
// disconnected and still referenced once its close has ended), QoS 0 echo of
// 64 bytes and QoS 1 round trips per second, against the broker the build's
// config names.
import { MQTTClient } from "mqtt";
import Time from "time";
import { settings, settled, baseline, growth, timed, report, probe, fail, IDLE, TRAFFIC, CLOSING, RELEASED, ECHO, QOS1, MADE, BEFORE_ECHO, ECHOED, DISCONNECTED, SETTLED, PUBLISHED, FIGURES } from "footprint";

const { server = "127.0.0.1", port, echo = 1000, qos1 = 100, qos0 = 2000 } = settings;
const figures = new Int32Array(FIGURES);
const payload = new Uint8Array(64).fill(0x55);
const small = new Uint8Array(16).fill(0xAA);
let received = 0, expected = 0, allBack;

function callback() {
	if (++received === expected)
		allBack();
}

async function main() {
	const stopProbe = probe();
	await settled();
	baseline();
	let client = new MQTTClient({ clientId: "measure", server, port, push: true, callback });
	growth(figures, MADE);
	await client.connect();
	growth(figures, IDLE);

	await client.subscribe("bench/sub", 1);
	for (let i = 0; i < 20; i++)
		await client.publish("bench/qos1", small, false, 1);
	growth(figures, TRAFFIC);

	// QoS 0 publishes alone, to a topic nobody subscribes to: what they leave.
	for (let i = 0; i < qos0; i++)
		await client.publish("bench/qos0", payload);
	growth(figures, PUBLISHED);

	await client.subscribe("bench/echo", 0);
	growth(figures, BEFORE_ECHO);
	expected = echo;
	let back = new Promise(resolve => { allBack = resolve; });
	let start = Time.ticks;
	for (let i = 0; i < echo; i++)
		await client.publish("bench/echo", payload);
	await back;
	timed(figures, ECHO, echo, start);
	allBack = back = undefined;
	growth(figures, ECHOED);

	start = Time.ticks;
	for (let i = 0; i < qos1; i++)
		await client.publish("bench/qos1", small, false, 1);
	timed(figures, QOS1, qos1, start);

	await client.disconnect();
	growth(figures, DISCONNECTED);
	client = undefined;
	growth(figures, CLOSING);
	await settled(2);
	growth(figures, RELEASED);

	// A second client, made as the first: connected, a subscription and a
	// QoS 1 round trip, disconnect(), then two turns for the close to end,
	// the client still referenced. What it holds then is what a disconnected
	// client keeps, to set beside MADE (the first, before its first connect()).
	client = new MQTTClient({ clientId: "measure", server, port, push: true, callback });
	await client.connect();
	await client.subscribe("bench/sub", 1);
	await client.publish("bench/qos1", small, false, 1);
	await client.disconnect();
	await settled(2);
	growth(figures, SETTLED);
	client = undefined;
	report(figures, stopProbe());
}

main().catch(fail);
