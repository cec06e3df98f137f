// Checks of MQTT 3.1.1 normative statements (tests/conformance.md) that no
// other test file makes: statements no other file tests, and statements other
// files test, checked here in a way they do not (on XS, through the client, in
// the case or order the test names). Each test names its statements; the
// scripted broker (tests/harness/scripted-broker.js) records what the client
// sends. The codec's refusals of ill-formed UTF-8, U+0000 and wildcards, sent
// or received, are rows of the tables in tests/codec.test.js.
//
//   npm run build && node --test tests/conformance.test.js

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { importLibrary } from './helpers/node-library.js';
import { runCase, until, withXS, underVersion } from './helpers/xs.js';
import { freePort } from './harness/brokers.js';
import { withScripted, polite } from './harness/scripted-broker.js';
import { PacketLog } from './helpers/packet-log.js';
import { lostAfterPubrel } from './cases/resilience.js';

const { PacketWriter } = await importLibrary('mqtt/writer');
const { PacketParser } = await importLibrary('mqtt/parser');

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
	// Each case, and the field its refusal must name.
	const FIELDS = { 'CONNECT client id': 'client id', 'CONNECT user name': 'user name', 'CONNECT will topic': 'will topic', 'PUBLISH topic': 'topic',
		'SUBSCRIBE filter': 'topic filter', 'UNSUBSCRIBE filter': 'topic filter' };
	assert.deepEqual(Object.keys(packets).sort(), Object.keys(FIELDS).sort());
	for (const [name, bytes] of Object.entries(packets)) {
		if (typeof bytes === 'string')	// refused, naming the field and the fault: fulfils the statement too
			assert.equal(bytes, `TypeError: ${FIELDS[name]} is not well-formed UTF-8`, name);
		else
			assert.ok(!encodesSurrogate(bytes), `${name}: ${Buffer.from(bytes).toString('hex')} encodes a surrogate code point`);
	}
});

test('[MQTT-3.1.3-7] connect(false) with a zero-byte client id throws a TypeError before any socket opens', async () => {
	const result = await runCase(SCENARIO, 'emptyClientIdNotClean', { port: await freePort() });
	assert.match(result.outcome, /^TypeError: an empty client id needs a clean session/);
	assert.deepEqual(result.after, { timers: 0, sockets: 0 });
});

// ---- Codec: the byte order mark is a character like any other ----

test('[MQTT-1.5.3-3] the sequence EF BB BF (U+FEFF) is kept in both directions: written as the first bytes of a topic, filter, client id or will topic, and handed out from a received topic', () => {
	const writer = new PacketWriter();
	const bom = [0xEF, 0xBB, 0xBF];
	const field = text => [0, bom.length + text.length, ...bom, ...Buffer.from(text)];
	const bytesOf = frame => [...frame.head, ...(frame.body ?? [])];
	/** True when `packet` holds `needle` as a run of bytes. */
	const holds = (packet, needle) => Buffer.from(packet).includes(Buffer.from(needle));
	assert.ok(holds(bytesOf(writer.publish('\uFEFFa/b', 'm', 1, false, false, 7)), [...field('a/b'), 0, 7]), 'PUBLISH topic');
	assert.ok(holds(bytesOf(writer.subscribe(3, ['\uFEFFa/+'], [1])), [0, 3, ...field('a/+'), 1]), 'SUBSCRIBE filter');
	assert.ok(holds(bytesOf(writer.unsubscribe(4, ['\uFEFFa/#'])), [0, 4, ...field('a/#')]), 'UNSUBSCRIBE filter');
	assert.ok(holds(bytesOf(writer.connect({ clientId: '\uFEFFid', cleanSession: true, keepalive: 0 })), field('id')), 'CONNECT client id');
	assert.ok(holds(bytesOf(writer.connect({ clientId: 'id', cleanSession: true, keepalive: 0, will: { topic: '\uFEFFw', message: 'm', qos: 0, retain: false } })), field('w')), 'CONNECT will topic');
	// A BOM in the middle of a topic too, and given as bytes.
	assert.ok(holds(bytesOf(writer.publish(Uint8Array.of(0x61, ...bom, 0x62), 'm', 0, false, false, 0)), [0, 5, 0x61, ...bom, 0x62]), 'PUBLISH binary topic');
	for (const topic of [[...bom, 0x61], [0x61, 0x2F, ...bom], bom]) {
		const packet = parseOne(publishWithTopic(topic));
		assert.deepEqual([...new Uint8Array(packet.topic)], topic, `received topic ${Buffer.from(topic).toString('hex')}`);
	}
});

