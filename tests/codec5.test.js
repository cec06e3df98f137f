// The MQTT 5.0 codec (modules/mqtt/v5: properties, reasons, writer, parser)
// against the reference codec, mqtt-packet with protocolVersion 5, in both
// directions: the property and reason-code tables, fixed cases, seeded
// property-based cases, streams split at every offset and fed one byte at a
// time, malformed streams each with its named error, bad writer arguments
// each with its named error; then a sample of all of it on the XS engine.
//
//   npm run build && node tests/harness/ensure-xsnap.js && node --test tests/codec5.test.js
//
// Seeds are fixed (CODEC_SEED=<integer> explores others).

import { test, describe } from 'node:test';
import util from 'node:util';
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import mqttPacket from 'mqtt-packet';
import mqttConstants from 'mqtt-packet/constants.js';
import fc from 'fast-check';
import { importLibrary } from './helpers/node-library.js';
import { withXS } from './helpers/xs.js';
import { sample, plain } from './scenarios/codec5/sample.js';
import { mcsimEnabled, useMcsim } from './sim/suite.js';

const { PacketWriter5 } = await importLibrary('mqtt/v5/writer');
const { PacketParser5 } = await importLibrary('mqtt/v5/parser');
const { PROPERTIES, BYTE, TWO, FOUR, VARIABLE, UTF8, PAIR, BINARY, WILL } = await importLibrary('mqtt/v5/properties');
const { reasonName, serverMaySend, clientMaySend } = await importLibrary('mqtt/v5/reasons');
const { ProtocolError } = await importLibrary('mqtt/errors');

const CODEC5_SCENARIO = 'tests/scenarios/codec5/run.js';

const BASE_SEED = process.env.CODEC_SEED !== undefined ? Number(process.env.CODEC_SEED) : 0x4D515435;	// "MQT5"
if (!Number.isSafeInteger(BASE_SEED))
	throw new Error(`CODEC_SEED must be an integer, not ${process.env.CODEC_SEED}`);

const CONNECT = 1, CONNACK = 2, PUBLISH = 3, PUBACK = 4, PUBREC = 5, PUBREL = 6, PUBCOMP = 7, SUBSCRIBE = 8, SUBACK = 9;
const UNSUBSCRIBE = 10, UNSUBACK = 11, PINGREQ = 12, PINGRESP = 13, DISCONNECT = 14, AUTH = 15;
const CMD = { 2: 'connack', 3: 'publish', 4: 'puback', 5: 'pubrec', 6: 'pubrel', 7: 'pubcomp', 9: 'suback', 11: 'unsuback', 13: 'pingresp', 14: 'disconnect', 15: 'auth' };
const TYPE_OF = Object.fromEntries(Object.entries(CMD).map(([type, cmd]) => [cmd, Number(type)]));

const counts = { writerToMqttPacket: 0, writerSameBytes: 0, mqttPacketToParser: 0, streamsEveryOffset: 0 };

// ---------------------------------------------------------------- helpers

