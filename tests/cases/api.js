// The cases of tests/scenarios/client/api.js (the seed's API row by row,
// shared/docs/api.md), each run and checked once here, for both hosts:
// tests/client.test.js runs them on xsnap, tests/mcsim-api.test.js in mcsim.
// Each takes the host (`xsnap` of tests/helpers/xs.js, or useMcsim() of
// tests/sim/suite.js) and what the case needs (a broker's port); which broker
// and the host's own limits stay in the test files.
import assert from 'node:assert/strict';
import { withPeer } from '../helpers/peer.js';
import { startAedes, startMosquitto, freePort } from '../harness/brokers.js';
import { withScripted } from '../harness/scripted-broker.js';
import { until } from '../helpers/xs.js';

const API = 'tests/scenarios/client/api.js';

// Among the argument errors: a password without a user name [MQTT-3.1.2-22].
export async function construct(host) {
  const result = await host.runCase(API, 'construct');
  for (const name of ['positional', 'options', 'binaryClientId', 'keepaliveMax'])
    assert.equal(result[name], 'ok', name);
  assert.match(result.userWithoutPassword, /^TypeError: user name given without password/);
  assert.match(result.passwordWithoutUser, /^TypeError: password given without user name/);
  for (const name of ['keepaliveNegative', 'keepaliveTooLarge', 'keepaliveFraction', 'keepaliveString'])
    assert.match(result[name], /^RangeError: keepalive must be an integer 0\.\.65535/, name);
  assert.match(result.portZero, /^RangeError: port must be an integer 1\.\.65535/);
  assert.match(result.portTooLarge, /^RangeError: port must be an integer 1\.\.65535/);
  assert.match(result.clientIdNumber, /^TypeError: clientId must be a string or binary data/);
  assert.match(result.clientIdTooLong, /^RangeError: client id is 65536 bytes long; the limit is 65535/);
  assert.match(result.serverEmpty, /^TypeError: server must be/);
  assert.match(result.serverMissing, /^TypeError: server must be/);
  assert.match(result.callbackNotFunction, /^TypeError: callback must be a function/);
  assert.match(result.sslParamsString, /^TypeError: sslParams must be an object/);
}

export async function defaultPorts(host) {
  // 127.0.0.2 is loopback too, and nothing of ours listens there.
  const result = await host.runCase(API, 'defaultPorts', { closedAddress: '127.0.0.2' });
  assert.match(result.plain, /could not connect to 127\.0\.0\.2:1883/);
  assert.match(result.secure, /could not connect to 127\.0\.0\.2:8883/);
}

export async function setCallbackErrors(host) {
  const result = await host.runCase(API, 'setCallbackErrors');
  assert.match(result.notFunction, /^TypeError: callback must be a function/);
  assert.match(result.missing, /^TypeError: callback must be a function/);
}

export async function exception(host) {
  const result = await host.runCase(API, 'exception');
  assert.deepEqual(result.refused, { code: 0x80, message: 'MQTT error 128: subscription refused', name: 'MQTTException', isError: true });
  assert.deepEqual(result.auth, { code: 5, message: 'MQTT error 5: not authorized' });
}

export async function connectRefused(host) {
  const port = await freePort();
  const result = await host.runCase(API, 'connectFailure', { port });
  assert.match(result.outcome, new RegExp(`^Error: could not connect to 127\\.0\\.0\\.1:${port}`));
  // resources(): the host's sockets and timers (in mcsim, the SDK's "Network Sockets" and "Timers" instrumentation, the control socket left out)
  assert.deepEqual(result.after, { timers: 0, sockets: 0 });
  assert.match(result.publishAfter, /not connected/);
}

/** `options`: the host's run options (the SDK's resolver can take its time). */
export async function connectUnresolved(host, options) {
  const result = await host.runCase(API, 'connectFailure', { host: 'no-such-host.invalid', port: 1883 }, options);
  assert.equal(result.outcome, 'Error: cannot resolve host name no-such-host.invalid');
  assert.deepEqual(result.after, { timers: 0, sockets: 0 });
}

