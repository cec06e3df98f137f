// Every bad input: each public method called with wrong types and
// out-of-range values, before connect, while connected and after
// disconnect, and twice in a row where that matters. Each call gets the
// documented error (README "The API": argument errors throw synchronously a
// TypeError, RangeError or Error naming the argument, before any byte is
// sent; state errors reject), and the client still works for the next valid
// call: after every call a QoS 1 message makes the round trip to itself
// (subscribe, publish, its arrival, unsubscribe), through aedes, on XS.
// Outcomes read "throw <Class>: <message>", "reject ...", "resolve <value>";
// the scenario's sequences report a valid call's outcome as "ok" when it
// resolved undefined.
// Against a scripted broker that records every packet, the same tables show
// that a call that threw or rejected sent nothing.
//
//   npm run build && node --test tests/bad-input.test.js
//
// A known library bug would be a test marked { todo: 'library bug: ...' }
// that asserts the documented behaviour; the nine this suite found are fixed.
//
// MQTT 3.1.1 statements the rows check (tests/conformance.md) are named
// beside them.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startAedes, freePort } from './harness/brokers.js';
import { startScripted } from './harness/scripted-broker.js';
import { runScenario, runCase } from './helpers/xs.js';

const SCENARIO = 'tests/scenarios/robustness/bad-input.js';
const STATES = ['idle', 'connected', 'disconnected'];

// ---------------------------------------------------------------- values

// Values JSON cannot carry are described; the scenario makes them (see make() there).
const U = { $: 'undefined' };
const value = (label, spec, describes) => ({ label, spec, describes });
/** What the library's describe() prints for a value in "..., not <value>". */
function describeOf(spec) {
	if (spec === null)
		return 'null';
	if (typeof spec === 'string')
		return JSON.stringify(spec.length > 40 ? spec.slice(0, 40) + '...' : spec);
	if (typeof spec === 'number' || typeof spec === 'boolean')
		return String(spec);
	if (Array.isArray(spec))
		return 'object';
	switch (spec.$) {
	case 'undefined': case 'NaN': case 'Infinity': case '-Infinity': return spec.$;
	case '-0': return '0';
	case 'bigint': return 'bigint';
	case 'symbol': return 'symbol';
	case 'function': return 'function';
	case 'repeat': return describeOf(spec.char.repeat(Math.min(spec.count, 41)));
	default: return 'object';
	}
}
const v = (label, spec) => value(label, spec, describeOf(spec));
const V = {
	undefined: v('undefined', U),
	null: v('null', null),
	zero: v('0', 0),
	number: v('42', 42),
	NaN: v('NaN', { $: 'NaN' }),
	Infinity: v('Infinity', { $: 'Infinity' }),
	negInfinity: v('-Infinity', { $: '-Infinity' }),
	minusOne: v('-1', -1),
	fraction: v('1.5', 1.5),
	huge: v('2**53', 2 ** 53),
	true: v('true', true),
	false: v('false', false),
	emptyString: v('""', ''),
	object: v('{}', {}),
	array: v('[]', []),
	function: v('a function', { $: 'function' }),
	symbol: v('a Symbol', { $: 'symbol' }),
	bigint: v('1n', { $: 'bigint', value: '1' }),
	date: v('a Date', { $: 'date' }),
};
const SERVER = { $: 'server' };
const PORT = { $: 'port' };
const CALLBACK = { $: 'callback' };
const repeat = (char, count) => ({ $: 'repeat', char, count });
const bytes = (count, kind) => ({ $: 'bytes', count, kind });
const bytesOf = values => ({ $: 'bytesOf', values });

/** Not a string nor binary data. */
const NOT_DATA = [V.undefined, V.null, V.zero, V.number, V.NaN, V.true, V.object, V.array, v('[1, 2, 3]', [1, 2, 3]), V.function, V.symbol, V.bigint, V.date];
/** Not true nor false. */
const NOT_BOOLEAN = [V.zero, v('1', 1), v('"true"', 'true'), V.emptyString, V.null, V.NaN, V.object, V.array, V.function, V.symbol, v('0n', { $: 'bigint', value: '0' })];
/** Not 0, 1 or 2. */
const NOT_QOS = [v('3', 3), V.minusOne, V.fraction, V.NaN, V.Infinity, V.huge, v('"1"', '1'), v('"0"', '0'), V.true, V.false, V.null, V.object, V.array, V.function, V.symbol, V.bigint];
/** Not a port. */
const NOT_PORT = [V.zero, V.minusOne, v('65536', 65536), V.fraction, V.NaN, V.Infinity, V.negInfinity, V.huge, v('"1883"', '1883'), V.emptyString, V.true, V.false, V.object, V.array, v('[1883]', [1883]), V.function, V.symbol, v('1883n', { $: 'bigint', value: '1883' })];
/** Not a keep-alive. */
const NOT_KEEPALIVE = [V.minusOne, v('65536', 65536), V.fraction, V.NaN, V.Infinity, V.huge, v('"10"', '10'), V.emptyString, V.true, V.object, V.array, V.function, V.symbol, v('10n', { $: 'bigint', value: '10' })];
/** Not an integer in range (queueLength, maxPacketSize, outgoingLimit); null means the default, as for every option. */
const NOT_POSITIVE = [V.zero, V.minusOne, V.fraction, V.NaN, V.Infinity, v('"8"', '8'), V.true, V.object, V.array, V.symbol, V.bigint];
const RANGES = { queueLength: '1..65535', maxPacketSize: '4..268435460', outgoingLimit: '1..65535' };
/** Not a timeout in seconds. */
const NOT_TIMEOUT = [V.zero, v('-0', { $: '-0' }), V.minusOne, V.NaN, V.Infinity, v('2,000,001', 2_000_001), V.huge, v('"5"', '5'), V.emptyString, V.null, V.true, V.object, V.array, V.symbol, v('5n', { $: 'bigint', value: '5' })];
/** Not a function. */
const NOT_FUNCTION = [V.undefined, V.null, V.number, v('"f"', 'f'), V.true, V.object, V.array, V.symbol, V.bigint];

