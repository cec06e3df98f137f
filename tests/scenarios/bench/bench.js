// The benchmark app: the client, and a raw ECMA-419 socket app writing
// pre-encoded packets (the baseline), driven step by step by
// tests/bench/run.js. Each step arrives as a message (one turn); an
// operation that spans turns reports {done} when it ends.
import { MQTTClient } from "mqtt";
import TCP from "embedded:io/socket/tcp";
import Time from "time";
import { PacketWriter } from "mqtt/writer";
import { onMessage, report, collectGarbage } from "harness";

const address = "127.0.0.1";

function payloadOf(size, kind) {
	if (kind === "string")
		return "x".repeat(size);
	const bytes = new Uint8Array(size);
	for (let i = 0; i < size; i++)
		bytes[i] = i & 0xFF;
	return bytes;
}

/** A copy of a frame's bytes, for the raw app: encoded once, before measuring. */
function encoded(frame) {
	const length = frame.head.length + (frame.body ? frame.body.length : 0);
	const bytes = new Uint8Array(length);
	bytes.set(frame.head);
	if (frame.body)
		bytes.set(frame.body, frame.head.length);
	return bytes;
}

/** The raw app: one socket, packets written whole, everything readable read in one callback. */
class Raw {
	#socket;
	#writable = 0;
	#onWritable;
	#onBytes;
	constructor(port, ready) {
		const raw = this;
		this.#socket = new TCP({
			address, port, nodelay: true,
			onWritable(count) {
				raw.#writable = count;
				const callback = raw.#onWritable;	// once: whoever waits asks again
				raw.#onWritable = undefined;
				callback?.();
			},
			onReadable() { const bytes = this.read(); raw.#onBytes?.(new Uint8Array(bytes)); },
			onError() { report({ error: "raw socket error" }); }
		});
		this.#onWritable = ready;
	}
	get writable() { return this.#writable; }
	write(bytes) { this.#socket.write(bytes); this.#writable -= bytes.length; }
	whenWritable(callback) { this.#onWritable = callback; }
	onBytes(callback) { this.#onBytes = callback; }
	close() { this.#socket.close(); }
}

export default function bench() {
	const writer = new PacketWriter();
	const payloads = new Map();
	let client, raw, rawPacket, received = 0, expect = 0, finished;

	const steps = {
		gc(_, done) { collectGarbage(); },

		prepare({ size, kind }, done) { payloads.set(`${kind} ${size}`, payloadOf(size, kind)); },

		async connect({ port, push = true, subscribe }, done) {
			client = new MQTTClient({
				clientId: `bench-${Time.ticks}`, server: address, port, push, maxPacketSize: 1 << 20, outgoingLimit: 65535,
				callback() {
					if (++received === expect)
						finished?.();
				}
			});
			await client.connect();
			if (subscribe)
				await client.subscribe(subscribe, 0);
			done();
		},

		/** `count` QoS 0 publishes in this turn, the way a fire-and-forget app writes them. */
		publish({ count, size, kind, topic }, done) {
			const payload = payloads.get(`${kind} ${size}`);
			let last;
			for (let i = 0; i < count; i++)
				last = client.publish(topic, payload);
			last.then(() => done(), error => report({ error: error.message }));
		},

		async qos1({ count, topic }, done) {
			const payload = payloads.get("binary 16");
			const start = Time.ticks;
			for (let i = 0; i < count; i++)
				await client.publish(topic, payload, false, 1);
			done({ elapsed: Time.ticks - start });
		},

		expect({ count }, done) {
			received = 0;
			expect = count;
			finished = () => done();
		},

		/** Publish-and-echo: `count` messages out as fast as the socket takes them, until all came back. */
		async echo({ count, size, topic }, done) {
			const payload = payloads.get(`binary ${size}`);
			received = 0;
			expect = count;
			const start = Time.ticks;
			finished = () => done({ elapsed: Time.ticks - start });
			for (let i = 0; i < count; i++)
				await client.publish(topic, payload);
		},

		async disconnect(_, done) {
			await client.disconnect();
			client = undefined;
			done();
		},

		rawConnect({ port, subscribe }, done) {
			raw = new Raw(port, () => {
				raw.onBytes(bytes => {	// CONNACK, then SUBACK
					if (bytes[0] === 0x20 && subscribe)
						raw.write(encoded(writer.subscribe(1, [subscribe], [0])));
					else
						done();
				});
				raw.write(encoded(writer.connect({ clientId: `raw-${Time.ticks}`, cleanSession: true, keepalive: 0 })));
			});
		},

		/** The baseline of `publish`: the same packet, encoded beforehand, written `count` times in this turn. */
		rawPrepare({ size, kind, topic }, done) {
			rawPacket = encoded(writer.publish(topic, payloads.get(`${kind} ${size}`), 0, false, false, 0));
		},

		rawPublish({ count }, done) {
			let left = count, offset = 0;
			const pump = () => {
				// whole packets while they fit; a packet larger than the window goes in window-sized pieces
				while (left && raw.writable > 0) {
					const piece = Math.min(raw.writable, rawPacket.length - offset);
					if (offset === 0 && piece === rawPacket.length)
						raw.write(rawPacket);
					else if (rawPacket.length > raw.writable || offset)
						raw.write(rawPacket.subarray(offset, offset + piece));
					else
						break;
					offset += piece;
					if (offset === rawPacket.length) {
						offset = 0;
						left--;
					}
				}
				if (left)
					raw.whenWritable(pump);
				else
					done();
			};
			pump();
		},

		noop(_, done) {},

		rawQoS1({ count, topic }, done) {
			const packets = [];
			for (let i = 1; i <= count; i++)
				packets.push(encoded(writer.publish(topic, payloads.get("binary 16"), 1, false, false, i)));
			let next = 0;
			const start = Time.ticks;
			raw.onBytes(bytes => {	// a PUBACK per packet
				if (++next < count)
					raw.write(packets[next]);
				else
					done({ elapsed: Time.ticks - start });
			});
			raw.write(packets[0]);
		},

		rawExpect({ count, size, topic }, done) {
			countEchoes(count, size, topic, () => done());
		},

		rawEcho({ count, size, topic }, done) {
			const packet = encoded(writer.publish(topic, payloads.get(`binary ${size}`), 0, false, false, 0));
			const start = Time.ticks;
			countEchoes(count, size, topic, () => done({ elapsed: Time.ticks - start }));
			let left = count;
			const pump = () => {
				while (left && raw.writable >= packet.length) {
					raw.write(packet);
					left--;
				}
				if (left)
					raw.whenWritable(pump);
			};
			pump();
		},

		rawClose(_, done) {
			raw.close();
			raw = undefined;
		}
	};

	/** The raw app counts echoed PUBLISH packets by their known size. */
	function countEchoes(count, size, topic, callback) {
		const packetLength = encoded(writer.publish(topic, payloads.get(`binary ${size}`) ?? new Uint8Array(size), 0, false, false, 0)).length;
		let bytesSeen = 0;
		raw.onBytes(bytes => {
			bytesSeen += bytes.length;
			if (bytesSeen >= count * packetLength && callback) {
				const call = callback;
				callback = undefined;
				call();
			}
		});
	}

	// A step that throws or rejects reports its error: the bench stops on it instead of waiting for a report that never comes.
	onMessage(message => {
		const failed = error => report({ error: `${message.op}: ${error?.message ?? error}` });
		try {
			steps[message.op](message, value => report({ done: true, id: message.id, ...value }))?.catch?.(failed);
		}
		catch (error) {
			failed(error);
		}
	});
	report({ ready: true });
	return new Promise(() => {});
}