// ---- The client's answers to what it receives ----

/** What the client sent on a scripted broker's session, but CONNECT, SUBSCRIBE, UNSUBSCRIBE, PINGREQ and DISCONNECT: "cmd id". */
function answersIn(session) {
	return session.packets.filter(packet => !['connect', 'subscribe', 'unsubscribe', 'pingreq', 'disconnect'].includes(packet.cmd))
		.map(packet => `${packet.cmd} ${packet.messageId}`);
}

/** A broker's QoS 1 or 2 PUBLISH, as mqtt-packet takes it. */
const brokerPublish = (topic, payload, qos, messageId, dup = false) => ({ cmd: 'publish', topic, payload, qos, messageId, dup });

/** How many PUBLISHes reached the XS client, by the host's tap. */
const publishesIn = log => log.packets().filter(packet => packet.direction === 'in' && packet.cmd === 'publish').length;

// The flows below are the session's and the delivery's, the same under MQTT
// 5.0: they run under both versions (the scripted broker speaks the version
// of the client's CONNECT), each named with its version's statement ids.
const VERSIONS = [4, 5].map(version => {
	const { params, options } = underVersion(version);
	return { version, label: version === 5 ? 'MQTT 5: ' : '', host: options.host ?? {}, params };
});
/** The statement ids of `V`'s version: MQTT 3.1.1's, or MQTT 5.0's. */
const ids = (V, v311, v5) => V.version === 5 ? v5 : v311;

for (const V of VERSIONS) for (const push of [false, true]) {
	const mode = push ? 'in push mode' : 'read with waitMsg';
	const log = new PacketLog();
	test(`${V.label}[MQTT-4.6.0-2] [MQTT-4.6.0-3] PUBACKs and PUBRECs go in the order their PUBLISHes arrived (ids 5, 3, 9 and 6, 2, 8, interleaved; ${mode}), each with the id of its PUBLISH ${ids(V, '[MQTT-2.3.1-6]', '[MQTT-2.2.1-5] [MQTT-4.3.2-4] [MQTT-4.3.3-8] [MQTT-4.3.3-11]')}`, () =>
		withScripted({
			pubrec(session, packet) { session.send({ cmd: 'pubrel', messageId: packet.messageId }); },
		}, broker => withXS({ ...V.host, tap: log.tap }, async xs => {
			const burst = [[1, 5], [2, 6], [1, 3], [2, 2], [1, 9], [2, 8]];
			const done = xs.run(SCENARIO, { case: 'acknowledgementOrder', port: broker.port, push, count: burst.length, ...V.params }, {
				onReport: () => {
					for (const [qos, id] of burst)
						broker.sessions[0].send(brokerPublish(`order/${qos}`, `q${qos} id${id}`, qos, id));
				},
			});
			if (!push) {
				await until(() => publishesIn(log) === burst.length, 'the burst in the client\'s queue');
				await xs.message({ burst: true });
			}
			// The client disconnects once the broker has every acknowledgement (3 PUBACKs, 3 PUBCOMPs), not after a fixed delay.
			await until(() => broker.sessions[0] && answersIn(broker.sessions[0]).filter(answer => /^(puback|pubcomp) /.test(answer)).length === 6, 'the PUBACKs and PUBCOMPs');
			await xs.message({ completed: true });
			const received = await done;
			assert.deepEqual(received, burst.map(([qos, id]) => `q${qos} id${id}`), 'delivered in the order sent');
			assert.equal(broker.sessions[0].version, V.version, 'the version of the CONNECT');
			const answers = answersIn(broker.sessions[0]);
			assert.deepEqual(answers.filter(answer => answer.startsWith('puback')), ['puback 5', 'puback 3', 'puback 9'], 'PUBACKs in the order of their PUBLISHes');
			assert.deepEqual(answers.filter(answer => answer.startsWith('pubrec')), ['pubrec 6', 'pubrec 2', 'pubrec 8'], 'PUBRECs in the order of their PUBLISHes');
			assert.deepEqual(answers.filter(answer => answer.startsWith('pubcomp')).sort(), ['pubcomp 2', 'pubcomp 6', 'pubcomp 8'], 'each PUBREL answered by PUBCOMP with its id');
		})));
}