function bin(data) {
	if (typeof data === 'string')
		return Buffer.from(ArrayBuffer.fromString(data));
	if (ArrayBuffer.isView(data))
		return Buffer.from(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
	return Buffer.from(new Uint8Array(data));
}

const str = data => bin(data).toString('utf8');
const hex = data => bin(data).toString('hex');

function frameBytes(frame) {
	assert.ok(frame.head instanceof Uint8Array, 'frame.head is a Uint8Array');
	return frame.body ? Buffer.concat([frame.head, frame.body]) : Buffer.from(frame.head);
}

/** Every packet mqtt-packet (as a version 5 server) finds in `buffer`; fails on an error or left-over bytes. */
function mqttPacketParse(buffer) {
	const parser = mqttPacket.parser({ protocolVersion: 5 });
	const packets = [], errors = [];
	parser.on('packet', p => packets.push(p));
	parser.on('error', e => errors.push(e.message));
	parser.parse(buffer);
	assert.deepEqual(errors, [], 'mqtt-packet reports no error');
	const consumed = packets.reduce((sum, p) => sum + 1 + (p.length < 128 ? 1 : p.length < 16384 ? 2 : 3) + p.length, 0);
	assert.equal(consumed, buffer.length, 'mqtt-packet consumed the bytes exactly');
	return packets;
}

const generate = o => mqttPacket.generate(o, { protocolVersion: 5 });

// Byte properties mqtt-packet gives as booleans (its type 'byte'; maximumQoS is its 'int8').
const BOOLEAN = new Set(Object.entries(mqttConstants.propertiesTypes).filter(([, type]) => type === 'byte').map(([name]) => name));

/** User properties as mqtt-packet keeps them: an object of name -> value or values (pairs of one name grouped). */
function groupedUserProperties(pairs) {
	const grouped = Object.create(null);
	for (const [name, value] of pairs) {
		const key = str(name), text = str(value);
		grouped[key] = key in grouped ? [].concat(grouped[key], text) : text;
	}
	return grouped;
}

/** Our properties (given or parsed) in mqtt-packet's form. */
function toMqttPacket(properties) {
	if (properties === undefined)
		return undefined;
	const result = {};
	for (const [name, value] of Object.entries(properties)) {
		if (value === undefined)
			continue;
		const property = PROPERTIES.find(p => p.name === name);
		if (name === 'userProperties') {
			if (value.length)	// none: nothing on the wire
				result.userProperties = groupedUserProperties(value);
		}
		else if (name === 'subscriptionIdentifiers')
			result.subscriptionIdentifier = value.length === 1 ? value[0] : [...value];
		else if (BOOLEAN.has(name))
			result[name] = value === 1;
		else if (property.type === UTF8)
			result[name] = str(value);
		else if (property.type === BINARY)
			result[name] = bin(value);
		else
			result[name] = value;
	}
	return result;
}

/** A normal form of mqtt-packet properties, for comparisons: keys sorted, binary as hex, user properties grouped. */
function normProps(properties) {
	if (properties === undefined || Object.keys(properties).length === 0)
		return {};
	const result = {};
	for (const name of Object.keys(properties).sort()) {
		let value = properties[name];
		if (Buffer.isBuffer(value))
			value = value.toString('hex');
		else if (name === 'userProperties')
			value = Object.entries(value).map(([k, v]) => [k, [].concat(v)]);
		else if (name === 'subscriptionIdentifier')
			value = [].concat(value);
		result[name] = value;
	}
	return result;
}

// ====================================================== 1. the tables

// Section 2.2.2.2 (Table 2-4): identifier, name and type of each property, as
// mqtt-packet lists them too.
test('properties: every property of section 2.2.2.2 with its identifier and type, as mqtt-packet has them', () => {
	const TYPES = { byte: BYTE, int8: BYTE, int16: TWO, int32: FOUR, var: VARIABLE, string: UTF8, pair: PAIR, binary: BINARY };
	const theirs = Object.entries(mqttConstants.properties).sort((a, b) => a[1] - b[1]);
	assert.deepEqual(PROPERTIES.map(p => [p.name, p.id]), theirs);
	for (const p of PROPERTIES)
		assert.equal(p.type, TYPES[mqttConstants.propertiesTypes[p.name]], p.name);
	assert.equal(PROPERTIES.length, 27);
});

// Section 3, per packet: which properties each side may send (a transcription
// of the standard, written here apart from the library's table).
const CLIENT_SENDS = {
	[CONNECT]: ['sessionExpiryInterval', 'authenticationMethod', 'authenticationData', 'requestProblemInformation', 'requestResponseInformation', 'receiveMaximum', 'topicAliasMaximum', 'userProperties', 'maximumPacketSize'],
	[WILL]: ['payloadFormatIndicator', 'messageExpiryInterval', 'contentType', 'responseTopic', 'correlationData', 'willDelayInterval', 'userProperties'],
	// no Subscription Identifier from a client [MQTT-3.3.4-6]
	[PUBLISH]: ['payloadFormatIndicator', 'messageExpiryInterval', 'contentType', 'responseTopic', 'correlationData', 'topicAlias', 'userProperties'],
	[PUBACK]: ['reasonString', 'userProperties'], [PUBREC]: ['reasonString', 'userProperties'], [PUBREL]: ['reasonString', 'userProperties'], [PUBCOMP]: ['reasonString', 'userProperties'],
	[SUBSCRIBE]: ['subscriptionIdentifier', 'userProperties'],
	[UNSUBSCRIBE]: ['userProperties'],
	[DISCONNECT]: ['sessionExpiryInterval', 'reasonString', 'userProperties'],
	[AUTH]: ['authenticationMethod', 'authenticationData', 'reasonString', 'userProperties'],
};
const SERVER_SENDS = {
	[CONNACK]: ['sessionExpiryInterval', 'assignedClientIdentifier', 'serverKeepAlive', 'authenticationMethod', 'authenticationData', 'responseInformation', 'serverReference', 'reasonString', 'receiveMaximum', 'topicAliasMaximum', 'maximumQoS', 'retainAvailable', 'userProperties', 'maximumPacketSize', 'wildcardSubscriptionAvailable', 'subscriptionIdentifiersAvailable', 'sharedSubscriptionAvailable'],
	[PUBLISH]: ['payloadFormatIndicator', 'messageExpiryInterval', 'contentType', 'responseTopic', 'correlationData', 'subscriptionIdentifier', 'topicAlias', 'userProperties'],
	[PUBACK]: ['reasonString', 'userProperties'], [PUBREC]: ['reasonString', 'userProperties'], [PUBREL]: ['reasonString', 'userProperties'], [PUBCOMP]: ['reasonString', 'userProperties'],
	[SUBACK]: ['reasonString', 'userProperties'], [UNSUBACK]: ['reasonString', 'userProperties'],
	// no Session Expiry Interval from a server [MQTT-3.14.2-2]
	[DISCONNECT]: ['serverReference', 'reasonString', 'userProperties'],
	[AUTH]: ['authenticationMethod', 'authenticationData', 'reasonString', 'userProperties'],
};

test('properties: the packets each property may travel in, each way (section 3)', () => {
	for (const [sends, column] of [[CLIENT_SENDS, 'sent'], [SERVER_SENDS, 'received']])
		for (const p of PROPERTIES) {
			const expected = Object.keys(sends).map(Number).filter(type => sends[type].includes(p.name)).sort((a, b) => a - b);
			const actual = Array.from({ length: 16 }, (_, type) => type).filter(type => p[column] & (1 << type));
			assert.deepEqual(actual, expected, `${p.name}, ${column}`);
		}
});

// Section 2.4, Table 2-6, and the per-packet tables of section 3: the union
// of both directions is what mqtt-packet accepts, with the same names.
test('reason codes: each packet\'s codes and their names, as mqtt-packet has them', () => {
	const tables = [
		[[PUBACK, PUBREC], mqttConstants.MQTT5_PUBACK_PUBREC_CODES],
		[[PUBREL, PUBCOMP], mqttConstants.MQTT5_PUBREL_PUBCOMP_CODES],
		[[SUBACK], mqttConstants.MQTT5_SUBACK_CODES],
		[[UNSUBACK], mqttConstants.MQTT5_UNSUBACK_CODES],
		[[DISCONNECT], mqttConstants.MQTT5_DISCONNECT_CODES],
		[[AUTH], mqttConstants.MQTT5_AUTH_CODES],
	];
	for (const [types, table] of tables)
		for (const type of types) {
			const ours = Array.from({ length: 256 }, (_, code) => code).filter(code => serverMaySend(code, type) || clientMaySend(code, type));
			assert.deepEqual(ours, Object.keys(table).map(Number), `codes of type ${type}`);
			for (const code of ours)
				assert.equal(reasonName(code, type).toLowerCase(), table[code].toLowerCase(), `name of 0x${code.toString(16)} in type ${type}`);
		}
	// Table 3-1, CONNACK: mqtt-packet has no table of its own for it.
	const connack = Array.from({ length: 256 }, (_, code) => code).filter(code => serverMaySend(code, CONNACK));
	assert.deepEqual(connack, [0x00, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8A, 0x8C, 0x90, 0x95, 0x97, 0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9F]);
	assert.equal(reasonName(0x9C, CONNACK), 'Use another server');
	assert.equal(reasonName(0x00, DISCONNECT), 'Normal disconnection');
	assert.equal(reasonName(0xFF), 'unknown reason code 255');
});

// ====================================================== 2. writer -> mqtt-packet

/** The mqtt-packet object of the packet a writer call makes. */
function mpObjectOf([method, ...args]) {
	switch (method) {
	case 'connect': {
		const { clientId, cleanStart, keepalive, properties, will, user, password } = args[0];
		const o = { cmd: 'connect', protocolId: 'MQTT', protocolVersion: 5, clean: cleanStart, keepalive, clientId: str(clientId), properties: toMqttPacket(properties) };
		if (will)
			o.will = { topic: str(will.topic), payload: bin(will.message), qos: will.qos, retain: will.retain, properties: toMqttPacket(will.properties) };
		if (user !== undefined)
			o.username = str(user);
		if (password !== undefined)
			o.password = bin(password);
		return o;
	}
	case 'publish': {
		const [topic, payload, qos, retain, dup, id, properties] = args;
		return { cmd: 'publish', topic: str(topic), payload: bin(payload), qos, retain, dup, messageId: qos ? id : undefined, properties: toMqttPacket(properties) };
	}
	case 'ack': {
		const [type, id, reasonCode = 0, properties] = args;
		return { cmd: CMD[type], messageId: id, reasonCode, properties: toMqttPacket(properties) };
	}
	case 'subscribe': {
		const [id, filters, options, properties] = args;
		const subscriptions = filters.map((filter, i) => {
			const o = typeof options[i] === 'number' ? { qos: options[i] } : options[i];
			return { topic: str(filter), qos: o.qos, nl: !!o.noLocal, rap: !!o.retainAsPublished, rh: o.retainHandling ?? 0 };
		});
		return { cmd: 'subscribe', messageId: id, subscriptions, properties: toMqttPacket(properties) };
	}
	case 'unsubscribe': {
		const [id, filters, properties] = args;
		return { cmd: 'unsubscribe', messageId: id, unsubscriptions: filters.map(str), properties: toMqttPacket(properties) };
	}
	case 'pingreq': return { cmd: 'pingreq' };
	case 'disconnect': return { cmd: 'disconnect', reasonCode: args[0] ?? 0, properties: toMqttPacket(args[1]) };
	case 'auth': return { cmd: 'auth', reasonCode: args[0], properties: toMqttPacket(args[1]) };
	}
	throw new Error(`unknown call ${method}`);
}

/** What a version 5 packet says, in one form for mqtt-packet's parse and for the object it would generate. */
function normMp(p) {
	const props = normProps(p.properties);
	switch (p.cmd) {
	case 'connect':
		return {
			cmd: p.cmd, protocolVersion: p.protocolVersion, clean: !!p.clean, keepalive: p.keepalive, clientId: p.clientId, props,
			will: p.will ? { topic: p.will.topic, payload: hex(p.will.payload), qos: p.will.qos ?? 0, retain: !!p.will.retain, props: normProps(p.will.properties) } : null,
			username: p.username ?? null, password: p.password == null ? null : hex(p.password),
		};
	case 'publish':
		return { cmd: p.cmd, topic: p.topic, payload: hex(p.payload), qos: p.qos ?? 0, retain: !!p.retain, dup: !!p.dup, messageId: p.qos ? p.messageId : null, props };
	case 'subscribe':
		return { cmd: p.cmd, messageId: p.messageId, subscriptions: p.subscriptions.map(({ topic, qos, nl, rap, rh }) => ({ topic, qos, nl: !!nl, rap: !!rap, rh: rh ?? 0 })), props };
	case 'unsubscribe':
		return { cmd: p.cmd, messageId: p.messageId, unsubscriptions: p.unsubscriptions, props };
	case 'pingreq':
		return { cmd: p.cmd };
	case 'disconnect': case 'auth':
		return { cmd: p.cmd, reasonCode: p.reasonCode ?? 0, props };
	default:
		return { cmd: p.cmd, messageId: p.messageId, reasonCode: p.reasonCode ?? 0, props };
	}
}

/** Where mqtt-packet writes other bytes than ours for the same packet, both valid: its forms are never the short ones. */
function sameForm([method, ...args], o) {
	if (method === 'disconnect' && args[1] === undefined)
		return false;	// mqtt-packet always writes a reason code and a Property Length (3.14.2.1 allows neither)
	if (method === 'ack' && args[3] === undefined && (args[2] ?? 0) !== 0)
		return false;	// mqtt-packet writes a Property Length of 0 after a reason code (3.4.2.1 allows none)
	if (method === 'connect' && (o.password !== undefined && o.username === undefined || o.clientId === '' && !o.clean))
		return false;	// mqtt-packet refuses to write these valid CONNECTs
	const pairs = [args[0]?.properties, args[0]?.will?.properties, ...args].flatMap(a => a && typeof a === 'object' && Array.isArray(a.userProperties) ? [a.userProperties] : []);
	return pairs.every(list => {
		const seen = [];	// mqtt-packet groups the values of one name
		for (const [name] of list) {
			const key = str(name);
			if (seen.includes(key) && seen.at(-1) !== key)
				return false;
			seen.push(key);
		}
		return true;
	});
}

function checkWrite(writer, call) {
	const [method, ...args] = call;
	const bytes = frameBytes(writer[method](...args));
	const packets = mqttPacketParse(bytes);
	assert.equal(packets.length, 1);
	const o = mpObjectOf(call);
	assert.deepEqual(normMp(packets[0]), normMp(o));
	counts.writerToMqttPacket++;
	if (sameForm(call, o)) {
		assert.deepEqual(bytes, generate(o), 'the bytes mqtt-packet writes');
		counts.writerSameBytes++;
	}
	return bytes;
}

const smallBytes = Uint8Array.from({ length: 40 }, (_, i) => (i * 7 + 1) & 0xFF);
const base = { clientId: 'client-5', cleanStart: true, keepalive: 60 };

/** Fixed writer calls, by name: every packet a client sends, with and without properties. */
function fixedWrites() {
	return [
		['CONNECT minimal', ['connect', base]],
		['CONNECT clean start 0, empty client id', ['connect', { ...base, cleanStart: false, clientId: '' }]],
		['CONNECT every property', ['connect', { ...base, properties: { sessionExpiryInterval: 0xFFFFFFFF, receiveMaximum: 20, maximumPacketSize: 4096, topicAliasMaximum: 10, requestResponseInformation: 1, requestProblemInformation: 0, userProperties: [['a', '1'], ['a', '2'], ['é', '😀']], authenticationMethod: 'SCRAM-SHA-1', authenticationData: smallBytes } }]],
		['CONNECT will with every will property', ['connect', { ...base, will: { topic: 'last/will', message: smallBytes, qos: 2, retain: true, properties: { willDelayInterval: 30, payloadFormatIndicator: 1, messageExpiryInterval: 600, contentType: 'text/plain', responseTopic: 'reply/here', correlationData: Uint8Array.of(1, 2, 3), userProperties: [['k', 'v']] } } }]],
		['CONNECT user name and password', ['connect', { ...base, user: 'alice', password: 's3cret' }]],
		['CONNECT password without user name (allowed in 5.0)', ['connect', { ...base, password: Uint8Array.of(0, 255) }]],
		['CONNECT user properties in an order mqtt-packet cannot keep', ['connect', { ...base, properties: { userProperties: [['a', '1'], ['b', '2'], ['a', '3']] } }]],
		['PUBLISH QoS 0 without properties', ['publish', 'a/b', 'hello', 0, false, false, 0]],
		['PUBLISH QoS 1 with every property', ['publish', 'a/b', 'hello', 1, true, false, 7, { payloadFormatIndicator: 1, messageExpiryInterval: 60, contentType: 'application/json', responseTopic: 'r/1', correlationData: smallBytes, topicAlias: 1, userProperties: [['x', 'y']] }]],
		['PUBLISH QoS 2 dup, topic alias set', ['publish', 't/é', smallBytes, 2, false, true, 65535, { topicAlias: 65535 }]],
		['PUBLISH empty topic with a topic alias', ['publish', '', 'x', 0, false, false, 0, { topicAlias: 3 }]],
		['PUBLISH large payload past the inline limit', ['publish', 'big', new Uint8Array(3000).fill(0xA5), 1, false, false, 9, { contentType: 'bin' }]],
		...[PUBACK, PUBREC, PUBREL, PUBCOMP].flatMap(type => [
			[`${CMD[type]} success, short form`, ['ack', type, 1]],
			[`${CMD[type]} with reason code, no properties`, ['ack', type, 2, type === PUBREL || type === PUBCOMP ? 0x92 : 0x80]],
			[`${CMD[type]} with reason string and user properties`, ['ack', type, 65535, 0, { reasonString: 'fine', userProperties: [['a', 'b']] }]],
			[`${CMD[type]} with empty properties`, ['ack', type, 3, 0, {}]],
		]),
		['SUBSCRIBE QoS numbers', ['subscribe', 1, ['a/b', '#'], [0, 2]]],
		['SUBSCRIBE every option, subscription identifier', ['subscribe', 2, ['a/+', 'b/#', 'c', '$share/group/d/+'], [{ qos: 1, noLocal: true, retainAsPublished: true, retainHandling: 2 }, { qos: 2, retainHandling: 1 }, { qos: 0, noLocal: false }, { qos: 1, retainAsPublished: true }], { subscriptionIdentifier: 268435455, userProperties: [['s', 't']] }]],
		['SUBSCRIBE subscription identifier of two bytes', ['subscribe', 3, ['x'], [1], { subscriptionIdentifier: 200 }]],
		['UNSUBSCRIBE', ['unsubscribe', 4, ['a/b', '$share/g/x']]],
		['UNSUBSCRIBE with user properties', ['unsubscribe', 5, ['a'], { userProperties: [['u', 'v']] }]],
		['PINGREQ', ['pingreq']],
		['DISCONNECT normal, short form', ['disconnect']],
		['DISCONNECT with will message, no properties', ['disconnect', 0x04]],
		['DISCONNECT with properties', ['disconnect', 0x00, { sessionExpiryInterval: 3600, reasonString: 'bye', userProperties: [['why', 'sleep']] }]],
		['DISCONNECT error with empty properties', ['disconnect', 0x93, {}]],
		['AUTH continue', ['auth', 0x18, { authenticationMethod: 'SCRAM-SHA-1', authenticationData: smallBytes }]],
		['AUTH re-authenticate with reason string', ['auth', 0x19, { authenticationMethod: 'SCRAM-SHA-1', reasonString: 'again', userProperties: [['n', 'm']] }]],
	];
}

// Byte-identical to mqtt-packet's or parsed by it to the same fields, so: a
// Property Length of 0 when there are no properties [MQTT-2.2.2-1]; the
// fixed-header flags [MQTT-2.1.3-1] (PUBREL, SUBSCRIBE, UNSUBSCRIBE 0010
// [MQTT-3.6.1-1] [MQTT-3.8.1-1] [MQTT-3.10.1-1], AUTH 0000 [MQTT-3.15.1-1]);
// Variable Byte Integers in their fewest bytes [MQTT-1.5.5-1]; no packet id
// at QoS 0 [MQTT-2.2.1-2]; the protocol name "MQTT" [MQTT-3.1.2-1]; will QoS
// and retain 0 without a will [MQTT-3.1.2-13] [MQTT-3.1.2-15]; CONNECT's fields in order
// [MQTT-3.1.3-1] with the client id first [MQTT-3.1.3-3]; the will's fields
// by its flag [MQTT-3.1.2-9] [MQTT-3.1.2-11]; user name and password by
// their flags [MQTT-3.1.2-18] [MQTT-3.1.2-19] [MQTT-3.1.2-20] [MQTT-3.1.2-21];
// the topic first in PUBLISH [MQTT-3.3.2-1]; at least one filter
// [MQTT-3.8.3-2] [MQTT-3.10.3-2]; user properties in their order (checked on
// our own parser below, as mqtt-packet groups them).
test('writer -> mqtt-packet: fixed cases of every packet a client sends', () => {
	const writer = new PacketWriter5();
	writer.setServerLimits(undefined, 65535);
	for (const [name, call] of fixedWrites()) {
		try {
			checkWrite(writer, call);
		}
		catch (error) {
			error.message = `${name}: ${error.message}`;
			throw error;
		}
	}
});

// ---------------------------------------------------------------- generators

const text = (min = 0) => fc.string({ unit: 'binary', minLength: min, maxLength: 10 }).filter(s => !s.includes('\u0000'));
const topicText = text(1).filter(s => !/[+#]/.test(s));
const filterText = fc.constantFrom('a/b', '#', '+', 'a/+/c', 'x/#', '😀/+', '$SYS/#', '$share/g/a/+');
const userProperties = fc.uniqueArray(text(), { maxLength: 3 }).chain(names =>
	// values of one or more characters: mqtt-packet's parser drops a repeated empty value (it tests truthiness)
	fc.tuple(...names.map(name => fc.array(text(1), { minLength: 1, maxLength: 2 }).map(values => values.map(value => [name, value]))))
		.map(groups => groups.flat()));

function valueOf(name, side) {
	switch (name) {
	case 'payloadFormatIndicator': case 'requestProblemInformation': case 'requestResponseInformation': case 'maximumQoS': case 'retainAvailable':
	case 'wildcardSubscriptionAvailable': case 'subscriptionIdentifiersAvailable': case 'sharedSubscriptionAvailable':
		return fc.integer({ min: 0, max: 1 });
	case 'messageExpiryInterval': case 'sessionExpiryInterval': case 'willDelayInterval':
		return fc.oneof(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 0xFFFFFFFF }));
	case 'maximumPacketSize': return fc.integer({ min: 1, max: 0xFFFFFFFF });
	case 'receiveMaximum': return fc.integer({ min: 1, max: 0xFFFF });
	case 'topicAliasMaximum': case 'serverKeepAlive': return fc.integer({ min: 0, max: 0xFFFF });
	case 'topicAlias': return fc.integer({ min: 1, max: 4 });
	case 'subscriptionIdentifier':
		return side === 'server' ? fc.array(fc.integer({ min: 1, max: 268435455 }), { minLength: 1, maxLength: 3 }) : fc.integer({ min: 1, max: 268435455 });
	case 'responseTopic': return topicText;
	case 'correlationData': case 'authenticationData': return fc.uint8Array({ maxLength: 20 });
	case 'userProperties': return userProperties;
	default: return text();	// the other UTF-8 strings
	}
}

/** Properties of a packet of `type` as `side` sends them (our form), or undefined. */
function propertiesOf(type, side) {
	const names = (side === 'client' ? CLIENT_SENDS : SERVER_SENDS)[type];
	return fc.option(fc.subarray(names).chain(chosen => fc.tuple(...chosen.map(name => valueOf(name, side)))
		.map(values => Object.fromEntries(chosen.map((name, i) => [name, values[i]])))), { nil: undefined });
}

const packetId = fc.integer({ min: 1, max: 65535 });
const qos = fc.constantFrom(0, 1, 2);

const clientCall = fc.oneof(
	fc.record({ clientId: text(), cleanStart: fc.boolean(), keepalive: fc.integer({ min: 0, max: 65535 }), properties: propertiesOf(CONNECT, 'client'),
		will: fc.option(fc.record({ topic: topicText, message: fc.uint8Array({ maxLength: 30 }), qos, retain: fc.boolean(), properties: propertiesOf(WILL, 'client') }), { nil: undefined }),
		user: fc.option(text(), { nil: undefined }), password: fc.option(fc.uint8Array({ maxLength: 10 }), { nil: undefined }) })
		.map(fields => {
			if (fields.properties?.authenticationData !== undefined && fields.properties.authenticationMethod === undefined)
				fields.properties.authenticationMethod = 'M';
			return ['connect', fields];
		}),
	fc.tuple(topicText, fc.oneof(text(), fc.uint8Array({ maxLength: 300 })), qos, fc.boolean(), fc.boolean(), packetId, propertiesOf(PUBLISH, 'client'))
		.map(([topic, payload, q, retain, dup, id, properties]) => ['publish', properties?.topicAlias && id % 2 ? '' : topic, payload, q, retain, q ? dup : false, id, properties]),
	fc.tuple(fc.constantFrom(PUBACK, PUBREC, PUBREL, PUBCOMP), packetId, fc.boolean(), propertiesOf(PUBACK, 'client'))
		.map(([type, id, failed, properties]) => ['ack', type, id, failed ? (type >= PUBREL ? 0x92 : 0x97) : 0, properties]),
	fc.tuple(packetId, fc.array(fc.tuple(filterText, qos, fc.boolean(), fc.boolean(), fc.constantFrom(0, 1, 2)), { minLength: 1, maxLength: 4 }), propertiesOf(SUBSCRIBE, 'client'))
		.map(([id, subs, properties]) => ['subscribe', id, subs.map(s => s[0]), subs.map(([filter, q, nl, rap, rh]) => ({ qos: q, noLocal: nl && !filter.startsWith('$share/'), retainAsPublished: rap, retainHandling: rh })), properties]),
	fc.tuple(packetId, fc.array(filterText, { minLength: 1, maxLength: 4 }), propertiesOf(UNSUBSCRIBE, 'client')).map(([id, filters, properties]) => ['unsubscribe', id, filters, properties]),
	fc.constant(['pingreq']),
	fc.tuple(fc.constantFrom(0x00, 0x04, 0x80, 0x81, 0x82, 0x83, 0x90, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99), propertiesOf(DISCONNECT, 'client')).map(([code, properties]) => ['disconnect', code, properties]),
	fc.tuple(fc.constantFrom(0x18, 0x19), propertiesOf(AUTH, 'client')).map(([code, properties]) => ['auth', code, { ...properties, authenticationMethod: properties?.authenticationMethod ?? 'M' }]),
);

test('writer -> mqtt-packet: seeded random packets of every kind a client sends', () => {
	const writer = new PacketWriter5();
	writer.setServerLimits(undefined, 4);
	fc.assert(fc.property(clientCall, call => { checkWrite(writer, call); }), { seed: BASE_SEED, numRuns: 1500 });
});

// ====================================================== 3. mqtt-packet -> our parser

/** mqtt-packet's properties as our parser hands them (in sample.js's plain form). */
function fromMqttPacket(properties) {
	const result = {};
	for (const [name, value] of Object.entries(properties ?? {})) {
		if (value === undefined)
			continue;
		if (name === 'userProperties') {
			const pairs = Object.entries(value).flatMap(([k, v]) => [].concat(v).map(item => [k, item]));
			if (pairs.length)
				result.userProperties = pairs;
		}
		else if (name === 'subscriptionIdentifier')
			result.subscriptionIdentifiers = [].concat(value);
		else if (BOOLEAN.has(name))
			result[name] = value ? 1 : 0;
		else if (Buffer.isBuffer(value) || value instanceof Uint8Array)
			result[name] = { hex: hex(value) };
		else
			result[name] = value;
	}
	return result;
}

/** What our parser must hand out for the mqtt-packet object `o`; `topic`: the topic it stands for (an alias resolved). */
function expectedOf(o, topic = o.topic) {
	const type = TYPE_OF[o.cmd];
	const result = { type, flags: type === PUBREL ? 2 : 0, id: o.messageId ?? 0, reasonCode: o.reasonCode ?? 0, properties: fromMqttPacket(o.properties) };
	if (type === CONNACK)
		Object.assign(result, { sessionPresent: !!o.sessionPresent, legacy: false });
	if (type === PUBLISH)
		Object.assign(result, { flags: (o.dup ? 8 : 0) | (o.qos << 1) | (o.retain ? 1 : 0), id: o.qos ? o.messageId : 0, topic: hex(topic), payload: hex(o.payload) });
	if (type === SUBACK || type === UNSUBACK)
		result.reasonCodes = [...o.granted];
	return result;
}

/**
 * The mqtt-packet objects of a stream and what our parser must hand out,
 * following topic aliases through the stream as a client maps them
 * [MQTT-3.3.2-10]: an empty topic whose alias is not yet mapped gets a topic.
 */
function streamOf(objects) {
	const aliases = new Map();
	const buffers = [], expected = [];
	for (const o of objects) {
		let topic = o.topic;
		if (o.cmd === 'publish') {
			const alias = o.properties?.topicAlias;
			if (topic === '' && !aliases.has(alias))
				o.topic = topic = 'set/by/test';
			if (alias !== undefined && topic !== '')
				aliases.set(alias, topic);
			if (topic === '')
				topic = aliases.get(alias);
		}
		buffers.push(generate(o));
		expected.push(expectedOf(o, topic));
	}
	return { stream: Buffer.concat(buffers), expected };
}

// A piece of input inside a larger, reused buffer, garbage around it, wiped
// once parsed: a parser that kept a view of its input would show.
let scratch = new Uint8Array(4096);
function padded(piece) {
	if (scratch.length < piece.length + 7)
		scratch = new Uint8Array(piece.length * 2 + 7);
	const bytes = scratch.subarray(1, piece.length + 6);
	bytes.fill(0xF0);
	bytes.set(piece, 2);
	return { bytes, start: 2, end: 2 + piece.length };
}

/** Feeds `stream` cut at `cuts` to a new parser; returns the packets (plain form) and the error that ended the stream. */
function parseStream(stream, cuts, parserArgs = [undefined, 65535]) {
	const parser = new PacketParser5(...parserArgs);
	const packets = [];
	let previous = 0;
	try {
		for (const cut of [...cuts, stream.length]) {
			if (cut === previous)
				continue;
			const piece = padded(stream.subarray(previous, cut));
			for (let at = piece.start; at < piece.end;) {
				const next = parser.parse(piece.bytes, at, piece.end);
				assert.ok(next > at && next <= piece.end, `parse(${at}, ${piece.end}) returned ${next}`);
				at = next;
				if (parser.ready)
					packets.push(plain(parser.packet));
			}
			piece.bytes.fill(0xF0);
			previous = cut;
		}
	}
	catch (error) {
		assert.equal(error.constructor, ProtocolError, `${error} must be a ProtocolError`);
		return { packets, error: error.message };
	}
	return { packets, error: undefined };
}

const range = (from, to) => Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);

