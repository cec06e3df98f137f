// Fuzzing ("Measured and hardened"): what a broken or hostile broker can send.
//
// 1. The parser, in Node: seeded property-based streams of random bytes and
//    of valid packets mutated (bits flipped, bytes set, inserted, deleted,
//    duplicated, the stream truncated, remaining lengths corrupted), fed in
//    random splits. Each stream either yields packets or throws a
//    ProtocolError; never another exception, never a call that makes no
//    progress; the packets it yields re-encode to exactly the bytes they came
//    from; the outcome does not depend on the splits; and after reset() the
//    parser parses a valid stream exactly as a fresh one does.
// 2. The client, on XS, behind a broker that answers its SUBSCRIBE and
//    PUBLISHes with fuzzed bytes: many cases in one XS host, each a new
//    connection with four operations pending (publish QoS 1, publish QoS 2,
//    subscribe, waitMsg). Each operation's outcome is checked against a model
//    of the client (what the bytes mean packet by packet), every case
//    finishes, no exception escapes into the host, the connection is closed
//    and nothing is left (timers, sockets) afterwards.
//
//   npm run build && node --test tests/fuzz.test.js          # the CI budget
//   npm run fuzz                                             # FUZZ_RUNS=20000
//   FUZZ_SEED=<integer> FUZZ_RUNS=<n> node --test tests/fuzz.test.js
//
// FUZZ_RUNS is the number of cases of each parser property; the client runs
// FUZZ_RUNS / 10 cases (each a connection to XS) for random and for mutated
// streams. Each property prints its seed and how many cases it ran; the last
// test prints the totals (FUZZ_VERBOSE=1: and how often each fault came up).
// A failure prints fast-check's counterexample (and the seed and path that
// replay it); a client case also prints its stream in hex.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import mqttPacket from 'mqtt-packet';
import fc from 'fast-check';
import { importLibrary } from './helpers/node-library.js';
import { startScripted } from './harness/scripted-broker.js';
import { XSHost } from './harness/host.js';
import { until } from './helpers/xs.js';
import { snapshot } from './helpers/packets.js';

const { PacketParser } = await importLibrary('mqtt/parser');
const { ProtocolError } = await importLibrary('mqtt/errors');

// ---------------------------------------------------------------- budget and seeds

function integerFromEnv(name, fallback) {
	const text = process.env[name];
	if (text === undefined || text === '')
		return fallback;
	const value = Number(text);
	if (!Number.isSafeInteger(value))
		throw new Error(`${name} must be an integer, not ${text}`);
	return value;
}

const DEFAULT_RUNS = 2000;
const BASE_SEED = integerFromEnv('FUZZ_SEED', 0x46555A5A);	// "FUZZ"
const FUZZ_RUNS = integerFromEnv('FUZZ_RUNS', DEFAULT_RUNS);
if (FUZZ_RUNS < 1)
	throw new Error(`FUZZ_RUNS must be >= 1, not ${FUZZ_RUNS}`);

const SEEDS = {
	parserRandom: BASE_SEED,
	parserMutated: BASE_SEED + 1,
	clientRandom: BASE_SEED + 2,
	clientMutated: BASE_SEED + 3,
};
const RUNS = {
	parserRandom: FUZZ_RUNS,
	parserMutated: FUZZ_RUNS,
	clientRandom: Math.max(10, Math.round(FUZZ_RUNS / 10)),
	clientMutated: Math.max(10, Math.round(FUZZ_RUNS / 10)),
};

/** What the fuzzing did, for the lead's numbers. */
const totals = {
	parserRandom: { streams: 0, bytes: 0, parseCalls: 0, packets: 0, protocolErrors: 0, incomplete: 0, recoveries: 0 },
	parserMutated: { streams: 0, bytes: 0, parseCalls: 0, packets: 0, protocolErrors: 0, incomplete: 0, recoveries: 0 },
	client: { cases: 0, faults: 0, faultAfterSettled: 0, cleanEnds: 0, paused: 0, settledByStream: 0 },
	faults: new Map(),	// fault message kind -> count
};
const ran = new Map();	// property -> cases run

/** One line for the run's report: a diagnostic of the test, which every reporter prints once. */
function note(t, name, line) {
	t.diagnostic(`fuzz ${name}: ${line}`);
}

// ---------------------------------------------------------------- valid packets a client receives