// ---------------------------------------------------------------- outcomes

const escape = text => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** A matcher: exact message when given a string, a prefix when given a RegExp. */
const outcome = (mode, Class, message) =>
	new RegExp(`^${mode} ${Class}: ${typeof message === 'string' ? `${escape(message)}$` : message.source.replace(/^\^/, '')}`);
const throws = (Class, message) => outcome('throw', Class, message);
const rejects = (Class, message) => outcome('reject', Class, message);
const resolves = text => new RegExp(`^resolve ${escape(text)}$`);
const returns = text => new RegExp(`^return ${escape(text)}$`);
const NOT_CONNECTED = rejects('Error', 'not connected: call connect() first');

// ---------------------------------------------------------------- the table

const table = [];
const names = new Set();
/**
 * One call: `expect` is a matcher for every state it runs in, or an object
 * {idle, connected, disconnected}; `todo` (a reason, or {state: reason})
 * marks a known library bug.
 */
function add(name, method, args, expect, { states = STATES, todo, slow = false } = {}) {
	if (names.has(name))
		throw new Error(`duplicate case ${name}`);
	names.add(name);
	table.push({ name, method, args, expect, states, todo, slow });
}
// A string past 65,535 bytes costs about a second on XS to be refused (see
// the test "long strings" at the end): the tables take one of each kind, and
// check the limits with binary data, which costs nothing.
const SLOW = { slow: true };

// The constructor: its outcome does not depend on any client's state.
const once = { states: ['idle'] };
const positional = (args, index, bad) => {
	const list = [...args];
	list[index] = bad;
	return list;
};
const BASE_POSITIONAL = ['bad-input', SERVER, 1883, null, U, U, 0, U];
for (const bad of NOT_DATA)
	add(`new MQTTClient: clientId ${bad.label}`, 'new MQTTClient', positional(BASE_POSITIONAL, 0, bad.spec), throws('TypeError', `clientId must be a string or binary data, not ${bad.describes}`), once);
add('new MQTTClient: clientId of 65,536 ASCII characters', 'new MQTTClient', [repeat('x', 65536), SERVER], throws('RangeError', 'client id is 65536 bytes long; the limit is 65535'), { ...once, ...SLOW });
add('new MQTTClient: clientId of 65,536 bytes', 'new MQTTClient', [bytes(65536), SERVER], throws('RangeError', 'client id is 65536 bytes long; the limit is 65535'), once);
for (const bad of [V.undefined, V.null, V.emptyString, V.number, V.NaN, V.true, V.object, V.array, V.function, V.symbol, V.bigint])
	add(`new MQTTClient: server ${bad.label}`, 'new MQTTClient', positional(BASE_POSITIONAL, 1, bad.spec), throws('TypeError', `server must be a host name or IPv4 address, not ${bad.describes}`), once);
for (const bad of NOT_PORT)
	add(`new MQTTClient: port ${bad.label}`, 'new MQTTClient', positional(BASE_POSITIONAL, 2, bad.spec), throws('RangeError', `port must be an integer 1..65535, not ${bad.describes}`), once);
for (const ok of [V.undefined, V.null, v('1', 1), v('65535', 65535)])
	add(`new MQTTClient: port ${ok.label} is accepted (absent: the default)`, 'new MQTTClient', positional(BASE_POSITIONAL, 2, ok.spec), returns('MQTTClient'), once);
for (const bad of [v('"yes"', 'yes'), V.emptyString, V.number, V.zero, V.true, V.false, V.function, V.symbol, V.bigint])
	add(`new MQTTClient: sslParams ${bad.label}`, 'new MQTTClient', positional(BASE_POSITIONAL, 3, bad.spec), throws('TypeError', `sslParams must be an object ({} for defaults), not ${bad.describes}`), once);
for (const bad of [V.number, V.true, V.object, V.array, V.function, V.symbol])
	add(`new MQTTClient: user ${bad.label}`, 'new MQTTClient', ['bad-input', SERVER, 1883, null, bad.spec, 'password'], throws('TypeError', `user must be a string or binary data, not ${bad.describes}`), once);
for (const bad of [V.number, V.true, V.object, V.array, V.function, V.symbol])
	add(`new MQTTClient: password ${bad.label} (not echoed)`, 'new MQTTClient', ['bad-input', SERVER, 1883, null, 'user', bad.spec], throws('TypeError', 'password must be a string or binary data'), once);
add('new MQTTClient: user without password', 'new MQTTClient', ['bad-input', SERVER, 1883, null, 'user'], throws('TypeError', 'user name given without password'), once);
// No password without a user name [MQTT-3.1.2-22].
add('new MQTTClient: password without user', 'new MQTTClient', ['bad-input', SERVER, 1883, null, null, 'secret'], throws('TypeError', 'password given without user name'), once);
add('new MQTTClient: user of 65,536 bytes', 'new MQTTClient', ['bad-input', SERVER, 1883, null, bytes(65536, 'ArrayBuffer'), 'p'], throws('RangeError', 'user name is 65536 bytes long; the limit is 65535'), once);
add('new MQTTClient: password of 65,536 bytes', 'new MQTTClient', ['bad-input', SERVER, 1883, null, 'u', bytes(65536)], throws('RangeError', 'password is 65536 bytes long; the limit is 65535'), once);
for (const bad of NOT_KEEPALIVE)
	add(`new MQTTClient: keepalive ${bad.label}`, 'new MQTTClient', positional(BASE_POSITIONAL, 6, bad.spec), throws('RangeError', `keepalive must be an integer 0..65535 seconds, not ${bad.describes}`), once);
for (const ok of [V.null, V.zero, v('65535', 65535)])
	add(`new MQTTClient: keepalive ${ok.label} is accepted`, 'new MQTTClient', positional(BASE_POSITIONAL, 6, ok.spec), returns('MQTTClient'), once);
for (const bad of NOT_FUNCTION.filter(b => b !== V.undefined && b !== V.null))
	add(`new MQTTClient: callback ${bad.label}`, 'new MQTTClient', positional(BASE_POSITIONAL, 7, bad.spec), throws('TypeError', `callback must be a function, not ${bad.describes}`), once);
