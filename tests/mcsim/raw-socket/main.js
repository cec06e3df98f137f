// The baseline of the measurements: a raw ECMA-419 TCP socket writing MQTT
// packets encoded before the clock starts, each written whole, everything
// readable read in one callback. Measured as tests/mcsim/measure measures the
// library: heap growth over a baseline taken before the socket's constructor,
// QoS 0 echo of 64 bytes and QoS 1 round trips per second.
import TCP from "embedded:io/socket/tcp";
import Time from "time";
import { settings, settled, baseline, growth, timed, report, probe, fail, IDLE, TRAFFIC, CLOSING, RELEASED, ECHO, QOS1, BEFORE_ECHO, ECHOED, DISCONNECTED, FIGURES } from "footprint";

const { server = "127.0.0.1", port, echo = 1000, qos1 = 100 } = settings;
const figures = new Int32Array(FIGURES);

/** One MQTT packet: fixed header byte, remaining length, then the parts (numbers are bytes, strings UTF-8 with a 2-byte length). */
function packet(first, ...parts) {
	const body = [];
	for (const part of parts) {
		if (typeof part === "string") {
			const bytes = new Uint8Array(ArrayBuffer.fromString(part));
			body.push(bytes.length >> 8, bytes.length & 0xFF, ...bytes);
		}
		else if (typeof part === "number")
			body.push(part);
		else
			body.push(...part);
	}
	const head = [first];
	let length = body.length;
	do {
		head.push((length & 0x7F) | (length > 0x7F ? 0x80 : 0));
		length >>= 7;
	} while (length);
	return Uint8Array.from([...head, ...body]);
}

const CONNECT = packet(0x10, "MQTT", 4, 0x02, 0, 0, "raw-socket");
const SUBSCRIBE_SUB = packet(0x82, 0, 1, "bench/sub", 1);
const SUBSCRIBE_ECHO = packet(0x82, 0, 2, "bench/echo", 0);
const ECHO_PACKET = packet(0x30, "bench/echo", new Uint8Array(64).fill(0x55));
const QOS1_PACKETS = [];
for (let id = 1; id <= Math.max(20, qos1); id++)
	QOS1_PACKETS.push(packet(0x32, "bench/qos1", id >> 8, id & 0xFF, new Uint8Array(16).fill(0xAA)));
const DISCONNECT = packet(0xE0);

let writable = 0, readBytes = 0, awaited = 0, arrived, room;

/** The app's callbacks, made before the baseline. */
const callbacks = {
	onReadable(count) {
		this.read();	// everything, in one read
		readBytes += count;
		if (arrived && readBytes >= awaited) {
			const resolve = arrived;
			arrived = undefined;
			resolve();
		}
	},
	onWritable(count) {
		writable = count;
		const resolve = room;
		room = undefined;
		resolve?.();
	},
	onError() {
		fail("the raw socket reported an error");
	}
};

/** Resolves once `count` more bytes were read. */
const bytesIn = count => new Promise(resolve => { awaited = readBytes + count; arrived = resolve; });

async function write(socket, bytes) {
	while (writable < bytes.length)
		await new Promise(resolve => { room = resolve; });
	writable = socket.write(bytes);
}

async function main() {
	const stopProbe = probe();
	await settled();
	baseline();
	let socket = new TCP({ address: server, port, nodelay: true, ...callbacks });
	await new Promise(resolve => { room = resolve; });	// the first onWritable: connected
	let answer = bytesIn(4);	// CONNACK
	await write(socket, CONNECT);
	await answer;
	growth(figures, IDLE);

	answer = bytesIn(5);		// SUBACK
	await write(socket, SUBSCRIBE_SUB);
	await answer;
	for (let i = 0; i < 20; i++) {
		answer = bytesIn(4);	// PUBACK
		await write(socket, QOS1_PACKETS[i]);
		await answer;
	}
	growth(figures, TRAFFIC);

	answer = bytesIn(5);
	await write(socket, SUBSCRIBE_ECHO);
	await answer;
	growth(figures, BEFORE_ECHO);
	answer = bytesIn(echo * ECHO_PACKET.length);
	let start = Time.ticks;
	for (let i = 0; i < echo; i++)
		await write(socket, ECHO_PACKET);
	await answer;
	timed(figures, ECHO, echo, start);
	growth(figures, ECHOED);

	start = Time.ticks;
	for (let i = 0; i < qos1; i++) {
		answer = bytesIn(4);
		await write(socket, QOS1_PACKETS[i]);
		await answer;
	}
	timed(figures, QOS1, qos1, start);
	answer = undefined;

	await write(socket, DISCONNECT);
	socket.close();
	growth(figures, DISCONNECTED);
	socket = undefined;
	growth(figures, CLOSING);
	await settled(2);
	growth(figures, RELEASED);
	report(figures, stopProbe());
}

main().catch(fail);