// The first packet the server gets is CONNECT [MQTT-3.1.0-1].
export async function connectSilent(host) {
  return withScripted({ connect() {} }, async silent => {
    const result = await host.runCase(API, 'connectFailure', { port: silent.port, timeout: 0.3 });
    assert.equal(result.outcome, `Error: no CONNACK from 127.0.0.1:${silent.port} within 0.3 s`);
    assert.ok(result.elapsed >= 290, `rejected after ${result.elapsed} ms`);
    assert.deepEqual(result.after, { timers: 0, sockets: 0 });
    assert.equal(silent.sessions[0].packets[0].cmd, 'connect', 'the CONNECT did reach the server');
  });
}

/** "localhost" and an IPv4 literal both reach the broker. */
export async function resolveName(host, { port }) {
  assert.equal(await host.runCase(API, 'resolveName', { host: 'localhost', port }), 0);
  assert.equal(await host.runCase(API, 'resolveName', { host: '127.0.0.1', port }), 0);
}

// The broker's flag [MQTT-3.2.2-1] [MQTT-3.2.2-2] [MQTT-3.2.2-3], as connect() resolves it.
export async function sessionPresent(host, { port }) {
  assert.deepEqual(await host.runCase(API, 'sessionPresent', { port }), { first: 0, second: 1, third: 0, fourth: 0 });
}

/** The seed's example, as api.md writes it: the callback fires for openmv/in, and openmv/out gets hello. */
export async function seedExample(host, { port }) {
  return withPeer(port, async peer => {
    await peer.subscribeAsync('openmv/out');
    const out = [];
    peer.on('message', (topic, payload) => out.push([topic, payload.toString()]));
    const result = await host.run('tests/scenarios/seed-example.js', { port, messages: 2 }, {
      onReport: async () => {
        await peer.publishAsync('openmv/in', 'one');
        await peer.publishAsync('openmv/in', 'two ✓');
      },
    });
    assert.deepEqual(result, { sessionPresent: 0, received: [['openmv/in', 'one'], ['openmv/in', 'two ✓']] });
    // In mcsim, traces reach the test through the debugger, results through the control channel: either may come first.
    await until(() => host.traces.length >= 2, 'the callback\'s traces');
    assert.deepEqual(host.traces, ['openmv/in one', 'openmv/in two ✓'], 'the callback traced each message');
    await until(() => out.length === 1, 'hello on openmv/out');
    assert.deepEqual(out, [['openmv/out', 'hello']]);
  });
}

export async function connectTwice(host, { port }) {
  assert.deepEqual(await host.runCase(API, 'connectTwice', { port }), { during: 'Error: already connecting', after: 'Error: already connected' });
}

// The will topic is a topic name [MQTT-4.7.3-1] [MQTT-4.7.1-1]; will QoS never 3 [MQTT-3.1.2-14].
export async function setLastWillErrors(host, { port }) {
  const result = await host.runCase(API, 'setLastWillErrors', { port });
  assert.match(result.emptyTopic, /^TypeError: will topic is empty/);
  assert.match(result.wildcardTopic, /^TypeError: will topic contains a wildcard/);
  assert.match(result.qos3, /^RangeError: QoS must be 0, 1 or 2, not 3/);
  assert.match(result.qosNegative, /^RangeError: QoS must be 0, 1 or 2, not -1/);
  assert.match(result.retainNotBoolean, /^TypeError: retain must be true or false/);
  assert.match(result.messageNumber, /^TypeError: will message must be a string or binary data/);
  assert.equal(result.valid, 'ok');
  assert.match(result.whenConnected, /^Error: setLastWill must be called before connect\(\)/);
}