// Each PUBREC is answered by PUBREL with its id [MQTT-4.3.3-1] (5.0:
// [MQTT-4.3.3-4]), and each publish completes on PUBCOMP (5.0: the PUBREL is
// unacknowledged until then [MQTT-4.3.3-5]).
for (const V of VERSIONS) test(`${V.label}[MQTT-4.6.0-4] PUBRELs go in the order the PUBRECs arrived (third, first, second), each with the id of its PUBREC ${ids(V, '[MQTT-2.3.1-6]', '[MQTT-2.2.1-5] [MQTT-4.3.3-5]')}`, () => {
	let published = [];
	return withScripted({
		publish(session, packet) {
			published.push(packet.messageId);
			if (published.length < 3)
				return;
			for (const index of [2, 0, 1])
				session.send({ cmd: 'pubrec', messageId: published[index] });
		},
	}, async broker => {
		const outcomes = await runCase(SCENARIO, 'releaseOrder', { port: broker.port, ...V.params }, { host: V.host });
		assert.deepEqual(outcomes, ['ok', 'ok', 'ok'], 'every publish completed (PUBCOMP)');
		assert.equal(broker.sessions[0].version, V.version, 'the version of the CONNECT');
		const pubrels = answersIn(broker.sessions[0]).filter(answer => answer.startsWith('pubrel'));
		assert.deepEqual(pubrels, [2, 0, 1].map(index => `pubrel ${published[index]}`));
	});
});

for (const V of VERSIONS) test(`${V.label}${ids(V, '[MQTT-4.3.2-2]', '[MQTT-4.3.2-5]')} after its PUBACK, a QoS 1 PUBLISH reusing the packet id is a new message, DUP 1 or 0: delivered and acknowledged again`, () => {
	const payloads = ['first', 'second (DUP 1)', 'third (DUP 0)'];
	let next = 0;
	const sendNext = session => {
		if (next < payloads.length)
			session.send(brokerPublish('reuse/t', payloads[next], 1, 4, next++ === 1));
	};
	return withScripted({
		subscribe(session, packet) {
			polite.subscribe(session, packet);
			sendNext(session);
		},
		puback(session) { sendNext(session); },
	}, async broker => {
		const received = await withXS(V.host, async xs => {
			const done = xs.run(SCENARIO, { case: 'qos1IdReused', port: broker.port, count: payloads.length, ...V.params });
			await until(() => broker.sessions[0] && answersIn(broker.sessions[0]).length === payloads.length, 'the PUBACKs');
			await xs.message({ acknowledged: true });
			return done;
		});
		assert.deepEqual(received, payloads, 'each delivered');
		assert.deepEqual(answersIn(broker.sessions[0]), ['puback 4', 'puback 4', 'puback 4'], 'each acknowledged');
		assert.equal(broker.sessions[0].version, V.version, 'the version of the CONNECT');
	});
});

/**
 * The broker's messages for the `answers` case, sent once the client is
 * subscribed: QoS 0, 1, 2, and QoS 1 on a topic the client never subscribed to.
 */
const ANSWERED = [
	{ cmd: 'publish', topic: 'answer/0', payload: 'zero', qos: 0 },
	brokerPublish('answer/1', 'one', 1, 11),
	brokerPublish('answer/2', 'two', 2, 12),
	brokerPublish('never/subscribed', 'stray', 1, 13),
];

/** Runs the `answers` case: the messages are queued in the client before the app reads them. */
function answers(throwing, V = VERSIONS[0]) {
	return withScripted({
		pubrec(session, packet) { session.send({ cmd: 'pubrel', messageId: packet.messageId }); },
	}, async broker => {
		const log = new PacketLog();
		const result = await withXS({ ...V.host, tap: log.tap }, async xs => {
			const done = xs.run(SCENARIO, { case: 'answers', port: broker.port, throwing, count: ANSWERED.length, ...V.params }, {
				onReport: () => {
					for (const message of ANSWERED)
						broker.sessions[0].send(message);
				},
			});
			await until(() => publishesIn(log) === ANSWERED.length, 'the messages in the client\'s queue');
			await xs.message({ queued: true });
			// The client disconnects once the broker has the 2 PUBACKs and the PUBCOMP, not after a fixed delay.
			await until(() => answersIn(broker.sessions[0]).filter(answer => /^(puback|pubcomp) /.test(answer)).length === 3, 'the PUBACKs and the PUBCOMP');
			await xs.message({ completed: true });
			return done;
		});
		assert.deepEqual(result.seen, ANSWERED.map(({ topic, payload }) => `${topic} ${payload}`), 'the callback had each message, in order');
		assert.equal(broker.sessions[0].version, V.version, 'the version of the CONNECT');
		return { result, answers: answersIn(broker.sessions[0]) };
	});
}