/** The stream gives the same verdict whole, cut in two at every offset, and one byte at a time. */
function checkStream(stream, expected, error = undefined, parserArgs) {
	const verdict = { packets: expected, error };
	assert.deepEqual(parseStream(stream, [], parserArgs), verdict, 'whole stream');
	for (const cut of range(1, stream.length)) {
		const result = parseStream(stream, [cut], parserArgs);
		if (!util.isDeepStrictEqual(result, verdict))
			assert.deepEqual(result, verdict, `stream cut at ${cut} of ${stream.length}`);
	}
	assert.deepEqual(parseStream(stream, range(1, stream.length), parserArgs), verdict, 'one byte at a time');
	counts.streamsEveryOffset++;
}

function fixedReceived() {
	const o = [];
	// CONNACK: success with every property, refusals with their reason strings [MQTT-3.2.2-6]
	o.push({ cmd: 'connack', sessionPresent: true, reasonCode: 0, properties: { sessionExpiryInterval: 7200, receiveMaximum: 10, maximumQoS: 1, retainAvailable: false, maximumPacketSize: 1024, assignedClientIdentifier: 'auto-1', topicAliasMaximum: 8, reasonString: 'welcome', userProperties: { a: ['1', '2'], b: 'é' }, wildcardSubscriptionAvailable: true, subscriptionIdentifiersAvailable: false, sharedSubscriptionAvailable: true, serverKeepAlive: 30, responseInformation: 'resp/', serverReference: 'other:1883', authenticationMethod: 'SCRAM', authenticationData: Buffer.from([1, 2, 3]) } });
	for (const reasonCode of [0x80, 0x84, 0x86, 0x87, 0x95, 0x9C, 0x9D, 0x9F])
		o.push({ cmd: 'connack', sessionPresent: false, reasonCode, properties: reasonCode === 0x9C ? { serverReference: 'b:1883' } : { reasonString: `refused ${reasonCode}` } });
	o.push({ cmd: 'connack', sessionPresent: false, reasonCode: 0 });
	// PUBLISH, every property, several subscription identifiers [MQTT-3.3.4-4], topic aliases
	o.push({ cmd: 'publish', topic: 'a/b', payload: Buffer.from('hello'), qos: 1, messageId: 5, properties: { payloadFormatIndicator: true, messageExpiryInterval: 99, contentType: 'text/plain', responseTopic: 'reply/to', correlationData: Buffer.from([9, 8]), subscriptionIdentifier: [1, 300, 268435455], userProperties: { z: 'y' }, topicAlias: 2 } });
	o.push({ cmd: 'publish', topic: '', payload: Buffer.from('aliased'), qos: 0, properties: { topicAlias: 2 } });
	o.push({ cmd: 'publish', topic: 'other', payload: Buffer.alloc(0), qos: 2, messageId: 65535, retain: true, dup: true, properties: { topicAlias: 2 } });
	o.push({ cmd: 'publish', topic: '', payload: Buffer.from('remapped'), qos: 1, messageId: 6, properties: { topicAlias: 2 } });
	o.push({ cmd: 'publish', topic: '日本/😀', payload: Buffer.alloc(300, 7), qos: 0 });
	// acknowledgements: remaining length 2 means success [3.4.2.1]
	for (const cmd of ['puback', 'pubrec']) {
		o.push({ cmd, messageId: 1, reasonCode: 0 }, { cmd, messageId: 2, reasonCode: 0x10 }, { cmd, messageId: 3, reasonCode: 0x97, properties: { reasonString: 'quota', userProperties: { q: '1' } } });
	}
	for (const cmd of ['pubrel', 'pubcomp'])
		o.push({ cmd, messageId: 1, reasonCode: 0 }, { cmd, messageId: 65535, reasonCode: 0x92, properties: { reasonString: 'gone' } });
	o.push({ cmd: 'suback', messageId: 7, granted: [0, 1, 2, 0x80, 0x83, 0x87, 0x8F, 0x91, 0x97, 0x9E, 0xA1, 0xA2], properties: { reasonString: 'mixed' } });
	o.push({ cmd: 'suback', messageId: 8, granted: [1] });
	o.push({ cmd: 'unsuback', messageId: 9, granted: [0, 0x11, 0x80, 0x83, 0x87, 0x8F, 0x91], properties: { userProperties: { u: 'v' } } });
	o.push({ cmd: 'pingresp' });
	// DISCONNECT from the server, with its reason and a server reference
	for (const reasonCode of [0x00, 0x8B, 0x8E, 0x9C, 0x9D, 0xA2])
		o.push({ cmd: 'disconnect', reasonCode, properties: reasonCode === 0x9C || reasonCode === 0x9D ? { serverReference: 'elsewhere:8883', reasonString: 'moved' } : { reasonString: `r${reasonCode}` } });
	o.push({ cmd: 'auth', reasonCode: 0x18, properties: { authenticationMethod: 'SCRAM', authenticationData: Buffer.from('challenge') } });
	o.push({ cmd: 'auth', reasonCode: 0x00, properties: { authenticationMethod: 'SCRAM', reasonString: 'ok' } });
	return o;
}