add('new MQTTClient: no arguments', 'new MQTTClient', [], throws('TypeError', 'clientId must be a string or binary data, not undefined'), once);
add('new MQTTClient: null alone', 'new MQTTClient', [null], throws('TypeError', 'clientId must be a string or binary data, not null'), once);
add('new MQTTClient: a number alone', 'new MQTTClient', [5], throws('TypeError', 'clientId must be a string or binary data, not 5'), once);
add('new MQTTClient: a client id alone', 'new MQTTClient', ['id'], throws('TypeError', 'server must be a host name or IPv4 address, not undefined'), once);
add('new MQTTClient: an empty options object', 'new MQTTClient', [{}], throws('TypeError', 'clientId must be a string or binary data, not undefined'), once);
add('new MQTTClient: an array alone', 'new MQTTClient', [['id', '127.0.0.1']], throws('TypeError', 'clientId must be a string or binary data, not undefined'), once);

// The options form: the same checks, and the options beyond the seed.
const options = extra => [{ clientId: 'bad-input', server: SERVER, ...extra }];
add('options: clientId 42', 'new MQTTClient', options({ clientId: 42 }), throws('TypeError', 'clientId must be a string or binary data, not 42'), once);
add('options: server missing', 'new MQTTClient', [{ clientId: 'x' }], throws('TypeError', 'server must be a host name or IPv4 address, not undefined'), once);
add('options: port "1883"', 'new MQTTClient', options({ port: '1883' }), throws('RangeError', 'port must be an integer 1..65535, not "1883"'), once);
add('options: ssl "yes"', 'new MQTTClient', options({ ssl: 'yes' }), throws('TypeError', 'sslParams must be an object ({} for defaults), not "yes"'), once);
add('options: keepalive -1', 'new MQTTClient', options({ keepalive: -1 }), throws('RangeError', 'keepalive must be an integer 0..65535 seconds, not -1'), once);
add('options: callback 5', 'new MQTTClient', options({ callback: 5 }), throws('TypeError', 'callback must be a function, not 5'), once);
add('options: user 5', 'new MQTTClient', options({ user: 5, password: 'p' }), throws('TypeError', 'user must be a string or binary data, not 5'), once);
add('options: password 5', 'new MQTTClient', options({ user: 'u', password: 5 }), throws('TypeError', 'password must be a string or binary data'), once);
for (const [option, bads] of [['queueLength', NOT_POSITIVE], ['maxPacketSize', NOT_POSITIVE], ['outgoingLimit', NOT_POSITIVE]])
	for (const bad of bads)
		add(`options: ${option} ${bad.label}`, 'new MQTTClient', options({ [option]: bad.spec }), throws('RangeError', `${option} must be an integer ${RANGES[option]}, not ${bad.describes}`), once);
for (const option of ['queueLength', 'maxPacketSize', 'outgoingLimit', 'push', 'reconnect', 'onConnect', 'onDisconnect'])
	add(`options: ${option} null means the default`, 'new MQTTClient', options({ [option]: null }), returns('MQTTClient'), once);
add('options: queueLength 2**53', 'new MQTTClient', options({ queueLength: 2 ** 53 }), throws('RangeError', /queueLength/), once);
add('options: maxPacketSize 1', 'new MQTTClient', options({ maxPacketSize: 1 }), throws('RangeError', /maxPacketSize/), once);
for (const bad of [v('"false"', 'false'), v('"true"', 'true'), v('1', 1), V.zero, V.object, V.array, V.symbol])
	add(`options: push ${bad.label}`, 'new MQTTClient', options({ push: bad.spec }), throws('TypeError', /push must be true or false/), once);
for (const bad of [v('"yes"', 'yes'), V.number, V.symbol, V.function])
	add(`options: reconnect ${bad.label}`, 'new MQTTClient', options({ reconnect: bad.spec }), throws('TypeError', /reconnect/), once);
for (const [label, reconnect] of [['minDelay 0', { minDelay: 0 }], ['minDelay -5', { minDelay: -5 }], ['minDelay 1.5', { minDelay: 1.5 }], ['minDelay "1000"', { minDelay: '1000' }], ['minDelay NaN', { minDelay: { $: 'NaN' } }], ['minDelay null', { minDelay: null }]])
	add(`options: reconnect ${label}`, 'new MQTTClient', options({ reconnect }), throws('RangeError', 'reconnect.minDelay must be an integer >= 1 (ms)'), once);
for (const [label, reconnect] of [['maxDelay below minDelay', { minDelay: 100, maxDelay: 10 }], ['maxDelay below the default minDelay', { maxDelay: 500 }], ['maxDelay "x"', { maxDelay: 'x' }], ['maxDelay Infinity', { maxDelay: { $: 'Infinity' } }]])
	add(`options: reconnect ${label}`, 'new MQTTClient', options({ reconnect }), throws('RangeError', 'reconnect.maxDelay must be an integer >= minDelay (ms)'), once);
for (const [label, reconnect] of [['minDelay and maxDelay 2**32 ms', { minDelay: 2 ** 32, maxDelay: 2 ** 32 }], ['maxDelay 2**31 ms', { maxDelay: 2 ** 31 }], ['minDelay 2**53 ms', { minDelay: 2 ** 53, maxDelay: 2 ** 53 }]])
	add(`options: reconnect ${label}`, 'new MQTTClient', options({ reconnect }), throws('RangeError', /reconnect\.(minDelay|maxDelay)/), once);
for (const option of ['onConnect', 'onDisconnect'])
	for (const bad of [V.number, v('"f"', 'f'), V.object, V.true])
		add(`options: ${option} ${bad.label}`, 'new MQTTClient', options({ [option]: bad.spec }), throws('TypeError', `${option} must be a function, not ${bad.describes}`), once);
