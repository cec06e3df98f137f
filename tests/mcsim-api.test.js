// The seed's API row by row (shared/docs/api.md), refusals and connect
// failures included, on the real Moddable runtime: the scenarios of
// tests/scenarios/client run in the SDK's mcsim (the runner app, one machine
// for the whole file, case after case), against mosquitto on loopback, and
// aedes where only aedes can answer (a SUBACK with 0x80). A refusal must be a
// rejection the app catches: the machine keeps running and connects again
// (an XS abort or a dead machine fails the test that ran it).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import mqtt from 'mqtt';
import { startAedes, startMosquitto, freePort } from './harness/brokers.js';
import { startScripted } from './harness/scripted-broker.js';
import { mcsimEnabled, useMcsim } from './sim/suite.js';
import { until } from './helpers/xs.js';

const API = 'tests/scenarios/client/api.js';
const INTEROP = 'tests/scenarios/client/interop.js';

if (mcsimEnabled) describe('in mcsim: the API (api.md), row by row', () => {
  const mcsim = useMcsim();
  const api = (name, params, options) => mcsim.runCase(API, name, params, options);
  let broker;
  before(async () => { broker = await startMosquitto(); });
  after(() => broker?.close());

  test('constructor (api.md row 1): positional and options forms; each argument error throws at once', async () => {
    const result = await api('construct');
    for (const name of ['positional', 'options', 'binaryClientId', 'keepaliveMax'])
      assert.equal(result[name], 'ok', name);
    assert.match(result.userWithoutPassword, /^TypeError: user name given without password/);
    assert.match(result.passwordWithoutUser, /^TypeError: password given without user name/);
    for (const name of ['keepaliveNegative', 'keepaliveTooLarge', 'keepaliveFraction', 'keepaliveString'])
      assert.match(result[name], /^RangeError: keepalive must be an integer 0\.\.65535/, name);
    assert.match(result.portZero, /^RangeError: port must be an integer 1\.\.65535/);
    assert.match(result.portTooLarge, /^RangeError: port must be an integer 1\.\.65535/);
    assert.match(result.clientIdNumber, /^TypeError: clientId must be a string or binary data/);
    assert.match(result.serverEmpty, /^TypeError: server must be/);
    assert.match(result.callbackNotFunction, /^TypeError: callback must be a function/);
    assert.match(result.sslParamsString, /^TypeError: sslParams must be an object/);
  });

  test('constructor (api.md row 1): port defaults to 1883, and to 8883 with TLS', async () => {
    const result = await api('defaultPorts', { closedAddress: '127.0.0.2' });	// loopback, where nothing of ours listens
    assert.match(result.plain, /could not connect to 127\.0\.0\.2:1883/);
    assert.match(result.secure, /could not connect to 127\.0\.0\.2:8883/);
  });

  test('setCallback (api.md row 2): a non-function throws', async () => {
    const result = await api('setCallbackErrors');
    assert.match(result.notFunction, /^TypeError: callback must be a function/);
    assert.match(result.missing, /^TypeError: callback must be a function/);
  });

  test('MQTTException (api.md last row): an Error named MQTTException, with the broker\'s code and its meaning in words', async () => {
    const result = await api('exception');
    assert.deepEqual(result.refused, { code: 0x80, message: 'MQTT error 128: subscription refused', name: 'MQTTException', isError: true });
    assert.deepEqual(result.auth, { code: 5, message: 'MQTT error 5: not authorized' });
  });

  test('connect (api.md row 4) rejects when the TCP connection is refused; later calls reject; nothing is left', async () => {
    const port = await freePort();
    const result = await api('connectFailure', { port });
    assert.match(result.outcome, new RegExp(`^Error: could not connect to 127\\.0\\.0\\.1:${port}`));
    // resources(): the SDK's "Network Sockets" and "Timers" instrumentation, the control socket left out
    assert.deepEqual(result.after, { timers: 0, sockets: 0 });
    assert.match(result.publishAfter, /not connected/);
  });

  test('connect (api.md row 4) rejects when the host name does not resolve (the SDK\'s net resolver)', async () => {
    const result = await api('connectFailure', { host: 'no-such-host.invalid', port: 1883 }, { timeout: 90_000 });
    assert.equal(result.outcome, 'Error: cannot resolve host name no-such-host.invalid');
    assert.deepEqual(result.after, { timers: 0, sockets: 0 });
  });

  test('connect (api.md row 4) rejects with a timeout when no CONNACK comes (a silent server)', async () => {
    const silent = await startScripted({ connect() {} });
    try {
      const result = await api('connectFailure', { port: silent.port, timeout: 0.3 });
      assert.equal(result.outcome, `Error: no CONNACK from 127.0.0.1:${silent.port} within 0.3 s`);
      assert.ok(result.elapsed >= 290, `rejected after ${result.elapsed} ms`);
      assert.deepEqual(result.after, { timers: 0, sockets: 0 });
      assert.equal(silent.sessions[0].packets[0].cmd, 'connect', 'the CONNECT did reach the server');
    }
    finally {
      await silent.close();
    }
  });

  test('connect: "localhost" and an IPv4 literal both reach the broker', async () => {
    assert.equal(await api('resolveName', { host: 'localhost', port: broker.port }), 0);
    assert.equal(await api('resolveName', { host: '127.0.0.1', port: broker.port }), 0);
  });

  test('connect (api.md row 4) resolves the session-present flag [MQTT-3.2.2-1, -2, -3]', async () => {
    assert.deepEqual(await api('sessionPresent', { port: broker.port }), { first: 0, second: 1, third: 0, fourth: 0 });
  });

  test('the seed\'s example, as api.md writes it: the callback fires for openmv/in, and openmv/out gets hello', async () => {
    const peer = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.port}`);
    try {
      await peer.subscribeAsync('openmv/out');
      const out = [];
      peer.on('message', (topic, payload) => out.push([topic, payload.toString()]));
      const result = await mcsim.run('tests/scenarios/seed-example.js', { port: broker.port, messages: 2 }, {
        onReport: async () => {
          await peer.publishAsync('openmv/in', 'one');
          await peer.publishAsync('openmv/in', 'two ✓');
        },
      });
      assert.deepEqual(result, { sessionPresent: 0, received: [['openmv/in', 'one'], ['openmv/in', 'two ✓']] });
      // traces reach the test through the debugger, results through the control channel: either may come first
      await until(() => mcsim.host.traces.length >= 2, 'the callback\'s traces');
      assert.deepEqual(mcsim.host.traces, ['openmv/in one', 'openmv/in two ✓'], 'the callback traced each message');
      await until(() => out.length === 1, 'hello on openmv/out');
      assert.deepEqual(out, [['openmv/out', 'hello']]);
    }
    finally {
      await peer.endAsync();
    }
  });

  test('connect twice: the second call rejects while the first is pending and once connected', async () => {
    assert.deepEqual(await api('connectTwice', { port: broker.port }), { during: 'Error: already connecting', after: 'Error: already connected' });
  });

  test('setLastWill (api.md row 3): argument errors, and too late once connected', async () => {
    const result = await api('setLastWillErrors', { port: broker.port });
    assert.match(result.emptyTopic, /^TypeError: will topic is empty/);
    assert.match(result.wildcardTopic, /^TypeError: will topic contains a wildcard/);
    assert.match(result.qos3, /^RangeError: QoS must be 0, 1 or 2, not 3/);
    assert.equal(result.valid, 'ok');
    assert.match(result.whenConnected, /^Error: setLastWill must be called before connect\(\)/);
  });

  test('the last will reaches another client when the device dies without DISCONNECT [MQTT-3.1.2-8]', async () => {
    const peer = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.port}`, { clientId: 'will-watcher' });
    try {
      await peer.subscribeAsync('will/topic', { qos: 1 });
      const wills = [];
      peer.on('message', (topic, payload, packet) => wills.push({ topic, payload: payload.toString(), qos: packet.qos }));
      let connected = false;
      const running = mcsim.runCase(API, 'will', { port: broker.port, topic: 'will/topic', message: 'gone ✓', qos: 1, retain: false },
        { onReport: () => { connected = true; } });
      running.catch(() => {});	// the machine is killed below: the case never ends
      await until(() => connected, 'the client in mcsim to connect');
      assert.deepEqual(wills, [], 'no will while the client lives');
      await mcsim.host.kill();	// mcsim dies: the OS closes its socket, no DISCONNECT
      await until(() => wills.length === 1, 'the will');
      assert.deepEqual(wills, [{ topic: 'will/topic', payload: 'gone ✓', qos: 1 }]);
    }
    finally {
      await peer.endAsync();
    }
  });

  test('disconnect (api.md row 5): pending Promises reject, nothing is left, later calls reject until connect', async () => {
    const result = await api('disconnect', { port: broker.port });
    assert.equal(result.published, 'Error: disconnected by the application');
    assert.equal(result.waiting, 'Error: disconnected by the application');
    assert.deepEqual(result.resources, { timers: 0, sockets: 0 });
    assert.equal(result.connected, false);
    for (const name of ['publish', 'subscribe', 'ping', 'waitMsg'])
      assert.match(result.afterwards[name], /not connected/, name);
    assert.equal(result.afterwards.disconnectAgain, 'ok');
    assert.equal(result.reconnect, 0);
  });

  test('ping (api.md row 6) writes PINGREQ; the PINGRESP makes waitMsg resolve undefined', async () => {
    assert.deepEqual(await api('ping', { port: broker.port }), { pinged: 'ok', answer: 'undefined' });
  });

  test('waitMsg (api.md row 9) resolves the first byte of a packet other than PUBLISH (PUBACK: 0x40)', async () => {
    assert.equal(await api('waitMsgOtherPacket', { port: broker.port }), 0x40);
  });

  test('publish (api.md row 7) at QoS 0, 1 and 2; waitMsg delivers each to the callback and resolves its first byte', async () => {
    const result = await api('publishQoS', { port: broker.port });
    assert.deepEqual(result.outcomes, ['ok', 'ok', 'ok']);
    assert.deepEqual([...result.received].sort(), [['qos/0', 'message 0'], ['qos/1', 'message 1'], ['qos/2', 'message 2']]);
    assert.deepEqual([...result.firstBytes].sort(), [0x30, 0x32, 0x34]);
  });

  test('publish (api.md row 7): argument errors and the 2,097,152-byte limit throw before anything is sent', async () => {
    const result = await api('publishArguments', { port: broker.port, sendLimit: false });
    assert.match(result.tooLarge, /^RangeError: packet too large: remaining length 2097152 reaches the limit of 2097152 bytes/);
    assert.match(result.emptyTopic, /^TypeError: topic is empty/);
    assert.match(result.wildcard, /^TypeError: topic contains a wildcard/);
    assert.match(result.qos3, /^RangeError: QoS must be 0, 1 or 2, not 3/);
    assert.match(result.msgNumber, /^TypeError: message must be a string or binary data/);
  });

  test('subscribe (api.md row 8) throws when no callback is set', async () => {
    assert.match(await api('subscribeWithoutCallback', { port: broker.port }), /^Error: subscribe needs a callback/);
  });

  test('subscribe (api.md row 8) resolves the granted QoS [MQTT-3.9.3-1]', async () => {
    for (const qos of [0, 1, 2])
      assert.deepEqual(await api('subscribe', { port: broker.port, topic: `granted/${qos}`, qos }), { granted: qos });
  });

  test('checkMsg (api.md row 10) waits about 50 ms and resolves undefined when nothing came', async () => {
    const result = await api('checkMsg', { port: broker.port });
    assert.equal(result.nothing, 'undefined');
    assert.ok(result.elapsed >= 45, `waited ${result.elapsed} ms`);
    // Timers counted by the SDK's "Timers" instrumentation, less each socket's polling task
    assert.deepEqual(result.after, { timers: 0, sockets: 0 });
  });

  test('the callback (api.md row 2) gets topic and message as ArrayBuffers; waitMsg resolves the PUBLISH first byte', async () => {
    const peer = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.port}`);
    try {
      const result = await api('callbackTypes', { port: broker.port }, { onReport: () => peer.publish('types/in', Buffer.from([0, 1, 2, 255])) });
      assert.deepEqual(result, { topicIsArrayBuffer: true, msgIsArrayBuffer: true, topic: 'types/in', msg: [0, 1, 2, 255], returned: 0x30 });
    }
    finally {
      await peer.endAsync();
    }
  });

  test('bad credentials (mosquitto with a password file): connect rejects MQTTException(5) [MQTT-3.2.2-5]; the app runs on and connects with good ones', async () => {
    const secured = await startMosquitto({ users: { good: 'secret' } });
    try {
      const starts = mcsim.host.starts;
      const refused = await api('refusedCredentials', { port: secured.port, user: 'good', password: 'wrong' });
      assert.equal(refused.isMQTTException, true);
      assert.equal(refused.name, 'MQTTException');
      assert.equal(refused.code, 5);
      assert.equal(refused.message, 'MQTT error 5: not authorized');
      assert.deepEqual(refused.after, { timers: 0, sockets: 0 });
      assert.equal(await api('acceptedCredentials', { port: secured.port, user: 'good', password: 'secret' }), 0);
      assert.equal(mcsim.host.starts, starts, 'the same machine ran both: the refusal did not abort it');
    }
    finally {
      await secured.close();
    }
  });

  test('bad credentials (aedes): connect rejects MQTTException(4) [MQTT-3.2.2-5]; the app runs on and connects with good ones', async () => {
    const aedes = await startAedes({
      authenticate(client, user, password, done) {
        if (user === 'good' && password?.toString() === 'secret')
          return done(null, true);
        const error = new Error('bad user name or password');
        error.returnCode = 4;
        done(error, null);
      },
    });
    try {
      const starts = mcsim.host.starts;
      const refused = await api('refusedCredentials', { port: aedes.port, user: 'good', password: 'wrong' });
      assert.deepEqual(refused, { isMQTTException: true, name: 'MQTTException', code: 4, message: 'MQTT error 4: bad user name or password', after: { timers: 0, sockets: 0 } });
      assert.equal(await api('acceptedCredentials', { port: aedes.port, user: 'good', password: 'secret' }), 0);
      assert.equal(mcsim.host.starts, starts, 'the same machine ran both');
    }
    finally {
      await aedes.close();
    }
  });

  test('a refused subscription rejects MQTTException(0x80) [MQTT-3.9.3-2] (aedes); the app runs on and subscribes again', async () => {
    const aedes = await startAedes({
      authorizeSubscribe(client, subscription, done) {
        done(null, subscription.topic.startsWith('denied/') ? null : subscription);
      },
    });
    try {
      const starts = mcsim.host.starts;
      assert.deepEqual(await api('subscribe', { port: aedes.port, topic: 'denied/t', qos: 1 }),
        { isMQTTException: true, code: 0x80, message: 'MQTT error 128: subscription refused' });
      assert.deepEqual(await api('subscribe', { port: aedes.port, topic: 'allowed/t', qos: 1 }), { granted: 1 });
      assert.equal(mcsim.host.starts, starts, 'the same machine ran both');
    }
    finally {
      await aedes.close();
    }
  });

  test('mosquitto with an ACL still grants a denied subscription (it hides the denial); no message comes through it', async () => {
    const acl = await startMosquitto({
      users: { device: 'pw', peer: 'pw' },
      acl: 'user device\ntopic read allowed/#\n\nuser peer\ntopic readwrite #\n',
    });
    const peer = await mqtt.connectAsync(`mqtt://127.0.0.1:${acl.port}`, { username: 'peer', password: 'pw' });
    try {
      const result = await mcsim.runCase(INTEROP, 'aclDenied', { port: acl.port }, {
        onReport: async () => {
          await peer.publishAsync('denied/t', 'never delivered', { qos: 1 });
          await peer.publishAsync('allowed/t', 'delivered', { qos: 1 });
        },
      });
      assert.deepEqual(result, { denied: 1, allowed: 1, received: ['allowed/t'] });
    }
    finally {
      await peer.endAsync();
      await acl.close();
    }
  });
});
