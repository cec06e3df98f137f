// MQTTClient, the seed's API row by row (shared/docs/api.md), on XS through
// the simulator host, against aedes and against mosquitto. Statement ids are
// MQTT 3.1.1's (tests/conformance.md).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import mqtt from 'mqtt';
import { startAedes, startMosquitto, freePort } from './harness/brokers.js';
import { startScripted } from './harness/scripted-broker.js';
import { XSHost } from './harness/host.js';
import { runCase, runScenario, until } from './helpers/xs.js';

const API = 'tests/scenarios/client/api.js';
const api = (name, params, options) => runCase(API, name, params, options);

// Among the argument errors: a password without a user name [MQTT-3.1.2-22].
test('constructor: positional and options forms; each argument error throws at once', async () => {
  const result = await api('construct');
  assert.equal(result.positional, 'ok');
  assert.equal(result.options, 'ok');
  assert.equal(result.binaryClientId, 'ok');
  assert.equal(result.keepaliveMax, 'ok');
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
});

test('port defaults to 1883, and to 8883 with TLS', async () => {
  // 127.0.0.2 is loopback too, and nothing of ours listens there.
  const result = await api('defaultPorts', { closedAddress: '127.0.0.2' });
  assert.match(result.plain, /could not connect to 127\.0\.0\.2:1883/);
  assert.match(result.secure, /could not connect to 127\.0\.0\.2:8883/);
});

test('setCallback: a non-function throws', async () => {
  const result = await api('setCallbackErrors');
  assert.match(result.notFunction, /^TypeError: callback must be a function/);
  assert.match(result.missing, /^TypeError: callback must be a function/);
});

test('MQTTException carries the broker code and its meaning in words', async () => {
  const result = await api('exception');
  assert.deepEqual(result.refused, { code: 0x80, message: 'MQTT error 128: subscription refused', name: 'MQTTException', isError: true });
  assert.deepEqual(result.auth, { code: 5, message: 'MQTT error 5: not authorized' });
});

test('connect rejects when the TCP connection is refused, and later calls reject', async () => {
  const port = await freePort();
  const result = await api('connectFailure', { port });
  assert.match(result.outcome, new RegExp(`^Error: could not connect to 127\\.0\\.0\\.1:${port}`));
  assert.deepEqual(result.after, { timers: 0, sockets: 0 });
  assert.match(result.publishAfter, /not connected/);
});

test('connect rejects when the host name does not resolve', async () => {
  const result = await api('connectFailure', { host: 'no-such-host.invalid', port: 1883 });
  assert.equal(result.outcome, 'Error: cannot resolve host name no-such-host.invalid');
  assert.deepEqual(result.after, { timers: 0, sockets: 0 });
});