// servers (failover): the whole list checked before anything is sent; each error names its entry.
const serversOnly = extra => [{ clientId: 'bad-input', ...extra }];
add('options: server and servers both', 'new MQTTClient', options({ servers: [{ server: SERVER }] }), throws('TypeError', 'give server or servers, not both'), once);
for (const [label, servers, described] of [['[]', [], 'an empty array'], ['"a,b"', 'a,b', '"a,b"'], ['{}', {}, 'object'], ['5', 5, '5']])
	add(`options: servers ${label}`, 'new MQTTClient', serversOnly({ servers }), throws('TypeError', `servers must be a non-empty array of {server, port, ssl}, not ${described}`), once);
add('options: servers [{server}, "b"]', 'new MQTTClient', serversOnly({ servers: [{ server: SERVER }, 'b'] }), throws('TypeError', 'servers[1] must be an object {server, port, ssl}, not "b"'), once);
add('options: servers [{server}, null]', 'new MQTTClient', serversOnly({ servers: [{ server: SERVER }, null] }), throws('TypeError', 'servers[1] must be an object {server, port, ssl}, not null'), once);
add('options: servers [{server: ""}]', 'new MQTTClient', serversOnly({ servers: [{ server: '' }] }), throws('TypeError', 'servers[0].server must be a host name or IPv4 address, not ""'), once);
add('options: servers [{server}, {port}]', 'new MQTTClient', serversOnly({ servers: [{ server: SERVER }, { port: PORT }] }), throws('TypeError', 'servers[1].server must be a host name or IPv4 address, not undefined'), once);
add('options: servers [{server, port: 0}]', 'new MQTTClient', serversOnly({ servers: [{ server: SERVER, port: 0 }] }), throws('RangeError', 'servers[0].port must be an integer 1..65535, not 0'), once);
add('options: servers with port 70000 for all', 'new MQTTClient', serversOnly({ port: 70000, servers: [{ server: SERVER }] }), throws('RangeError', 'port must be an integer 1..65535, not 70000'), once);
add('options: servers [{server}, {server, ssl: "yes"}]', 'new MQTTClient', serversOnly({ servers: [{ server: SERVER }, { server: SERVER, ssl: 'yes' }] }), throws('TypeError', 'servers[1].ssl must be an object ({} for defaults), not "yes"'), once);
add('options: servers, each with its port, TLS for one and not for another', 'new MQTTClient', serversOnly({ ssl: {}, servers: [{ server: SERVER, port: PORT, ssl: null }, { server: SERVER }] }), returns('MQTTClient'), once);
add('options: every option valid', 'new MQTTClient', options({ port: PORT, keepalive: 30, callback: CALLBACK, queueLength: 1, maxPacketSize: 4, push: true, reconnect: { minDelay: 1, maxDelay: 1 }, outgoingLimit: 1, onConnect: CALLBACK, onDisconnect: CALLBACK }), returns('MQTTClient'), once);

// MQTTException: the broker's code and its meaning.
add('new MQTTException(5)', 'new MQTTException', [5], returns('MQTTException: MQTT error 5: not authorized'), once);
add('new MQTTException(128)', 'new MQTTException', [128], returns('MQTTException: MQTT error 128: subscription refused'), once);
add('new MQTTException(6): an unknown code', 'new MQTTException', [6], returns('MQTTException: MQTT error 6: unknown return code 6'), once);
add('new MQTTException(-1)', 'new MQTTException', [-1], returns('MQTTException: MQTT error -1: unknown return code -1'), once);
add('MQTTException(5) without new', 'MQTTException', [5], throws('TypeError', /./), once);
add('new MQTTException("length")', 'new MQTTException', ['length'], returns('MQTTException: MQTT error length: unknown return code length'), once);

// setCallback: the same in every state.
for (const bad of NOT_FUNCTION)
	add(`setCallback(${bad.label})`, 'setCallback', [bad.spec], throws('TypeError', `callback must be a function, not ${bad.describes}`));

// setLastWill: argument errors before connect and after disconnect; once connected, always "too late".
const TOO_LATE = throws('Error', 'setLastWill must be called before connect()');
const will = (name, args, error) => add(`setLastWill: ${name}`, 'setLastWill', args, { idle: error, disconnected: error, connected: TOO_LATE });
for (const bad of NOT_DATA)
	will(`topic ${bad.label}`, [bad.spec, 'm'], throws('TypeError', 'will topic must be a string or binary data'));
// The will topic is a topic name: not empty [MQTT-4.7.3-1], no wildcard
// [MQTT-3.3.2-2] [MQTT-4.7.1-1], no U+0000 [MQTT-1.5.3-2] [MQTT-4.7.3-2], at
// most 65,535 bytes [MQTT-4.7.3-3]; its QoS never 3 [MQTT-3.1.2-14].
for (const [label, topic] of [['""', ''], ['empty bytes', bytes(0)]])
	will(`topic ${label}`, [topic, 'm'], throws('TypeError', 'will topic is empty'));
for (const topic of ['+', '#', 'a/+', 'a/#', 'sp+rt'])
	will(`topic ${JSON.stringify(topic)}`, [topic, 'm'], throws('TypeError', 'will topic contains a wildcard (+ or #); wildcards are only for subscriptions'));
will('topic "a\\u0000b"', ['a\u0000b', 'm'], throws('TypeError', 'will topic contains U+0000'));
will('topic bytes [0x61, 0]', [bytesOf([0x61, 0]), 'm'], throws('TypeError', 'will topic contains U+0000'));
will('topic of 65,536 bytes', [bytes(65536), 'm'], throws('RangeError', 'will topic is 65536 bytes long; the limit is 65535'));
for (const bad of NOT_DATA)
	will(`message ${bad.label}`, ['w', bad.spec], throws('TypeError', 'will message must be a string or binary data'));
will('message of 65,536 bytes', ['w', bytes(65536)], throws('RangeError', 'will message is 65536 bytes long; the limit is 65535'));
for (const bad of NOT_BOOLEAN)
	will(`retain ${bad.label}`, ['w', 'm', bad.spec], throws('TypeError', `retain must be true or false, not ${bad.describes}`));
for (const bad of NOT_QOS)
	will(`QoS ${bad.label}`, ['w', 'm', false, bad.spec], throws('RangeError', `QoS must be 0, 1 or 2, not ${bad.describes}`));

