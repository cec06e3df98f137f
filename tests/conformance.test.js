// MQTT 3.1.1 normative statements (tests/conformance.md) that no other test
// file checks.
//
//   npm run build && node --test tests/conformance.test.js

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { importLibrary } from './helpers/node-library.js';
import { runCase } from './helpers/xs.js';
import { freePort } from './harness/brokers.js';

const { PacketWriter } = await importLibrary('mqtt/writer');
const { PacketParser } = await importLibrary('mqtt/parser');
const { ProtocolError } = await importLibrary('mqtt/errors');

const SCENARIO = 'tests/scenarios/client/conformance.js';

/** True when `bytes` holds a UTF-8 encoding of a code point in U+D800..U+DFFF (ED A0..BF xx). */
function encodesSurrogate(bytes) {
	for (let i = 0; i + 1 < bytes.length; i++)
		if (bytes[i] === 0xED && bytes[i + 1] >= 0xA0 && bytes[i + 1] <= 0xBF)
			return true;
	return false;
}

/** A QoS 0 PUBLISH from the broker whose topic is `topic` (bytes) and payload "x". */
function publishWithTopic(topic) {
	return Uint8Array.of(0x30, 2 + topic.length + 1, 0, topic.length, ...topic, 0x78);
}

function parseOne(bytes) {
	const parser = new PacketParser();
	parser.parse(bytes, 0, bytes.length);
	return parser;
}

test('[MQTT-1.5.3-1] on XS, a string holding a lone surrogate is never sent as the UTF-8 encoding of U+D800..U+DFFF', async () => {
	const packets = await runCase(SCENARIO, 'loneSurrogates');
	assert.equal(Object.keys(packets).length, 6);
	for (const [name, bytes] of Object.entries(packets)) {
		if (typeof bytes === 'string')
			continue;	// refused: fulfils the statement too
		assert.ok(!encodesSurrogate(bytes), `${name}: ${Buffer.from(bytes).toString('hex')} encodes a surrogate code point`);
	}
});

test('[MQTT-1.5.3-1] [MQTT-4.8.0-1] a received topic that is ill-formed UTF-8 is a protocol error (the client then closes the connection)', () => {
	for (const topic of [[0x61, 0xFF], [0xC3], [0xED, 0xA0, 0x80], [0xC0, 0xAF], [0xF4, 0x90, 0x80, 0x80]])
		assert.throws(() => parseOne(publishWithTopic(topic)), ProtocolError, `topic ${Buffer.from(topic).toString('hex')}`);
});

test('[MQTT-1.5.3-2] [MQTT-4.7.3-2] [MQTT-4.8.0-1] a received topic holding U+0000 is a protocol error (the client then closes the connection)', () => {
	assert.throws(() => parseOne(publishWithTopic([0x61, 0x00, 0x62])), ProtocolError);
});

test('[MQTT-3.3.2-2] [MQTT-4.7.1-1] [MQTT-4.8.0-1] a received topic holding a wildcard is a protocol error (the client then closes the connection)', () => {
	for (const topic of ['#', 'a/+', 'a/#'])
		assert.throws(() => parseOne(publishWithTopic([...Buffer.from(topic)])), ProtocolError, topic);
});

test('[MQTT-1.5.3-2] the writer refuses U+0000 in the client id and the user name, as it does in topics', () => {
	const writer = new PacketWriter();
	const base = { clientId: 'c', cleanSession: true, keepalive: 0 };
	assert.throws(() => writer.connect({ ...base, clientId: 'a\u0000b' }), TypeError, 'client id string');
	assert.throws(() => writer.connect({ ...base, clientId: Uint8Array.of(0x61, 0) }), TypeError, 'client id bytes');
	assert.throws(() => writer.connect({ ...base, user: 'u\u0000', password: 'p' }), TypeError, 'user name');
});

test('[MQTT-1.5.3-1] [MQTT-3.1.3-4] [MQTT-3.1.3-10] [MQTT-3.1.3-11] [MQTT-3.3.2-1] [MQTT-3.8.3-1] [MQTT-3.10.3-1] binary data that is not well-formed UTF-8 is refused where the packet carries a UTF-8 string', () => {
	const writer = new PacketWriter();
	const bad = Uint8Array.of(0x61, 0xFF);
	const base = { clientId: 'c', cleanSession: true, keepalive: 0 };
	assert.throws(() => writer.connect({ ...base, clientId: bad }), TypeError, 'client id');
	assert.throws(() => writer.connect({ ...base, will: { topic: bad, message: 'm', qos: 0, retain: false } }), TypeError, 'will topic');
	assert.throws(() => writer.connect({ ...base, user: bad, password: 'p' }), TypeError, 'user name');
	assert.throws(() => writer.publish(bad, 'm', 0, false, false, 0), TypeError, 'topic name');
	assert.throws(() => writer.subscribe(1, [bad], [0]), TypeError, 'SUBSCRIBE filter');
	assert.throws(() => writer.unsubscribe(1, [bad]), TypeError, 'UNSUBSCRIBE filter');
	// What stays allowed: a password and a message are binary data, not UTF-8 strings.
	assert.ok(writer.connect({ ...base, user: 'u', password: bad }));
	assert.ok(writer.publish('t', bad, 0, false, false, 0));
});

test('[MQTT-3.1.3-7] connect(false) with a zero-byte client id throws a TypeError before any socket opens', async () => {
	const result = await runCase(SCENARIO, 'emptyClientIdNotClean', { port: await freePort() });
	assert.match(result.outcome, /^TypeError: an empty client id needs a clean session/);
	assert.deepEqual(result.after, { timers: 0, sockets: 0 });
});