// The first packet the server gets is CONNECT [MQTT-3.1.0-1].
test('connect rejects with a timeout when no CONNACK comes (a silent server)', async () => {
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

test('a host name is resolved by the host\'s resolver; "localhost" and IP literals work', async () => {
  const broker = await startAedes();
  try {
    assert.equal(await api('resolveName', { host: 'broker.example.test', port: broker.port }, { host: { resolve: { 'broker.example.test': '127.0.0.1' } } }), 0);
    assert.equal(await api('resolveName', { host: 'localhost', port: broker.port }), 0);
    assert.equal(await api('resolveName', { host: '127.0.0.1', port: broker.port }), 0);
  }
  finally {
    await broker.close();
  }
});

for (const [name, start, refusal] of [
  ['aedes', startAedes, 4],
  ['mosquitto', startMosquitto, 5],
]) {
  describe(`against ${name}`, () => {
    let broker;
    before(async () => { broker = await start(); });
    after(() => broker.close());

    // The broker's flag [MQTT-3.2.2-1] [MQTT-3.2.2-2] [MQTT-3.2.2-3], as connect() resolves it.
    test('connect resolves the session-present flag', async () => {
      const result = await api('sessionPresent', { port: broker.port });
      assert.deepEqual(result, { first: 0, second: 1, third: 0, fourth: 0 });
    });

    test('the seed\'s example, as api.md writes it: the callback fires for openmv/in, and openmv/out gets hello', async () => {
      const peer = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.port}`);
      try {
        await peer.subscribeAsync('openmv/out');
        const out = [];
        peer.on('message', (topic, payload) => out.push([topic, payload.toString()]));
        const { result, xs } = await runScenario('tests/scenarios/seed-example.js', { port: broker.port, messages: 2 }, {
          onReport: async () => {
            await peer.publishAsync('openmv/in', 'one');
            await peer.publishAsync('openmv/in', 'two ✓');
          },
        });
        assert.deepEqual(result, { sessionPresent: 0, received: [['openmv/in', 'one'], ['openmv/in', 'two ✓']] });
        assert.deepEqual(xs.traces, ['openmv/in one\n', 'openmv/in two ✓\n'], 'the callback traced each message');
        await until(() => out.length === 1, 'hello on openmv/out');
        assert.deepEqual(out, [['openmv/out', 'hello']]);
      }
      finally {
        await peer.endAsync();
      }
    });

    test('connect twice: the second call rejects', async () => {
      const result = await api('connectTwice', { port: broker.port });
      assert.equal(result.during, 'Error: already connecting');
      assert.equal(result.after, 'Error: already connected');
    });

    // The will topic is a topic name [MQTT-4.7.3-1] [MQTT-4.7.1-1]; will QoS never 3 [MQTT-3.1.2-14].
    test('setLastWill: argument errors and too late once connected', async () => {
      const result = await api('setLastWillErrors', { port: broker.port });
      assert.match(result.emptyTopic, /^TypeError: will topic is empty/);
      assert.match(result.wildcardTopic, /^TypeError: will topic contains a wildcard/);
      assert.match(result.qos3, /^RangeError: QoS must be 0, 1 or 2, not 3/);
      assert.match(result.qosNegative, /^RangeError: QoS must be 0, 1 or 2, not -1/);
      assert.match(result.retainNotBoolean, /^TypeError: retain must be true or false/);
      assert.match(result.messageNumber, /^TypeError: will message must be a string or binary data/);
      assert.equal(result.valid, 'ok');
      assert.match(result.whenConnected, /^Error: setLastWill must be called before connect\(\)/);
    });

    // CONNECT carries the will with its flag [MQTT-3.1.2-9]; the broker publishes it [MQTT-3.1.2-8].
    test('the last will reaches another client when the socket dies without DISCONNECT', async () => {
      const peer = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.port}`, { clientId: 'will-watcher' });
      try {
        await peer.subscribeAsync('will/topic', { qos: 1 });
        const wills = [];
        peer.on('message', (topic, payload, packet) => wills.push({ topic, payload: payload.toString(), qos: packet.qos }));
        const xs = await XSHost.start();
        let connected = false;
        xs.run(API, { case: 'will', port: broker.port, topic: 'will/topic', message: 'gone ✓', qos: 1, retain: false },
          { onReport: () => { connected = true; } }).catch(() => {});
        await until(() => connected, 'the XS client to connect');
        assert.deepEqual(wills, [], 'no will while the client lives');
        await xs.close();	// the XS machine dies: its socket is destroyed, no DISCONNECT
        await until(() => wills.length === 1, 'the will');
        assert.deepEqual(wills, [{ topic: 'will/topic', payload: 'gone ✓', qos: 1 }]);
      }
      finally {
        await peer.endAsync();
      }
    });

    // After DISCONNECT the client closes the connection: no socket is left [MQTT-3.14.4-1].
    test('disconnect: pending Promises reject, nothing is left, later calls reject until connect', async () => {
      const result = await api('disconnect', { port: broker.port });
      assert.equal(result.published, 'Error: disconnected by the application');
      assert.equal(result.waiting, 'Error: disconnected by the application');
      assert.deepEqual(result.resources, { timers: 0, sockets: 0 });
      assert.equal(result.connected, false);
      assert.match(result.afterwards.publish, /not connected/);
      assert.match(result.afterwards.subscribe, /not connected/);
      assert.match(result.afterwards.ping, /not connected/);
      assert.match(result.afterwards.waitMsg, /not connected/);
      assert.equal(result.afterwards.disconnectAgain, 'ok');
      assert.equal(result.reconnect, 0);
    });

    test('ping writes PINGREQ; the PINGRESP makes waitMsg resolve undefined', async () => {
      assert.deepEqual(await api('ping', { port: broker.port }), { pinged: 'ok', answer: 'undefined' });
    });

    test('waitMsg resolves the first byte of a packet other than PUBLISH (PUBACK: 0x40)', async () => {
      assert.equal(await api('waitMsgOtherPacket', { port: broker.port }), 0x40);
    });

    // The QoS 1 and 2 flows, both ways [MQTT-4.3.2-1] [MQTT-4.3.3-1].
    test('publish QoS 0, 1 and 2; waitMsg delivers to the callback and resolves the first byte', async () => {
      const result = await api('publishQoS', { port: broker.port });
      assert.deepEqual(result.outcomes, ['ok', 'ok', 'ok']);
      assert.deepEqual(result.received.sort(), [['qos/0', 'message 0'], ['qos/1', 'message 1'], ['qos/2', 'message 2']]);
      assert.deepEqual([...result.firstBytes].sort(), [0x30, 0x32, 0x34]);
    });

    // No QoS 3 [MQTT-3.3.1-4]; a topic name is not empty [MQTT-4.7.3-1] and holds no wildcard [MQTT-3.3.2-2] [MQTT-4.7.1-1].
    test('publish: argument errors throw before anything is sent; the size limit is the seed\'s', async () => {
      const result = await api('publishArguments', { port: broker.port });
      assert.match(result.tooLarge, /^RangeError: packet too large: remaining length 2097152 reaches the limit of 2097152 bytes/);
      assert.match(result.emptyTopic, /^TypeError: topic is empty/);
      assert.match(result.wildcard, /^TypeError: topic contains a wildcard/);
      assert.match(result.qos3, /^RangeError: QoS must be 0, 1 or 2, not 3/);
      assert.match(result.qosString, /^RangeError: QoS must be 0, 1 or 2, not "1"/);
      assert.match(result.retainNumber, /^TypeError: retain must be true or false, not 1/);
      assert.match(result.msgNumber, /^TypeError: message must be a string or binary data/);
      assert.match(result.topicNumber, /^TypeError: topic must be a string or binary data/);
      assert.equal(result.limit, 'ok', 'a remaining length of 2,097,151 is sent');
    });

    test('subscribe throws when no callback is set', async () => {
      assert.match(await api('subscribeWithoutCallback', { port: broker.port }), /^Error: subscribe needs a callback/);
    });

    test('subscribe resolves the granted QoS', async () => {
      for (const qos of [0, 1, 2])
        assert.deepEqual(await api('subscribe', { port: broker.port, topic: `granted/${qos}`, qos }), { granted: qos });
    });

    test('checkMsg waits about 50 ms and resolves undefined when nothing came', async () => {
      const result = await api('checkMsg', { port: broker.port });
      assert.equal(result.nothing, 'undefined');
      assert.ok(result.elapsed >= 45, `waited ${result.elapsed} ms`);
      assert.deepEqual(result.after, { timers: 0, sockets: 0 });
    });

    test('the callback gets topic and message as ArrayBuffers; waitMsg resolves the PUBLISH first byte', async () => {
      const peer = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.port}`);
      try {
        const result = await api('callbackTypes', { port: broker.port }, {
          onReport: () => peer.publish('types/in', Buffer.from([0, 1, 2, 255])),
        });
        assert.deepEqual(result, { topicIsArrayBuffer: true, msgIsArrayBuffer: true, topic: 'types/in', msg: [0, 1, 2, 255], returned: 0x30 });
      }
      finally {
        await peer.endAsync();
      }
    });
  });
}

test('bad credentials: MQTTException with the broker\'s code (aedes: 4)', async () => {
  const broker = await startAedes({
    authenticate(client, user, password, done) {
      if (user === 'good' && password?.toString() === 'secret')
        return done(null, true);
      const error = new Error('bad user name or password');
      error.returnCode = 4;
      done(error, null);
    },
  });
  try {
    const refused = await api('refusedCredentials', { port: broker.port, user: 'good', password: 'wrong' });
    assert.deepEqual(refused, { isMQTTException: true, name: 'MQTTException', code: 4, message: 'MQTT error 4: bad user name or password', after: { timers: 0, sockets: 0 } });
    assert.equal(await api('acceptedCredentials', { port: broker.port, user: 'good', password: 'secret' }), 0);
  }
  finally {
    await broker.close();
  }
});

test('bad credentials: MQTTException with the broker\'s code (mosquitto with a password file: 5)', async () => {
  const broker = await startMosquitto({ users: { good: 'secret' } });
  try {
    const refused = await api('refusedCredentials', { port: broker.port, user: 'good', password: 'wrong' });
    assert.equal(refused.isMQTTException, true);
    assert.equal(refused.code, 5);
    assert.equal(refused.message, 'MQTT error 5: not authorized');
    assert.doesNotMatch(refused.message, /wrong|secret/, 'no credential in the message');
    assert.equal(await api('acceptedCredentials', { port: broker.port, user: 'good', password: 'secret' }), 0);
  }
  finally {
    await broker.close();
  }
});

test('a refused subscription rejects MQTTException(0x80) (aedes authorizeSubscribe)', async () => {
  const broker = await startAedes({
    authorizeSubscribe(client, subscription, done) {
      done(null, subscription.topic.startsWith('denied/') ? null : subscription);
    },
  });
  try {
    assert.deepEqual(await api('subscribe', { port: broker.port, topic: 'denied/t', qos: 1 }),
      { isMQTTException: true, code: 0x80, message: 'MQTT error 128: subscription refused' });
    assert.deepEqual(await api('subscribe', { port: broker.port, topic: 'allowed/t', qos: 1 }), { granted: 1 });
  }
  finally {
    await broker.close();
  }
});