// connect: argument errors first, in every state; then "already connected".
for (const bad of NOT_BOOLEAN)
	add(`connect: cleanSession ${bad.label}`, 'connect', [bad.spec], throws('TypeError', `cleanSession must be true or false, not ${bad.describes}`));
for (const bad of NOT_TIMEOUT)
	add(`connect: timeout ${bad.label}`, 'connect', [true, bad.spec], throws('RangeError', `timeout must be a number of seconds > 0, not ${bad.describes}`));
add('connect() when connected', 'connect', [], rejects('Error', 'already connected'), { states: ['connected'] });

// publish: topic, message, retain and QoS; argument errors throw before the state is looked at.
// A topic name: not empty [MQTT-4.7.3-1], no wildcard [MQTT-3.3.2-2]
// [MQTT-4.7.1-1], no U+0000 [MQTT-1.5.3-2] [MQTT-4.7.3-2], at most 65,535
// bytes [MQTT-4.7.3-3]; QoS never 3 [MQTT-3.3.1-4].
const publish = (name, args, error, extra = {}) => {
	const qos = args[3] ?? 0;
	add(`publish: ${name}`, 'publish', args, error, extra);
};
for (const qos of [0, 1, 2]) {
	const at = `, QoS ${qos}`;
	for (const bad of NOT_DATA)
		publish(`topic ${bad.label}${at}`, [bad.spec, 'm', false, qos], throws('TypeError', 'topic must be a string or binary data'));
	for (const [label, topic] of [['""', ''], ['empty bytes', bytes(0)]])
		publish(`topic ${label}${at}`, [topic, 'm', false, qos], throws('TypeError', 'topic is empty'));
	for (const [label, topic] of [['"+"', '+'], ['"#"', '#'], ['"a/+"', 'a/+'], ['"a/#"', 'a/#'], ['"sp+rt"', 'sp+rt'], ['bytes "a#"', bytesOf([0x61, 0x23])]])
		publish(`topic ${label}${at}`, [topic, 'm', false, qos], throws('TypeError', 'topic contains a wildcard (+ or #); wildcards are only for subscriptions'));
	for (const [label, topic] of [['"a\\u0000b"', 'a\u0000b'], ['bytes [0x61, 0]', bytesOf([0x61, 0])]])
		publish(`topic ${label}${at}`, [topic, 'm', false, qos], throws('TypeError', 'topic contains U+0000'));
	publish(`topic of 65,536 bytes${at}`, [bytes(65536, 'ArrayBuffer'), 'm', false, qos], throws('RangeError', 'topic is 65536 bytes long; the limit is 65535'));
	if (qos === 0) {
		publish(`topic of 65,536 ASCII characters${at}`, [repeat('t', 65536), 'm', false, qos], throws('RangeError', 'topic is 65536 bytes long; the limit is 65535'), SLOW);
		publish(`topic of 32,768 two-byte characters${at}`, [repeat('é', 32768), 'm', false, qos], throws('RangeError', 'topic is 65536 bytes long; the limit is 65535'), SLOW);
	}
	for (const bad of NOT_DATA)
		publish(`message ${bad.label}${at}`, ['t', bad.spec, false, qos], throws('TypeError', 'message must be a string or binary data'));
}
for (const qos of [0, 1]) {
	publish(`message of 2 MB (bytes), QoS ${qos}`, ['t', bytes(2_097_152 - 3, 'DataView'), false, qos], throws('RangeError', /^packet too large: remaining length \d+ reaches the limit of 2097152 bytes$/));
	publish(`message of 2 MB (string), QoS ${qos}`, ['t', repeat('x', 2_097_152), false, qos], throws('RangeError', /^packet too large: remaining length \d+ reaches the limit of 2097152 bytes$/));
}
for (const bad of NOT_BOOLEAN)
	add(`publish: retain ${bad.label}`, 'publish', ['t', 'm', bad.spec], throws('TypeError', `retain must be true or false, not ${bad.describes}`));
for (const bad of [...NOT_QOS, v('[1]', [1])])
	add(`publish: QoS ${bad.label}`, 'publish', ['t', 'm', false, bad.spec], throws('RangeError', `QoS must be 0, 1 or 2, not ${bad.describes}`));
add('publish: valid, not connected', 'publish', ['t', 'm', false, 1], NOT_CONNECTED, { states: ['idle', 'disconnected'] });