// CONNECT carries the will with its flag [MQTT-3.1.2-9]; the broker publishes it [MQTT-3.1.2-8].
export async function will(host, { port }) {
  return withPeer(port, { clientId: 'will-watcher' }, async peer => {
    await peer.subscribeAsync('will/topic', { qos: 1 });
    const wills = [];
    peer.on('message', (topic, payload, packet) => wills.push({ topic, payload: payload.toString(), qos: packet.qos }));
    let connected = false;
    const running = host.runCase(API, 'will', { port, topic: 'will/topic', message: 'gone ✓', qos: 1, retain: false },
      { onReport: () => { connected = true; } });
    running.catch(() => {});	// the machine is killed below: the case never ends
    await until(() => connected, 'the client to connect');
    assert.deepEqual(wills, [], 'no will while the client lives');
    await host.kill();	// the machine dies: its socket closes, no DISCONNECT
    await until(() => wills.length === 1, 'the will');
    assert.deepEqual(wills, [{ topic: 'will/topic', payload: 'gone ✓', qos: 1 }]);
  });
}

// After DISCONNECT the client closes the connection: no socket is left [MQTT-3.14.4-1].
export async function disconnect(host, { port }) {
  const result = await host.runCase(API, 'disconnect', { port });
  assert.equal(result.published, 'Error: disconnected by the application');
  assert.equal(result.waiting, 'Error: disconnected by the application');
  assert.deepEqual(result.resources, { timers: 0, sockets: 0 });
  assert.equal(result.connected, false);
  for (const name of ['publish', 'subscribe', 'ping', 'waitMsg'])
    assert.match(result.afterwards[name], /not connected/, name);
  assert.equal(result.afterwards.disconnectAgain, 'ok');
  assert.equal(result.reconnect, 0);
}

export async function ping(host, { port }) {
  assert.deepEqual(await host.runCase(API, 'ping', { port }), { pinged: 'ok', answer: 'undefined' });
}

export async function waitMsgOtherPacket(host, { port }) {
  assert.equal(await host.runCase(API, 'waitMsgOtherPacket', { port }), 0x40);
}

// The QoS 1 and 2 flows, both ways [MQTT-4.3.2-1] [MQTT-4.3.3-1]. `maxQoS`:
// the most a broker grants (RabbitMQ: 1, and it answers a QoS 2 PUBLISH with
// PUBACK, which settles the publish); a message comes at the lesser of its
// QoS and the granted one [MQTT-3.8.4-6].
export async function publishQoS(host, { port, maxQoS = 2 }) {
  const result = await host.runCase(API, 'publishQoS', { port });
  assert.deepEqual(result.outcomes, ['ok', 'ok', 'ok']);
  assert.deepEqual([...result.received].sort(), [['qos/0', 'message 0'], ['qos/1', 'message 1'], ['qos/2', 'message 2']]);
  assert.deepEqual([...result.firstBytes].sort(), [0x30, 0x32, 0x30 | (Math.min(2, maxQoS) << 1)]);
}

// No QoS 3 [MQTT-3.3.1-4]; a topic name is not empty [MQTT-4.7.3-1] and holds no wildcard [MQTT-3.3.2-2] [MQTT-4.7.1-1].
/** `options`: the host's run options (2 MB through a socket polled every 20 ms takes a while). */
export async function publishArguments(host, { port }, options) {
  const result = await host.runCase(API, 'publishArguments', { port }, options);
  assert.match(result.tooLarge, /^RangeError: packet too large: remaining length 2097152 reaches the limit of 2097152 bytes/);
  assert.match(result.emptyTopic, /^TypeError: topic is empty/);
  assert.match(result.wildcard, /^TypeError: topic contains a wildcard/);
  assert.match(result.qos3, /^RangeError: QoS must be 0, 1 or 2, not 3/);
  assert.match(result.qosString, /^RangeError: QoS must be 0, 1 or 2, not "1"/);
  assert.match(result.retainNumber, /^TypeError: retain must be true or false, not 1/);
  assert.match(result.msgNumber, /^TypeError: message must be a string or binary data/);
  assert.match(result.topicNumber, /^TypeError: topic must be a string or binary data/);
  assert.equal(result.limit, 'ok', 'a remaining length of 2,097,151 is sent');
}

export async function subscribeWithoutCallback(host, { port }) {
  assert.match(await host.runCase(API, 'subscribeWithoutCallback', { port }), /^Error: subscribe needs a callback/);
}