for (const V of VERSIONS) test(`${V.label}[MQTT-3.3.4-1] the client answers a received PUBLISH by its QoS: nothing for QoS 0, PUBACK for QoS 1, PUBREC for QoS 2 (then PUBCOMP for the PUBREL)`, async () => {
	const { result, answers: sent } = await answers(false, V);
	assert.deepEqual(result.outcomes, [0x30, 0x32, 0x34, 0x32], 'waitMsg resolved each PUBLISH first byte');
	// (PUBCOMP answers the broker's PUBREL whenever it comes: its place among the others is free.)
	assert.deepEqual(sent.sort(), ['puback 11', 'puback 13', 'pubcomp 12', 'pubrec 12'], 'no answer to QoS 0; PUBACK, PUBREC, PUBCOMP with their ids');
});

for (const V of VERSIONS) test(`${V.label}[MQTT-4.5.0-2] a message is acknowledged whatever the app does with it: the callback throws for each (waitMsg rejects with its exception), and PUBACK, PUBREC and PUBCOMP still go out, also for a topic never subscribed to`, async () => {
	const { result, answers: sent } = await answers(true, V);
	assert.deepEqual(result.outcomes, ANSWERED.map(({ payload }) => `RangeError: the app refuses ${payload}`), 'each waitMsg rejected with the callback\'s exception');
	assert.deepEqual(sent.sort(), ['puback 11', 'puback 13', 'pubcomp 12', 'pubrec 12'], 'acknowledged as if the callback had returned');
});

for (const [qos, answer] of [[1, 'puback'], [2, 'pubrec']]) {
	test(`[MQTT-4.5.0-2] push mode: a callback that throws on a QoS ${qos} message still gets it acknowledged (${answer.toUpperCase()}); the exception then goes on to the host, as any callback's`, () =>
		withScripted({}, broker => withXS({}, async xs => {
			const run = xs.run(SCENARIO, { case: 'throwingInPush', port: broker.port }, {
				onReport: () => broker.sessions[0].send(brokerPublish(`answer/${qos}`, 'pushed', qos, 21)),
			});
			await assert.rejects(run, error => error.name === 'XSError' && /uncaught exception in a callback: RangeError: the app refuses pushed/.test(error.message));
			await until(() => answersIn(broker.sessions[0]).length > 0, `the ${answer.toUpperCase()}`);
			assert.deepEqual(answersIn(broker.sessions[0]), [`${answer} 21`]);
		})));
}

// The QoS 0 message takes the receive path's shortest way to the callback: its exception, too, is the app's.
test('push mode: a callback that throws on a QoS 0 message: the exception goes on to the host, as any callback\'s, and nothing is acknowledged (a QoS 0 message has no acknowledgement [MQTT-4.3.1-1])', () =>
	withScripted({}, broker => withXS({}, async xs => {
		const run = xs.run(SCENARIO, { case: 'throwingInPush', port: broker.port }, {
			onReport: () => broker.sessions[0].send({ cmd: 'publish', topic: 'answer/0', payload: 'pushed', qos: 0 }),
			timeout: 10_000,	// the exception ends the run at once; a client that kept it would run on
		});
		await assert.rejects(run, error => error.name === 'XSError' && /uncaught exception in a callback: RangeError: the app refuses pushed/.test(error.message));
		assert.deepEqual(answersIn(broker.sessions[0]), []);
	})));

// ---- What the client sends ----