// Our parser decodes every packet a server sends under 5.0 to the fields
// mqtt-packet wrote, in one stream cut anywhere; user properties in order
// [MQTT-3.3.2-18]; several Subscription Identifiers [MQTT-3.3.4-4]; topic
// aliases mapped and remapped [MQTT-3.3.2-10].
test('mqtt-packet -> parser: fixed cases of every packet a client receives, cut at every offset', () => {
	const { stream, expected } = streamOf(fixedReceived());
	checkStream(stream, expected);
	counts.mqttPacketToParser += expected.length;
});

test('parser: the short forms mqtt-packet does not write', () => {
	const cases = [
		['PUBACK reason code without Property Length', '4003000510', { type: PUBACK, flags: 0, id: 5, reasonCode: 0x10, properties: {} }],
		['PUBREL reason code without Property Length', '6203000192', { type: PUBREL, flags: 2, id: 1, reasonCode: 0x92, properties: {} }],
		['DISCONNECT of remaining length 0: normal disconnection', 'e000', { type: DISCONNECT, flags: 0, id: 0, reasonCode: 0, properties: {} }],
		['DISCONNECT of remaining length 1', 'e0018b', { type: DISCONNECT, flags: 0, id: 0, reasonCode: 0x8B, properties: {} }],
		['AUTH of remaining length 0: success', 'f000', { type: AUTH, flags: 0, id: 0, reasonCode: 0, properties: {} }],
		['CONNACK of a 3.1.1 server refusing version 5', '20020001', { type: CONNACK, flags: 0, id: 0, reasonCode: 1, sessionPresent: false, legacy: true, properties: {} }],
	];
	for (const [name, bytes, packet] of cases) {
		const stream = Buffer.from(bytes, 'hex');
		assert.deepEqual(parseStream(stream, []), { packets: [packet], error: undefined }, name);
		checkStream(stream, [packet]);
	}
	// and what our writer writes, our parser reads back (the packets both sides send), user properties in their order
	const writer = new PacketWriter5();
	const frames = [writer.ack(PUBACK, 9, 0x87, { userProperties: [['a', '1'], ['b', '2'], ['a', '3']] }), writer.disconnect(0x98, { reasonString: 'admin' })];
	const { packets } = parseStream(Buffer.concat(frames.map(frameBytes)), []);
	assert.deepEqual(packets.map(p => p.properties), [{ userProperties: [['a', '1'], ['b', '2'], ['a', '3']] }, { reasonString: 'admin' }]);
});

// Topic aliases live as long as the connection [MQTT-3.3.2-7]: `reset`, for
// a new connection, forgets them; within one, an alias up to the client's
// maximum is accepted [MQTT-3.3.2-10] and remapped by a topic sent with it
// (3.3.2.3.4).
test('parser: topic aliases are mapped per connection', () => {
	const parser = new PacketParser5(undefined, 3);
	const feed = o => { const b = generate(o); parser.parse(b, 0, b.length); assert.ok(parser.ready); return Buffer.from(parser.topic).toString(); };
	assert.equal(feed({ cmd: 'publish', topic: 'first', payload: 'x', qos: 0, properties: { topicAlias: 3 } }), 'first');
	assert.equal(feed({ cmd: 'publish', topic: '', payload: 'x', qos: 0, properties: { topicAlias: 3 } }), 'first');
	parser.reset();
	const empty = generate({ cmd: 'publish', topic: '', payload: 'x', qos: 0, properties: { topicAlias: 3 } });
	assert.throws(() => parser.parse(empty, 0, empty.length), /PUBLISH with an empty topic and topic alias 3, which maps no topic yet/);
	parser.reset();
	assert.equal(feed({ cmd: 'publish', topic: 'second', payload: 'x', qos: 0, properties: { topicAlias: 3 } }), 'second');
	assert.equal(feed({ cmd: 'publish', topic: '', payload: 'x', qos: 1, messageId: 1, properties: { topicAlias: 3 } }), 'second');
});