// subscribe (the client has a callback): filters, arrays of filters, QoS and arrays of QoS.
// A filter: not empty [MQTT-4.7.3-1], '#' alone and last [MQTT-4.7.1-2], '+'
// a whole level [MQTT-4.7.1-3], no U+0000 [MQTT-1.5.3-2] [MQTT-4.7.3-2], at
// most 65,535 bytes [MQTT-4.7.3-3]; at least one filter [MQTT-3.8.3-3]
// [MQTT-3.10.3-2]; QoS never 3 [MQTT-3.8.3-4].
const FILTER_ERRORS = [
	['""', '', throws('TypeError', 'topic filter is empty')],
	['empty bytes', bytes(0), throws('TypeError', 'topic filter is empty')],
	['"a/#/b"', 'a/#/b', throws('TypeError', 'topic filter wildcard # must be the last level')],
	['"#/"', '#/', throws('TypeError', 'topic filter wildcard # must be the last level')],
	['"#a"', '#a', throws('TypeError', 'topic filter wildcard # must fill a whole level')],
	['"a#"', 'a#', throws('TypeError', 'topic filter wildcard # must fill a whole level')],
	['"a+"', 'a+', throws('TypeError', 'topic filter wildcard + must fill a whole level')],
	['"+a"', '+a', throws('TypeError', 'topic filter wildcard + must fill a whole level')],
	['"a/++"', 'a/++', throws('TypeError', 'topic filter wildcard + must fill a whole level')],
	['"a\\u0000"', 'a\u0000', throws('TypeError', 'topic filter contains U+0000')],
	['bytes [0x61, 0]', bytesOf([0x61, 0]), throws('TypeError', 'topic filter contains U+0000')],
	['of 65,536 bytes', bytes(65536), throws('RangeError', 'topic filter is 65536 bytes long; the limit is 65535')],
];
const NOT_FILTER = NOT_DATA.filter(bad => bad !== V.array && bad.label !== '[1, 2, 3]');
for (const method of ['subscribe', 'unsubscribe']) {
	for (const bad of NOT_FILTER)
		add(`${method}: topic ${bad.label}`, method, [bad.spec], throws('TypeError', 'topic filter must be a string or binary data'));
	for (const [label, filter, error] of FILTER_ERRORS) {
		add(`${method}: topic ${label}`, method, [filter], error);
		add(`${method}: ["ok", ${label}]`, method, [['ok', filter]], error);
	}
	add(`${method}: []`, method, [[]], throws('TypeError', `${method.toUpperCase()} needs at least one topic`));
	add(`${method}: [undefined]`, method, [[U]], throws('TypeError', 'topic filter must be a string or binary data'));
	add(`${method}: a sparse array`, method, [{ $: 'sparse', count: 2 }], throws('TypeError', 'topic filter must be a string or binary data'));
	add(`${method}: [[]]`, method, [[[]]], throws('TypeError', 'topic filter must be a string or binary data'));
	add(`${method}: [1, 2, 3]`, method, [[1, 2, 3]], throws('TypeError', 'topic filter must be a string or binary data'));
	add(`${method}: topic of 65,536 characters`, method, [repeat('f', 65536)], throws('RangeError', 'topic filter is 65536 bytes long; the limit is 65535'), SLOW);
	add(`${method}: 33 filters of 65,535 bytes (2 MB)`, method, [{ $: 'fill', count: 33, value: bytes(65535) }], throws('RangeError', /^packet too large: remaining length \d+ reaches the limit of 2097152 bytes$/));
	add(`${method}: valid, not connected`, method, ['t'], NOT_CONNECTED, { states: ['idle', 'disconnected'] });
}
for (const bad of NOT_QOS.filter(b => b !== V.array))
	add(`subscribe: QoS ${bad.label}`, 'subscribe', ['t', bad.spec], throws('RangeError', `QoS must be 0, 1 or 2, not ${bad.describes}`));
add('subscribe: QoS []', 'subscribe', ['t', []], throws('TypeError', 'subscribe needs one QoS per topic filter'));
add('subscribe: one topic, two QoS', 'subscribe', ['t', [1, 2]], throws('TypeError', 'subscribe needs one QoS per topic filter'));
add('subscribe: two topics, one QoS in an array', 'subscribe', [['a', 'b'], [1]], throws('TypeError', 'subscribe needs one QoS per topic filter'));
add('subscribe: two topics, QoS [1, 3]', 'subscribe', [['a', 'b'], [1, 3]], throws('RangeError', 'QoS must be 0, 1 or 2, not 3'));
add('subscribe: QoS ["1"]', 'subscribe', [['a'], ['1']], throws('RangeError', 'QoS must be 0, 1 or 2, not "1"'));

// The calls without arguments ignore extra ones; what they do depends on the state.
add('ping(5)', 'ping', [5], { idle: NOT_CONNECTED, disconnected: NOT_CONNECTED, connected: resolves('undefined') });
add('checkMsg(5)', 'checkMsg', [5], { idle: NOT_CONNECTED, disconnected: NOT_CONNECTED, connected: resolves('undefined') });
add('waitMsg(5)', 'waitMsg', [5], NOT_CONNECTED, { states: ['idle', 'disconnected'] });
add('disconnect(5)', 'disconnect', [5], resolves('undefined'), { states: ['idle', 'disconnected'] });

// ---------------------------------------------------------------- helpers

function callsFor(state, { slow = true } = {}) {
	return table.filter(entry => entry.states.includes(state) && (slow || !entry.slow)).map(({ name, method, args }) => ({ name, method, args }));
}

function expectedFor(entry, state) {
	return entry.expect instanceof RegExp ? entry.expect : entry.expect[state];
}

function todoFor(entry, state) {
	if (!entry.todo)
		return undefined;
	return typeof entry.todo === 'string' ? entry.todo : entry.todo[state];
}

async function runTable(state, port, mode, tag) {
	const calls = callsFor(state, { slow: mode === 'echo' });
	const result = await runCase(SCENARIO, 'table', { state, port, mode, tag, calls }, { timeout: 600_000 });
	const byName = new Map(result.results.map(r => [r.name, r]));
	assert.equal(byName.size, calls.length, 'every call ran');
	return { byName, results: result.results, after: result.after };
}

async function withBroker(start, body) {
	const broker = await start();
	try {
		return await body(broker);
	}
	finally {
		await broker.close();
	}
}

// ---------------------------------------------------------------- every call, in every state, through aedes

describe('every bad call gets its documented error and the client still works (XS, aedes)', () => {
	let broker;
	const runs = {};
	before(async () => {
		broker = await startAedes();
		// The three states in three XS hosts at once.
		await Promise.all(STATES.map(async state => { runs[state] = await runTable(state, broker.port, 'echo', `bad-${state}`); }));
	});
	after(() => broker?.close());

	for (const state of STATES) {
		describe(state === 'idle' ? 'before connect' : state === 'connected' ? 'while connected' : 'after disconnect', () => {
			for (const entry of table.filter(e => e.states.includes(state))) {
				test(entry.name, { todo: todoFor(entry, state) }, () => {
					const { outcome, next } = runs[state].byName.get(entry.name);
					assert.match(outcome, expectedFor(entry, state));
					assert.equal(next, 'ok', `the next valid call (${state === 'connected' ? 'a QoS 1 round trip' : 'connect, a QoS 1 round trip, disconnect'}) works`);
				});
			}
			test('nothing is left at the end', () => {
				assert.deepEqual(runs[state].after, { timers: 0, sockets: 0 });
			});
		});
	}
});

// ---------------------------------------------------------------- nothing is sent for a bad call