// The QoS 1 publish's resend carries DUP 1 [MQTT-3.3.1-1] (both versions): the test sees the flag.
for (const V of VERSIONS) test(`${V.label}[MQTT-3.3.1-2] [MQTT-4.3.1-1] every QoS 0 PUBLISH the client sends has DUP 0: before a lost connection, queued while reconnecting, and after, while a QoS 1 publish is resent with DUP 1 [MQTT-3.3.1-1]${ids(V, '', ' [MQTT-4.4.0-1]')}`, () =>
	withScripted({
		connect(session) { session.send({ cmd: 'connack', returnCode: 0, reasonCode: 0, sessionPresent: session.index > 0 }); },
		publish(session, packet) {
			if (session.index > 0)
				return polite.publish(session, packet);
			if (packet.topic === 'zero/2')	// the QoS 1 one before it is not acknowledged
				setTimeout(() => session.close(), 20);
		},
	}, async broker => {
		const outcomes = await runCase(SCENARIO, 'qos0Dup', { port: broker.port, ...V.params }, { host: V.host });
		assert.deepEqual(outcomes, ['ok', 'ok', 'ok', 'ok', 'ok']);
		assert.deepEqual(broker.sessions.map(session => session.version), [V.version, V.version], 'the version of each CONNECT');
		const publishes = broker.sessions.flatMap(session => session.packets.filter(packet => packet.cmd === 'publish').map(packet => [session.index, packet.topic, packet.qos, packet.dup]));
		assert.deepEqual(publishes, [
			[0, 'zero/1', 0, false], [0, 'one/1', 1, false], [0, 'zero/2', 0, false],
			[1, 'one/1', 1, true], [1, 'zero/3', 0, false], [1, 'zero/4', 0, false],
		], 'QoS 0 always DUP 0; the QoS 1 resend DUP 1');
		const ids = broker.sessions.map(session => session.packets.find(packet => packet.cmd === 'publish' && packet.topic === 'one/1').messageId);
		assert.equal(ids[1], ids[0], 'the resend with its original packet id');
	}));

test('[MQTT-1.5.3-3] on XS, U+FEFF at the head of a topic or filter goes out as EF BB BF, and a received topic starting EF BB BF reaches the callback with those bytes', () => {
	const topicIn = [0xEF, 0xBB, 0xBF, ...Buffer.from('bom/in')];
	return withScripted({
		subscribe(session, packet) {
			polite.subscribe(session, packet);
			session.sendRaw(publishWithTopic(topicIn));
		},
	}, async broker => {
		const received = await runCase(SCENARIO, 'byteOrderMark', { port: broker.port });
		assert.equal(received, Buffer.from(topicIn).toString('hex'), 'the received topic, byte for byte');
		// mqtt-packet decodes string fields with Buffer's UTF-8 decoder, which keeps a leading U+FEFF.
		const sent = broker.sessions[0].packets.flatMap(packet => packet.cmd === 'publish' ? [packet.topic] : packet.cmd === 'subscribe' ? packet.subscriptions.map(s => s.topic) : packet.cmd === 'unsubscribe' ? packet.unsubscriptions : []);
		assert.deepEqual(sent.map(topic => Buffer.from(topic).toString('hex')),
			['\uFEFFbom/+', '\uFEFFbom/out', '\uFEFFbom/+'].map(topic => 'efbbbf' + Buffer.from(topic.slice(1)).toString('hex')),
			'SUBSCRIBE, PUBLISH and UNSUBSCRIBE carry EF BB BF first');
	});
});

// ---- Sessions ----

for (const V of VERSIONS) test(`${V.label}${ids(V, '[MQTT-3.1.2-6] with the reconnect option and clean session 1', '[MQTT-3.1.2-4] with the reconnect option and Clean Start 1')}, nothing of the old session is reused: the QoS 1 publish awaiting PUBACK goes out as a new message (DUP 0), no PUBREL for the QoS 2 one past PUBREC; each connection starts with CONNECT [MQTT-3.1.0-1]`, () =>
	// PUBCOMP withheld, then the connection is gone.
	withScripted(lostAfterPubrel, async broker => {
		const result = await runCase(SCENARIO, 'cleanReconnect', { port: broker.port, ...V.params }, { host: V.host });
		assert.deepEqual(result, { outcomes: ['ok', 'ok'], after: { timers: 0, sockets: 0 } }, 'the QoS 1 publish completes on the new connection; the QoS 2 one was the broker\'s from PUBREC');
		assert.equal(broker.sessions.length, 2);
		for (const session of broker.sessions) {
			assert.equal(session.packets[0].cmd, 'connect', 'CONNECT first');
			assert.equal(session.packets[0].clean, true, 'clean session 1');
			assert.equal(session.version, V.version, 'the version of the CONNECT');
		}
		const [first, second] = broker.sessions;
		assert.deepEqual(first.packets.slice(1).map(packet => packet.cmd === 'publish' ? `publish ${packet.topic} dup ${packet.dup}` : packet.cmd),
			['publish clean/1 dup false', 'publish clean/2 dup false', 'pubrel']);
		assert.deepEqual(second.packets.slice(1).map(packet => packet.cmd === 'publish' ? `publish ${packet.topic} dup ${packet.dup}` : packet.cmd),
			['publish clean/1 dup false', 'disconnect'], 'the unacknowledged QoS 1 message as a new publication; nothing else of the old session');
	}));
