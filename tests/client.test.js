// MQTTClient, the seed's API row by row (shared/docs/api.md), on XS through
// the simulator host, against aedes and against mosquitto. Statement ids are
// MQTT 3.1.1's (tests/conformance.md). Each case is run and checked by
// tests/cases/api.js, as tests/mcsim-api.test.js does in mcsim.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startAedes, startMosquitto } from './harness/brokers.js';
import { xsnap } from './helpers/xs.js';
import * as api from './cases/api.js';

// Among the argument errors: a password without a user name [MQTT-3.1.2-22].
test('constructor: positional and options forms; each argument error throws at once', () => api.construct(xsnap));

test('port defaults to 1883, and to 8883 with TLS', () => api.defaultPorts(xsnap));

test('setCallback: a non-function throws', () => api.setCallbackErrors(xsnap));

test('MQTTException carries the broker code and its meaning in words', () => api.exception(xsnap));

test('connect rejects when the TCP connection is refused, and later calls reject', () => api.connectRefused(xsnap));

test('connect rejects when the host name does not resolve', () => api.connectUnresolved(xsnap));

// The first packet the server gets is CONNECT [MQTT-3.1.0-1].
test('connect rejects with a timeout when no CONNACK comes (a silent server)', () => api.connectSilent(xsnap));

test('a host name is resolved by the host\'s resolver; "localhost" and IP literals work', async () => {
  const broker = await startAedes();
  try {
    // The xsnap host's resolver takes a table of names; in mcsim the SDK's resolver asks the system.
    assert.equal(await xsnap.runCase('tests/scenarios/client/api.js', 'resolveName', { host: 'broker.example.test', port: broker.port }, { host: { resolve: { 'broker.example.test': '127.0.0.1' } } }), 0);
    await api.resolveName(xsnap, { port: broker.port });
  }
  finally {
    await broker.close();
  }
});

for (const [name, start] of [
  ['aedes', startAedes],
  ['mosquitto', startMosquitto],
]) {
  describe(`against ${name}`, () => {
    let broker;
    before(async () => { broker = await start(); });
    after(() => broker.close());
    const at = () => ({ port: broker.port });

    // The broker's flag [MQTT-3.2.2-1] [MQTT-3.2.2-2] [MQTT-3.2.2-3], as connect() resolves it.
    test('connect resolves the session-present flag', () => api.sessionPresent(xsnap, at()));

    test('the seed\'s example, as api.md writes it: the callback fires for openmv/in, and openmv/out gets hello', () => api.seedExample(xsnap, at()));

    test('connect twice: the second call rejects', () => api.connectTwice(xsnap, at()));

    // The will topic is a topic name [MQTT-4.7.3-1] [MQTT-4.7.1-1]; will QoS never 3 [MQTT-3.1.2-14].
    test('setLastWill: argument errors and too late once connected', () => api.setLastWillErrors(xsnap, at()));

    // CONNECT carries the will with its flag [MQTT-3.1.2-9]; the broker publishes it [MQTT-3.1.2-8].
    test('the last will reaches another client when the socket dies without DISCONNECT', () => api.will(xsnap, at()));

    // After DISCONNECT the client closes the connection: no socket is left [MQTT-3.14.4-1].
    test('disconnect: pending Promises reject, nothing is left, later calls reject until connect', () => api.disconnect(xsnap, at()));

    test('ping writes PINGREQ; the PINGRESP makes waitMsg resolve undefined', () => api.ping(xsnap, at()));

    test('waitMsg resolves the first byte of a packet other than PUBLISH (PUBACK: 0x40)', () => api.waitMsgOtherPacket(xsnap, at()));

    // The QoS 1 and 2 flows, both ways [MQTT-4.3.2-1] [MQTT-4.3.3-1].
    test('publish QoS 0, 1 and 2; waitMsg delivers to the callback and resolves the first byte', () => api.publishQoS(xsnap, at()));

    // No QoS 3 [MQTT-3.3.1-4]; a topic name is not empty [MQTT-4.7.3-1] and holds no wildcard [MQTT-3.3.2-2] [MQTT-4.7.1-1].
    test('publish: argument errors throw before anything is sent; the size limit is the seed\'s', () => api.publishArguments(xsnap, at()));

    test('subscribe throws when no callback is set', () => api.subscribeWithoutCallback(xsnap, at()));

    test('subscribe resolves the granted QoS', () => api.subscribeGranted(xsnap, at()));

    test('checkMsg waits about 50 ms and resolves undefined when nothing came', () => api.checkMsg(xsnap, at()));

    test('the callback gets topic and message as ArrayBuffers; waitMsg resolves the PUBLISH first byte', () => api.callbackTypes(xsnap, at()));

    test('push mode: a waitMsg pending when a QoS 0 message arrives resolves its first byte; the callback has the message once', () => api.pushWaiting(xsnap, at()));
  });
}

for (const [broker, setting] of [['aedes', 'aedes: 4'], ['mosquitto', 'mosquitto with a password file: 5']])
  test(`bad credentials: MQTTException with the broker's code (${setting})`, () => api.badCredentials(xsnap, broker));

test('a refused subscription rejects MQTTException(0x80) (aedes authorizeSubscribe)', () => api.subscriptionRefused(xsnap));