/** `maxQoS`: the most the broker grants (RabbitMQ: 1); a server may grant less than asked (MQTT 3.1.1, 3.8.4). */
export async function subscribeGranted(host, { port, maxQoS = 2 }) {
  for (const qos of [0, 1, 2])
    assert.deepEqual(await host.runCase(API, 'subscribe', { port, topic: `granted/${qos}`, qos }), { granted: Math.min(qos, maxQoS) });
}

export async function checkMsg(host, { port }) {
  const result = await host.runCase(API, 'checkMsg', { port });
  assert.equal(result.nothing, 'undefined');
  // 50 ms is the design target (the seed's select() in check_msg); the room
  // above it is for a timer fired late on a loaded machine (250 ms), far
  // below any other wait the client has (keep-alive, a reconnection).
  assert.ok(result.elapsed >= 45 && result.elapsed <= 50 + 250, `waited ${result.elapsed} ms: about 50 ms`);
  // In mcsim, timers counted by the SDK's "Timers" instrumentation, less each socket's polling task
  assert.deepEqual(result.after, { timers: 0, sockets: 0 });
}

export async function callbackTypes(host, { port }) {
  return withPeer(port, async peer => {
    const result = await host.runCase(API, 'callbackTypes', { port }, {
      onReport: () => peer.publish('types/in', Buffer.from([0, 1, 2, 255])),
    });
    assert.deepEqual(result, { topicIsArrayBuffer: true, msgIsArrayBuffer: true, topic: 'types/in', msg: [0, 1, 2, 255], returned: 0x30 });
  });
}

export async function pushWaiting(host, { port }) {
  return withPeer(port, async peer => {
    const result = await host.runCase(API, 'pushWaiting', { port }, {
      onReport: () => peer.publish('push/waiting', 'one'),
    });
    assert.deepEqual(result, { returned: 0x30, calls: ['one'] });
  });
}

/** Brokers that accept user "good" with password "secret" only, and the refusal each gives [MQTT-3.2.2-5]. */
const credentialBrokers = {
  aedes: {
    start: () => startAedes({
      authenticate(client, user, password, done) {
        if (user === 'good' && password?.toString() === 'secret')
          return done(null, true);
        const error = new Error('bad user name or password');
        error.returnCode = 4;
        done(error, null);
      },
    }),
    refusal: { code: 4, message: 'MQTT error 4: bad user name or password' },
  },
  mosquitto: {
    start: () => startMosquitto({ users: { good: 'secret' } }),	// a password file
    refusal: { code: 5, message: 'MQTT error 5: not authorized' },
  },
};

/** Bad credentials reject MQTTException with `broker`'s code (aedes or mosquitto); good ones then connect. */
export async function badCredentials(host, broker) {
  const { start, refusal } = credentialBrokers[broker];
  const secured = await start();
  try {
    const refused = await host.runCase(API, 'refusedCredentials', { port: secured.port, user: 'good', password: 'wrong' });
    assert.deepEqual(refused, { isMQTTException: true, name: 'MQTTException', ...refusal, after: { timers: 0, sockets: 0 } });
    assert.doesNotMatch(refused.message, /wrong|secret/, 'no credential in the message');
    assert.equal(await host.runCase(API, 'acceptedCredentials', { port: secured.port, user: 'good', password: 'secret' }), 0);
  }
  finally {
    await secured.close();
  }
}

/** aedes refuses subscriptions to denied/... (a SUBACK with 0x80, which mosquitto never sends); the app subscribes again. */
export async function subscriptionRefused(host) {
  const broker = await startAedes({
    authorizeSubscribe(client, subscription, done) {
      done(null, subscription.topic.startsWith('denied/') ? null : subscription);
    },
  });
  try {
    assert.deepEqual(await host.runCase(API, 'subscribe', { port: broker.port, topic: 'denied/t', qos: 1 }),
      { isMQTTException: true, code: 0x80, message: 'MQTT error 128: subscription refused' });
    assert.deepEqual(await host.runCase(API, 'subscribe', { port: broker.port, topic: 'allowed/t', qos: 1 }), { granted: 1 });
  }
  finally {
    await broker.close();
  }
}
