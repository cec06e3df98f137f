// The SDK's own ECMA-419 MQTT client (examples/io/tcp/mqttclient, imported as
// its example does, through device.network.mqtt), measured as
// tests/mcsim/measure measures the library: heap growth over a baseline
// taken before the constructor (idle and connected; after a subscription and
// 20 QoS 1 round trips; after 2,000 QoS 0 publishes; after close and the
// last reference dropped), QoS 0
// echo of 64 bytes and QoS 1 round trips per second. With config `exchange`,
// it first publishes at QoS 0, 1 and 2 to a topic it subscribed to and
// receives each back: what the ESP8266-budget run checks.
import Time from "time";
import { settings, settled, baseline, growth, timed, report, probe, fail, IDLE, TRAFFIC, CLOSING, RELEASED, ECHO, QOS1, BEFORE_ECHO, ECHOED, DISCONNECTED, PUBLISHED, FIGURES } from "footprint";

const MQTTClient = device.network.mqtt.io;
const { server = "127.0.0.1", port, echo = 1000, qos1 = 100, qos0 = 2000, exchange } = settings;
const figures = new Int32Array(FIGURES);
const payload = new Uint8Array(64).fill(0x55);
const small = new Uint8Array(16).fill(0xAA);
const received = [];
let writable = 0, echoes = 0, expected = 0, recording = false;
let waiting;		// {operation, resolve}: the control packet awaited
let echoed;		// resolves when `expected` echoes came
let room;		// resolves when the socket can take more

/** Resolves at the next control packet of that operation (CONNACK, SUBACK, PUBACK, PUBCOMP). */
const control = operation => new Promise(resolve => { waiting = { operation, resolve }; });

/** The app's callbacks, made before the baseline (the library's app has its callback before it too). */
const callbacks = {
	onControl(message) {
		if (waiting?.operation === message.operation) {
			const { resolve } = waiting;
			waiting = undefined;
			resolve(message);
		}
	},
	onReadable(count, info) {
		const bytes = this.read(count);
		if (recording && info.topic !== undefined)
			received.push(`${info.topic} ${String.fromArrayBuffer(bytes)}`);
		if (!info.more && ++echoes === expected)
			echoed();
	},
	onWritable(count) {
		writable = count;
		const resolve = room;
		room = undefined;
		resolve?.();
	},
	onError() {
		fail("the SDK client reported an error");
	}
};

/** Publishes once the socket takes the whole packet. */
async function publish(client, data, topic, QoS) {
	while (writable < data.byteLength + topic.length + 8)
		await new Promise(resolve => { room = resolve; });
	writable = client.write(data, { topic, QoS });
}

async function main() {
	const stopProbe = probe();
	await settled();
	baseline();
	let client = new MQTTClient({ ...device.network.mqtt, host: server, port, id: "sdk-client", keepalive: 0, ...callbacks });
	await control(MQTTClient.CONNACK);
	growth(figures, IDLE);

	if (exchange) {
		client.write(null, { operation: MQTTClient.SUBSCRIBE, items: [{ topic: "device/#", QoS: 2 }] });
		await control(MQTTClient.SUBACK);
		expected = 3;
		echoes = 0;
		recording = true;
		const back = new Promise(resolve => { echoed = resolve; });
		for (const QoS of [0, 1, 2])
			await publish(client, ArrayBuffer.fromString(`QoS ${QoS}`), `device/${QoS}`, QoS);
		await back;
		recording = false;
	}

	client.write(null, { operation: MQTTClient.SUBSCRIBE, items: [{ topic: "bench/sub", QoS: 1 }] });
	await control(MQTTClient.SUBACK);
	for (let i = 0; i < 20; i++) {
		const acked = control(MQTTClient.PUBACK);
		await publish(client, small, "bench/qos1", 1);
		await acked;
	}
	growth(figures, TRAFFIC);

	// QoS 0 publishes alone, to a topic nobody subscribes to, as the library's app does.
	for (let i = 0; i < qos0; i++)
		await publish(client, payload, "bench/qos0", 0);
	growth(figures, PUBLISHED);

	client.write(null, { operation: MQTTClient.SUBSCRIBE, items: [{ topic: "bench/echo", QoS: 0 }] });
	await control(MQTTClient.SUBACK);
	growth(figures, BEFORE_ECHO);
	echoes = 0;
	expected = echo;
	let back = new Promise(resolve => { echoed = resolve; });
	let start = Time.ticks;
	for (let i = 0; i < echo; i++)
		await publish(client, payload, "bench/echo", 0);
	await back;
	timed(figures, ECHO, echo, start);
	echoed = back = undefined;
	growth(figures, ECHOED);

	start = Time.ticks;
	for (let i = 0; i < qos1; i++) {
		const acked = control(MQTTClient.PUBACK);
		await publish(client, small, "bench/qos1", 1);
		await acked;
	}
	timed(figures, QOS1, qos1, start);

	client.write(null, { operation: MQTTClient.DISCONNECT });
	client.close();
	growth(figures, DISCONNECTED);
	client = undefined;
	growth(figures, CLOSING);
	await settled(2);
	growth(figures, RELEASED);
	if (exchange)
		trace(`EXCHANGED ${JSON.stringify(received.sort())}\n`);
	report(figures, stopProbe());
}

main().catch(fail);
