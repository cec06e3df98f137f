// The MQTT 3.1.1 packet codec (modules/mqtt/writer.ts, parser.ts) against the
// reference codec, mqtt-packet, in both directions: fixed cases, seeded
// property-based cases, streams split at every offset and fed one byte at a
// time, malformed streams and bad writer arguments.
//
//   npm run build && node --test tests/codec.test.js
//
// The fast-check seeds are fixed (override with CODEC_SEED=<integer> to
// explore); each property prints its seed and run count, and the last test
// prints how many generated packets were cross-checked in each direction.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import mqttPacket from 'mqtt-packet';
import fc from 'fast-check';
import { importLibrary } from './helpers/node-library.js';
import { snapshot } from './helpers/packets.js';

const { PacketWriter } = await importLibrary('mqtt/writer');
const { PacketParser } = await importLibrary('mqtt/parser');
const { ProtocolError } = await importLibrary('mqtt/errors');

const BASE_SEED = process.env.CODEC_SEED !== undefined ? Number(process.env.CODEC_SEED) : 0x4D515454;	// "MQTT"
if (!Number.isSafeInteger(BASE_SEED))
	throw new Error(`CODEC_SEED must be an integer, not ${process.env.CODEC_SEED}`);
const SEEDS = {
	writerPackets: BASE_SEED,
	writerRoundTrip: BASE_SEED + 1,
	parserStreams: BASE_SEED + 2,
	parserSingles: BASE_SEED + 3,
};
const RUNS = {
	writerPackets: 1200,
	writerRoundTrip: 400,
	parserStreams: 500,
	parserSingles: 1500,
};

/** Generated (property-based) packets cross-checked, per direction. */
const counts = { writerToMqttPacket: 0, mqttPacketToParser: 0, writerToParser: 0, streamsEveryOffset: 0, streamsSampled: 0 };
/** The property tests that ran (a --test-name-pattern may leave some out). */
const propertiesRan = new Set();
/** Fixed-case packets cross-checked, per direction. */
const fixedCounts = { writerToMqttPacket: 0, mqttPacketToParser: 0 };

const MAX_REMAINING = 2_097_151;
const TYPE_OF_CMD = { connack: 2, publish: 3, puback: 4, pubrec: 5, pubrel: 6, pubcomp: 7, suback: 9, unsuback: 11, pingresp: 13 };
const ACK_CMD = { 4: 'puback', 5: 'pubrec', 6: 'pubrel', 7: 'pubcomp' };

// ---------------------------------------------------------------- helpers