/** The packets of one session, split by the marker publishes: [packets before marker 1, before marker 2, ...]. */
function splitByMarkers(packets) {
	const groups = [];
	let current = [];
	for (const packet of packets) {
		const marker = packet.cmd === 'publish' && /^marker\/(\d+)$/.exec(packet.topic);
		if (marker) {
			groups.push({ n: Number(marker[1]), packets: current });
			current = [];
		}
		else
			current.push(packet);
	}
	return { groups, rest: current };
}

const failed = outcome => /^(throw|reject) /.test(outcome);

describe('a call that throws or rejects sends nothing (XS, a scripted broker recording every packet)', () => {
	const recorded = {};
	before(async () => {
		// The three states at once, each with its own broker.
		await Promise.all(STATES.map(async state => {
			const broker = await startScripted();
			try {
				const run = await runTable(state, broker.port, 'marker', `rec-${state}`);
				recorded[state] = { ...run, sessions: broker.sessions.map(session => session.packets) };
			}
			finally {
				await broker.close();
			}
		}));
	});

	// DISCONNECT is the last packet the broker gets [MQTT-3.14.4-2].
	test('while connected: between the markers that follow each call, no packet', () => {
		const { results, sessions } = recorded.connected;
		assert.equal(sessions.length, 1, 'one connection for the whole table');
		const [connect, ...packets] = sessions[0];
		assert.equal(connect.cmd, 'connect');
		const { groups, rest } = splitByMarkers(packets);
		assert.deepEqual(groups.map(g => g.n), results.map((_, i) => i + 1), 'one marker after each call, in order');
		let checked = 0;
		for (const [i, { name, outcome, next }] of results.entries()) {
			assert.equal(next, 'ok', name);
			const sent = groups[i].packets.map(p => p.cmd);
			if (failed(outcome)) {
				assert.deepEqual(sent, [], `${name} (${outcome}) sent nothing`);
				checked++;
			}
		}
		assert.deepEqual(rest.map(p => p.cmd), ['disconnect']);
		assert.ok(checked >= 200, `${checked} failing calls checked`);
	});

	// Each connection starts with CONNECT [MQTT-3.1.0-1] and ends with DISCONNECT [MQTT-3.14.4-2].
	for (const state of ['idle', 'disconnected']) {
		test(`${state === 'idle' ? 'before connect' : 'after disconnect'}: no connection is opened by a bad call; each next connect carries only its marker`, () => {
			const { results, sessions } = recorded[state];
			const setup = state === 'disconnected' ? 1 : 0;	// the connect/disconnect that makes the state
			assert.equal(sessions.length, setup + results.length, 'one connection per call: the valid connect after it');
			for (const [i, { name, outcome, next }] of results.entries()) {
				assert.equal(next, 'ok', name);
				const cmds = sessions[setup + i].map(p => p.topic ? `${p.cmd} ${p.topic}` : p.cmd);
				assert.deepEqual(cmds, ['connect', `publish marker/${i + 1}`, 'disconnect'], `${name} (${outcome})`);
			}
		});
	}
});

// ---------------------------------------------------------------- twice in a row, and the states between