// The parser allocates little: a topic that repeats the previous one is
// handed out again (the same ArrayBuffer, read-only), never a topic of the
// same length with other bytes.
test('parser: a repeated topic is handed out again, another of the same length is not', () => {
	const parser = new PacketParser5();
	const topics = [];
	const stream = Buffer.concat(['a/b', 'a/b', 'a/c', 'a/c', 'é', 'é', 'a/b'].map(topic => generate({ cmd: 'publish', topic, payload: 'x', qos: 0 })));
	for (let at = 0; at < stream.length;) {
		at = parser.parse(stream, at, stream.length);
		topics.push(parser.topic);
	}
	assert.deepEqual(topics.map(t => Buffer.from(t).toString()), ['a/b', 'a/b', 'a/c', 'a/c', 'é', 'é', 'a/b']);
	assert.equal(topics[1], topics[0]);
	assert.notEqual(topics[2], topics[1]);
	assert.equal(topics[3], topics[2]);
	assert.equal(topics[5], topics[4]);
	assert.notEqual(topics[6], topics[0]);
});

const serverObject = fc.oneof(
	fc.tuple(fc.boolean(), fc.constantFrom(0x00, 0x80, 0x85, 0x87, 0x9A, 0x9C), propertiesOf(CONNACK, 'server'))
		.map(([present, reasonCode, properties]) => ({ cmd: 'connack', sessionPresent: reasonCode === 0 && present, reasonCode, properties: toMqttPacket(properties) })),
	fc.tuple(fc.oneof(topicText, fc.constant('')), fc.uint8Array({ maxLength: 120 }), qos, fc.boolean(), fc.boolean(), packetId, propertiesOf(PUBLISH, 'server'))
		.map(([topic, payload, q, retain, dup, id, properties]) => {
			const o = { cmd: 'publish', topic, payload: Buffer.from(payload), qos: q, retain, dup: q ? dup : false, messageId: q ? id : undefined, properties: toMqttPacket(properties) };
			if (topic === '' && o.properties?.topicAlias === undefined)
				o.topic = 'no/alias';
			return o;
		}),
	fc.tuple(fc.constantFrom('puback', 'pubrec', 'pubrel', 'pubcomp'), packetId, fc.boolean(), propertiesOf(PUBACK, 'server'))
		.map(([cmd, id, failed, properties]) => ({ cmd, messageId: id, reasonCode: failed ? (cmd === 'pubrel' || cmd === 'pubcomp' ? 0x92 : 0x91) : 0, properties: toMqttPacket(properties) })),
	fc.tuple(fc.constantFrom('suback', 'unsuback'), packetId, fc.array(fc.constantFrom(0, 0x80, 0x83, 0x87), { minLength: 1, maxLength: 5 }), propertiesOf(SUBACK, 'server'))
		.map(([cmd, id, granted, properties]) => ({ cmd, messageId: id, granted, properties: toMqttPacket(properties) })),
	fc.constant({ cmd: 'pingresp' }),
	fc.tuple(fc.constantFrom(0x00, 0x81, 0x8D, 0x94, 0x9D), propertiesOf(DISCONNECT, 'server')).map(([reasonCode, properties]) => ({ cmd: 'disconnect', reasonCode, properties: toMqttPacket(properties) })),
	fc.tuple(fc.constantFrom(0x00, 0x18), propertiesOf(AUTH, 'server')).map(([reasonCode, properties]) => ({ cmd: 'auth', reasonCode, properties: { ...toMqttPacket(properties), authenticationMethod: properties?.authenticationMethod ?? 'M' } })),
);

test('mqtt-packet -> parser: seeded random streams of what a server sends, cut at every offset', () => {
	fc.assert(fc.property(fc.array(serverObject, { minLength: 1, maxLength: 6 }), objects => {
		const { stream, expected } = streamOf(objects);
		checkStream(stream, expected);
		counts.mqttPacketToParser += expected.length;
	}), { seed: BASE_SEED + 1, numRuns: 250 });
});

// ====================================================== 4. malformed streams