/** Bytes of a codec argument (string as ArrayBuffer.fromString encodes it, any binary form), copied. */
function bin(data) {
	if (typeof data === 'string')
		return Buffer.from(ArrayBuffer.fromString(data));
	if (ArrayBuffer.isView(data))
		return Buffer.from(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
	return Buffer.from(new Uint8Array(data));
}

/** mqtt-packet's view of a string field: the UTF-8 bytes decoded (U+FFFD for bad sequences). */
function str(data) {
	return bin(data).toString('utf8');
}

function frameBytes(frame) {
	assert.ok(frame.head instanceof Uint8Array, 'frame.head is a Uint8Array');
	assert.ok(frame.body === undefined || frame.body instanceof Uint8Array, 'frame.body is undefined or a Uint8Array');
	return frame.body ? Buffer.concat([Buffer.from(frame.head), Buffer.from(frame.body)]) : Buffer.from(frame.head);
}

function varIntLength(n) {
	return n < 128 ? 1 : n < 16384 ? 2 : n < 2097152 ? 3 : 4;
}

/** Every packet mqtt-packet finds in `buffers` fed in order; fails on an error or left-over bytes. */
function mqttPacketParse(buffers) {
	const parser = mqttPacket.parser({ protocolVersion: 4 });
	const packets = [];
	const errors = [];
	parser.on('packet', p => packets.push(p));
	parser.on('error', e => errors.push(e));
	let total = 0;
	for (const b of buffers) {
		total += b.length;
		parser.parse(b);
	}
	assert.deepEqual(errors.map(e => e.message), [], 'mqtt-packet reports no error');
	const consumed = packets.reduce((sum, p) => sum + 1 + varIntLength(p.length) + p.length, 0);
	assert.equal(consumed, total, 'mqtt-packet consumed the stream exactly');
	return packets;
}

function mqttPacketParseOne(buffer) {
	const packets = mqttPacketParse([buffer]);
	assert.equal(packets.length, 1, 'mqtt-packet finds exactly one packet');
	return packets[0];
}

/** Normal form of an mqtt-packet packet, parsed or about to be generated. */
function normMp(p) {
	switch (p.cmd) {
	case 'connect':
		return {
			cmd: 'connect',
			protocolId: p.protocolId,
			protocolVersion: p.protocolVersion,
			clean: !!p.clean,
			keepalive: p.keepalive,
			clientId: str(p.clientId),
			will: p.will ? { topic: str(p.will.topic), payload: bin(p.will.payload), qos: p.will.qos ?? 0, retain: !!p.will.retain } : null,
			username: p.username == null ? null : str(p.username),
			password: p.password == null ? null : bin(p.password),
		};
	case 'publish': {
		const qos = p.qos ?? 0;
		return { cmd: 'publish', topic: str(p.topic), payload: bin(p.payload), qos, retain: !!p.retain, dup: !!p.dup, messageId: qos ? p.messageId : null };
	}
	case 'puback': case 'pubrec': case 'pubrel': case 'pubcomp': case 'unsuback':
		return { cmd: p.cmd, messageId: p.messageId };
	case 'subscribe':
		return { cmd: 'subscribe', messageId: p.messageId, subscriptions: p.subscriptions.map(s => ({ topic: str(s.topic), qos: s.qos })) };
	case 'unsubscribe':
		return { cmd: 'unsubscribe', messageId: p.messageId, unsubscriptions: p.unsubscriptions.map(str) };
	case 'pingreq': case 'pingresp': case 'disconnect':
		return { cmd: p.cmd };
	default:
		throw new Error(`unexpected mqtt-packet cmd ${p.cmd}`);
	}
}

// A writer call, described as data so that it can be replayed, generated and
// turned into the mqtt-packet object of the same packet.

function writeSpec(writer, spec) {
	switch (spec.kind) {
	case 'connect': return writer.connect(spec.fields);
	case 'publish': return writer.publish(spec.topic, spec.payload, spec.qos, spec.retain, spec.dup, spec.id);
	case 'ack': return writer.ack(spec.type, spec.id);
	case 'subscribe': return writer.subscribe(spec.id, spec.filters, spec.qos);
	case 'unsubscribe': return writer.unsubscribe(spec.id, spec.filters);
	case 'pingreq': return writer.pingreq();
	case 'disconnect': return writer.disconnect();
	}
	throw new Error(`unknown spec ${spec.kind}`);
}

/** The mqtt-packet object (input of mqttPacket.generate) of the packet a spec writes. */
function mpObjectOf(spec) {
	switch (spec.kind) {
	case 'connect': {
		const { clientId, cleanSession, keepalive, will, user, password } = spec.fields;
		const o = { cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: cleanSession, keepalive, clientId: bin(clientId) };
		if (will)
			o.will = { topic: str(will.topic), payload: bin(will.message), qos: will.qos, retain: will.retain };
		if (user !== undefined)
			o.username = bin(user);
		if (password !== undefined)
			o.password = bin(password);
		return o;
	}
	case 'publish': {
		const o = { cmd: 'publish', topic: bin(spec.topic), payload: bin(spec.payload), qos: spec.qos, retain: spec.retain, dup: spec.dup };
		if (spec.qos)
			o.messageId = spec.id;
		return o;
	}
	case 'ack': return { cmd: ACK_CMD[spec.type], messageId: spec.id };
	case 'subscribe': return { cmd: 'subscribe', messageId: spec.id, subscriptions: spec.filters.map((f, i) => ({ topic: str(f), qos: spec.qos[i] })) };
	case 'unsubscribe': return { cmd: 'unsubscribe', messageId: spec.id, unsubscriptions: spec.filters.map(str) };
	case 'pingreq': return { cmd: 'pingreq' };
	case 'disconnect': return { cmd: 'disconnect' };
	}
	throw new Error(`unknown spec ${spec.kind}`);
}

/** mqtt-packet refuses to generate a CONNECT with an empty client id and no clean session (a valid packet a server rejects). */
function mqttPacketCanGenerate(spec) {
	return !(spec.kind === 'connect' && bin(spec.fields.clientId).length === 0 && !spec.fields.cleanSession);
}

/**
 * Writes `spec`, checks the bytes against mqtt-packet (parsed to the same
 * fields, and byte-identical to what mqtt-packet generates) and returns them.
 */
function checkWriterSpec(writer, spec) {
	const bytes = frameBytes(writeSpec(writer, spec));
	const parsed = mqttPacketParseOne(bytes);
	const expected = mpObjectOf(spec);
	assert.deepEqual(normMp(parsed), normMp({ protocolId: 'MQTT', protocolVersion: 4, ...expected }));
	if (mqttPacketCanGenerate(spec))
		assert.deepEqual(bytes, mqttPacket.generate(expected, { protocolVersion: 4 }), 'same bytes as mqtt-packet generates');
	return bytes;
}

// Our parser.


/** What our parser must yield for an mqtt-packet object. */
function expectedOurs(o) {
	const type = TYPE_OF_CMD[o.cmd];
	switch (o.cmd) {
	case 'connack': return { type, flags: 0, sessionPresent: !!o.sessionPresent, returnCode: o.returnCode };
	case 'publish': {
		const qos = o.qos ?? 0;
		return {
			type, flags: (o.dup ? 8 : 0) | (qos << 1) | (o.retain ? 1 : 0), qos, retain: !!o.retain, dup: !!o.dup,
			id: qos ? o.messageId : 0, topic: bin(o.topic), payload: bin(o.payload ?? ''),
		};
	}
	case 'suback': return { type, flags: 0, id: o.messageId, granted: [...o.granted] };
	case 'pingresp': return { type, flags: 0 };
	case 'pubrel': return { type, flags: 2, id: o.messageId };
	default: return { type, flags: 0, id: o.messageId };
	}
}

let scratch = new Uint8Array(4096);

/**
 * A piece of input placed inside a larger, reused buffer: a non-zero
 * byteOffset and start, and garbage around it. The caller wipes it with
 * `wipe` once parsed, so a parser that kept a view of its input (instead of
 * copying what it hands out) would be caught by the comparisons.
 */
function padded(piece) {
	if (scratch.length < piece.length + 7)
		scratch = new Uint8Array(piece.length * 2 + 7);
	const bytes = scratch.subarray(1, piece.length + 6);
	bytes.fill(0xF0);	// reserved type 15: reading it would be a protocol error
	bytes.set(piece, 2);
	return { bytes, start: 2, end: 2 + piece.length };
}

function wipe(piece) {
	piece.bytes.fill(0xF0);
}

/**
 * Feeds `stream` to a parser in pieces cut at `cuts` (ascending offsets
 * inside the stream) and returns the packets and the offsets where parse
 * calls completed them (stream offsets).
 */
function parseStream(stream, cuts = [], parser = new PacketParser(), padding = true) {
	const packets = [];
	const ends = [];
	let previous = 0;
	for (const cut of [...cuts, stream.length]) {
		if (cut === previous)
			continue;
		const raw = stream.subarray(previous, cut);
		const piece = padding ? padded(raw) : { bytes: raw, start: 0, end: raw.length };
		let offset = piece.start;
		while (offset < piece.end) {
			const next = parser.parse(piece.bytes, offset, piece.end);
			if (!(next > offset && next <= piece.end))
				throw new Error(`parse(${offset}, ${piece.end}) returned ${next}`);
			offset = next;
			if (parser.ready) {
				packets.push(snapshot(parser.packet));
				ends.push(previous + offset - piece.start);
			}
		}
		if (padding)
			wipe(piece);
		previous = cut;
	}
	return { packets, ends };
}

/** A fast equality of packet snapshots (deepEqual gives the message when they differ). */
function samePackets(a, b) {
	if (a.length !== b.length)
		return false;
	for (let i = 0; i < a.length; i++) {
		const x = a[i], y = b[i];
		const keys = Object.keys(x);
		if (keys.length !== Object.keys(y).length)
			return false;
		for (const key of keys) {
			const u = x[key], v = y[key];
			if (Buffer.isBuffer(u)) {
				if (!Buffer.isBuffer(v) || !u.equals(v))
					return false;
			}
			else if (Array.isArray(u)) {
				if (!Array.isArray(v) || u.length !== v.length || u.some((e, j) => e !== v[j]))
					return false;
			}
			else if (u !== v)
				return false;
		}
	}
	return true;
}

function range(from, to) {
	const result = [];
	for (let i = from; i < to; i++)
		result.push(i);
	return result;
}

/**
 * The stream yields `expected` whole, cut in two at every offset (or, for a
 * long stream, at the offsets around each packet boundary and at a spread of
 * others) and one byte at a time.
 */
function checkStream(stream, expected, { everyOffset = stream.length <= 2048 } = {}) {
	const whole = parseStream(stream, [], undefined, false);
	assert.deepEqual(whole.packets, expected, 'whole stream');
	assert.equal(whole.ends.at(-1), stream.length, 'the last packet ends where the stream ends');
	const boundaries = whole.ends;

	let cuts;
	if (everyOffset) {
		cuts = range(1, stream.length);
		counts.streamsEveryOffset++;
	}
	else {
		counts.streamsSampled++;
		const set = new Set();
		for (const b of [0, ...boundaries])
			for (let d = -3; d <= 6; d++)
				if (b + d > 0 && b + d < stream.length)
					set.add(b + d);
		for (let k = 1; k < 64; k++)
			set.add(Math.floor(stream.length * k / 64));
		set.delete(0);
		cuts = [...set].sort((a, b) => a - b);
	}
	for (const cut of cuts) {
		const { packets } = parseStream(stream, [cut]);
		if (!samePackets(packets, expected))
			assert.deepEqual(packets, expected, `stream cut at ${cut} of ${stream.length}`);
	}
	assert.deepEqual(parseStream(stream, range(1, stream.length)).packets, expected, 'one byte at a time');
	return cuts.length;
}

function copyBytes(bytes) {
	return Uint8Array.from(bytes);
}

/** Binary forms of the same bytes; each keeps its own backing memory. */
function represent(bytes, form) {
	switch (form) {
	case 'u8': return copyBytes(bytes);
	case 'sub': {	// non-zero byteOffset, other bytes around it
		const big = new Uint8Array(bytes.length + 10).fill(0xEE);
		big.set(bytes, 7);
		return big.subarray(7, 7 + bytes.length);
	}
	case 'ab': return copyBytes(bytes).buffer;
	case 'dv': {
		const ab = new ArrayBuffer(bytes.length + 9);
		new Uint8Array(ab).set(bytes, 5);
		return new DataView(ab, 5, bytes.length);
	}
	case 'i16': {
		if (bytes.length % 2)
			return represent(bytes, 'sub');
		const ab = new ArrayBuffer(bytes.length + 4);
		new Uint8Array(ab).set(bytes, 2);
		return new Int16Array(ab, 2, bytes.length / 2);
	}
	case 'buffer': return Buffer.from(bytes);
	}
	throw new Error(`unknown form ${form}`);
}

function backing(value) {
	return ArrayBuffer.isView(value) ? { buffer: value.buffer, byteOffset: value.byteOffset } : { buffer: value, byteOffset: 0 };
}

function expectError(fn, Class, pattern, label) {
	let thrown;
	try {
		fn();
	}
	catch (e) {
		thrown = e;
	}
	assert.ok(thrown !== undefined, `${label}: must throw`);
	assert.equal(thrown.constructor, Class, `${label}: ${thrown} must be a ${Class.name}`);
	assert.match(thrown.message, pattern, label);
	return thrown;
}

const utf8 = new TextEncoder();

// ====================================================== 1. writer -> mqtt-packet

// Byte-identical to mqtt-packet's, so: the fixed-header flags of Table 2.2
// [MQTT-2.2.2-1] (PUBREL, SUBSCRIBE, UNSUBSCRIBE 0010 [MQTT-3.6.1-1]
// [MQTT-3.8.1-1] [MQTT-3.10.1-1]); no packet id in a QoS 0 PUBLISH
// [MQTT-2.3.1-5]; CONNECT's will fields only with the will flag, its QoS and
// retain 0 without [MQTT-3.1.2-9] [MQTT-3.1.2-11] [MQTT-3.1.2-13]
// [MQTT-3.1.2-15], user name and password by their flags [MQTT-3.1.2-18]
// [MQTT-3.1.2-19] [MQTT-3.1.2-20] [MQTT-3.1.2-21], its payload fields in order
// [MQTT-3.1.3-1], the client id first [MQTT-3.1.3-3]; the topic first in
// PUBLISH [MQTT-3.3.2-1]. The non-ASCII cases: UTF-8 string fields
// [MQTT-1.5.3-1] [MQTT-3.1.3-4] [MQTT-3.1.3-10] [MQTT-3.1.3-11]
// [MQTT-3.8.3-1] [MQTT-3.10.3-1].
test('writer -> mqtt-packet: fixed cases of every packet a client sends', () => {
	const writer = new PacketWriter();
	const smallBytes = Uint8Array.from({ length: 40 }, (_, i) => (i * 7 + 1) & 0xFF);
	const largeBytes = Uint8Array.from({ length: 5000 }, (_, i) => (i * 31 + 3) & 0xFF);
	const connect = fields => ({ kind: 'connect', fields });
	const publish = (topic, payload, qos = 0, retain = false, dup = false, id = 1) => ({ kind: 'publish', topic, payload, qos, retain, dup, id });
	const base = { clientId: 'client-1', cleanSession: true, keepalive: 60 };
	const cases = [
		// CONNECT
		['CONNECT minimal', connect(base)],
		['CONNECT clean session false', connect({ ...base, cleanSession: false })],
		['CONNECT keepalive 0', connect({ ...base, keepalive: 0 })],
		['CONNECT keepalive 65535', connect({ ...base, keepalive: 65535 })],
		['CONNECT keepalive 256', connect({ ...base, keepalive: 256 })],
		['CONNECT empty client id, clean', connect({ ...base, clientId: '' })],
		['CONNECT empty client id, not clean', connect({ ...base, clientId: '', cleanSession: false })],
		['CONNECT non-ASCII client id', connect({ ...base, clientId: 'café-Grüße-日本語' })],
		['CONNECT astral client id', connect({ ...base, clientId: '🚀𝄞😀-x' })],
		['CONNECT client id Uint8Array', connect({ ...base, clientId: utf8.encode('bin-id-é') })],
		['CONNECT client id ArrayBuffer', connect({ ...base, clientId: utf8.encode('ab-id').buffer })],
		['CONNECT client id DataView', connect({ ...base, clientId: represent(utf8.encode('dv-id-🚀'), 'dv') })],
		['CONNECT client id of 65535 bytes (ASCII)', connect({ ...base, clientId: 'a'.repeat(65535) })],
		['CONNECT client id of 65535 bytes (3-byte chars)', connect({ ...base, clientId: '€'.repeat(21845) })],
		['CONNECT long astral client id (counted before writing)', connect({ ...base, clientId: '😀'.repeat(700) + 'é'.repeat(300) })],
		['CONNECT long 2-byte user and astral password', connect({ ...base, user: 'ü'.repeat(1500), password: '𝄞'.repeat(600) })],
		['CONNECT will QoS 0', connect({ ...base, will: { topic: 'last/will', message: 'gone', qos: 0, retain: false } })],
		['CONNECT will QoS 1 retain', connect({ ...base, will: { topic: 'last/will', message: 'gone', qos: 1, retain: true } })],
		['CONNECT will QoS 2', connect({ ...base, will: { topic: 'é/😀', message: 'ünï 🚀', qos: 2, retain: false } })],
		['CONNECT will binary message, empty', connect({ ...base, will: { topic: 'w', message: new Uint8Array(0), qos: 1, retain: false } })],
		['CONNECT will binary message and topic', connect({ ...base, will: { topic: utf8.encode('w/bin'), message: represent(smallBytes, 'dv'), qos: 2, retain: true } })],
		['CONNECT will message of 3000 bytes', connect({ ...base, will: { topic: 'w', message: represent(largeBytes.subarray(0, 3000), 'sub'), qos: 0, retain: false } })],
		['CONNECT user and password', connect({ ...base, user: 'alice', password: 's3cret' })],
		// A password is binary data, not a UTF-8 string: smallBytes ("CONNECT user and binary password")
		// and 00 FF ("CONNECT binary user") are not well-formed UTF-8 and are sent as they are.
		['CONNECT user and binary password', connect({ ...base, user: 'bób', password: represent(smallBytes, 'ab') })],
		['CONNECT empty user and password', connect({ ...base, user: '', password: '' })],
		['CONNECT binary user', connect({ ...base, user: utf8.encode('ü'), password: Uint8Array.of(0, 255) })],
		['CONNECT everything', connect({ clientId: 'everything', cleanSession: false, keepalive: 65535, will: { topic: 't/w', message: 'bye', qos: 2, retain: true }, user: 'u', password: 'p' })],
		// PUBLISH
		['PUBLISH QoS 0', publish('a/b', 'hello')],
		['PUBLISH QoS 0 ignores the packet id', publish('a/b', 'hello', 0, false, false, 0)],
		['PUBLISH QoS 1', publish('a/b', 'hello', 1, false, false, 1)],
		['PUBLISH QoS 2 id 65535', publish('a/b', 'hello', 2, false, false, 65535)],
		['PUBLISH QoS 0 retain', publish('r', 'kept', 0, true)],
		['PUBLISH QoS 1 dup', publish('d', 'again', 1, false, true, 0x1234)],
		['PUBLISH QoS 2 dup retain', publish('d', 'again', 2, true, true, 0x8001)],
		['PUBLISH empty string payload', publish('e', '')],
		['PUBLISH empty Uint8Array payload QoS 1', publish('e', new Uint8Array(0), 1, false, false, 9)],
		['PUBLISH empty ArrayBuffer payload', publish('e', new ArrayBuffer(0))],
		['PUBLISH multi-byte topic and payload', publish('日本/温度/😀', 'ünïcödé 🚀', 1, false, false, 77)],
		['PUBLISH binary topic', publish(utf8.encode('bin/tøpic'), 'x')],
		['PUBLISH topic "/"', publish('/', 'x')],
		['PUBLISH topic of 65535 bytes', publish('t'.repeat(65535), 'x', 1, false, false, 3)],
		['PUBLISH topic of 65535 bytes (2-byte chars + 1)', publish('é'.repeat(32767) + 'a', 'x')],
		['PUBLISH long astral topic (counted before writing)', publish('😀/'.repeat(400), 'x', 1, false, false, 8)],
		// remaining lengths at the edges of the variable-length encoding (topic "t" takes 3 bytes)
		...[3, 127, 128, 129, 255, 256, 16383, 16384, 16385, 32768, 65535, 65536].map(n =>
			[`PUBLISH remaining length ${n}`, publish('t', new Uint8Array(n - 3).fill(n & 0xFF))]),
		...[127, 128, 16383, 16384].map(n =>
			[`PUBLISH remaining length ${n}, string payload`, publish('t', 'y'.repeat(n - 5), 1, false, false, n)]),
		['PUBLISH lone surrogate in payload (a payload is binary data: sent as XS encodes it)', publish('s', 'x\uDC00y\uD83D')],
		// A payload is binary data, not a UTF-8 string: smallBytes and largeBytes are not well-formed UTF-8
		// and are sent as they are.
		...['ab', 'u8', 'sub', 'dv', 'i16', 'buffer'].flatMap(form => [
			[`PUBLISH small ${form} payload`, publish('bin/small', represent(smallBytes, form), 1, false, false, 5)],
			[`PUBLISH large ${form} payload`, publish('bin/large', represent(largeBytes, form), 2, true, false, 6)],
		]),
		['PUBLISH Int16Array payload', publish('i16', new Int16Array([1, -2, 300, -32768, 32767]))],
		['PUBLISH Float64Array payload', publish('f64', new Float64Array([Math.PI, -0, Infinity]))],
		['PUBLISH large string payload (ASCII)', publish('big/s', 'x'.repeat(5000), 1, false, false, 2)],
		['PUBLISH large string payload (3-byte chars)', publish('big/s', '€'.repeat(2000))],
		['PUBLISH large string payload (astral)', publish('big/s', '😀'.repeat(1500), 2, false, false, 4)],
		['PUBLISH 100 KB payload', publish('big/b', new Uint8Array(100_000).fill(0xA5), 1, false, false, 11)],
		// acknowledgements
		...[4, 5, 6, 7].flatMap(type => [1, 0x0102, 65535].map(id => [`${ACK_CMD[type]} id ${id}`, { kind: 'ack', type, id }])),
		// SUBSCRIBE
		['SUBSCRIBE one filter', { kind: 'subscribe', id: 1, filters: ['a/b'], qos: [0] }],
		['SUBSCRIBE one filter QoS 2 id 65535', { kind: 'subscribe', id: 65535, filters: ['#'], qos: [2] }],
		['SUBSCRIBE many filters, mixed QoS', {
			kind: 'subscribe', id: 0x2345,
			filters: ['a/b', '+', '#', 'a/+/c', 'a/#', '+/+', '/', 'sport/tennis/+', '日本/+', '😀/#', '$SYS/#', '+/#', '/+/', utf8.encode('bin/+')],
			qos: [0, 1, 2, 1, 0, 2, 1, 0, 2, 1, 0, 2, 1, 2],
		}],
		['SUBSCRIBE long astral filter', { kind: 'subscribe', id: 3, filters: ['😀/+/'.repeat(300) + '#'], qos: [0] }],
		['SUBSCRIBE long filter', { kind: 'subscribe', id: 2, filters: ['x/'.repeat(3000) + '#', 'y'], qos: [1, 2] }],
		// UNSUBSCRIBE
		['UNSUBSCRIBE one filter', { kind: 'unsubscribe', id: 1, filters: ['a/b'] }],
		['UNSUBSCRIBE many filters', { kind: 'unsubscribe', id: 65535, filters: ['a/b', '+', '#', 'a/+/c', '日本/#', '😀', new Uint8Array(utf8.encode('b/+'))] }],
		// the rest
		['PINGREQ', { kind: 'pingreq' }],
		['DISCONNECT', { kind: 'disconnect' }],
	];
	const stream = [];
	for (const [name, spec] of cases) {
		try {
			stream.push(checkWriterSpec(writer, spec));
		}
		catch (e) {
			e.message = `${name}: ${e.message}`;
			throw e;
		}
		fixedCounts.writerToMqttPacket++;
	}
	// The same packets as one stream: mqtt-packet frames them all.
	const all = mqttPacketParse([Buffer.concat(stream)]);
	assert.deepEqual(all.map(normMp), cases.map(([, spec]) => normMp({ protocolId: 'MQTT', protocolVersion: 4, ...mpObjectOf(spec) })));
});

test('writer: binary payloads above the inline room are sent from the caller\'s memory, smaller ones inline', () => {
	for (const limit of [16, 100, 1024]) {
		const writer = new PacketWriter(limit);
		for (const form of ['ab', 'u8', 'sub', 'dv', 'i16', 'buffer']) {
			for (const [qos, id] of [[0, 0], [1, 42]]) {
				const topic = 'z/é';	// 4 UTF-8 bytes
				const header = 2 + 4 + (qos ? 2 : 0);
				const room = limit - header;	// payload bytes that still fit inline
				for (const length of [0, 1, room - 1, room, room + 1, room + 2, limit * 3 + 1]) {
					if (length < 0 || (form === 'i16' && length % 2))
						continue;
					const bytes = Uint8Array.from({ length }, (_, i) => (i * 13 + length) & 0xFF);
					const payload = represent(bytes, form);
					const frame = writer.publish(topic, payload, qos, false, false, id);
					const label = `limit ${limit}, ${form}, QoS ${qos}, ${length} bytes`;
					if (length <= room)
						assert.equal(frame.body, undefined, `${label}: inline`);
					else {
						assert.ok(frame.body, `${label}: has a body`);
						const { buffer, byteOffset } = backing(payload);
						assert.equal(frame.body.buffer, buffer, `${label}: body is a view of the caller's buffer`);
						assert.equal(frame.body.byteOffset, byteOffset, `${label}: body starts at the payload`);
						assert.equal(frame.body.byteLength, length, `${label}: body is the payload`);
						assert.equal(frame.head.length, 1 + varIntLength(header + length) + header, `${label}: head is the fixed and variable header`);
					}
					const packet = mqttPacketParseOne(frameBytes(frame));
					assert.equal(packet.topic, topic);
					assert.deepEqual(packet.payload, Buffer.from(bytes), label);
				}
			}
		}
		// A string payload is never a view of anything the caller owns, and is correct either way.
		for (const text of ['', 'short', 'é'.repeat(limit), '😀'.repeat(limit)]) {
			const frame = writer.publish('s', text, 0, false, false, 0);
			const packet = mqttPacketParseOne(frameBytes(frame));
			assert.equal(packet.payload.toString('utf8'), text);
		}
	}
});

test('writer: remaining length 2,097,151 is written, 2,097,152 is refused', () => {
	const writer = new PacketWriter();
	// topic "t": 3 bytes; QoS 1 adds the 2-byte packet id
	for (const [qos, header] of [[0, 3], [1, 5]]) {
		const fits = new Uint8Array(MAX_REMAINING - header).fill(0x5A);
		const frame = writer.publish('t', fits, qos, false, false, 1);
		assert.deepEqual(Array.from(frame.head.subarray(0, 4)), [0x30 | (qos << 1), 0xFF, 0xFF, 0x7F]);
		const bytes = frameBytes(frame);
		assert.equal(bytes.length, 1 + 3 + MAX_REMAINING);
		const packet = mqttPacketParseOne(bytes);
		assert.equal(packet.length, MAX_REMAINING);
		assert.equal(packet.payload.length, fits.length);
		// our parser takes it with its default maximum packet size
		const ours = parseStream(bytes, [], undefined, false).packets;
		assert.equal(ours.length, 1);
		assert.equal(ours[0].payload.length, fits.length);

		expectError(() => writer.publish('t', new Uint8Array(MAX_REMAINING - header + 1), qos, false, false, 1), RangeError, /packet too large: remaining length 2097152/, `binary payload, QoS ${qos}`);
		expectError(() => writer.publish('t', 'x'.repeat(MAX_REMAINING - header + 1), qos, false, false, 1), RangeError, /packet too large: remaining length 2097152/, `string payload, QoS ${qos}`);
		const text = writer.publish('t', 'x'.repeat(MAX_REMAINING - header), qos, false, false, 1);
		assert.equal(frameBytes(text).length, 1 + 3 + MAX_REMAINING);
		// multi-byte: 2-byte chars reaching exactly one byte too far
		const over = MAX_REMAINING - header + 1;
		const twoByte = 'é'.repeat(Math.floor(over / 2)) + (over % 2 ? 'x' : '');
		assert.equal(Buffer.byteLength(twoByte), over);
		expectError(() => writer.publish('t', twoByte, qos, false, false, 1), RangeError, /packet too large/, 'string payload of 2-byte chars');
	}
	// a big topic plus payload
	expectError(() => writer.publish('t'.repeat(65535), new Uint8Array(MAX_REMAINING - 65537 + 1), 0, false, false, 0), RangeError, /packet too large: remaining length 2097152/, 'long topic and payload');
	assert.equal(frameBytes(writer.publish('t'.repeat(65535), new Uint8Array(MAX_REMAINING - 65537), 0, false, false, 0)).length, 4 + MAX_REMAINING);
	// SUBSCRIBE beyond the limit
	expectError(() => writer.subscribe(1, Array(33).fill('f'.repeat(65535)), Array(33).fill(0)), RangeError, /packet too large/, 'SUBSCRIBE of 2 MB');
	checkWriterSpec(writer, { kind: 'subscribe', id: 2, filters: ['a', 'b'], qos: [1, 2] });
});

// ====================================================== 2. mqtt-packet -> our parser

function fixedReceived() {
	const small = [];
	// A refusal carries session present 0 [MQTT-3.2.2-4].
	for (const sessionPresent of [false, true])
		for (let returnCode = 0; returnCode <= (sessionPresent ? 0 : 5); returnCode++)
			small.push({ cmd: 'connack', sessionPresent, returnCode });
	for (const qos of [0, 1, 2])
		for (const retain of [false, true])
			for (const dup of qos ? [false, true] : [false])
				small.push({ cmd: 'publish', topic: `q/${qos}`, payload: Buffer.from(`payload ${qos} ${retain} ${dup}`), qos, retain, dup, messageId: qos ? 1000 + qos : undefined });
	small.push(
		{ cmd: 'publish', topic: 'empty', payload: Buffer.alloc(0), qos: 0 },
		{ cmd: 'publish', topic: 'empty/1', payload: Buffer.alloc(0), qos: 1, messageId: 1 },
		{ cmd: 'publish', topic: 'empty/2', payload: Buffer.alloc(0), qos: 2, messageId: 65535 },
		{ cmd: 'publish', topic: '日本/温度', payload: Buffer.from('21.5 °C'), qos: 1, messageId: 300 },
		{ cmd: 'publish', topic: '😀/🚀/𝄞', payload: Buffer.from('ünïcödé'), qos: 2, messageId: 0x7FFF },
		{ cmd: 'publish', topic: 'a', payload: Buffer.from([0, 1, 2, 0xFF]), qos: 0, retain: true },
		{ cmd: 'publish', topic: '/', payload: Buffer.alloc(200, 7), qos: 0 },
	);
	for (const cmd of ['puback', 'pubrec', 'pubrel', 'pubcomp', 'unsuback'])
		for (const messageId of [1, 0x0102, 65535])
			small.push({ cmd, messageId });
	small.push(
		{ cmd: 'suback', messageId: 1, granted: [0] },
		{ cmd: 'suback', messageId: 2, granted: [0x80] },
		{ cmd: 'suback', messageId: 65535, granted: [0, 1, 2, 0x80, 2, 1, 0, 0x80] },
		{ cmd: 'suback', messageId: 7, granted: Array.from({ length: 200 }, (_, i) => [0, 1, 2, 0x80][i % 4]) },
		{ cmd: 'pingresp' },
		{ cmd: 'pingresp' },
	);
	// remaining lengths at the edges of the variable-length encoding (topic "t" takes 3 bytes)
	for (const n of [3, 127, 128, 129, 255, 256])
		small.push({ cmd: 'publish', topic: 't', payload: Buffer.alloc(n - 3, n & 0xFF), qos: 0 });
	small.push({ cmd: 'suback', messageId: 8, granted: Array(126).fill(1) });	// remaining length 128
	const large = [
		...[16383, 16384, 16385, 65536].map(n => ({ cmd: 'publish', topic: 't', payload: Buffer.alloc(n - 3, n & 0xFF), qos: 0 })),
		{ cmd: 'publish', topic: 'big/100k', payload: Buffer.from(Uint8Array.from({ length: 100_000 }, (_, i) => (i * 7) & 0xFF)), qos: 1, messageId: 4242 },
		{ cmd: 'publish', topic: 'big/100k/0', payload: Buffer.alloc(100_000, 0x33), qos: 0, retain: true },
		{ cmd: 'publish', topic: 'T'.repeat(65535), payload: Buffer.from('long topic'), qos: 2, messageId: 9 },
	];
	return { small, large };
}

// Among them QoS 0 PUBLISHes, which carry no packet id [MQTT-2.3.1-5].
test('mqtt-packet -> parser: fixed cases of every packet a client receives', () => {
	const { small, large } = fixedReceived();
	for (const o of [...small, ...large]) {
		const bytes = mqttPacket.generate(o, { protocolVersion: 4 });
		const { packets, ends } = parseStream(bytes, [], undefined, false);
		assert.deepEqual(packets, [expectedOurs(o)], `${o.cmd} ${JSON.stringify({ ...o, payload: undefined, topic: String(o.topic).slice(0, 20) })}`);
		assert.deepEqual(ends, [bytes.length]);
		fixedCounts.mqttPacketToParser++;
	}
});

test('mqtt-packet -> parser: the fixed packets as one stream, cut at every offset and one byte at a time', t => {
	const { small } = fixedReceived();
	const stream = Buffer.concat(small.map(o => mqttPacket.generate(o, { protocolVersion: 4 })));
	const cuts = checkStream(stream, small.map(expectedOurs), { everyOffset: true });
	t.diagnostic(`stream of ${small.length} packets, ${stream.length} bytes, cut at ${cuts} offsets`);
});

test('mqtt-packet -> parser: large packets, fed whole, around the boundaries and one byte at a time', () => {
	const { small, large } = fixedReceived();
	const packets = [small[0], ...large.slice(0, 2), small[20], ...large.slice(2, 5), small.at(-2), ...large.slice(5), small.at(-1)];
	const stream = Buffer.concat(packets.map(o => mqttPacket.generate(o, { protocolVersion: 4 })));
	checkStream(stream, packets.map(expectedOurs), { everyOffset: false });
});

test('parser: one parse call consumes exactly one packet', () => {
	const a = mqttPacket.generate({ cmd: 'puback', messageId: 5 });
	const b = mqttPacket.generate({ cmd: 'publish', topic: 'x', payload: Buffer.from('yz'), qos: 0 });
	const c = mqttPacket.generate({ cmd: 'pingresp' });
	const stream = Buffer.concat([a, b, c]);
	const parser = new PacketParser();
	assert.equal(parser.parse(stream, 0, stream.length), a.length);
	assert.equal(parser.ready, true);
	assert.equal(parser.packet.id, 5);
	assert.equal(parser.parse(stream, a.length, stream.length), a.length + b.length);
	assert.equal(parser.ready, true);
	assert.equal(Buffer.from(parser.packet.payload).toString(), 'yz');
	assert.equal(parser.parse(stream, a.length + b.length, a.length + b.length + 1), a.length + b.length + 1);
	assert.equal(parser.ready, false, 'half a PINGRESP is not a packet');
	assert.equal(parser.parse(stream, stream.length - 1, stream.length), stream.length);
	assert.equal(parser.ready, true);
	assert.equal(parser.packet.type, 13);
	assert.equal(parser.parse(stream, stream.length, stream.length), stream.length, 'nothing to parse');
	assert.equal(parser.ready, false);
});

test('parser: a topic the length of the previous one but differing in any one byte is its own; an equal one is the same bytes (3.3.2.1), packet by packet and in one input', () => {
	// The parser hands the previous topic out again when the bytes repeat it
	// (compared eight and four bytes at a time): each length 1..40 against a
	// topic differing at each position, in its lowest bit or in bit 5.
	for (let length = 1; length <= 40; length++) {
		const base = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN'.slice(0, length);
		const parser = new PacketParser();
		const parseOne = topic => {
			const packet = mqttPacket.generate({ cmd: 'publish', topic, payload: Buffer.from('p'), qos: 0 });
			const { bytes, start, end } = padded(packet);
			assert.equal(parser.parse(bytes, start, end), end);
			const got = Buffer.from(parser.packet.topic).toString('latin1');
			wipe({ bytes });
			return got;
		};
		assert.equal(parseOne(base), base);
		for (let at = 0; at < length; at++)
			for (const bit of [0x01, 0x20]) {
				const other = base.slice(0, at) + String.fromCharCode(base.charCodeAt(at) ^ bit) + base.slice(at + 1);
				assert.equal(parseOne(other), other, `length ${length}, byte ${at} differs`);
				assert.equal(parseOne(base), base, `length ${length}, back to the first after byte ${at}`);
			}
		assert.equal(parseOne(base), base, `length ${length}, repeated`);
		// The same topics one after the other in one input, as a socket read
		// brings them: the parser compares them in the input it viewed.
		const topics = [base];
		for (let at = 0; at < length; at++)
			for (const bit of [0x01, 0x20])
				topics.push(base.slice(0, at) + String.fromCharCode(base.charCodeAt(at) ^ bit) + base.slice(at + 1), base, base);
		const { bytes, start, end } = padded(Buffer.concat(topics.map(topic => mqttPacket.generate({ cmd: 'publish', topic, payload: Buffer.from('p'), qos: 0 }))));
		for (let at = start, i = 0; at < end; i++) {
			at = parser.parse(bytes, at, end);
			assert.equal(Buffer.from(parser.packet.topic).toString('latin1'), topics[i], `length ${length}, packet ${i} of one input`);
		}
		wipe({ bytes });
	}
});

// ====================================================== 3. property-based

// UTF-8 string fields: well-formed, no U+0000 [MQTT-1.5.3-1, MQTT-1.5.3-2].
const validText = t => t.isWellFormed() && !t.includes('\u0000');
// Topic names: not empty, no wildcard [MQTT-3.3.2-2, MQTT-4.7.3-1].
const validTopic = t => t.length > 0 && !/[+#]/.test(t) && validText(t);
const levelArb = fc.oneof(
	fc.string({ unit: 'grapheme', maxLength: 6 }),
	fc.string({ unit: 'grapheme-ascii', maxLength: 10 }),
	fc.string({ unit: 'binary', maxLength: 4 }),
	fc.constantFrom('', 'sensors', '$SYS', 'é', '日本', '😀'),
);
const topicArb = fc.oneof(
	{ weight: 3, arbitrary: fc.array(levelArb, { minLength: 1, maxLength: 6 }).map(levels => levels.join('/')) },
	{ weight: 2, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }) },
	{ weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 30 }) },
	{ weight: 1, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 300 }) },
).filter(validTopic);
// Topic filters: levels, each a name level or +, and maybe a final #.
const filterArb = fc.oneof(
	{ weight: 5, arbitrary: fc.tuple(fc.array(fc.oneof(fc.constant('+'), levelArb.filter(l => !/[+#]/.test(l) && validText(l))), { minLength: 1, maxLength: 6 }), fc.boolean())
		.map(([levels, hash]) => levels.join('/') + (hash ? '/#' : '')) },
	{ weight: 1, arbitrary: fc.constantFrom('#', '+', '+/#', '/', '/#') },
).filter(f => f.length > 0);
const bytesArb = fc.oneof(
	{ weight: 6, arbitrary: fc.uint8Array({ maxLength: 64 }) },
	{ weight: 2, arbitrary: fc.uint8Array({ minLength: 900, maxLength: 1100 }) },
	{ weight: 1, arbitrary: fc.uint8Array({ maxLength: 4096 }) },
);
const formArb = fc.constantFrom('u8', 'sub', 'ab', 'dv', 'i16', 'buffer');
/** A string or binary argument: the binary forms carry the string's UTF-8. */
const dataOf = (textArb) => fc.oneof(
	{ weight: 2, arbitrary: textArb },
	{ weight: 1, arbitrary: fc.tuple(textArb, formArb).map(([text, form]) => represent(utf8.encode(text), form)) },
);
const payloadArb = fc.oneof(
	{ weight: 3, arbitrary: fc.tuple(bytesArb, formArb).map(([bytes, form]) => represent(bytes, form)) },
	{ weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 400 }) },
	{ weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 50 }) },
);
const qosArb = fc.constantFrom(0, 1, 2);
const idArb = fc.oneof(fc.integer({ min: 1, max: 65535 }), fc.constantFrom(1, 255, 256, 65535));

const publishSpecArb = fc.record({ topic: dataOf(topicArb), payload: payloadArb, qos: qosArb, retain: fc.boolean(), dup: fc.boolean(), id: idArb })
	.map(s => ({ kind: 'publish', ...s, dup: s.qos > 0 && s.dup }));	// DUP is 0 for QoS 0 [MQTT-3.3.1-2]
const ackSpecArb = fc.record({ type: fc.constantFrom(4, 5, 6, 7), id: idArb }).map(s => ({ kind: 'ack', ...s }));
const connectSpecArb = fc.record({
	clientId: fc.oneof(
		dataOf(fc.string({ unit: 'grapheme', maxLength: 23 }).filter(validText)),
		fc.string({ unit: 'grapheme-ascii', maxLength: 2000 }).filter(validText)),
	cleanSession: fc.boolean(),
	keepalive: fc.oneof(fc.integer({ min: 0, max: 65535 }), fc.constantFrom(0, 1, 255, 256, 65535)),
	will: fc.option(fc.record({
		topic: dataOf(topicArb),
		message: fc.oneof(fc.string({ unit: 'grapheme', maxLength: 100 }), fc.tuple(bytesArb, formArb).map(([b, f]) => represent(b, f))),
		qos: qosArb,
		retain: fc.boolean(),
	}), { nil: undefined }),
	auth: fc.option(fc.record({
		user: dataOf(fc.string({ unit: 'grapheme', maxLength: 20 }).filter(validText)),
		password: fc.oneof(fc.string({ unit: 'grapheme', maxLength: 20 }), fc.uint8Array({ maxLength: 40 })),
	}), { nil: undefined }),
}).map(({ auth, ...fields }) => ({ kind: 'connect', fields: auth ? { ...fields, user: auth.user, password: auth.password } : fields }));
const subscribeSpecArb = fc.record({
	id: idArb,
	subscriptions: fc.array(fc.tuple(dataOf(filterArb), qosArb), { minLength: 1, maxLength: 8 }),
}).map(({ id, subscriptions }) => ({ kind: 'subscribe', id, filters: subscriptions.map(s => s[0]), qos: subscriptions.map(s => s[1]) }));
const unsubscribeSpecArb = fc.record({ id: idArb, filters: fc.array(dataOf(filterArb), { minLength: 1, maxLength: 8 }) })
	.map(s => ({ kind: 'unsubscribe', ...s }));
const writerSpecArb = fc.oneof(
	{ weight: 2, arbitrary: connectSpecArb },
	{ weight: 5, arbitrary: publishSpecArb },
	{ weight: 2, arbitrary: ackSpecArb },
	{ weight: 2, arbitrary: subscribeSpecArb },
	{ weight: 1, arbitrary: unsubscribeSpecArb },
	{ weight: 1, arbitrary: fc.constant({ kind: 'pingreq' }) },
	{ weight: 1, arbitrary: fc.constant({ kind: 'disconnect' }) },
);
const inlineLimitArb = fc.oneof(fc.constant(1024), fc.integer({ min: 16, max: 2048 }));

// [MQTT-2.2.2-1] [MQTT-3.1.2-11] [MQTT-3.1.2-18] [MQTT-3.1.2-19]
// [MQTT-3.1.2-20] [MQTT-3.1.2-21] [MQTT-3.1.3-1], as the fixed cases, on
// random packets.
test('property: random writer packets parse with mqtt-packet to the same fields and bytes', t => {
	const { writerPackets: seed } = SEEDS, numRuns = RUNS.writerPackets;
	fc.assert(fc.property(inlineLimitArb, fc.array(writerSpecArb, { minLength: 1, maxLength: 6 }), fc.nat(), (limit, specs, cutSeed) => {
		const writer = new PacketWriter(limit);
		const written = specs.map(spec => checkWriterSpec(writer, spec));
		// framing: the packets back to back, in two pieces
		const stream = Buffer.concat(written);
		const cut = cutSeed % (stream.length + 1);
		const parsed = mqttPacketParse([stream.subarray(0, cut), stream.subarray(cut)]);
		assert.deepEqual(parsed.map(normMp), specs.map(spec => normMp({ protocolId: 'MQTT', protocolVersion: 4, ...mpObjectOf(spec) })));
		counts.writerToMqttPacket += specs.length;
	}), { seed, numRuns });
	propertiesRan.add('writerPackets');
	t.diagnostic(`seed ${seed}, ${numRuns} runs, ${counts.writerToMqttPacket} packets cross-checked so far`);
});

test('property: random writer PUBLISH and acknowledgements parse with our parser (round trip, split streams)', t => {
	const { writerRoundTrip: seed } = SEEDS, numRuns = RUNS.writerRoundTrip;
	let before = counts.writerToParser;
	fc.assert(fc.property(inlineLimitArb, fc.array(fc.oneof({ weight: 3, arbitrary: publishSpecArb }, { weight: 1, arbitrary: ackSpecArb }), { minLength: 1, maxLength: 6 }), (limit, specs) => {
		const writer = new PacketWriter(limit);
		const stream = Buffer.concat(specs.map(spec => frameBytes(writeSpec(writer, spec))));
		const expected = specs.map(spec => expectedOurs(mpObjectOf(spec)));
		checkStream(stream, expected);
		counts.writerToParser += specs.length;
	}), { seed, numRuns });
	propertiesRan.add('writerRoundTrip');
	t.diagnostic(`seed ${seed}, ${numRuns} runs, ${counts.writerToParser - before} packets round-tripped`);
});

const receivedArb = fc.oneof(
	{ weight: 1, arbitrary: fc.record({ sessionPresent: fc.boolean(), returnCode: fc.integer({ min: 0, max: 5 }) }).map(o => ({ cmd: 'connack', ...o, sessionPresent: o.sessionPresent && o.returnCode === 0 })) },	// [MQTT-3.2.2-4]
	{ weight: 6, arbitrary: fc.record({
		topic: topicArb,
		payload: bytesArb.map(b => Buffer.from(b)),
		qos: qosArb, retain: fc.boolean(), dup: fc.boolean(), messageId: idArb,
	}).map(o => ({ cmd: 'publish', ...o, dup: o.qos > 0 && o.dup, messageId: o.qos ? o.messageId : undefined })) },
	{ weight: 3, arbitrary: fc.record({ cmd: fc.constantFrom('puback', 'pubrec', 'pubrel', 'pubcomp', 'unsuback'), messageId: idArb }) },
	{ weight: 1, arbitrary: fc.record({ messageId: idArb, granted: fc.array(fc.constantFrom(0, 1, 2, 0x80), { minLength: 1, maxLength: 20 }) }).map(o => ({ cmd: 'suback', ...o })) },
	{ weight: 1, arbitrary: fc.constant({ cmd: 'pingresp' }) },
);

test('property: random mqtt-packet streams parse with ours, whole, cut anywhere and byte by byte', t => {
	const { parserStreams: seed } = SEEDS, numRuns = RUNS.parserStreams;
	const before = counts.mqttPacketToParser;
	let cuts = 0;
	fc.assert(fc.property(fc.array(receivedArb, { minLength: 1, maxLength: 8 }), objects => {
		const stream = Buffer.concat(objects.map(o => mqttPacket.generate(o, { protocolVersion: 4 })));
		cuts += checkStream(stream, objects.map(expectedOurs));
		counts.mqttPacketToParser += objects.length;
	}), { seed, numRuns });
	propertiesRan.add('parserStreams');
	t.diagnostic(`seed ${seed}, ${numRuns} runs, ${counts.mqttPacketToParser - before} packets, ${cuts} two-piece cuts`);
});

test('property: random single packets from mqtt-packet parse with ours', t => {
	const { parserSingles: seed } = SEEDS, numRuns = RUNS.parserSingles;
	const before = counts.mqttPacketToParser;
	fc.assert(fc.property(receivedArb, fc.integer({ min: 2, max: 64 }), (o, chunk) => {
		const bytes = mqttPacket.generate(o, { protocolVersion: 4 });
		const expected = [expectedOurs(o)];
		assert.deepEqual(parseStream(bytes, [], undefined, false).packets, expected);
		// fixed-size chunks
		assert.deepEqual(parseStream(bytes, range(1, Math.ceil(bytes.length / chunk)).map(k => k * chunk)).packets, expected);
		counts.mqttPacketToParser++;
	}), { seed, numRuns });
	propertiesRan.add('parserSingles');
	t.diagnostic(`seed ${seed}, ${numRuns} runs, ${counts.mqttPacketToParser - before} packets`);
});

// ====================================================== 5. malformed streams

const T = c => c.charCodeAt(0);
// Each is a protocol violation: the client closes the connection on it
// [MQTT-4.8.0-1].
const MALFORMED = [
	// [name, bytes, index of the byte that reveals the fault, message pattern]
	['CONNECT', [0x10, 0x02, 0x00, 0x00], 0, /a client never receives CONNECT/],
	['SUBSCRIBE', [0x82, 0x06, 0x00, 0x01, 0x00, 0x01, T('a'), 0x00], 0, /a client never receives SUBSCRIBE/],
	['UNSUBSCRIBE', [0xA2, 0x05, 0x00, 0x01, 0x00, 0x01, T('a')], 0, /a client never receives UNSUBSCRIBE/],
	['PINGREQ', [0xC0, 0x00], 0, /a client never receives PINGREQ/],
	['DISCONNECT', [0xE0, 0x00], 0, /a client never receives DISCONNECT/],
	['reserved type 0', [0x00, 0x00], 0, /reserved type 0 is not a packet/],
	['reserved type 15', [0xF0, 0x00], 0, /reserved type 15 is not a packet/],
	// Fixed-header flags other than Table 2.2's [MQTT-2.2.2-2] (PUBREL: 0010 [MQTT-3.6.1-1]).
	['CONNACK flags 0x1', [0x21, 0x02, 0x00, 0x00], 0, /wrong fixed-header flags 0x1 for CONNACK/],
	['PUBACK flags 0x1', [0x41, 0x02, 0x00, 0x01], 0, /wrong fixed-header flags 0x1 for PUBACK/],
	['PUBREC flags 0x2', [0x52, 0x02, 0x00, 0x01], 0, /wrong fixed-header flags 0x2 for PUBREC/],
	['PUBREL flags 0x0', [0x60, 0x02, 0x00, 0x01], 0, /wrong fixed-header flags 0x0 for PUBREL/],
	['PUBREL flags 0x3', [0x63, 0x02, 0x00, 0x01], 0, /wrong fixed-header flags 0x3 for PUBREL/],
	['PUBCOMP flags 0x8', [0x78, 0x02, 0x00, 0x01], 0, /wrong fixed-header flags 0x8 for PUBCOMP/],
	['SUBACK flags 0x1', [0x91, 0x03, 0x00, 0x01, 0x00], 0, /wrong fixed-header flags 0x1 for SUBACK/],
	['UNSUBACK flags 0x2', [0xB2, 0x02, 0x00, 0x01], 0, /wrong fixed-header flags 0x2 for UNSUBACK/],
	['PINGRESP flags 0x1', [0xD1, 0x00], 0, /wrong fixed-header flags 0x1 for PINGRESP/],
	['remaining length in five bytes (PUBLISH)', [0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x01], 4, /remaining length encoded in more than four bytes/],
	['remaining length in five bytes (PINGRESP)', [0xD0, 0x80, 0x80, 0x80, 0x80, 0x00], 4, /remaining length encoded in more than four bytes/],
	['CONNACK remaining length 3', [0x20, 0x03, 0x00, 0x00, 0x00], 1, /CONNACK with remaining length 3; it must be 2/],
	['CONNACK remaining length 1', [0x20, 0x01, 0x00], 1, /CONNACK with remaining length 1; it must be 2/],
	['PUBACK remaining length 1', [0x40, 0x01, 0x01], 1, /PUBACK with remaining length 1; it must be 2/],
	['PUBACK remaining length 3', [0x40, 0x03, 0x00, 0x01, 0x00], 1, /PUBACK with remaining length 3; it must be 2/],
	['PUBREC remaining length 0', [0x50, 0x00], 1, /PUBREC with remaining length 0; it must be 2/],
	['PUBREL remaining length 4', [0x62, 0x04, 0x00, 0x01, 0x00, 0x00], 1, /PUBREL with remaining length 4; it must be 2/],
	['PUBCOMP remaining length 1', [0x70, 0x01, 0x01], 1, /PUBCOMP with remaining length 1; it must be 2/],
	['UNSUBACK remaining length 3', [0xB0, 0x03, 0x00, 0x01, 0x00], 1, /UNSUBACK with remaining length 3; it must be 2/],
	['PINGRESP remaining length 1', [0xD0, 0x01, 0x00], 1, /PINGRESP with remaining length 1; it must be 0/],
	['SUBACK remaining length 2', [0x90, 0x02, 0x00, 0x01], 1, /SUBACK with remaining length 2; it must be 3 or more/],
	// Both QoS bits set [MQTT-3.3.1-4].
	['PUBLISH QoS 3', [0x36, 0x05, 0x00, 0x01, T('t'), 0x00, 0x01], 0, /PUBLISH with QoS 3/],
	['PUBLISH QoS 3 dup retain', [0x3F, 0x05, 0x00, 0x01, T('t'), 0x00, 0x01], 0, /PUBLISH with QoS 3/],
	['PUBLISH remaining length 1', [0x30, 0x01, 0x00], 1, /PUBLISH remaining length 1 is too short/],
	['PUBLISH remaining length 0', [0x30, 0x00], 1, /PUBLISH remaining length 0 is too short/],
	['PUBLISH QoS 1 remaining length 3', [0x32, 0x03, 0x00, 0x01, T('t')], 1, /PUBLISH remaining length 3 is too short/],
	['PUBLISH topic length past the packet', [0x30, 0x05, 0x00, 0x0A, T('a'), T('b'), T('c')], 3, /PUBLISH topic length 10 runs past the packet/],
	['PUBLISH topic length 0xFFFF past the packet', [0x30, 0x04, 0xFF, 0xFF, T('a'), T('b')], 3, /PUBLISH topic length 65535 runs past the packet/],
	['PUBLISH QoS 1 topic leaves no room for the packet id', [0x32, 0x05, 0x00, 0x03, T('a'), T('b'), T('c')], 3, /PUBLISH topic length 3 runs past the packet/],
	// A topic name is at least one character [MQTT-4.7.3-1].
	['PUBLISH empty topic', [0x30, 0x02, 0x00, 0x00], 3, /PUBLISH with an empty topic/],
	['PUBLISH empty topic with payload', [0x30, 0x04, 0x00, 0x00, T('h'), T('i')], 3, /PUBLISH with an empty topic/],
	// Packet id 0 [MQTT-2.3.1-1].
	['PUBLISH QoS 1 packet id 0', [0x32, 0x05, 0x00, 0x01, T('t'), 0x00, 0x00], 6, /PUBLISH with packet id 0/],
	['PUBLISH QoS 2 packet id 0', [0x34, 0x07, 0x00, 0x01, T('t'), 0x00, 0x00, T('p'), T('l')], 6, /PUBLISH with packet id 0/],
	['PUBACK packet id 0', [0x40, 0x02, 0x00, 0x00], 3, /PUBACK with packet id 0/],
	['PUBREC packet id 0', [0x50, 0x02, 0x00, 0x00], 3, /PUBREC with packet id 0/],
	['PUBREL packet id 0', [0x62, 0x02, 0x00, 0x00], 3, /PUBREL with packet id 0/],
	['PUBCOMP packet id 0', [0x70, 0x02, 0x00, 0x00], 3, /PUBCOMP with packet id 0/],
	['SUBACK packet id 0', [0x90, 0x03, 0x00, 0x00, 0x00], 4, /SUBACK with packet id 0/],
	['UNSUBACK packet id 0', [0xB0, 0x02, 0x00, 0x00], 3, /UNSUBACK with packet id 0/],
	// Return codes other than 0, 1, 2, 0x80 [MQTT-3.9.3-2].
	['SUBACK return code 3', [0x90, 0x03, 0x00, 0x01, 0x03], 4, /SUBACK return code 0x3 is not 0, 1, 2 or 0x80/],
	['SUBACK return code 0x81 after good ones', [0x90, 0x05, 0x00, 0x01, 0x00, 0x80, 0x81], 6, /SUBACK return code 0x81 is not 0, 1, 2 or 0x80/],
	['SUBACK return code 0xFF', [0x90, 0x03, 0x00, 0x01, 0xFF], 4, /SUBACK return code 0xff is not 0, 1, 2 or 0x80/],
	['CONNACK flags 0x02', [0x20, 0x02, 0x02, 0x00], 3, /CONNACK acknowledge flags 0x2 have reserved bits set/],
	['CONNACK flags 0x80', [0x20, 0x02, 0x80, 0x00], 3, /CONNACK acknowledge flags 0x80 have reserved bits set/],
	['CONNACK flags 0xFF', [0x20, 0x02, 0xFF, 0x00], 3, /CONNACK acknowledge flags 0xff have reserved bits set/],
	// A refusal with session present 1 [MQTT-3.2.2-4]; a QoS 0 PUBLISH with DUP [MQTT-3.3.1-2].
	['CONNACK refusal with session present 1', [0x20, 0x02, 0x01, 0x05], 3, /CONNACK refuses \(return code 5\) with session present 1 \(MQTT-3\.2\.2-4\)/],
	['PUBLISH QoS 0 with DUP', [0x38, 0x04, 0x00, 0x01, T('t'), T('x')], 0, /PUBLISH with QoS 0 and DUP set \(MQTT-3\.3\.1-2\)/],
	// A received topic name: no wildcard [MQTT-3.3.2-2] [MQTT-4.7.1-1], UTF-8 well-formed [MQTT-1.5.3-1],
	// no U+0000 [MQTT-1.5.3-2] [MQTT-4.7.3-2].
	['PUBLISH topic with +', [0x30, 0x05, 0x00, 0x03, T('a'), T('/'), T('+')], 6, /PUBLISH topic contains a wildcard \(\+ or #\)/],
	['PUBLISH topic #', [0x30, 0x03, 0x00, 0x01, T('#')], 4, /PUBLISH topic contains a wildcard/],
	['PUBLISH topic with #', [0x30, 0x05, 0x00, 0x03, T('a'), T('/'), T('#')], 6, /PUBLISH topic contains a wildcard \(\+ or #\)/],
	['PUBLISH topic with U+0000', [0x30, 0x05, 0x00, 0x03, T('a'), 0x00, T('b')], 6, /PUBLISH topic contains U\+0000/],
	['PUBLISH topic with byte 0xFF', [0x30, 0x04, 0x00, 0x02, T('a'), 0xFF], 5, /PUBLISH topic is not well-formed UTF-8/],
	['PUBLISH topic with a surrogate (ED A0 80)', [0x30, 0x05, 0x00, 0x03, 0xED, 0xA0, 0x80], 6, /PUBLISH topic is not well-formed UTF-8/],
	['PUBLISH topic with an overlong "/" (C0 AF)', [0x30, 0x04, 0x00, 0x02, 0xC0, 0xAF], 5, /PUBLISH topic is not well-formed UTF-8/],
	['PUBLISH topic ending inside a sequence (C3)', [0x30, 0x03, 0x00, 0x01, 0xC3], 4, /PUBLISH topic is not well-formed UTF-8/],
	['PUBLISH topic past U+10FFFF (F4 90 80 80)', [0x30, 0x06, 0x00, 0x04, 0xF4, 0x90, 0x80, 0x80], 7, /PUBLISH topic is not well-formed UTF-8/],
	['PUBLISH QoS 1 topic with a stray continuation byte', [0x32, 0x06, 0x00, 0x02, T('a'), 0x80, 0x00, 0x01], 5, /PUBLISH topic is not well-formed UTF-8/],
];

function expectProtocolError(fn, pattern, label) {
	const error = expectError(fn, ProtocolError, pattern, label);
	assert.match(error.message, /^protocol error: /, label);
	assert.ok(error instanceof Error);
	return error;
}

test('parser: malformed streams yield their named errors, at the byte that reveals them', async t => {
	const prefix = Buffer.concat([mqttPacket.generate({ cmd: 'pingresp' }), mqttPacket.generate({ cmd: 'puback', messageId: 1 })]);
	const prefixPackets = [{ type: 13, flags: 0 }, { type: 4, flags: 0, id: 1 }];
	for (const [name, list, at, pattern] of MALFORMED) {
		await t.test(name, () => {
			const bytes = Uint8Array.from(list);
			// whole
			expectProtocolError(() => new PacketParser().parse(bytes, 0, bytes.length), pattern, `${name}, whole`);
			// one byte at a time: nothing until byte `at`, then the error
			const parser = new PacketParser();
			for (let i = 0; i < at; i++) {
				parser.parse(bytes, i, i + 1);
				assert.equal(parser.ready, false, `${name}: no packet at byte ${i}`);
			}
			expectProtocolError(() => parser.parse(bytes, at, at + 1), pattern, `${name}, byte by byte`);
			// only up to the revealing byte, in one piece (what follows is never needed)
			expectProtocolError(() => new PacketParser().parse(bytes, 0, at + 1), pattern, `${name}, cut after byte ${at}`);
			// after good packets in the same buffer: they come out first
			const stream = Buffer.concat([prefix, bytes]);
			const good = [];
			const error = expectError(() => {
				const p = new PacketParser();
				for (let off = 0; off < stream.length;) {
					off = p.parse(stream, off, stream.length);
					if (p.ready)
						good.push(snapshot(p.packet));
				}
			}, ProtocolError, pattern, `${name}, after good packets`);
			assert.ok(error);
			assert.deepEqual(good, prefixPackets);
			// in every two-piece cut
			for (let cut = 1; cut < stream.length; cut++)
				expectProtocolError(() => parseStream(stream, [cut]), pattern, `${name}, cut at ${cut}`);
		});
	}
});

test('parser: a packet beyond maxPacketSize is refused from its fixed header alone [MQTT-4.8.0-2]', () => {
	// [maxPacketSize, fixed header], each header announcing one byte more than allowed
	const cases = [
		[100, [0x30, 99]],	// 1 + 1 + 99 = 101
		[100, [0x90, 99]],	// SUBACK
		[100, [0x32, 99]],
		[200, [0x30, 0xC7, 0x01]],	// 1 + 2 + 199 = 202 > 200
		[16384 + 3, [0x34, 0x81, 0x80, 0x01]],	// 1 + 3 + 16385 = 16389 > 16387
		[undefined, [0x30, 0x80, 0x80, 0x80, 0x01]],	// default: 1 + 4 + 2097152 > 2097156
		[undefined, [0x90, 0xFF, 0xFF, 0xFF, 0x7F]],	// SUBACK of 256 MB
	];
	for (const [max, header] of cases) {
		const bytes = Uint8Array.from(header);
		const label = `max ${max}, header ${header.map(b => b.toString(16)).join(' ')}`;
		expectProtocolError(() => new PacketParser(max).parse(bytes, 0, bytes.length), /of \d+ bytes exceeds the maximum packet size of \d+/, label);
		// byte by byte: the last length byte is the one that throws
		const parser = new PacketParser(max);
		for (let i = 0; i < bytes.length - 1; i++)
			parser.parse(bytes, i, i + 1);
		expectProtocolError(() => parser.parse(bytes, bytes.length - 1, bytes.length), /exceeds the maximum packet size/, `${label}, byte by byte`);
	}
	expectProtocolError(() => new PacketParser(100).parse(Uint8Array.of(0x30, 99), 0, 2), /PUBLISH of 101 bytes exceeds the maximum packet size of 100/, 'message');
	// exactly the maximum is taken
	const fits = mqttPacket.generate({ cmd: 'publish', topic: 't', payload: Buffer.alloc(95, 1), qos: 0 });
	assert.equal(fits.length, 100);
	assert.deepEqual(parseStream(fits, range(1, fits.length), new PacketParser(100)).packets, [expectedOurs({ cmd: 'publish', topic: 't', payload: Buffer.alloc(95, 1), qos: 0 })]);
	// the default limit takes the writer's largest packet header without complaint
	const header = Uint8Array.of(0x30, 0xFF, 0xFF, 0x7F);
	const parser = new PacketParser();
	assert.equal(parser.parse(header, 0, header.length), header.length);
	assert.equal(parser.ready, false);
});

test('parser: reset discards a partial packet and recovers from a protocol error', () => {
	const good = mqttPacket.generate({ cmd: 'suback', messageId: 3, granted: [1, 0x80] });
	const expected = [{ type: 9, flags: 0, id: 3, granted: [1, 0x80] }];
	const parser = new PacketParser();
	const partial = Uint8Array.of(0x30, 0x05, 0x00);	// a PUBLISH cut short
	assert.equal(parser.parse(partial, 0, partial.length), partial.length);
	assert.equal(parser.ready, false);
	parser.reset();
	assert.deepEqual(parseStream(good, [], parser).packets, expected);
	expectProtocolError(() => parser.parse(Uint8Array.of(0xF0), 0, 1), /reserved type 15/, 'garbage');
	parser.reset();
	assert.deepEqual(parseStream(good, [], parser).packets, expected);
});

// ====================================================== 6. bad writer arguments

function badArgumentCases() {
	const base = { clientId: 'c', cleanSession: true, keepalive: 60 };
	const will = { topic: 'w', message: 'm', qos: 0, retain: false };
	const cases = [
		// topics: at least one character [MQTT-4.7.3-1], at most 65,535 bytes [MQTT-4.7.3-3],
		// no wildcard in a topic name [MQTT-3.3.2-2] [MQTT-4.7.1-1], no U+0000 [MQTT-1.5.3-2] [MQTT-4.7.3-2]
		['publish: empty topic', w => w.publish('', 'x', 0, false, false, 0), TypeError, /^topic is empty$/],
		['publish: empty binary topic', w => w.publish(new Uint8Array(0), 'x', 1, false, false, 1), TypeError, /^topic is empty$/],
		['publish: topic of 65,536 ASCII bytes', w => w.publish('a'.repeat(65536), 'x', 0, false, false, 0), RangeError, /^topic is 65536 bytes long; the limit is 65535$/],
		['publish: topic of 32,768 chars, 65,536 bytes', w => w.publish('é'.repeat(32768), 'x', 0, false, false, 0), RangeError, /^topic is 65536 bytes long/],
		['publish: topic of 21,846 chars, 65,538 bytes', w => w.publish('€'.repeat(21846), 'x', 0, false, false, 0), RangeError, /^topic is 65538 bytes long/],
		['publish: topic of 16,384 astral chars, 65,536 bytes', w => w.publish('😀'.repeat(16384), 'x', 0, false, false, 0), RangeError, /^topic is 65536 bytes long/],
		['publish: binary topic of 65,536 bytes', w => w.publish(new Uint8Array(65536).fill(0x61), 'x', 0, false, false, 0), RangeError, /^topic is 65536 bytes long/],
		['publish: topic with +', w => w.publish('a/+/b', 'x', 0, false, false, 0), TypeError, /^topic contains a wildcard \(\+ or #\)/],
		['publish: topic with #', w => w.publish('a/#', 'x', 1, false, false, 1), TypeError, /^topic contains a wildcard/],
		['publish: topic "#"', w => w.publish('#', 'x', 0, false, false, 0), TypeError, /^topic contains a wildcard/],
		['publish: topic with + inside a level', w => w.publish('sp+rt', 'x', 0, false, false, 0), TypeError, /^topic contains a wildcard/],
		['publish: binary topic with #', w => w.publish(utf8.encode('a#'), 'x', 0, false, false, 0), TypeError, /^topic contains a wildcard/],
		['publish: topic with U+0000', w => w.publish('a\u0000b', 'x', 0, false, false, 0), TypeError, /^topic contains U\+0000$/],
		['publish: binary topic with 0 byte', w => w.publish(Uint8Array.of(0x61, 0), 'x', 0, false, false, 0), TypeError, /^topic contains U\+0000$/],
		// UTF-8 string fields, given as a string or as bytes: the topic [MQTT-3.3.2-1], the client id
		// [MQTT-3.1.3-4], the will topic [MQTT-3.1.3-10], the user name [MQTT-3.1.3-11], the filters of
		// SUBSCRIBE [MQTT-3.8.3-1] and UNSUBSCRIBE [MQTT-3.10.3-1]: well-formed [MQTT-1.5.3-1], no
		// U+0000 [MQTT-1.5.3-2]. (XS's ArrayBuffer.fromString, like the Node stand-in here, encodes a
		// lone surrogate as ED A0 80.) The password and the messages are binary data, not UTF-8
		// strings: bytes that are not UTF-8 are sent there (section 1: "CONNECT user and binary
		// password", "CONNECT binary user", "PUBLISH small u8 payload" and the other binary payloads).
		['publish: topic with a lone surrogate', w => w.publish('a\uDC00', 'x', 0, false, false, 0), TypeError, /^topic is not well-formed UTF-8$/],
		['publish: binary topic not UTF-8', w => w.publish(Uint8Array.of(0x61, 0xC3), 'x', 0, false, false, 0), TypeError, /^topic is not well-formed UTF-8$/],
		['connect: client id with a lone surrogate', w => w.connect({ ...base, clientId: 'a\uD800b' }), TypeError, /^client id is not well-formed UTF-8$/],
		['connect: client id bytes not UTF-8', w => w.connect({ ...base, clientId: Uint8Array.of(0xFF, 0x80, 0x01, 0xC3) }), TypeError, /^client id is not well-formed UTF-8$/],
		['connect: client id with U+0000', w => w.connect({ ...base, clientId: 'a\u0000b' }), TypeError, /^client id contains U\+0000$/],
		['connect: binary client id with 0 byte', w => w.connect({ ...base, clientId: Uint8Array.of(0x61, 0) }), TypeError, /^client id contains U\+0000$/],
		['connect: user name with U+0000', w => w.connect({ ...base, user: Uint8Array.of(0x75, 0), password: 'p' }), TypeError, /^user name contains U\+0000$/],
		['connect: user name string with U+0000', w => w.connect({ ...base, user: 'u\u0000', password: 'p' }), TypeError, /^user name contains U\+0000$/],
		['connect: user name with a lone surrogate', w => w.connect({ ...base, user: '\uDFFF', password: 'p' }), TypeError, /^user name is not well-formed UTF-8$/],
		['connect: user name bytes not UTF-8', w => w.connect({ ...base, user: Uint8Array.of(0x61, 0xFF), password: 'p' }), TypeError, /^user name is not well-formed UTF-8$/],
		['connect: will topic with a lone surrogate', w => w.connect({ ...base, will: { ...will, topic: 'w\uD800' } }), TypeError, /^will topic is not well-formed UTF-8$/],
		['connect: will topic bytes not UTF-8', w => w.connect({ ...base, will: { ...will, topic: Uint8Array.of(0x61, 0xFF) } }), TypeError, /^will topic is not well-formed UTF-8$/],
		['subscribe: filter not UTF-8', w => w.subscribe(1, [Uint8Array.of(0x61, 0xFF)], [0]), TypeError, /^topic filter is not well-formed UTF-8$/],
		['unsubscribe: filter with a lone surrogate', w => w.unsubscribe(1, ['a/\uD83D']), TypeError, /^topic filter is not well-formed UTF-8$/],
		['unsubscribe: filter not UTF-8', w => w.unsubscribe(1, [Uint8Array.of(0x61, 0xFF)]), TypeError, /^topic filter is not well-formed UTF-8$/],
		['publish: topic is a number', w => w.publish(42, 'x', 0, false, false, 0), TypeError, /^topic must be a string or binary data$/],
		['publish: topic is undefined', w => w.publish(undefined, 'x', 0, false, false, 0), TypeError, /^topic must be a string or binary data$/],
		// payloads
		['publish: payload is a number', w => w.publish('t', 42, 0, false, false, 0), TypeError, /^message must be a string or binary data$/],
		['publish: payload is an object', w => w.publish('t', { a: 1 }, 1, false, false, 1), TypeError, /^message must be a string or binary data$/],
		['publish: payload is an array', w => w.publish('t', [1, 2, 3], 0, false, false, 0), TypeError, /^message must be a string or binary data$/],
		['publish: payload is null', w => w.publish('t', null, 0, false, false, 0), TypeError, /^message must be a string or binary data$/],
		['publish: payload is undefined', w => w.publish('t', undefined, 0, false, false, 0), TypeError, /^message must be a string or binary data$/],
		// remaining length
		['publish: remaining length 2,097,152', w => w.publish('t', new Uint8Array(MAX_REMAINING - 2), 0, false, false, 0), RangeError, /^packet too large: remaining length 2097152 reaches the limit of 2097152 bytes$/],
		['publish: remaining length 2,097,152 with a view', w => w.publish('t', represent(new Uint8Array(MAX_REMAINING - 2), 'dv'), 0, false, false, 0), RangeError, /^packet too large: remaining length 2097152/],
		['publish: string payload over the limit', w => w.publish('t', 'x'.repeat(MAX_REMAINING + 10), 0, false, false, 0), RangeError, /^packet too large/],
		['publish: 1,000,000 chars of 3-byte UTF-8 (3 MB)', w => w.publish('t', '€'.repeat(1_000_000), 0, false, false, 0), RangeError, /^packet too large/],
		// packet ids: never 0 [MQTT-2.3.1-1]
		...[0, 65536, -1, 1.5, undefined, '1', NaN].flatMap(id => [
			[`publish QoS 1: packet id ${String(id)}`, w => w.publish('t', 'x', 1, false, false, id), RangeError, /^packet id must be an integer 1\.\.65535/],
			[`publish QoS 2: packet id ${String(id)}`, w => w.publish('t', 'x', 2, false, false, id), RangeError, /^packet id must be an integer 1\.\.65535/],
			[`ack: packet id ${String(id)}`, w => w.ack(4, id), RangeError, /^packet id must be an integer 1\.\.65535/],
			[`subscribe: packet id ${String(id)}`, w => w.subscribe(id, ['a'], [0]), RangeError, /^packet id must be an integer 1\.\.65535/],
			[`unsubscribe: packet id ${String(id)}`, w => w.unsubscribe(id, ['a']), RangeError, /^packet id must be an integer 1\.\.65535/],
		]),
		// QoS: never 3 in a PUBLISH [MQTT-3.3.1-4], a will [MQTT-3.1.2-14] or a SUBSCRIBE [MQTT-3.8.3-4]
		...[-1, 3, 1.5, '1', undefined, null, NaN, true].map(qos => [qos, `${typeof qos} ${String(qos)}`]).flatMap(([qos, label]) => [
			[`publish: QoS ${label}`, w => w.publish('t', 'x', qos, false, false, 1), RangeError, /^QoS must be 0, 1 or 2, not /],
			[`subscribe: QoS ${label}`, w => w.subscribe(1, ['a', 'b'], [0, qos]), RangeError, /^QoS must be 0, 1 or 2, not /],
			[`will: QoS ${label}`, w => w.connect({ ...base, will: { ...will, qos } }), RangeError, /^will QoS must be 0, 1 or 2, not /],
		]),
		// keep-alive
		...[-1, 65536, 1.5, '60', undefined, NaN, Infinity].map(keepalive =>
			[`connect: keepalive ${String(keepalive)}`, w => w.connect({ ...base, keepalive }), RangeError, /^keepalive must be an integer 0\.\.65535 seconds/]),
		// CONNECT strings
		['connect: client id of 65,536 bytes', w => w.connect({ ...base, clientId: 'c'.repeat(65536) }), RangeError, /^client id is 65536 bytes long; the limit is 65535$/],
		['connect: client id of 21,846 3-byte chars', w => w.connect({ ...base, clientId: '€'.repeat(21846) }), RangeError, /^client id is 65538 bytes long/],
		['connect: binary client id of 65,536 bytes', w => w.connect({ ...base, clientId: new Uint8Array(65536) }), RangeError, /^client id is 65536 bytes long/],
		['connect: client id is a number', w => w.connect({ ...base, clientId: 7 }), TypeError, /^client id must be a string or binary data$/],
		// no password without a user name [MQTT-3.1.2-22] (and, by the seed's rule, no user name without a password)
		['connect: user name without password', w => w.connect({ ...base, user: 'u' }), TypeError, /^user name given without password$/],
		['connect: password without user name', w => w.connect({ ...base, password: 'p' }), TypeError, /^password given without user name$/],
		['connect: user name of 65,536 bytes', w => w.connect({ ...base, user: 'u'.repeat(65536), password: 'p' }), RangeError, /^user name is 65536 bytes long/],
		['connect: password of 65,536 bytes', w => w.connect({ ...base, user: 'u', password: new Uint8Array(65536) }), RangeError, /^password is 65536 bytes long/],
		// the will topic is a topic name [MQTT-4.7.3-1] [MQTT-4.7.1-1] [MQTT-1.5.3-2]
		['connect: will topic empty', w => w.connect({ ...base, will: { ...will, topic: '' } }), TypeError, /^will topic is empty$/],
		['connect: will topic with #', w => w.connect({ ...base, will: { ...will, topic: 'a/#' } }), TypeError, /^will topic contains a wildcard/],
		['connect: will topic with U+0000', w => w.connect({ ...base, will: { ...will, topic: '\u0000' } }), TypeError, /^will topic contains U\+0000$/],
		['connect: will message of 65,536 bytes', w => w.connect({ ...base, will: { ...will, message: new Uint8Array(65536) } }), RangeError, /^will message is 65536 bytes long/],
		['connect: will message is a number', w => w.connect({ ...base, will: { ...will, message: 5 } }), TypeError, /^will message must be a string or binary data$/],
		// filters: '#' alone and last [MQTT-4.7.1-2], '+' a whole level [MQTT-4.7.1-3], at least one
		// character [MQTT-4.7.3-1], no U+0000 [MQTT-4.7.3-2], at most 65,535 bytes [MQTT-4.7.3-3];
		// at least one filter [MQTT-3.8.3-3] [MQTT-3.10.3-2]
		...['a/#/b', 'a#', '#/', '#a'].map(filter =>
			[`subscribe: filter ${JSON.stringify(filter)}`, w => w.subscribe(1, ['ok', filter], [0, 1]), TypeError, filter === 'a/#/b' || filter === '#/' ? /^topic filter wildcard # must be the last level$/ : /^topic filter wildcard # must fill a whole level$/]),
		...['a/b+', '+a', 'a/++/b', 'a+/b'].map(filter =>
			[`subscribe: filter ${JSON.stringify(filter)}`, w => w.subscribe(1, [filter], [2]), TypeError, /^topic filter wildcard \+ must fill a whole level$/]),
		['subscribe: empty filter', w => w.subscribe(1, [''], [0]), TypeError, /^topic filter is empty$/],
		['subscribe: empty binary filter', w => w.subscribe(1, ['a', new Uint8Array(0)], [0, 0]), TypeError, /^topic filter is empty$/],
		['subscribe: filter with U+0000', w => w.subscribe(1, ['a/\u0000'], [0]), TypeError, /^topic filter contains U\+0000$/],
		['subscribe: filter of 65,536 bytes', w => w.subscribe(1, ['f'.repeat(65536)], [0]), RangeError, /^topic filter is 65536 bytes long/],
		['subscribe: filter is a number', w => w.subscribe(1, [5], [0]), TypeError, /^topic filter must be a string or binary data$/],
		['subscribe: no filters', w => w.subscribe(1, [], []), TypeError, /^subscribe needs at least one topic filter$/],
		['subscribe: filters not an array', w => w.subscribe(1, 'a/b', [0]), TypeError, /^subscribe needs at least one topic filter$/],
		['subscribe: fewer QoS than filters', w => w.subscribe(1, ['a', 'b'], [0]), TypeError, /^subscribe needs one QoS per topic filter$/],
		['subscribe: QoS not an array', w => w.subscribe(1, ['a'], 0), TypeError, /^subscribe needs one QoS per topic filter$/],
		...['a/#/b', 'a#', 'a/b+', ''].map(filter =>
			[`unsubscribe: filter ${JSON.stringify(filter)}`, w => w.unsubscribe(2, ['x', filter]), TypeError, filter === '' ? /^topic filter is empty$/ : /^topic filter wildcard [#+] must/]),
		['unsubscribe: no filters', w => w.unsubscribe(1, []), TypeError, /^unsubscribe needs at least one topic filter$/],
		['subscribe: 2 MB of filters', w => w.subscribe(1, Array(33).fill('f'.repeat(65535)), Array(33).fill(1)), RangeError, /^packet too large/],
	];
	return cases;
}

test('writer: bad arguments yield their named errors and leave the writer working', () => {
	const writer = new PacketWriter();
	const followUps = [
		{ kind: 'connect', fields: { clientId: 'after', cleanSession: false, keepalive: 30, will: { topic: 'w/after', message: 'bye', qos: 1, retain: true }, user: 'u', password: 'p' } },
		{ kind: 'publish', topic: 'after/small', payload: 'fine', qos: 1, retain: false, dup: false, id: 12 },
		{ kind: 'publish', topic: 'after/large', payload: new Uint8Array(3000).fill(9), qos: 2, retain: true, dup: false, id: 13 },
		{ kind: 'subscribe', id: 14, filters: ['after/+', 'after/#'], qos: [1, 2] },
		{ kind: 'unsubscribe', id: 15, filters: ['after/+'] },
		{ kind: 'ack', type: 6, id: 16 },
		{ kind: 'pingreq' },
	];
	let count = 0;
	for (const [name, call, Class, pattern] of badArgumentCases()) {
		// the frame of the last good call, untouched by the failing one
		const frame = writer.publish('before', 'ok', 0, false, false, 0);
		const { head, body } = frame;
		let result;
		expectError(() => { result = call(writer); }, Class, pattern, name);
		assert.equal(result, undefined, `${name}: nothing produced`);
		assert.equal(frame.head, head, `${name}: the frame was not replaced`);
		assert.equal(frame.body, body, `${name}: the frame was not replaced`);
		for (const spec of followUps)
			checkWriterSpec(writer, spec);
		count++;
	}
	assert.ok(count > 100);
});

test('writer: a large inline limit still enforces the 65,535-byte string limit and the packet limit', () => {
	const writer = new PacketWriter(3_000_000);
	expectError(() => writer.publish('a'.repeat(65536), 'x', 0, false, false, 0), RangeError, /^topic is 65536 bytes long/, 'topic');
	expectError(() => writer.publish('é'.repeat(32768), 'x', 0, false, false, 0), RangeError, /^topic is 65536 bytes long/, '2-byte topic');
	expectError(() => writer.connect({ clientId: '€'.repeat(21846), cleanSession: true, keepalive: 0 }), RangeError, /^client id is 65538 bytes long/, 'client id');
	expectError(() => writer.publish('t', new Uint8Array(MAX_REMAINING - 2), 0, false, false, 0), RangeError, /^packet too large: remaining length 2097152/, 'inline payload');
	expectError(() => writer.publish('t', 'x'.repeat(MAX_REMAINING - 2), 0, false, false, 0), RangeError, /^packet too large: remaining length 2097152/, 'inline string payload');
	const frame = writer.publish('t', new Uint8Array(MAX_REMAINING - 3).fill(1), 0, false, false, 0);
	assert.equal(frame.body, undefined, 'assembled inline');
	assert.equal(mqttPacketParseOne(frameBytes(frame)).payload.length, MAX_REMAINING - 3);
	checkWriterSpec(writer, { kind: 'publish', topic: '😀'.repeat(16383), payload: 'é'.repeat(100_000), qos: 2, retain: false, dup: true, id: 2 });
});

test('writer: the constructor refuses a tiny inline limit, the parser a tiny maximum', () => {
	expectError(() => new PacketWriter(15), RangeError, /inlineLimit must be an integer >= 16/, 'inlineLimit 15');
	expectError(() => new PacketWriter(1.5), RangeError, /inlineLimit/, 'inlineLimit 1.5');
	expectError(() => new PacketParser(1), RangeError, /maxPacketSize must be an integer >= 2/, 'maxPacketSize 1');
});

// ====================================================== totals

test('cross-check totals', t => {
	const line = `cross-checked: writer->mqtt-packet ${counts.writerToMqttPacket}, mqtt-packet->parser ${counts.mqttPacketToParser}` +
		` (generated; plus writer->parser round trip ${counts.writerToParser}; fixed cases: writer->mqtt-packet ${fixedCounts.writerToMqttPacket},` +
		` mqtt-packet->parser ${fixedCounts.mqttPacketToParser}; streams cut at every offset ${counts.streamsEveryOffset},` +
		` longer streams cut around each packet boundary and at 63 spread offsets ${counts.streamsSampled}; all also fed byte by byte)`;
	const seeds = `seeds: ${Object.entries(SEEDS).map(([k, v]) => `${k}=${v} (${RUNS[k]} runs)`).join(', ')}`;
	t.diagnostic(line);
	t.diagnostic(seeds);
	console.log(line);
	console.log(seeds);
	if (propertiesRan.size < Object.keys(SEEDS).length)
		return t.skip('not every property test ran');
	assert.ok(counts.writerToMqttPacket >= 3000, 'several thousand writer packets');
	assert.ok(counts.mqttPacketToParser >= 3000, 'several thousand parser packets');
});