const idArb = fc.oneof(fc.integer({ min: 1, max: 65535 }), fc.constantFrom(1, 2, 3, 255, 256, 65535));
// Topic names a broker may send: no wildcard, no U+0000, well-formed UTF-8 [MQTT-3.3.2-2, MQTT-1.5.3-1, MQTT-1.5.3-2].
const topicArb = fc.oneof(
	fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 16 }).filter(t => !/[+#\u0000]/.test(t)),
	fc.constantFrom('a', 'fuzz/s', 'é/😀', '$SYS/x', 'a/b/c/d/e/f/g/h'),
);
const payloadArb = fc.oneof(
	{ weight: 6, arbitrary: fc.uint8Array({ maxLength: 40 }) },
	{ weight: 2, arbitrary: fc.uint8Array({ minLength: 100, maxLength: 300 }) },
	{ weight: 1, arbitrary: fc.integer({ min: 1400, max: 3200 }).map(n => new Uint8Array(n).fill(0x5A)) },
).map(bytes => Buffer.from(bytes));	// mqtt-packet takes Buffers

/** mqtt-packet objects of every packet a client may receive; `id` is a packet id (or, for the client fuzz, a reference). */
function receivedPacketArb(id, { connack = 1, scale = 1 } = {}) {
	return fc.oneof(
		{ weight: connack, arbitrary: fc.record({ cmd: fc.constant('connack'), returnCode: fc.constantFrom(0, 1, 2, 3, 4, 5), sessionPresent: fc.boolean() })
			.map(o => ({ ...o, sessionPresent: o.sessionPresent && o.returnCode === 0 })) },	// a refusal carries session present 0 [MQTT-3.2.2-4]
		{ weight: 5 * scale, arbitrary: fc.record({ topic: topicArb, payload: payloadArb, qos: fc.constantFrom(0, 1, 2), retain: fc.boolean(), dup: fc.boolean(), messageId: id })
			.map(o => ({ cmd: 'publish', ...o, dup: o.qos > 0 && o.dup, messageId: o.qos ? o.messageId : undefined })) },
		{ weight: 4 * scale, arbitrary: fc.record({ cmd: fc.constantFrom('puback', 'pubrec', 'pubrel', 'pubcomp', 'unsuback'), messageId: id }) },
		{ weight: 2 * scale, arbitrary: fc.record({ cmd: fc.constant('suback'), messageId: id, granted: fc.array(fc.constantFrom(0, 1, 2, 0x80), { minLength: 1, maxLength: 4 }) }) },
		{ weight: 1 * scale, arbitrary: fc.constant({ cmd: 'pingresp' }) },
	);
}

function generate(object) {
	return mqttPacket.generate(object, { protocolVersion: 4 });
}

// ---------------------------------------------------------------- mutations

const LENGTH_RAW = [
	[0xFF, 0xFF, 0xFF, 0x7F],		// 268,435,455
	[0xFF, 0xFF, 0xFF, 0xFF, 0x01],	// five length bytes
	[0x80, 0x80, 0x80, 0x80, 0x00],	// five, all continuation
	[0x80, 0x00],				// 0, not minimally encoded
	[0x81, 0x00],				// 1, not minimally encoded
	[0x80],					// cut inside the length
	[0xFF, 0x7F],				// 16,383
	[0x80, 0x80, 0x01],			// 16,384 in three bytes
];
/** A corrupted remaining length for one packet of the stream (index taken modulo the packet count). */
const lengthMutationArb = fc.record({
	packet: fc.nat(),
	how: fc.oneof(
		fc.record({ kind: fc.constant('delta'), delta: fc.integer({ min: -4, max: 4 }) }),
		fc.record({ kind: fc.constant('value'), value: fc.oneof(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 268_435_455 })) }),
		fc.record({ kind: fc.constant('raw'), bytes: fc.constantFrom(...LENGTH_RAW) }),
	),
});
/** Packet-level changes: one dropped, two swapped, a packet's type nibble or flags changed. */
const packetMutationArb = fc.oneof(
	fc.record({ op: fc.constant('drop'), packet: fc.nat() }),
	fc.record({ op: fc.constant('swap'), packet: fc.nat(), other: fc.nat() }),
	fc.record({ op: fc.constant('type'), packet: fc.nat(), type: fc.integer({ min: 0, max: 15 }) }),
	fc.record({ op: fc.constant('flags'), packet: fc.nat(), flags: fc.integer({ min: 0, max: 15 }) }),
);
/** Byte-level changes of the whole stream (positions taken modulo its length). */
const byteMutationArb = fc.oneof(
	fc.record({ op: fc.constant('flip'), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
	fc.record({ op: fc.constant('set'), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
	fc.record({ op: fc.constant('insert'), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
	fc.record({ op: fc.constant('delete'), at: fc.nat(), count: fc.integer({ min: 1, max: 8 }) }),
	fc.record({ op: fc.constant('truncate'), at: fc.nat() }),
	fc.record({ op: fc.constant('duplicate'), at: fc.nat(), count: fc.integer({ min: 1, max: 24 }) }),
);
/** Mostly one mutation (so that streams often break late, or not at all), sometimes several of every kind. */
const mutationsArb = fc.oneof(
	{ weight: 3, arbitrary: fc.record({ bytes: fc.tuple(byteMutationArb) }) },
	{ weight: 1, arbitrary: fc.record({ lengths: fc.tuple(lengthMutationArb) }) },
	{ weight: 1, arbitrary: fc.record({ packets: fc.tuple(packetMutationArb) }) },
	{ weight: 2, arbitrary: fc.record({
		lengths: fc.array(lengthMutationArb, { maxLength: 2 }),
		packets: fc.array(packetMutationArb, { maxLength: 2 }),
		bytes: fc.array(byteMutationArb, { maxLength: 4 }),
	}) },
);

function encodeLength(value) {
	const bytes = [];
	do {
		let byte = value % 128;
		value = Math.floor(value / 128);
		if (value > 0)
			byte |= 0x80;
		bytes.push(byte);
	} while (value > 0);
	return bytes;
}

/** The fixed header of a well-formed packet: its first byte, remaining length and where the body starts. */
function headerOf(packet) {
	let value = 0, multiplier = 1, i = 1;
	for (;;) {
		const byte = packet[i++];
		value += (byte & 0x7F) * multiplier;
		multiplier *= 128;
		if (!(byte & 0x80))
			break;
	}
	return { first: packet[0], length: value, bodyStart: i };
}

/** Applies the mutations to a list of well-formed packets (Buffers) and returns the stream. */
function mutate(packets, { lengths = [], packets: packetOps = [], bytes: byteOps = [] }) {
	let list = packets.map(p => Buffer.from(p));
	for (const op of packetOps) {
		if (!list.length)
			break;
		const k = op.packet % list.length;
		const first = list[k][0];
		switch (op.op) {
		case 'drop': list.splice(k, 1); break;
		case 'swap': { const j = op.other % list.length; [list[k], list[j]] = [list[j], list[k]]; break; }
		case 'type': list[k] = Buffer.concat([Buffer.of((op.type << 4) | (first & 0x0F)), list[k].subarray(1)]); break;
		case 'flags': list[k] = Buffer.concat([Buffer.of((first & 0xF0) | op.flags), list[k].subarray(1)]); break;
		}
	}
	for (const { packet, how } of lengths) {
		if (!list.length)
			break;
		const k = packet % list.length;
		const { first, length, bodyStart } = headerOf(list[k]);
		const header = how.kind === 'raw' ? how.bytes : encodeLength(how.kind === 'delta' ? Math.max(0, length + how.delta) : how.value);
		list[k] = Buffer.concat([Buffer.of(first, ...header), list[k].subarray(bodyStart)]);
	}
	let stream = Buffer.concat(list);
	for (const op of byteOps) {
		const n = stream.length;
		const at = op.at % (n + 1);
		switch (op.op) {
		case 'flip': if (n) { stream = Buffer.from(stream); stream[at % n] ^= 1 << op.bit; } break;
		case 'set': if (n) { stream = Buffer.from(stream); stream[at % n] = op.value; } break;
		case 'insert': stream = Buffer.concat([stream.subarray(0, at), Buffer.from(op.bytes), stream.subarray(at)]); break;
		case 'delete': stream = Buffer.concat([stream.subarray(0, at), stream.subarray(at + op.count)]); break;
		case 'truncate': stream = stream.subarray(0, at); break;
		case 'duplicate': stream = Buffer.concat([stream.subarray(0, at + op.count), stream.subarray(at)]); break;
		}
	}
	return Buffer.from(stream);
}

/** Cut offsets strictly inside the stream, ascending. */
function cutsOf(length, positions, byteByByte) {
	if (length < 2)
		return [];
	if (byteByByte)
		return Array.from({ length: length - 1 }, (_, i) => i + 1);
	return [...new Set(positions.map(p => 1 + (p % (length - 1))))].sort((a, b) => a - b);
}

/** Random bodies, often of the size most packets have (two bytes: a packet id; none: PINGRESP). */
const bodyArb = fc.oneof(
	{ weight: 2, arbitrary: fc.uint8Array({ maxLength: 12 }) },
	{ weight: 2, arbitrary: fc.uint8Array({ minLength: 2, maxLength: 2 }) },
	{ weight: 1, arbitrary: fc.constant(new Uint8Array(0)) },
);

// ---------------------------------------------------------------- a checked parse


function describeThrown(error) {
	return error instanceof Error ? `${error.constructor?.name} ${error.name}: ${error.message}` : `a non-Error: ${String(error)}`;
}

/**
 * Feeds `stream` to `parser` in the pieces `cuts` makes, each piece copied
 * into a buffer of its own with garbage around it (and wiped once parsed,
 * so that a packet holding a view of the input would show). Returns the
 * packets (with the stream offsets they span), the ProtocolError if one was
 * thrown, whether the stream ended inside a packet, and how many parse calls
 * it took. Anything else thrown, or a call that consumes nothing or more
 * than it was given, fails.
 */
function feed(parser, stream, cuts) {
	const packets = [];
	let calls = 0, error, start = 0, previous = 0;
	outer:
	for (const cut of [...cuts, stream.length]) {
		if (cut <= previous)
			continue;
		const length = cut - previous;
		const buffer = new Uint8Array(length + 6).fill(0xF0);
		buffer.set(stream.subarray(previous, cut), 3);
		let offset = 3;
		const end = 3 + length;
		while (offset < end) {
			calls++;
			let next;
			try {
				next = parser.parse(buffer, offset, end);
			}
			catch (thrown) {
				if (!(thrown instanceof ProtocolError) || thrown.constructor !== ProtocolError || thrown.name !== 'ProtocolError')
					throw new Error(`parse threw something else than a ProtocolError: ${describeThrown(thrown)}`, { cause: thrown });
				if (!/^protocol error: \S/.test(thrown.message))
					throw new Error(`a ProtocolError whose message does not start "protocol error: ": ${thrown.message}`);
				error = thrown;
				break outer;
			}
			if (!Number.isInteger(next) || next <= offset || next > end)
				throw new Error(`parse(buffer, ${offset}, ${end}) returned ${next}: no progress or past the end`);
			offset = next;
			if (parser.ready) {
				const position = previous + offset - 3;
				packets.push({ packet: snapshot(parser.packet), start, end: position });
				start = position;
			}
		}
		buffer.fill(0xA5);	// wiped: what the parser handed out must be its own memory
		previous = cut;
	}
	return { packets, error, calls, partial: !error && start < stream.length };
}

const RECEIVABLE = new Set([2, 3, 4, 5, 6, 7, 9, 11, 13]);
const FIXED_FLAGS = { 2: 0, 4: 0, 5: 0, 6: 2, 7: 0, 9: 0, 11: 0, 13: 0 };

/** The body of a parsed packet, encoded again from its fields; checks the fields' ranges on the way. */
function bodyOf(p) {
	assert.ok(RECEIVABLE.has(p.type), `a packet a client never receives came out: type ${p.type}`);
	if (p.type !== 3)
		assert.equal(p.flags, FIXED_FLAGS[p.type], `fixed-header flags of type ${p.type}`);
	const id = n => [n >> 8, n & 0xFF];
	const checkId = () => assert.ok(Number.isInteger(p.id) && p.id >= 1 && p.id <= 65535, `packet id ${p.id} of type ${p.type}`);
	switch (p.type) {
	case 2:
		assert.ok(p.returnCode >= 0 && p.returnCode <= 255);
		return [p.sessionPresent ? 1 : 0, p.returnCode];
	case 3: {
		assert.ok(p.qos >= 0 && p.qos <= 2, `PUBLISH QoS ${p.qos}`);
		assert.equal(p.flags, (p.dup ? 8 : 0) | (p.qos << 1) | (p.retain ? 1 : 0), 'PUBLISH flags match dup, QoS and retain');
		assert.ok(p.topic.length >= 1, 'a PUBLISH topic is never empty');
		if (p.qos)
			checkId();
		else
			assert.equal(p.id, 0, 'QoS 0 has no packet id');
		return [...id(p.topic.length), ...p.topic, ...(p.qos ? id(p.id) : []), ...p.payload];
	}
	case 9:
		checkId();
		assert.ok(p.granted.length >= 1 && p.granted.every(code => code <= 2 || code === 0x80), `SUBACK return codes ${p.granted}`);
		return [...id(p.id), ...p.granted];
	case 13:
		return [];
	default:
		checkId();
		return id(p.id);
	}
}

/** The bytes a packet came from are exactly its fields encoded again: nothing dropped, invented or misread. */
function checkLossless(stream, { packet, start, end }) {
	const bytes = stream.subarray(start, end);
	assert.equal(bytes[0], (packet.type << 4) | packet.flags, 'first byte');
	let value = 0, multiplier = 1, i = 1;
	for (;;) {
		assert.ok(i < bytes.length && i <= 4, 'remaining length within the packet, at most four bytes');
		const byte = bytes[i++];
		value += (byte & 0x7F) * multiplier;
		multiplier *= 128;
		if (!(byte & 0x80))
			break;
	}
	assert.equal(i + value, bytes.length, 'the packet spans its remaining length exactly');
	const body = bodyOf(packet);
	if (body.length !== value || !Buffer.from(body).equals(bytes.subarray(i)))
		assert.deepEqual(Buffer.from(body), Buffer.from(bytes.subarray(i)), `packet of type ${packet.type} at ${start}..${end} re-encodes to the bytes it came from`);
}

function samePackets(a, b) {
	if (a.length !== b.length)
		return false;
	for (let i = 0; i < a.length; i++) {
		const x = a[i].packet, y = b[i].packet;
		if (a[i].start !== b[i].start || a[i].end !== b[i].end)
			return false;
		for (const key of Object.keys(x)) {
			const u = x[key], v = y[key];
			if (Buffer.isBuffer(u) ? !u.equals(v) : Array.isArray(u) ? u.join() !== v.join() : u !== v)
				return false;
		}
	}
	return true;
}

const packetsOf = result => result.packets.map(({ packet, start, end }) => ({ ...packet, at: [start, end] }));

/**
 * The whole property for one stream: the checked parse (in the given cuts),
 * the packets lossless, the same outcome as feeding the stream whole, the
 * bound on parse calls, and recovery: after reset() a valid stream parses as
 * a fresh parser parses it.
 */
function checkStream({ stream, cuts, maxPacketSize, recovery, recoveryCuts }, stats) {
	const parser = new PacketParser(maxPacketSize);
	const result = feed(parser, stream, cuts);
	assert.ok(result.calls <= stream.length + result.packets.length,
		`${result.calls} parse calls for ${stream.length} bytes and ${result.packets.length} packets`);
	for (const packet of result.packets)
		checkLossless(stream, packet);
	const whole = feed(new PacketParser(maxPacketSize), stream, []);
	if (!samePackets(whole.packets, result.packets) || whole.error?.message !== result.error?.message || whole.partial !== result.partial) {
		assert.deepEqual({ packets: packetsOf(result), error: result.error?.message, partial: result.partial },
			{ packets: packetsOf(whole), error: whole.error?.message, partial: whole.partial }, 'the same outcome whatever the splits');
	}
	// Recovery: reset, then a valid stream parses exactly as with a fresh parser.
	parser.reset();
	const fresh = feed(new PacketParser(maxPacketSize), recovery, []);
	assert.equal(fresh.error, undefined, 'the recovery stream is valid');
	const recovered = feed(parser, recovery, recoveryCuts);
	assert.equal(recovered.error?.message, undefined, 'after reset() the parser takes a valid stream');
	if (!samePackets(recovered.packets, fresh.packets))
		assert.deepEqual(packetsOf(recovered), packetsOf(fresh), 'after reset() a valid stream parses as with a fresh parser');

	stats.streams++;
	stats.bytes += stream.length;
	stats.parseCalls += result.calls;
	stats.packets += result.packets.length;
	if (result.error) {
		stats.protocolErrors++;
		const kind = faultKind(result.error.message);
		totals.faults.set(`parser: ${kind}`, (totals.faults.get(`parser: ${kind}`) ?? 0) + 1);
	}
	else if (result.partial)
		stats.incomplete++;
	stats.recoveries++;
	return result;
}

/** A fault message without its numbers: "PUBACK with remaining length N; it must be N". */
function faultKind(message) {
	return message.replace(/^protocol error: /, '').replace(/0x[0-9a-f]+/g, 'X').replace(/\d+/g, 'N');
}

const maxPacketSizeArb = fc.oneof(
	{ weight: 3, arbitrary: fc.constant(undefined) },
	{ weight: 1, arbitrary: fc.constant(65536) },
	{ weight: 1, arbitrary: fc.integer({ min: 2, max: 300 }) },
);
const recoveryArb = fc.record({
	packets: fc.array(receivedPacketArb(idArb), { minLength: 1, maxLength: 4 }),
	positions: fc.array(fc.nat(), { maxLength: 4 }),
});

/** The valid stream parsed after reset(): the packets that fit the maximum size (PINGRESP, 2 bytes, always does). */
function recoveryStream({ packets, positions }, maxPacketSize = Infinity) {
	const fitting = packets.map(generate).filter(bytes => bytes.length <= maxPacketSize);
	const recovery = Buffer.concat(fitting.length ? fitting : [generate({ cmd: 'pingresp' })]);
	return { recovery, recoveryCuts: cutsOf(recovery.length, positions, false) };
}

// Byte-by-byte feeding in about one case in eight.
const splitArb = fc.tuple(fc.array(fc.nat(), { maxLength: 8 }), fc.integer({ min: 0, max: 7 })).map(([positions, k]) => ({ positions, byteByByte: k === 0 }));

// ---------------------------------------------------------------- 1. the parser

test('parser fuzz: random byte streams yield packets or a ProtocolError, in any split, and reset() recovers', t => {
	const seed = SEEDS.parserRandom, numRuns = RUNS.parserRandom;
	let runs = 0;
	// Random bytes, and random "packets": a plausible first byte, a correct length, random body bytes.
	const firstByteArb = fc.oneof(fc.constantFrom(0x20, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x3A, 0x3D, 0x40, 0x50, 0x62, 0x70, 0x90, 0xB0, 0xD0), fc.integer({ min: 0, max: 255 }));
	const plausibleArb = fc.array(fc.tuple(firstByteArb, bodyArb), { minLength: 1, maxLength: 8 })
		.map(parts => Buffer.concat(parts.map(([first, body]) => Buffer.from([first, ...encodeLength(body.length), ...body]))));
	const streamArb = fc.oneof(
		{ weight: 2, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 200 }).map(b => Buffer.from(b)) },
		{ weight: 3, arbitrary: plausibleArb },
	);
	fc.assert(fc.property(streamArb, splitArb, maxPacketSizeArb, recoveryArb, (stream, split, maxPacketSize, recovery) => {
		runs++;
		checkStream({ stream, cuts: cutsOf(stream.length, split.positions, split.byteByByte), maxPacketSize, ...recoveryStream(recovery, maxPacketSize) }, totals.parserRandom);
	}), { seed, numRuns, includeErrorInReport: true });
	ran.set('parserRandom', runs);
	note(t, 'parserRandom', `seed ${seed}, ${runs} cases (FUZZ_RUNS=${FUZZ_RUNS})`);
});

test('parser fuzz: mutated valid streams yield packets or a ProtocolError, in any split, and reset() recovers', t => {
	const seed = SEEDS.parserMutated, numRuns = RUNS.parserMutated;
	let runs = 0;
	const packetsArb = fc.array(receivedPacketArb(idArb), { minLength: 1, maxLength: 6 });
	fc.assert(fc.property(packetsArb, mutationsArb, splitArb, maxPacketSizeArb, recoveryArb, (objects, mutations, split, maxPacketSize, recovery) => {
		runs++;
		const stream = mutate(objects.map(generate), mutations);
		checkStream({ stream, cuts: cutsOf(stream.length, split.positions, split.byteByByte), maxPacketSize, ...recoveryStream(recovery, maxPacketSize) }, totals.parserMutated);
	}), { seed, numRuns, includeErrorInReport: true });
	ran.set('parserMutated', runs);
	note(t, 'parserMutated', `seed ${seed}, ${runs} cases (FUZZ_RUNS=${FUZZ_RUNS})`);
});

test('parser fuzz: the checks catch what they claim to (a wrong parser fails them)', () => {
	// The lossless check: a packet that does not match its bytes is caught.
	const bytes = generate({ cmd: 'puback', messageId: 7 });
	assert.throws(() => checkLossless(bytes, { packet: { type: 4, flags: 0, id: 8 }, start: 0, end: bytes.length }));
	// feed(): another exception than a ProtocolError fails the property.
	const broken = { parse() { throw new TypeError('oops'); } };
	assert.throws(() => feed(broken, Buffer.of(0x40, 2, 0, 1), []), /something else than a ProtocolError: TypeError/);
	// feed(): a call that consumes nothing fails it (a parser that would loop).
	const stuck = { parse: (_, start) => start, ready: false };
	assert.throws(() => feed(stuck, Buffer.of(0x40, 2, 0, 1), []), /no progress/);
	// mutate(): corrupting a length rewrites the header, the body stays.
	assert.deepEqual([...mutate([Buffer.of(0x40, 2, 0, 1)], { lengths: [{ packet: 0, how: { kind: 'value', value: 200 } }] })], [0x40, 0xC8, 0x01, 0, 1]);
});

// ---------------------------------------------------------------- 2. the client on XS

const FUZZ_SCENARIO = 'tests/scenarios/robustness/fuzz-client.js';
const OPERATIONS = ['publish QoS 1', 'publish QoS 2', 'subscribe', 'waitMsg'];
const DEADLINE = 3000;	// ms the scenario waits for the four operations; far more than any case takes

/**
 * What the client must do with `stream`, packet by packet, as
 * modules/mqtt/client.ts documents it: the outcome of each of the four
 * operations, and how the connection ends. The packets and the point where
 * the stream breaks come from the parser (checked on its own above, and in
 * codec.test.js against mqtt-packet); the rest is the client's contract:
 *  - PUBACK for the QoS 1 publish resolves it; PUBREC then PUBCOMP for the
 *    QoS 2 one resolves it (a PUBCOMP before PUBREC, or an acknowledgement of
 *    another kind or id, is ignored); SUBACK for the subscribe resolves its
 *    return code, or rejects MQTTException(0x80) on a refusal.
 *  - waitMsg resolves with the first packet processed: a PUBLISH's first byte
 *    (delivered to the callback), PINGRESP undefined, another packet its
 *    first byte. A QoS 2 PUBLISH resent before PUBREL is not processed again.
 *  - Later PUBLISHes wait in the queue (queueLength); when it is full and
 *    nothing waits for an acknowledgement the client stops reading: the rest
 *    of the stream, broken or not, stays unread ("paused").
 *  - A protocol fault (the parser's ProtocolError, a second CONNACK, a SUBACK
 *    with another number of return codes than topics) closes the connection:
 *    every operation still pending rejects with that ProtocolError.
 *  - A stream that ends without a fault (whole packets, or cut inside one)
 *    is followed by the broker's FIN: what is still pending rejects with
 *    "connection ... closed by the broker or lost", and, while the QoS 2
 *    publish still awaits PUBREC, the reason names it (a broker that refuses
 *    QoS 2, as Azure IoT Hub does, closes the connection on it).
 */
function modelClient(stream, ids, config, port) {
	const queueLength = config.queueLength ?? 8;
	const push = !!config.push;
	const parsed = feed(new PacketParser(config.maxPacketSize ?? 65536), stream, []);
	const outcomes = [undefined, undefined, undefined, undefined];
	const pending = new Map([
		[ids.a, { op: 0, kind: 'publish', qos: 1, state: 'sent' }],
		[ids.b, { op: 1, kind: 'publish', qos: 2, state: 'sent' }],
		[ids.c, { op: 2, kind: 'subscribe' }],
	]);
	assert.equal(pending.size, 3, `three distinct packet ids ${JSON.stringify(ids)}`);
	const receivedQoS2 = new Set();
	let inbox = 0, fault, paused = false, processed = 0;
	for (const { packet: p } of parsed.packets) {
		processed++;
		const first = (p.type << 4) | p.flags;
		switch (p.type) {
		case 2:
			fault = 'protocol error: unexpected CONNACK';
			break;
		case 3:
			if (p.qos === 2) {
				const duplicate = receivedQoS2.has(p.id);
				receivedQoS2.add(p.id);
				if (duplicate)
					continue;
			}
			if (outcomes[3] === undefined) {
				outcomes[3] = `resolve ${first}`;
				continue;
			}
			if (push)
				continue;
			if (++inbox < queueLength)
				continue;
			if (pending.size) {
				inbox--;	// the oldest goes to the callback, so that the acknowledgements can come
				continue;
			}
			paused = true;
			break;
		case 4: case 7: {
			// PUBACK settles a publish not yet past PUBREC, of QoS 1 or 2 (a QoS 2
			// answered with PUBACK: the broker took it at QoS 1, as RabbitMQ does);
			// PUBCOMP settles a QoS 2 publish past PUBREC.
			const op = pending.get(p.id);
			if (op && op.kind === 'publish' && op.state === (p.type === 4 ? 'sent' : 'released')) {
				pending.delete(p.id);
				outcomes[op.op] = 'resolve undefined';
			}
			break;
		}
		case 5: {
			const op = pending.get(p.id);
			if (op && op.kind === 'publish' && op.qos === 2 && op.state === 'sent')
				op.state = 'released';
			break;
		}
		case 6:
			receivedQoS2.delete(p.id);
			break;
		case 9: {
			const op = pending.get(p.id);
			if (!op || op.kind !== 'subscribe')
				break;
			if (p.granted.length !== 1) {
				fault = `protocol error: SUBACK carries ${p.granted.length} return codes for 1 topics`;
				break;
			}
			pending.delete(p.id);
			outcomes[2] = p.granted[0] === 0x80 ? 'reject MQTTException: MQTT error 128: subscription refused' : `resolve ${p.granted[0]}`;
			break;
		}
		}
		if (fault || paused)
			break;
		if (outcomes[3] === undefined)
			outcomes[3] = `resolve ${p.type === 13 ? undefined : first}`;
	}
	if (!fault && !paused && parsed.error)
		fault = parsed.error.message;
	const ending = fault ? 'fault' : paused ? 'paused' : 'clean';
	const settledByStream = outcomes.every(outcome => outcome !== undefined);
	if (ending === 'paused')
		assert.ok(settledByStream, 'the client pauses only once nothing waits');
	const qos2 = pending.get(ids.b);
	const awaitingPubrec = qos2?.state === 'sent' ? `, while PUBLISH to "fuzz/2" at QoS 2 (packet id ${ids.b}) awaited PUBREC (a broker that refuses QoS 2, as Azure IoT Hub does, closes the connection on a QoS 2 PUBLISH: publish at QoS 1 there)` : '';
	const rest = fault ? `reject ProtocolError: ${fault}` : `reject Error: connection to 127.0.0.1:${port} closed by the broker or lost${awaitingPubrec}`;
	return { outcomes: outcomes.map(outcome => outcome ?? rest), ending, fault, settledByStream, packets: processed };
}

// Packet ids in the broker's answers: mostly those of the client's three operations (a, b, c), some others.
const idRefArb = fc.oneof({ weight: 3, arbitrary: fc.constantFrom('a', 'b', 'c') }, { weight: 1, arbitrary: idArb });
const grantedArb = fc.oneof(
	{ weight: 6, arbitrary: fc.constantFrom(0, 1, 2, 0x80).map(code => [code]) },
	{ weight: 1, arbitrary: fc.array(fc.constantFrom(0, 1, 2, 0x80), { minLength: 2, maxLength: 3 }) },
);
const answersArb = grantedArb.chain(granted => {
	const all = [
		{ cmd: 'puback', messageId: 'a' },
		{ cmd: 'pubrec', messageId: 'b' },
		{ cmd: 'pubcomp', messageId: 'b' },
		{ cmd: 'suback', messageId: 'c', granted },
	];
	return fc.oneof(fc.constant(all), fc.shuffledSubarray(all), fc.shuffledSubarray(all, { minLength: 4 }));
});
/** Messages after the answers: enough, with a short queue, to fill it. */
const floodArb = fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 12 }))
	.map(count => Array.from({ length: count }, (_, i) => ({ cmd: 'publish', topic: 'fuzz/s', payload: Buffer.from(`flood ${i}`), qos: i % 2, messageId: i % 2 ? 1000 + i : undefined })));
const clientConfigArb = fc.record({
	queueLength: fc.constantFrom(undefined, 1, 2, 8),
	maxPacketSize: fc.constantFrom(undefined, undefined, 64, 300),
	push: fc.constantFrom(undefined, false, true),
});

/** A mutated valid answer: the right acknowledgements (some, in any order) among other packets, then mutations. */
const mutatedCaseArb = fc.record({
	config: clientConfigArb,
	answers: answersArb,
	extras: fc.array(fc.tuple(receivedPacketArb(idRefArb, { connack: 1, scale: 5 }), fc.nat()), { maxLength: 4 }),
	flood: floodArb,
	mutations: fc.oneof({ weight: 1, arbitrary: fc.constant({}) }, { weight: 3, arbitrary: mutationsArb }),
	positions: fc.array(fc.nat(), { maxLength: 4 }),
}).map(spec => ({
	...spec,
	build(ids) {
		const list = [...spec.answers];
		for (const [packet, at] of spec.extras)
			list.splice(at % (list.length + 1), 0, packet);
		list.push(...spec.flood);
		const resolve = id => (typeof id === 'string' ? ids[id] : id);
		const objects = list.map(o => (o.messageId === undefined ? o : { ...o, messageId: resolve(o.messageId) }));
		return mutate(objects.map(generate), spec.mutations);
	},
}));

/** Random bytes, or random "packets" (a plausible first byte, a correct length, a random body). */
const firstByteArb = fc.oneof(fc.constantFrom(0x20, 0x30, 0x32, 0x34, 0x3B, 0x40, 0x50, 0x62, 0x70, 0x90, 0xB0, 0xD0), fc.integer({ min: 0, max: 255 }));
const randomCaseArb = fc.record({
	config: clientConfigArb,
	bytes: fc.oneof(
		fc.uint8Array({ minLength: 1, maxLength: 120 }).map(b => Buffer.from(b)),
		fc.array(fc.tuple(firstByteArb, bodyArb), { minLength: 1, maxLength: 8 })
			.map(parts => Buffer.concat(parts.map(([first, body]) => Buffer.from([first, ...encodeLength(body.length), ...body])))),
	),
	positions: fc.array(fc.nat(), { maxLength: 4 }),
}).map(spec => ({ ...spec, build: () => spec.bytes }));

/** One XS host and one scripted broker for all the client cases. */
let fuzzer;
async function clientFuzzer() {
	fuzzer ??= await startClientFuzzer();
	return fuzzer;
}

async function startClientFuzzer() {
	const cases = new Map();	// index -> the case, while it runs
	const waiting = new Map();	// index -> resolve(report)
	const broker = await startScripted({
		connect(session, packet) {
			const index = Number(/^fuzz-(\d+)$/.exec(packet.clientId)?.[1]);
			session.fuzz = cases.get(index);
			session.ids = {};
			if (session.fuzz)
				session.fuzz.session = session;
			session.send({ cmd: 'connack', returnCode: 0, sessionPresent: false });
		},
		publish(session, packet) {
			if (packet.qos === 1)
				session.ids.a = packet.messageId;
			else if (packet.qos === 2)
				session.ids.b = packet.messageId;
		},
		subscribe(session, packet) {
			session.ids.c = packet.messageId;
			answer(session, broker.port);
		},
		pubrel() {}, unsubscribe() {}, pingreq() {},
	});
	const xs = await XSHost.start();
	let ready;
	const isReady = new Promise(resolve => { ready = resolve; });
	const run = xs.run(FUZZ_SCENARIO, { port: broker.port }, {
		timeout: 300_000 + 1000 * (RUNS.clientRandom + RUNS.clientMutated),	// the whole run; each case has its own bounds
		onReport(report) {
			if (report.ready)
				return ready();
			waiting.get(report.index)?.(report);
		},
	});
	// An exception escaping into the host (or XS dying) fails the run: every case waiting sees it.
	const failed = run.then(() => new Promise(() => {}), error => { throw error; });
	failed.catch(() => {});
	await Promise.race([isReady, failed]);
	let next = 0;
	return {
		broker, xs, run, count: 0,
		async runCase(spec) {
			const index = next++;
			const entry = { ...spec, index };
			cases.set(index, entry);
			try {
				const reported = new Promise(resolve => waiting.set(index, resolve));
				const { queueLength, maxPacketSize, push } = spec.config;
				await Promise.race([xs.message({ index, queueLength, maxPacketSize, push, deadline: DEADLINE }), failed]);
				const report = await Promise.race([reported, failed]);
				this.count++;
				return { report, entry };
			}
			finally {
				cases.delete(index);
				waiting.delete(index);
			}
		},
		async close() {
			await xs.message({ stop: true }).catch(() => {});
			const result = await Promise.race([run, new Promise(resolve => setTimeout(resolve, 2000, 'no result'))]).catch(error => error);
			await xs.close();
			await broker.close();
			return result;
		},
	};
}

/** The broker's turn: the fuzzed bytes, in pieces, then a FIN when the model says the stream ends cleanly. */
async function answer(session, port) {
	const entry = session.fuzz;
	if (!entry || entry.stream)
		return;
	try {
		const stream = entry.build(session.ids);
		entry.stream = stream;
		entry.expected = modelClient(stream, session.ids, entry.config, port);
		let previous = 0;
		for (const cut of [...cutsOf(stream.length, entry.positions, false), stream.length]) {
			session.sendRaw(stream.subarray(previous, cut));
			previous = cut;
			await new Promise(resolve => setImmediate(resolve));
		}
		if (entry.expected.ending === 'clean')
			session.socket.end();	// nothing broke: the FIN settles what is still pending
	}
	catch (error) {
		entry.answerError = error;
		session.socket.destroy();
	}
}

function socketEnded(socket) {
	return socket.destroyed || socket.readableEnded;
}

/** Runs one fuzzed case on XS and checks it against the model. */
async function checkClientCase(spec) {
	const { report, entry } = await (await clientFuzzer()).runCase(spec);
	const where = () => `case ${entry.index}, stream ${entry.stream?.toString('hex')}, config ${JSON.stringify(entry.config)}`;
	assert.equal(report.scenarioError, undefined, `the scenario failed: ${report.scenarioError} (${where()})`);
	assert.equal(report.connected, 'resolve 0', `connect: ${report.connected} (${where()})`);
	if (entry.answerError)
		throw entry.answerError;
	const expected = entry.expected;
	assert.ok(expected, `the broker got the client's three operations (${where()})`);
	const label = outcomes => Object.fromEntries(OPERATIONS.map((name, i) => [name, outcomes[i]]));
	assert.deepEqual(label(report.outcomes), label(expected.outcomes), `each operation settles as the stream says (${where()}; ending ${expected.ending})`);
	assert.deepEqual(report.after, { timers: 0, sockets: 0 }, `nothing left after disconnect() (${where()})`);
	const session = entry.session;
	if (expected.ending === 'fault' && !expected.settledByStream) {
		// The fault settled at least one operation, so the scenario looked after the fault was handled.
		// (When the packets before the fault settled all four, the fault may arrive in a later turn.)
		assert.equal(report.connectedAfter, false, `a broken stream closes the connection (${where()})`);
		assert.deepEqual(report.before, { timers: 0, sockets: 0 }, `the fault left nothing behind, even before disconnect() (${where()})`);
	}
	if (expected.ending === 'paused')
		assert.equal(report.connectedAfter, true, `a full queue pauses reading, the connection stays (${where()})`);
	// The client's end of the connection closes: by the fault (the broker never sent a FIN then), or by disconnect().
	await until(() => socketEnded(session.socket), `the broker to see the socket end (${where()})`, 5000);
	const t = totals.client;
	t.cases++;
	if (expected.ending === 'fault') {
		t.faults++;
		const kind = faultKind(expected.fault);
		totals.faults.set(`client: ${kind}`, (totals.faults.get(`client: ${kind}`) ?? 0) + 1);
	}
	else if (expected.ending === 'paused')
		t.paused++;
	else
		t.cleanEnds++;
	if (expected.settledByStream && expected.ending === 'clean')
		t.settledByStream++;
	if (expected.settledByStream && expected.ending === 'fault')
		t.faultAfterSettled++;
}

after(async () => {
	if (fuzzer) {
		const result = await fuzzer.close();
		if (result?.cases !== undefined && result.cases !== fuzzer.count)
			console.log(`# fuzz: the scenario counted ${result.cases} cases, the test ${fuzzer.count}`);
	}
});

test('client fuzz on XS: the checks are live (an exception escaping into the host fails the case; the model is not vacuous)', async () => {
	const own = await startClientFuzzer();
	try {
		const valid = fc.sample(mutatedCaseArb, { seed: 1, numRuns: 1 })[0];
		await own.xs.message({ throwInCallback: true });
		await assert.rejects(own.runCase(valid), /uncaught exception in a callback: Error: thrown on purpose/);
	}
	finally {
		await own.close();
	}
	// The model: a well-formed answer settles everything; a fault rejects what is left with it; a FIN ends the rest.
	const ids = { a: 1, b: 2, c: 3 };
	const answer = [{ cmd: 'puback', messageId: 1 }, { cmd: 'pubrec', messageId: 2 }, { cmd: 'pubcomp', messageId: 2 }, { cmd: 'suback', messageId: 3, granted: [1] }];
	assert.deepEqual(modelClient(Buffer.concat(answer.map(generate)), ids, {}, 1883).outcomes,
		['resolve undefined', 'resolve undefined', 'resolve 1', 'resolve 64']);
	assert.deepEqual(modelClient(Buffer.concat([generate(answer[0]), Buffer.of(0xF0, 0)]), ids, {}, 1883).outcomes,
		['resolve undefined', ...Array(2).fill('reject ProtocolError: protocol error: reserved type 15 is not a packet'), 'resolve 64']);
	assert.deepEqual(modelClient(Buffer.of(0x40, 2, 0), ids, {}, 1883),
		{ outcomes: Array(4).fill('reject Error: connection to 127.0.0.1:1883 closed by the broker or lost, while PUBLISH to "fuzz/2" at QoS 2 (packet id 2) awaited PUBREC (a broker that refuses QoS 2, as Azure IoT Hub does, closes the connection on a QoS 2 PUBLISH: publish at QoS 1 there)'), ending: 'clean', fault: undefined, settledByStream: false, packets: 0 });
	assert.deepEqual(modelClient(Buffer.concat([generate({ cmd: 'puback', messageId: 2 }), Buffer.of(0x40, 2, 0)]), ids, {}, 1883).outcomes,
		['reject Error: connection to 127.0.0.1:1883 closed by the broker or lost', 'resolve undefined', 'reject Error: connection to 127.0.0.1:1883 closed by the broker or lost', 'resolve 64'],
		'PUBACK settles the QoS 2 publish (the broker took it at QoS 1); nothing then awaits PUBREC');
});

// A protocol violation closes the connection [MQTT-4.8.0-1] (this test and the next).
test('client fuzz on XS: random bytes after CONNACK close the connection with the named fault; every operation settles; nothing is left', { timeout: 3_600_000 }, async t => {
	const seed = SEEDS.clientRandom, numRuns = RUNS.clientRandom;
	let runs = 0;
	await fc.assert(fc.asyncProperty(randomCaseArb, async spec => {
		runs++;
		await checkClientCase(spec);
	}), { seed, numRuns, timeout: 20_000, includeErrorInReport: true });
	ran.set('clientRandom', runs);
	note(t, 'clientRandom', `seed ${seed}, ${runs} cases on one XS host (FUZZ_RUNS=${FUZZ_RUNS})`);
});

test('client fuzz on XS: mutated valid answers settle each operation as the model says; a fault closes the connection; nothing is left', { timeout: 3_600_000 }, async t => {
	const seed = SEEDS.clientMutated, numRuns = RUNS.clientMutated;
	let runs = 0;
	await fc.assert(fc.asyncProperty(mutatedCaseArb, async spec => {
		runs++;
		await checkClientCase(spec);
	}), { seed, numRuns, timeout: 20_000, includeErrorInReport: true });
	ran.set('clientMutated', runs);
	note(t, 'clientMutated', `seed ${seed}, ${runs} cases on one XS host (FUZZ_RUNS=${FUZZ_RUNS})`);
});

test('fuzz totals', t => {
	const c = totals.client;
	const parser = name => {
		const p = totals[name];
		return `${name}: ${p.streams} streams, ${p.bytes} bytes, ${p.parseCalls} parse calls, ${p.packets} packets re-encoded, ${p.protocolErrors} ProtocolErrors, ${p.incomplete} ended inside a packet, ${p.streams - p.protocolErrors - p.incomplete} ended on a packet boundary, ${p.recoveries} recoveries after reset()`;
	};
	const lines = [
		`FUZZ_SEED=${BASE_SEED} FUZZ_RUNS=${FUZZ_RUNS}; seeds ${Object.entries(SEEDS).map(([k, v]) => `${k}=${v}`).join(', ')}`,
		`cases run: ${[...ran].map(([k, v]) => `${k} ${v}`).join(', ')}`,
		parser('parserRandom'),
		parser('parserMutated'),
		`client: ${c.cases} connections, ${c.faults} closed by a fault (${c.faultAfterSettled} of them after the stream had settled all four operations), ${c.cleanEnds} ended cleanly (${c.settledByStream} with all four operations settled by the stream), ${c.paused} paused on a full queue`,
		`distinct faults: ${totals.faults.size}`,
	];
	for (const line of lines)
		note(t, 'totals', line);
	if (process.env.FUZZ_VERBOSE)
		for (const [kind, count] of [...totals.faults].sort((x, y) => y[1] - x[1]))
			note(t, 'fault', `${String(count).padStart(6)}  ${kind}`);
});