describe('twice in a row, and calls between states (XS, aedes)', () => {
	let broker;
	before(async () => { broker = await startAedes(); });
	after(() => broker?.close());
	const twice = (name, params = {}) => runCase(SCENARIO, name, { port: broker.port, tag: `twice-${name}`, ...params });

	test('connect twice: while connecting rejects "already connecting", once connected "already connected"; the first connect and the client are unharmed', async () => {
		const result = await twice('connectTwice');
		assert.equal(result.during, 'reject Error: already connecting');
		assert.equal(result.first, '0');
		assert.equal(result.after, 'reject Error: already connected');
		assert.equal(result.badAfter, 'throw TypeError: cleanSession must be true or false, not "yes"');
		assert.equal(result.trip, 'ok');
		assert.deepEqual(result.resources, { timers: 0, sockets: 0 });
	});

	test('disconnect twice (at once and again), and before any connect: each resolves; then connect works', async () => {
		const result = await twice('disconnectTwice');
		assert.equal(result.beforeConnect, 'ok');
		assert.deepEqual(result.both, ['ok', 'ok']);
		assert.equal(result.again, 'ok');
		assert.equal(result.connected, false);
		assert.deepEqual(result.left, { timers: 0, sockets: 0 });
		assert.equal(result.next, 'ok');
		assert.deepEqual(result.resources, { timers: 0, sockets: 0 });
	});

	test('disconnect while connect is pending: connect rejects, nothing is left, the next connect works', async () => {
		const result = await twice('disconnectWhileConnecting');
		assert.equal(result.disconnected, 'ok');
		assert.equal(result.connect, 'reject Error: disconnected by the application');
		assert.deepEqual(result.left, { timers: 0, sockets: 0 });
		assert.equal(result.next, 'ok');
	});

	test('while connecting: requests reject "not connected yet", setLastWill throws, argument errors still throw', async () => {
		const result = await twice('whileConnecting');
		const notYet = 'reject Error: not connected yet: wait for connect()';
		assert.deepEqual(result.outcomes, {
			publish: notYet, publishQoS1: notYet, subscribe: notYet, unsubscribe: notYet, ping: notYet,
			setLastWill: 'throw Error: setLastWill must be called before connect()',
			badPublish: 'throw TypeError: topic is empty',
			badSubscribe: 'throw TypeError: topic filter wildcard # must be the last level',
		});
		assert.equal(result.connect, '0');
		assert.equal(result.trip, 'ok');
		assert.deepEqual(result.resources, { timers: 0, sockets: 0 });
	});

	test('while disconnect() is pending: requests reject, setLastWill throws; then connect works', async () => {
		const result = await twice('whileDisconnecting');
		assert.equal(result.outcomes.publish, 'reject Error: not connected: call connect() first');
		assert.equal(result.outcomes.ping, 'reject Error: not connected: call connect() first');
		assert.equal(result.outcomes.setLastWill, 'throw Error: setLastWill must be called before connect()');
		assert.equal(result.large, 'ok', 'the message already being written is finished');
		assert.equal(result.disconnected, 'ok');
		assert.equal(result.next, 'ok');
		assert.deepEqual(result.resources, { timers: 0, sockets: 0 });
	});

	test('connect() while disconnect() is pending rejects with an error that says so', async () => {
		const result = await twice('whileDisconnecting');
		assert.match(result.outcomes.connect, /^reject Error: .*disconnect/);
	});

	test('setCallback twice: the second replaces the first; a bad one keeps it', async () => {
		const result = await twice('setCallbackTwice');
		assert.equal(result.bad, 'throw TypeError: callback must be a function, not null');
		assert.deepEqual(result.first, []);
		assert.deepEqual(result.second, ['to the second']);
	});

	test('the same request twice in a row: subscribe, unsubscribe (also of a topic never subscribed), ping, publish each settle', async () => {
		const result = await twice('requestsTwice');
		assert.deepEqual(result.outcomes, {
			subscribe: ['1', '2'],
			unsubscribe: ['ok', 'ok'],
			unsubscribeNever: 'ok',
			ping: ['ok', 'ok'],
			publish: ['ok', 'ok'],
		});
		assert.equal(result.trip, 'ok');
		assert.deepEqual(result.resources, { timers: 0, sockets: 0 });
	});

	test('checkMsg and waitMsg twice at once: both wait; each PINGRESP settles one', async () => {
		const result = await twice('waitTwice');
		assert.deepEqual(result.checks, ['ok', 'ok'], 'both resolve undefined: nothing came');
		assert.deepEqual(result.waits, ['ok', 'ok'], 'both resolve undefined: a PINGRESP each');
		assert.equal(result.trip, 'ok');
		assert.deepEqual(result.resources, { timers: 0, sockets: 0 });
	});

	test('subscribe without a callback throws in every state, before looking at its arguments; unsubscribe needs none; setCallback makes it work', async () => {
		const result = await twice('withoutCallback');
		const noCallback = 'throw Error: subscribe needs a callback: pass one to the constructor or call setCallback() first';
		for (const state of ['idle', 'connected', 'disconnected'])
			assert.deepEqual(result[state], [noCallback, noCallback, noCallback], state);
		assert.equal(result.unsubscribe, 'resolve undefined');
		assert.equal(result.trip, 'ok');
		assert.deepEqual(result.resources, { timers: 0, sockets: 0 });
	});

	test('after a failed connect: calls reject "not connected", disconnect resolves, nothing is left; another client works', async () => {
		const result = await twice('afterFailedConnect', { closedPort: await freePort() });
		assert.match(result.failed, /^reject Error: could not connect to 127\.0\.0\.1:\d+/);
		assert.deepEqual(result.outcomes, {
			publish: 'reject Error: not connected: call connect() first',
			subscribe: 'reject Error: not connected: call connect() first',
			waitMsg: 'reject Error: not connected: call connect() first',
			disconnect: 'resolve undefined',
		});
		assert.deepEqual(result.left, { timers: 0, sockets: 0 });
		assert.equal(result.next, 'ok');
	});

	test('maxPacketSize 1, 2 or 3 (below a CONNACK\'s 4 bytes) throws at construction, naming the range', async () => {
		const result = await twice('tinyMaxPacketSize');
		for (const size of [1, 2, 3])
			assert.equal(result.outcomes[size], `throw RangeError: maxPacketSize must be an integer 4..268435460, not ${size}`);
		assert.deepEqual(result.resources, { timers: 0, sockets: 0 });
	});
});

describe('state is not corrupted by a bad call (XS, a scripted broker recording every packet)', () => {
	// Each CONNECT carries its will [MQTT-3.1.2-9].
	test('a bad setLastWill keeps the last good will; after disconnect a new will is taken; each CONNECT carries the right one', () => withBroker(() => startScripted(), async broker => {
		const result = await runCase(SCENARIO, 'lastWillStates', { port: broker.port, tag: 'will', mode: 'marker' });
		assert.equal(result.first, 'return undefined');
		assert.equal(result.bad, 'throw TypeError: will topic contains a wildcard (+ or #); wildcards are only for subscriptions');
		assert.equal(result.whileConnected, 'throw Error: setLastWill must be called before connect()');
		assert.equal(result.afterDisconnect, 'return undefined');
		assert.equal(result.badAfter, 'throw RangeError: QoS must be 0, 1 or 2, not 3');
		assert.equal(result.trip, 'ok');
		const wills = broker.sessions.map(s => s.packets[0].will && { topic: s.packets[0].will.topic, payload: s.packets[0].will.payload.toString(), qos: s.packets[0].will.qos, retain: s.packets[0].will.retain });
		assert.deepEqual(wills, [
			{ topic: 'will/first', payload: 'one', qos: 1, retain: false },
			{ topic: 'will/third', payload: 'three', qos: 2, retain: true },
		]);
	}));
});

describe('long strings (XS)', () => {
	// Header strings are encoded by the native ArrayBuffer.fromString, in linear
	// time (a charCodeAt loop was quadratic on XS: 1.8 s for 65,535
	// characters); the cost itself is for benchmarks, not for a timed test.
	// A topic name encodes to at most 65,535 bytes [MQTT-4.7.3-3].
	test('a string argument past the limit is refused, and one at the limit is sent', () => withBroker(startAedes, async broker => {
		const costs = await runCase(SCENARIO, 'stringCosts', { port: broker.port, tag: 'strings' }, { timeout: 300_000 });
		assert.equal(costs['publish, topic of 65,536 characters'].outcome, 'throw RangeError: topic is 65536 bytes long; the limit is 65535');
		assert.equal(costs['publish, topic of 65,535 characters'].outcome, 'resolve undefined');
	}));
});

describe('options that would bring the machine down', () => {
	test('queueLength 2**28 throws a RangeError naming queueLength (the machine survives)', async () => {
		const { result } = await runScenario(SCENARIO, { case: 'single', call: { method: 'new MQTTClient', args: options({ queueLength: 2 ** 28 }) } }, { timeout: 60_000 });
		assert.match(result.outcome, /^throw RangeError: .*queueLength/);
	});
});