// Each stream is refused with its named ProtocolError, whole, cut at every
// offset and one byte at a time; a valid packet before it is still handed out.
function malformedCases() {
	return [
		// fixed header: types and flags [MQTT-2.1.3-1]
		['reserved type 0', '0000', /reserved type 0 is not a packet/],
		['CONNECT from a server', '100c00044d5154540502003c0000', /a client never receives CONNECT/],
		['SUBSCRIBE from a server', '8206000100000161', /a client never receives SUBSCRIBE/],
		['UNSUBSCRIBE from a server', 'a2050001000000', /a client never receives UNSUBSCRIBE/],
		['PINGREQ from a server', 'c000', /a client never receives PINGREQ/],
		['PUBACK with flags 1 [MQTT-2.1.3-1]', '41020001', /wrong fixed-header flags 0x1 for PUBACK/],
		['PUBREL with flags 0 [MQTT-3.6.1-1]', '60020001', /wrong fixed-header flags 0x0 for PUBREL/],
		['DISCONNECT with flags 1 [MQTT-3.14.1-1]', 'e100', /wrong fixed-header flags 0x1 for DISCONNECT/],
		['AUTH with flags 2 [MQTT-3.15.1-1]', 'f200', /wrong fixed-header flags 0x2 for AUTH/],
		['PUBLISH QoS 3 [MQTT-3.3.1-4]', '36070001610001 00'.replace(' ', ''), /PUBLISH with QoS 3/],
		['PUBLISH QoS 0 with DUP [MQTT-3.3.1-2]', '380400016100', /PUBLISH with QoS 0 and DUP set/],
		// remaining length [MQTT-1.5.5-1]
		['remaining length of five bytes', '30ffffffff7f', /remaining length encoded in more than four bytes/],
		['remaining length not in its fewest bytes [MQTT-1.5.5-1]', 'd08000', /remaining length not encoded in the fewest bytes/],
		['PINGRESP with a body', 'd00100', /PINGRESP with remaining length 1; it must be 0/],
		['PUBACK too short', '400100', /PUBACK with remaining length 1; it must be 2 or more/],
		['SUBACK without room for a code', '9003000100', /SUBACK with remaining length 3; it must be 4 or more/],
		['PUBLISH QoS 1 too short', '3204000161 00'.replace(' ', ''), /PUBLISH with remaining length 4; it must be 5 or more/],
		// CONNACK
		['CONNACK reserved flag bits [MQTT-3.2.2-1]', '2003020000', /CONNACK acknowledge flags 0x2 have reserved bits set/],
		['CONNACK refusal with session present [MQTT-3.2.2-6]', '2003018700', /CONNACK refuses \(Not authorized\) with session present 1/],
		['CONNACK reason code of no table [MQTT-3.2.2-8]', '2003000500', /CONNACK reason code 0x5 .* is not one a server may send in CONNACK/],
		['CONNACK reason code of another packet', '2003001100', /CONNACK reason code 0x11 \(No subscription existed\) is not one/],
		['CONNACK of remaining length 2 that is no 3.1.1 refusal', '20020000', /CONNACK of remaining length 2 is neither MQTT 5 nor a 3.1.1 refusal/],
		['CONNACK with bytes after its properties', '200400000000', /CONNACK has 1 bytes after its properties/],
		['CONNACK property length past the packet', '2003000005', /CONNACK property length 5 runs past the packet/],
		['CONNACK property length of five bytes', '20070000ffffffff7f', /CONNACK property length encoded in more than four bytes/],
		['CONNACK property length not in its fewest bytes [MQTT-1.5.5-1]', '2004000080 00'.replace(' ', ''), /CONNACK property length not encoded in the fewest bytes/],
		// properties
		['unknown property 0x05', '20050000020500', /CONNACK carries unknown property 0x5/],
		['a property a server may not send in CONNACK (topic alias)', '2006000003230001', /CONNACK carries property topicAlias, which a server may not send in CONNACK/],
		['Session Expiry Interval in a server DISCONNECT [MQTT-3.14.2-2]', 'e00700051100000001', /DISCONNECT carries property sessionExpiryInterval, which a server may not send/],
		['Subscription Identifier in SUBACK', '90060001020b0100', /SUBACK carries property subscriptionIdentifier, which a server may not send/],
		['Maximum QoS twice', '200700000424002400', /CONNACK carries property maximumQoS more than once/],
		['Reason String twice', '200b0000081f0001611f000162', /CONNACK carries property reasonString more than once/],
		['Maximum QoS 2', '2005000002 2402'.replace(' ', ''), /CONNACK property maximumQoS is 2; it must be 0..1/],
		['Retain Available 2', '20050000022502', /CONNACK property retainAvailable is 2; it must be 0..1/],
		['Receive Maximum 0', '2006000003210000', /CONNACK property receiveMaximum is 0; it must be 1..65535/],
		['Maximum Packet Size 0', '200800000527 00000000'.replace(' ', ''), /CONNACK property maximumPacketSize is 0; it must be 1\.\.4294967295/],
		['Payload Format Indicator 2', '3006000161020102', /PUBLISH property payloadFormatIndicator is 2; it must be 0..1/],
		['Subscription Identifier 0', '3006000161020b00', /PUBLISH property subscriptionIdentifier is 0; it must be 1\.\.268435455/],
		['Subscription Identifier not in its fewest bytes [MQTT-1.5.5-1]', '3007000161030b8000', /PUBLISH property subscriptionIdentifier not encoded in the fewest bytes/],
		['Server Keep Alive cut short', '2006000003130001'.slice(0, 14).replace(/^200600/, '200500').replace(/0003/, '0002'), /CONNACK property serverKeepAlive runs past the properties/],
		['Reason String past the properties', '20070000041f000561', /CONNACK property reasonString runs past the properties/],
		['Reason String not UTF-8 [MQTT-1.5.4-1]', '20080000051f0002c328', /CONNACK property reasonString is not well-formed UTF-8/],
		['Reason String with U+0000 [MQTT-1.5.4-2]', '20070000041f000100', /CONNACK property reasonString contains U\+0000/],
		['Reason String with a surrogate [MQTT-1.5.4-1]', '20090000061f0003eda080', /CONNACK property reasonString is not well-formed UTF-8/],
		['user property name not UTF-8 [MQTT-1.5.7-1]', '200a0000072600 01ff000161'.replace(' ', ''), /CONNACK user property name is not well-formed UTF-8/],
		['user property value with U+0000 [MQTT-1.5.7-1]', '200a00000726000161000100'.replace(/0a/, '0a'), /CONNACK user property value contains U\+0000/],
		['user property value past the properties', '20090000062600016100 05'.replace(' ', ''), /CONNACK user property value runs past the properties/],
		['Response Topic with a wildcard [MQTT-3.3.2-14]', '3008000161040800012b', /PUBLISH property responseTopic contains a wildcard/],
		// PUBLISH
		['PUBLISH topic length past the packet', '3005000961 0000'.replace(' ', ''), /PUBLISH topic length 9 runs past the packet/],
		['PUBLISH topic not UTF-8 [MQTT-3.3.2-1]', '30050002c32800', /PUBLISH topic is not well-formed UTF-8/],
		['PUBLISH topic with U+0000 [MQTT-4.7.3-2]', '300400010000', /PUBLISH topic contains U\+0000/],
		['PUBLISH topic with a wildcard [MQTT-3.3.2-2]', '300600032f2b2f00', /PUBLISH topic contains a wildcard/],
		['PUBLISH packet id 0', '32060001610000 00'.replace(' ', ''), /PUBLISH with packet id 0/],
		['PUBLISH empty topic without a topic alias', '3003000000', /PUBLISH with an empty topic and no topic alias/],
		['PUBLISH empty topic with an alias never mapped', '300600000323 0001'.replace(' ', ''), /PUBLISH with an empty topic and topic alias 1, which maps no topic yet/],
		['PUBLISH topic alias 0 [MQTT-3.3.2-8]', '3007000161032300 00'.replace(' ', ''), /PUBLISH property topicAlias is 0; it must be 1..65535/],
		['PUBLISH topic alias past the client\'s maximum [MQTT-3.1.2-29]', '30070001610323 0009'.replace(' ', ''), /PUBLISH topic alias 9 exceeds the client's Topic Alias Maximum of 8/],
		['PUBLISH property length past the packet', '3004000161 09'.replace(' ', ''), /PUBLISH property length 9 runs past the packet/],
		// acknowledgements and the rest
		['PUBACK packet id 0', '40020000', /PUBACK with packet id 0/],
		['PUBACK reason code of PUBREL [MQTT-3.4.2-1]', '4003000192', /PUBACK reason code 0x92 \(Packet Identifier not found\) is not one a server may send in PUBACK/],
		['PUBREC reason code 0x04 [MQTT-3.5.2-1]', '5003000104', /PUBREC reason code 0x4 .* is not one/],
		['PUBREL reason code 0x10 [MQTT-3.6.2-1]', '6203000110', /PUBREL reason code 0x10 \(No matching subscribers\) is not one/],
		['PUBCOMP with bytes after its properties', '70050001000000', /PUBCOMP has 1 bytes after its properties/],
		['SUBACK reason code 0x03 [MQTT-3.9.3-2]', '9004000100 03'.replace(' ', ''), /SUBACK reason code 0x3 .* is not one a server may send in SUBACK/],
		['SUBACK without a reason code', '90060001031f0000', /SUBACK without a reason code/],
		['UNSUBACK reason code 0x01 [MQTT-3.11.3-2]', 'b004000100 01'.replace(' ', ''), /UNSUBACK reason code 0x1 \(Granted QoS 1\) is not one/],
		['UNSUBACK packet id 0', 'b004000000 00'.replace(' ', ''), /UNSUBACK with packet id 0/],
		['DISCONNECT with a client\'s reason 0x04 [MQTT-3.14.2-1]', 'e00104', /DISCONNECT reason code 0x4 \(Disconnect with Will Message\) is not one a server may send/],
		['DISCONNECT with a CONNACK reason 0x84', 'e00184', /DISCONNECT reason code 0x84 \(Unsupported Protocol Version\) is not one/],
		['AUTH with a client\'s reason 0x19 [MQTT-3.15.2-1]', 'f0021900', /AUTH reason code 0x19 \(Re-authenticate\) is not one a server may send in AUTH/],
		['AUTH without an Authentication Method', 'f0021800', /AUTH without the property authenticationMethod/],
	];
}

test('parser: malformed streams are refused with their named ProtocolError, however they are cut', () => {
	const valid = generate({ cmd: 'puback', messageId: 77, reasonCode: 0 });
	const before = { type: PUBACK, flags: 0, id: 77, reasonCode: 0, properties: {} };
	let count = 0;
	for (const [name, bytes, pattern] of malformedCases()) {
		const bad = Buffer.from(bytes, 'hex');
		const whole = parseStream(bad, [], [undefined, 8]);
		assert.ok(whole.error !== undefined, `${name}: refused (${bytes})`);
		assert.match(whole.error, pattern, name);
		assert.match(whole.error, /^protocol error: /, name);
		try {
			checkStream(Buffer.concat([valid, bad]), [before], whole.error, [undefined, 8]);
		}
		catch (error) {
			error.message = `${name}: ${error.message}`;
			throw error;
		}
		count++;
	}
	assert.ok(count >= 70, `${count} malformed streams`);
});

// The client's Maximum Packet Size [MQTT-3.1.2-27]: refused as soon as the
// length is known, before the body arrives.
test('parser: a packet past the client\'s Maximum Packet Size is refused from its header', () => {
	const publishOf = size => [6, 7].filter(header => header <= size).map(header => generate({ cmd: 'publish', topic: 't', payload: Buffer.alloc(size - header), qos: 0 })).find(p => p.length === size);
	for (const size of [6, 10, 200, 300]) {
		const fits = publishOf(size);
		const parser = new PacketParser5(size);
		assert.equal(parser.parse(fits, 0, fits.length), size);
		const over = publishOf(size + 1);
		assert.throws(() => new PacketParser5(size).parse(over, 0, 4), new RegExp(`PUBLISH of ${size + 1} bytes exceeds the client's Maximum Packet Size of ${size}`));
	}
});

// ====================================================== 5. bad writer arguments

function expectError(fn, Class, pattern, label) {
	let thrown;
	try {
		fn();
	}
	catch (error) {
		thrown = error;
	}
	assert.ok(thrown !== undefined, `${label}: must throw`);
	assert.equal(thrown.constructor, Class, `${label}: ${thrown} must be a ${Class.name}`);
	assert.match(thrown.message, pattern, label);
}

/** [name, call on a writer whose server allows topic aliases up to 4, error class, message]. */
function badArgumentCases() {
	const will = { topic: 'w', message: 'bye', qos: 1, retain: false };
	const connect = (fields) => w => w.connect({ ...base, ...fields });
	return [
		// properties in general: an object of known names, each where a client may send it (section 3)
		['connect: properties an array', connect({ properties: [] }), TypeError, /^CONNECT properties must be an object$/],
		['connect: unknown property', connect({ properties: { sessionExpiry: 1 } }), TypeError, /^CONNECT property sessionExpiry is not an MQTT 5 property$/],
		['connect: topicAlias in CONNECT', connect({ properties: { topicAlias: 1 } }), TypeError, /^CONNECT property topicAlias may not be sent by a client in CONNECT$/],
		['connect: a server\'s property (assignedClientIdentifier)', connect({ properties: { assignedClientIdentifier: 'x' } }), TypeError, /^CONNECT property assignedClientIdentifier is not an MQTT 5 property$|may not be sent/],
		['connect: will carrying sessionExpiryInterval', connect({ will: { ...will, properties: { sessionExpiryInterval: 1 } } }), TypeError, /^will property sessionExpiryInterval may not be sent by a client in will$/],
		['publish: subscriptionIdentifier from a client [MQTT-3.3.4-6]', w => w.publish('t', 'x', 0, false, false, 0, { subscriptionIdentifier: 1 }), TypeError, /^PUBLISH property subscriptionIdentifier may not be sent by a client in PUBLISH$/],
		['disconnect: serverReference from a client', w => w.disconnect(0, { serverReference: 'x' }), TypeError, /may not be sent by a client in DISCONNECT$/],
		['ack: sessionExpiryInterval in PUBACK', w => w.ack(PUBACK, 1, 0, { sessionExpiryInterval: 1 }), TypeError, /^PUBACK property sessionExpiryInterval may not be sent/],
		['unsubscribe: subscriptionIdentifier in UNSUBSCRIBE', w => w.unsubscribe(1, ['a'], { subscriptionIdentifier: 1 }), TypeError, /^UNSUBSCRIBE property subscriptionIdentifier may not be sent/],
		// values in range
		['connect: receiveMaximum 0', connect({ properties: { receiveMaximum: 0 } }), RangeError, /^CONNECT property receiveMaximum must be an integer 1\.\.65535, not 0$/],
		['connect: receiveMaximum 65536', connect({ properties: { receiveMaximum: 65536 } }), RangeError, /^CONNECT property receiveMaximum must be an integer 1\.\.65535, not 65536$/],
		['connect: maximumPacketSize 0', connect({ properties: { maximumPacketSize: 0 } }), RangeError, /^CONNECT property maximumPacketSize must be an integer 1\.\.4294967295, not 0$/],
		['connect: sessionExpiryInterval 2**32', connect({ properties: { sessionExpiryInterval: 2 ** 32 } }), RangeError, /^CONNECT property sessionExpiryInterval must be an integer 0\.\.4294967295/],
		['connect: sessionExpiryInterval "1"', connect({ properties: { sessionExpiryInterval: '1' } }), RangeError, /^CONNECT property sessionExpiryInterval must be an integer .*not "1"$/],
		['connect: requestProblemInformation 2', connect({ properties: { requestProblemInformation: 2 } }), RangeError, /^CONNECT property requestProblemInformation must be an integer 0\.\.1, not 2$/],
		['connect: requestResponseInformation true', connect({ properties: { requestResponseInformation: true } }), RangeError, /^CONNECT property requestResponseInformation must be an integer 0\.\.1, not true$/],
		['connect: topicAliasMaximum 1.5', connect({ properties: { topicAliasMaximum: 1.5 } }), RangeError, /^CONNECT property topicAliasMaximum must be an integer 0\.\.65535/],
		['connect: authenticationData without authenticationMethod', connect({ properties: { authenticationData: Uint8Array.of(1) } }), TypeError, /^CONNECT property authenticationData given without authenticationMethod$/],
		['connect: authenticationMethod a number', connect({ properties: { authenticationMethod: 5 } }), TypeError, /^CONNECT property authenticationMethod must be a string or binary data$/],
		['will: payloadFormatIndicator 2', connect({ will: { ...will, properties: { payloadFormatIndicator: 2 } } }), RangeError, /^will property payloadFormatIndicator must be an integer 0\.\.1, not 2$/],
		['will: contentType not UTF-8 [MQTT-3.3.2-19]', connect({ will: { ...will, properties: { contentType: Uint8Array.of(0xC3) } } }), TypeError, /^will property contentType is not well-formed UTF-8$/],
		['will: responseTopic with a wildcard [MQTT-3.3.2-14]', connect({ will: { ...will, properties: { responseTopic: 'a/#' } } }), TypeError, /^will property responseTopic contains a wildcard/],
		['will: correlationData a number', connect({ will: { ...will, properties: { correlationData: 7 } } }), TypeError, /^will property correlationData must be a string or binary data$/],
		['publish: messageExpiryInterval -1', w => w.publish('t', 'x', 0, false, false, 0, { messageExpiryInterval: -1 }), RangeError, /^PUBLISH property messageExpiryInterval must be an integer 0\.\.4294967295, not -1$/],
		['publish: responseTopic with U+0000 [MQTT-3.3.2-13]', w => w.publish('t', 'x', 0, false, false, 0, { responseTopic: 'a\u0000' }), TypeError, /^PUBLISH property responseTopic contains U\+0000$/],
		['publish: contentType with a lone surrogate [MQTT-3.3.2-19]', w => w.publish('t', 'x', 0, false, false, 0, { contentType: '\uD800' }), TypeError, /^PUBLISH property contentType is not well-formed UTF-8$/],
		['publish: reasonString of 65,536 bytes', w => w.ack(PUBACK, 1, 0, { reasonString: 'r'.repeat(65536) }), RangeError, /^PUBACK property reasonString is 65536 bytes long; the limit is 65535$/],
		// user properties: [name, value] pairs of UTF-8 strings [MQTT-1.5.7-1]
		['connect: userProperties an object', connect({ properties: { userProperties: { a: 'b' } } }), TypeError, /^CONNECT property userProperties must be an array of \[name, value\] pairs$/],
		['connect: a user property of one string', connect({ properties: { userProperties: [['a']] } }), TypeError, /^CONNECT property userProperties\[0\] must be a \[name, value\] pair$/],
		['publish: a user property name with U+0000', w => w.publish('t', 'x', 0, false, false, 0, { userProperties: [['ok', 'ok'], ['a\u0000', 'b']] }), TypeError, /^PUBLISH user property name contains U\+0000$/],
		['publish: a user property value not UTF-8', w => w.publish('t', 'x', 0, false, false, 0, { userProperties: [['a', Uint8Array.of(0xFF)]] }), TypeError, /^PUBLISH user property value is not well-formed UTF-8$/],
		['subscribe: a user property value a number', w => w.subscribe(1, ['a'], [0], { userProperties: [['a', 1]] }), TypeError, /^SUBSCRIBE user property value must be a string or binary data$/],
		// topic aliases [MQTT-3.3.2-8] [MQTT-3.3.2-9] [MQTT-3.2.2-17]
		['publish: topicAlias 0 [MQTT-3.3.2-8]', w => w.publish('t', 'x', 0, false, false, 0, { topicAlias: 0 }), RangeError, /^PUBLISH property topicAlias must be an integer 1\.\.65535, not 0$/],
		['publish: topicAlias past the server\'s maximum [MQTT-3.2.2-17] [MQTT-3.3.2-9]', w => w.publish('t', 'x', 0, false, false, 0, { topicAlias: 5 }), RangeError, /^PUBLISH property topicAlias 5 exceeds the server's Topic Alias Maximum of 4 \(MQTT-3\.3\.2-9\)$/],
		['publish: empty topic without an alias [MQTT-4.7.3-1]', w => w.publish('', 'x', 0, false, false, 0), TypeError, /^topic is empty$/],
		['publish: empty topic with properties but no alias', w => w.publish('', 'x', 0, false, false, 0, { contentType: 'c' }), TypeError, /^topic is empty$/],
		['publish: QoS 0 with dup [MQTT-3.3.1-2]', w => w.publish('t', 'x', 0, false, true, 0), TypeError, /^dup must be false for QoS 0/],
		['publish: topic with a wildcard [MQTT-3.3.2-2] [MQTT-4.7.0-1]', w => w.publish('a/+', 'x', 1, false, false, 1), TypeError, /^topic contains a wildcard/],
		['publish: topic with U+0000 [MQTT-4.7.3-2]', w => w.publish('a\u0000', 'x', 0, false, false, 0), TypeError, /^topic contains U\+0000$/],
		['publish: topic of 65,536 bytes [MQTT-4.7.3-3]', w => w.publish('t'.repeat(65536), 'x', 0, false, false, 0), RangeError, /^topic is 65536 bytes long; the limit is 65535$/],
		['publish: QoS 3 [MQTT-3.3.1-4]', w => w.publish('t', 'x', 3, false, false, 1), RangeError, /^QoS must be 0, 1 or 2, not 3$/],
		['publish: packet id 0', w => w.publish('t', 'x', 1, false, false, 0), RangeError, /^packet id must be an integer 1\.\.65535/],
		['publish: payload a number', w => w.publish('t', 5, 0, false, false, 0), TypeError, /^message must be a string or binary data$/],
		// CONNECT fields
		['connect: keepalive 65536', connect({ keepalive: 65536 }), RangeError, /^keepalive must be an integer 0\.\.65535 seconds/],
		['connect: client id a number', connect({ clientId: 5 }), TypeError, /^client id must be a string or binary data$/],
		['connect: client id with U+0000 [MQTT-1.5.4-2] [MQTT-3.1.3-4]', connect({ clientId: 'a\u0000' }), TypeError, /^client id contains U\+0000$/],
		['connect: user name not UTF-8 [MQTT-3.1.3-10]', connect({ user: Uint8Array.of(0xFF) }), TypeError, /^user name is not well-formed UTF-8$/],
		['connect: will QoS 3 [MQTT-3.1.2-14]', connect({ will: { ...will, qos: 3 } }), RangeError, /^will QoS must be 0, 1 or 2, not 3$/],
		['connect: will topic empty', connect({ will: { ...will, topic: '' } }), TypeError, /^will topic is empty$/],
		['connect: will topic not UTF-8 [MQTT-3.1.3-9]', connect({ will: { ...will, topic: Uint8Array.of(0x61, 0xFF) } }), TypeError, /^will topic is not well-formed UTF-8$/],
		['connect: will topic with #', connect({ will: { ...will, topic: 'a/#' } }), TypeError, /^will topic contains a wildcard/],
		// acknowledgements, DISCONNECT, AUTH: reason codes a client may send [MQTT-3.4.2-1] [MQTT-3.5.2-1] [MQTT-3.6.2-1] [MQTT-3.7.2-1] [MQTT-3.14.2-1] [MQTT-3.15.2-1]
		['ack: type PUBLISH', w => w.ack(PUBLISH, 1), RangeError, /^ack type must be PUBACK, PUBREC, PUBREL or PUBCOMP \(4\.\.7\), not 3$/],
		['ack: packet id 65536', w => w.ack(PUBACK, 65536), RangeError, /^packet id must be an integer 1\.\.65535/],
		['ack: PUBACK 0x10, which only a server sends [MQTT-3.4.2-1]', w => w.ack(PUBACK, 1, 0x10), RangeError, /^PUBACK reason code 0x10 \(No matching subscribers\) is not one a client may send in it$/],
		['ack: PUBREL 0x80 [MQTT-3.6.2-1]', w => w.ack(PUBREL, 1, 0x80), RangeError, /^PUBREL reason code 0x80 \(Unspecified error\) is not one a client may send in it$/],
		['ack: PUBCOMP 0x97 [MQTT-3.7.2-1]', w => w.ack(PUBCOMP, 1, 0x97), RangeError, /^PUBCOMP reason code 0x97 \(Quota exceeded\) is not one/],
		['ack: PUBREC reason code "0" [MQTT-3.5.2-1]', w => w.ack(PUBREC, 1, '0'), RangeError, /^PUBREC reason code "0" is not one/],
		['disconnect: 0x8E, which only a server sends [MQTT-3.14.2-1]', w => w.disconnect(0x8E), RangeError, /^DISCONNECT reason code 0x8e \(Session taken over\) is not one a client may send in it$/],
		['disconnect: 0x300', w => w.disconnect(0x300), RangeError, /^DISCONNECT reason code 0x300 \(unknown reason code 768\) is not one/],
		['auth: reason 0x00 from a client [MQTT-3.15.2-1]', w => w.auth(0x00, { authenticationMethod: 'M' }), RangeError, /^AUTH reason code 0x0 \(Success\) is not one a client may send in it$/],
		['auth: without authenticationMethod', w => w.auth(0x18, { authenticationData: Uint8Array.of(1) }), TypeError, /^AUTH needs the property authenticationMethod$/],
		['auth: without properties', w => w.auth(0x19), TypeError, /^AUTH needs the property authenticationMethod$/],
		// SUBSCRIBE: options [MQTT-3.8.3-4] [MQTT-3.8.3-5], shared subscriptions [MQTT-4.8.2-1] [MQTT-4.8.2-2], identifiers
		['subscribe: retainHandling 3', w => w.subscribe(1, ['a'], [{ qos: 0, retainHandling: 3 }]), RangeError, /^retainHandling must be 0, 1 or 2, not 3$/],
		['subscribe: noLocal "yes"', w => w.subscribe(1, ['a'], [{ qos: 0, noLocal: 'yes' }]), TypeError, /^noLocal must be a boolean, not "yes"$/],
		['subscribe: retainAsPublished 1', w => w.subscribe(1, ['a'], [{ qos: 0, retainAsPublished: 1 }]), TypeError, /^retainAsPublished must be a boolean, not 1$/],
		['subscribe: options QoS 3', w => w.subscribe(1, ['a'], [{ qos: 3 }]), RangeError, /^QoS must be 0, 1 or 2, not 3$/],
		['subscribe: noLocal on a shared subscription [MQTT-3.8.3-4]', w => w.subscribe(1, ['$share/g/a'], [{ qos: 1, noLocal: true }]), TypeError, /^noLocal may not be set on a shared subscription \(MQTT-3\.8\.3-4\)$/],
		['subscribe: $share with an empty share name [MQTT-4.8.2-1]', w => w.subscribe(1, ['$share//a'], [0]), TypeError, /^topic filter \$share\/ needs a share name/],
		['subscribe: $share with + in its share name [MQTT-4.8.2-2]', w => w.subscribe(1, ['$share/+/a'], [0]), TypeError, /^topic filter \$share\/ needs a share name/],
		['subscribe: $share without a filter [MQTT-4.8.2-2]', w => w.subscribe(1, ['$share/g'], [0]), TypeError, /^topic filter \$share\/\{name\}\/ must be followed by a topic filter/],
		['subscribe: $share/g/ with an empty filter', w => w.subscribe(1, ['$share/g/'], [0]), TypeError, /^topic filter \$share\/\{name\}\/ must be followed by a topic filter/],
		['subscribe: subscriptionIdentifier 0', w => w.subscribe(1, ['a'], [0], { subscriptionIdentifier: 0 }), RangeError, /^SUBSCRIBE property subscriptionIdentifier must be an integer 1\.\.268435455, not 0$/],
		['subscribe: subscriptionIdentifier 268,435,456', w => w.subscribe(1, ['a'], [0], { subscriptionIdentifier: 268435456 }), RangeError, /^SUBSCRIBE property subscriptionIdentifier must be an integer 1\.\.268435455/],
		['subscribe: fewer options than filters', w => w.subscribe(1, ['a', 'b'], [0]), TypeError, /^subscribe needs one QoS or options object per topic filter$/],
		['subscribe: no filters [MQTT-3.8.3-2]', w => w.subscribe(1, [], []), TypeError, /^subscribe needs at least one topic filter$/],
		['subscribe: filter a# [MQTT-4.7.1-1]', w => w.subscribe(1, ['a#'], [0]), TypeError, /^topic filter wildcard # must fill a whole level$/],
		['subscribe: filter a+ [MQTT-4.7.1-2]', w => w.subscribe(1, ['a+'], [0]), TypeError, /^topic filter wildcard \+ must fill a whole level$/],
		['subscribe: filter not UTF-8 [MQTT-3.8.3-1]', w => w.subscribe(1, [Uint8Array.of(0x61, 0xFF)], [0]), TypeError, /^topic filter is not well-formed UTF-8$/],
		['unsubscribe: filter not UTF-8 [MQTT-3.10.3-1]', w => w.unsubscribe(1, [Uint8Array.of(0xED, 0xA0, 0x80)]), TypeError, /^topic filter is not well-formed UTF-8$/],
		['unsubscribe: no filters [MQTT-3.10.3-2]', w => w.unsubscribe(1, []), TypeError, /^unsubscribe needs at least one topic filter$/],
		['unsubscribe: empty filter [MQTT-4.7.3-1]', w => w.unsubscribe(1, ['']), TypeError, /^topic filter is empty$/],
		// the server's limits
		['setServerLimits: maximumPacketSize 0', w => w.setServerLimits(0, 0), RangeError, /^maximumPacketSize must be a positive integer, not 0$/],
		['setServerLimits: topicAliasMaximum 65536', w => w.setServerLimits(undefined, 65536), RangeError, /^topicAliasMaximum must be an integer 0\.\.65535, not 65536$/],
	];
}

test('writer: bad arguments yield their named errors before any byte, and leave the writer working', () => {
	const writer = new PacketWriter5();
	writer.setServerLimits(undefined, 4);
	let count = 0;
	for (const [name, call, Class, pattern] of badArgumentCases()) {
		expectError(() => call(writer), Class, pattern, name);
		checkWrite(writer, ['publish', 'after', 'ok', 1, false, false, 3, { topicAlias: 4, userProperties: [['a', 'b']] }]);
		count++;
	}
	assert.ok(count >= 70, `${count} cases`);
});

// The server's Maximum Packet Size [MQTT-3.2.2-15]: a packet larger is
// refused before any byte; an acknowledgement, DISCONNECT or AUTH leaves out
// its reason string, then its user properties, to fit [MQTT-3.4.2-2]
// [MQTT-3.4.2-3] [MQTT-3.5.2-2] [MQTT-3.5.2-3] [MQTT-3.6.2-2] [MQTT-3.6.2-3]
// [MQTT-3.7.2-2] [MQTT-3.7.2-3] [MQTT-3.14.2-3] [MQTT-3.14.2-4] [MQTT-3.15.2-2].
test('writer: the server\'s Maximum Packet Size', () => {
	const writer = new PacketWriter5();
	writer.setServerLimits(40, 0);
	assert.equal(writer.maximumPacketSize, 40);
	const exactly = writer.publish('t', new Uint8Array(40 - 6), 0, false, false, 0);
	assert.equal(frameBytes(exactly).length, 40);
	expectError(() => writer.publish('t', new Uint8Array(40 - 5), 0, false, false, 0), RangeError, /^PUBLISH of 41 bytes exceeds the server's Maximum Packet Size of 40 \(MQTT-3\.2\.2-15\)$/, 'one byte over');
	expectError(() => writer.subscribe(1, ['f'.repeat(40)], [0]), RangeError, /^SUBSCRIBE of \d+ bytes exceeds the server's Maximum Packet Size of 40/, 'SUBSCRIBE');
	const reason = 'r'.repeat(30), pairs = [['k', 'v'.repeat(30)]];
	const cases = [
		['PUBACK keeps what fits', () => writer.ack(PUBACK, 1, 0x80, { reasonString: 'short', userProperties: [['a', 'b']] }), { reasonString: 'short', userProperties: { a: 'b' } }],
		['PUBACK drops its reason string', () => writer.ack(PUBACK, 1, 0x80, { reasonString: reason, userProperties: [['a', 'b']] }), { userProperties: { a: 'b' } }],
		['PUBREL drops both', () => writer.ack(PUBREL, 1, 0x92, { reasonString: reason, userProperties: pairs }), undefined],
		['PUBREC drops its reason string', () => writer.ack(PUBREC, 1, 0x80, { reasonString: reason + reason }), {}],
		['PUBCOMP drops its user properties', () => writer.ack(PUBCOMP, 1, 0x92, { userProperties: pairs }), {}],
		['DISCONNECT drops its reason string, then its user properties, and keeps the rest', () => writer.disconnect(0x04, { sessionExpiryInterval: 5, reasonString: 'bye', userProperties: pairs }), { sessionExpiryInterval: 5 }],
		['AUTH drops its reason string', () => writer.auth(0x18, { authenticationMethod: 'M', reasonString: reason }), { authenticationMethod: 'M' }],
	];
	for (const [name, write, properties] of cases) {
		const bytes = frameBytes(write());
		assert.ok(bytes.length <= 40, `${name}: ${bytes.length} bytes`);
		assert.deepEqual(normProps(mqttPacketParse(bytes)[0].properties), normProps(properties), name);
	}
	expectError(() => writer.auth(0x18, { authenticationMethod: 'M', authenticationData: new Uint8Array(40) }), RangeError, /^AUTH of \d+ bytes exceeds the server's Maximum Packet Size of 40/, 'AUTH data does not drop');
	// a new connection's limits replace the old ones
	writer.setServerLimits(undefined, undefined);
	assert.equal(writer.topicAliasMaximum, 0);
	assert.equal(frameBytes(writer.publish('t', new Uint8Array(1000), 0, false, false, 0)).length, 1007);
	expectError(() => writer.publish('t', 'x', 0, false, false, 0, { topicAlias: 1 }), RangeError, /Topic Alias Maximum of 0/, 'no alias after the limits are gone [MQTT-3.2.2-18]');
});

// ====================================================== 6. the same on XS

/** A writer call as JSON: binary arguments as {hex}. */
function jsonOf(value) {
	if (value instanceof Uint8Array)
		return { hex: hex(value) };
	if (Array.isArray(value))
		return value.map(jsonOf);
	if (value && typeof value === 'object')
		return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, jsonOf(v)]));
	return value;
}

// The codec is proven on the engine it runs on: the xsnap host loads it as
// an app asking for version 5 does (manifest_mqtt5.json, its modules
// preloaded), writes every fixed packet and a sample of bad calls, and
// parses the fixed stream, random streams and every malformed one, cut in
// pieces; it must answer byte for byte and error for error as on Node,
// whose answers the tests above hold to mqtt-packet. With the SDK, mcsim's
// runner app (which includes manifest_mqtt5.json) must answer the same.
function engineSample() {
	const writes = fixedWrites().map(([, call]) => jsonOf(call));
	writes.push(
		['connect', { ...base, properties: { receiveMaximum: 0 } }],
		['connect', { ...base, properties: { sessionExpiry: 1 } }],
		['publish', 't', 'x', 0, false, false, 0, { topicAlias: 70000 }],
		['publish', 't', 'x', 0, false, false, 0, { subscriptionIdentifier: 1 }],
		['publish', 't', 'x', 0, false, false, 0, { userProperties: [['a\u0000', 'b']] }],
		['publish', 't', 'x', 0, false, false, 0, { contentType: { hex: 'c3' } }],
		['publish', '', 'x', 0, false, false, 0],
		['ack', PUBACK, 1, 0x10],
		['subscribe', 1, ['$share/g/a'], [{ qos: 1, noLocal: true }]],
		['subscribe', 1, ['a'], [0], { subscriptionIdentifier: 0 }],
		['auth', 0x18, { authenticationData: { hex: '01' } }],
		['disconnect', 0x04, { reasonString: 'r'.repeat(6000), userProperties: [['k', 'v']] }],
	);
	const { stream } = streamOf(fixedReceived());
	const random = fc.sample(fc.array(serverObject, { minLength: 1, maxLength: 5 }), { seed: BASE_SEED + 2, numRuns: 20 }).map(objects => streamOf(objects).stream);
	const valid = generate({ cmd: 'puback', messageId: 77, reasonCode: 0 });
	const malformed = malformedCases().map(([, bytes]) => Buffer.concat([valid, Buffer.from(bytes, 'hex')]));
	const streams = [
		{ hex: stream.toString('hex'), topicAliasMaximum: 65535 },
		{ hex: stream.toString('hex'), cuts: range(1, stream.length), topicAliasMaximum: 65535 },
		...random.map(s => ({ hex: s.toString('hex'), cuts: [1, s.length >> 1, s.length - 1], topicAliasMaximum: 65535 })),
		...malformed.map(s => ({ hex: s.toString('hex'), cuts: range(1, s.length), topicAliasMaximum: 8 })),
		{ hex: '20020001', cuts: [1] },
	];
	const params = { limits: [5000, 65535], writes, streams };
	const node = sample(PacketWriter5, PacketParser5, params);
	// what Node answers is what the tests above checked
	assert.equal(node.parsed[0].packets.length, fixedReceived().length);
	assert.deepEqual(node.parsed[1], node.parsed[0], 'the fixed stream cut everywhere');
	assert.equal(node.parsed.slice(2 + random.length, 2 + random.length + malformed.length).filter(r => r.error?.startsWith('ProtocolError: protocol error: ')).length, malformed.length);
	assert.equal(node.written.filter(w => /^(TypeError|RangeError): /.test(w)).length, 11);
	return { params, node };
}

test('XS: the codec gives on the XS engine the bytes, packets and errors it gives on Node', async () => {
	const { params, node } = engineSample();
	const xs = await withXS({ manifest: 'manifest_mqtt5.json' }, host => host.run(CODEC5_SCENARIO, params));
	assert.deepEqual(xs.written, node.written);
	assert.deepEqual(xs.parsed, node.parsed);
});

if (mcsimEnabled) describe('in mcsim: the MQTT 5 codec on the Moddable runtime', () => {
	const mcsim = useMcsim();
	test('mcsim: the codec gives in mcsim the bytes, packets and errors it gives on Node', async () => {
		const { params, node } = engineSample();
		const result = await mcsim.run(CODEC5_SCENARIO, params);
		assert.deepEqual(result.written, node.written);
		assert.deepEqual(result.parsed, node.parsed);
	});
});

test('cross-check totals', t => {
	const line = `MQTT 5 cross-checked: writer->mqtt-packet ${counts.writerToMqttPacket} (${counts.writerSameBytes} byte for byte), mqtt-packet->parser ${counts.mqttPacketToParser}, streams cut at every offset and byte by byte ${counts.streamsEveryOffset}`;
	t.diagnostic(line);
	console.log(line);
});
