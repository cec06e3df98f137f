// The benchmark app: the client, and a raw ECMA-419 socket app writing
// pre-encoded packets (the baseline), driven step by step by
// tests/bench/run.js. Each step arrives as a message (one turn); an
// operation that spans turns reports {done} when it ends.
import { MQTTClient } from "mqtt";
import TCP from "embedded:io/socket/tcp";
import Time from "time";
import { PacketWriter } from "mqtt/writer";
import { PacketParser } from "mqtt/parser";
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

/**
 * The socket of the path meters: the client's own code over a socket that
 * costs next to nothing, so that a turn's compute steps are the library's
 * alone (the host's socket events and copies are the raw app's figures).
 * Given to the client as its `TLS` class (with `ssl: {}`), the way the
 * options let an app bring its own socket; it answers a QoS 1 PUBLISH with
 * its PUBACK when asked (`answer`).
 */
class MemorySocket {
	static made;
	#options;
	#pending;
	#ack = new Uint8Array([0x40, 2, 0, 0]);
	constructor(options) {
		this.#options = options;
		MemorySocket.made = this;
	}
	read() {
		const bytes = this.#pending;
		this.#pending = undefined;
		return bytes;
	}
	write(bytes) {
		if (bytes[0] === 0x32) {	// a QoS 1 PUBLISH (one length byte): its id, for the PUBACK
			const at = 4 + ((bytes[2] << 8) | bytes[3]);
			this.#ack[2] = bytes[at];
			this.#ack[3] = bytes[at + 1];
		}
		return 1 << 20;
	}
	close() {}
	open() { this.#options.onWritable(1 << 20); }
	/** `buffer` (an ArrayBuffer) arrives: onReadable, in which the client reads it. */
	feed(buffer) {
		this.#pending = buffer;
		this.#options.onReadable(buffer.byteLength);
	}
	/** The PUBACK of the last QoS 1 PUBLISH written. */
	answer() { this.feed(this.#ack.slice().buffer); }
}

/** The SDK client's resolver: the bench's address is already one (answered in a turn of its own, as a resolver does). */
class Resolved {
	resolve({ host, onResolved }) { Promise.resolve().then(() => onResolved(host, host)); }
}

/**
 * The SDK's ECMA-419 MQTT client (examples/io/tcp/mqttclient, loaded from
 * the SDK by its path when MODDABLE is set), the second baseline: its
 * callbacks count messages and hand on control packets and write room.
 */
class SDK {
	static async open(path, port) {
		const Client = (await import(path)).default;
		const sdk = new SDK();
		sdk.client = new Client({
			host: address, port, id: `sdk-${Time.ticks}`, keepalive: 0,
			dns: { io: Resolved }, socket: { io: TCP, nodelay: true },
			onControl(message) { const control = sdk.control; sdk.control = undefined; control?.(message); },
			onReadable(count, info) {
				this.read(count);
				if (!info.more && ++sdk.received === sdk.expect)
					sdk.finished?.();
			},
			onWritable(count) { sdk.writable = count; const room = sdk.room; sdk.room = undefined; room?.(); },
			onError() { report({ error: "SDK client error" }); }
		});
		sdk.Client = Client;
		await sdk.next();	// CONNACK
		return sdk;
	}
	writable = 0;
	received = 0;
	expect = 0;
	/** The next control packet (CONNACK, SUBACK, PUBACK). */
	next() { return new Promise(resolve => { this.control = resolve; }); }
	async subscribe(topic) {
		const subscribed = this.next();
		this.client.write(null, { operation: this.Client.SUBSCRIBE, items: [{ topic, QoS: 0 }] });
		await subscribed;
	}
	/** A PUBLISH once the socket takes all of it, as the SDK client's example does. */
	async publish(payload, topic, QoS) {
		while (this.writable < payload.byteLength + topic.length + 8)
			await new Promise(resolve => { this.room = resolve; });
		this.writable = this.client.write(payload, { topic, QoS });
	}
}

export default function bench() {
	const writer = new PacketWriter();
	const payloads = new Map();
	let client, raw, sdk, rawPacket, rawPackets, received = 0, expect = 0, finished;

	// The path meters' state: clients over a MemorySocket, pre-encoded input.
	const memory = {};

	const steps = {
		gc(_, done) { collectGarbage(); },

		/** A client over a MemorySocket (`name`: push or wait, with or without a callback), connected. */
		async memConnect({ name, push, callback }, done) {
			MemorySocket.made = undefined;
			const client = new MQTTClient({
				clientId: `mem-${name}`, server: address, ssl: {}, TLS: MemorySocket, push, maxPacketSize: 1 << 20, outgoingLimit: 65535,
				callback: callback ? () => {} : undefined
			});
			const connected = client.connect();
			while (!MemorySocket.made)	// the socket is made once the TLS class is "loaded" (a resolved Promise)
				await null;
			const socket = MemorySocket.made;
			socket.open();
			socket.feed(new Uint8Array([0x20, 2, 0, 0]).buffer);	// CONNACK
			await connected;
			memory[name] = { client, socket };
			done();
		},

		/** Input for the path meters: `count` PUBLISH packets of `size` bytes and QoS `qos` in one buffer (ids 1..count), and one alone. */
		memPrepare({ count, size, qos, topic }, done) {
			const payload = payloadOf(size, "binary");
			const packets = [];
			let length = 0;
			for (let i = 1; i <= count; i++) {
				const packet = encoded(writer.publish(topic, payload, qos, false, false, qos ? i : 0));
				packets.push(packet);
				length += packet.length;
			}
			const all = new Uint8Array(length);
			for (let i = 0, at = 0; i < count; at += packets[i++].length)
				all.set(packets[i], at);
			memory.input = all.buffer;
			memory.one = packets[0].buffer;
			memory.count = count;
			memory.parser = new PacketParser(1 << 20);
			memory.payload = payload;
			memory.writer = new PacketWriter();
		},

		/** The parser alone over the prepared buffer. */
		memParse(_, done) {
			const parser = memory.parser, bytes = new Uint8Array(memory.input), end = bytes.length;
			for (let at = 0; at < end;)
				at = parser.parse(bytes, at, end);
			parser.release();
		},

		/** The prepared buffer arrives in one read at client `name`. */
		memReceive({ name }, done) {
			memory[name].socket.feed(memory.input);
		},

		/** `count` reads of one message each. */
		memReceiveOne({ name, count }, done) {
			const socket = memory[name].socket, one = memory.one;
			for (let i = 0; i < count; i++)
				socket.feed(one);
		},

		/** `count` times: waitMsg(), one message arrives, the app awaits the Promise. */
		async memWait({ name, count }, done) {
			const { client, socket } = memory[name], one = memory.one;
			for (let i = 0; i < count; i++) {
				const waiting = client.waitMsg();
				socket.feed(one);
				await waiting;
			}
		},

		/** The writer alone: `count` QoS 0 PUBLISH packets of the prepared payload. */
		memWrite({ count, topic }, done) {
			const writer = memory.writer, payload = memory.payload;
			for (let i = 0; i < count; i++)
				writer.publish(topic, payload, 0, false, false, 0);
		},

		/** `count` QoS 0 publishes of the prepared payload. */
		memPublish({ name, count, topic }, done) {
			const client = memory[name].client, payload = memory.payload;
			for (let i = 0; i < count; i++)
				client.publish(topic, payload);
		},

		/** `count` QoS 1 round trips: publish, its PUBACK arrives, the app awaits the Promise. */
		async memQoS1({ name, count, topic }, done) {
			const { client, socket } = memory[name], payload = memory.payload;
			for (let i = 0; i < count; i++) {
				const published = client.publish(topic, payload, false, 1);
				socket.answer();
				await published;
			}
		},

		/** `count` echoes: a QoS 0 publish, and the prepared message (the same one) arrives. */
		memEcho({ name, count, topic }, done) {
			const { client, socket } = memory[name], payload = memory.payload, one = memory.one;
			for (let i = 0; i < count; i++) {
				client.publish(topic, payload);
				socket.feed(one);
			}
		},

		prepare({ size, kind }, done) { payloads.set(`${kind} ${size}`, payloadOf(size, kind)); },

		/** `protocolVersion` 5 and `topicAliases` in a build with manifest_mqtt5.json (tests/bench/mqtt5.js). */
		async connect({ port, push = true, subscribe, protocolVersion, topicAliases }, done) {
			client = new MQTTClient({
				clientId: `bench-${Time.ticks}`, server: address, port, push, maxPacketSize: 1 << 20, outgoingLimit: 65535, protocolVersion, topicAliases,
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

		/** `count` QoS 0 publishes, each awaited (handed to the socket) before the next: the way an app that awaits writes them. */
		async publishEach({ count, size, kind, topic }, done) {
			const payload = payloads.get(`${kind} ${size}`);
			for (let i = 0; i < count; i++)
				await client.publish(topic, payload);
			done();
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

		async sdkConnect({ port, subscribe, path }, done) {
			sdk = await SDK.open(path, port);
			if (subscribe)
				await sdk.subscribe(subscribe);
			done();
		},

		/** The baseline of `publish`: `count` QoS 0 publishes in this turn (the window takes them). */
		sdkPublish({ count, size, kind, topic }, done) {
			const payload = payloads.get(`${kind} ${size}`);
			for (let i = 0; i < count; i++)
				sdk.writable = sdk.client.write(payload, { topic, QoS: 0 });
			done();
		},

		async sdkQoS1({ count, topic }, done) {
			const payload = payloads.get("binary 16");
			for (let i = 0; i < count; i++) {
				const acknowledged = sdk.next();
				await sdk.publish(payload, topic, 1);
				await acknowledged;
			}
			done();
		},

		sdkExpect({ count }, done) {
			sdk.received = 0;
			sdk.expect = count;
			sdk.finished = () => done();
		},

		async sdkEcho({ count, size, topic }, done) {
			const payload = payloads.get(`binary ${size}`);
			sdk.received = 0;
			sdk.expect = count;
			sdk.finished = () => done();
			for (let i = 0; i < count; i++)
				await sdk.publish(payload, topic, 0);
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

		/** The packets of `rawQoS1`, encoded in a turn of their own: the library's writer is not the raw app's cost. */
		rawPrepareQoS1({ count, topic }, done) {
			rawPackets = [];
			for (let i = 1; i <= count; i++)
				rawPackets.push(encoded(writer.publish(topic, payloads.get("binary 16"), 1, false, false, i)));
		},

		rawQoS1({ count, topic }, done) {
			const packets = rawPackets;
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
