// The seed's API row by row (shared/docs/api.md), refusals and connect
// failures included, on the real Moddable runtime: the scenarios of
// tests/scenarios/client run in the SDK's mcsim (the runner app, one machine
// for the whole file, case after case), against mosquitto on loopback, and
// aedes where only aedes can answer (a SUBACK with 0x80). A refusal must be a
// rejection the app catches: the machine keeps running and connects again
// (an XS abort or a dead machine fails the test that ran it). Each case is
// run and checked by tests/cases/api.js, as tests/client.test.js does on xsnap.
import { test, describe, before, after } from 'node:test';
import { startMosquitto } from './harness/brokers.js';
import { mcsimEnabled, useMcsim } from './sim/suite.js';
import * as api from './cases/api.js';
import * as interop from './cases/interop.js';

if (mcsimEnabled) describe('in mcsim: the API (api.md), row by row', () => {
  const mcsim = useMcsim();
  let broker;
  before(async () => { broker = await startMosquitto(); });
  after(() => broker?.close());
  const at = () => ({ port: broker.port });

  test('constructor (api.md row 1): positional and options forms; each argument error throws at once', () => api.construct(mcsim));

  test('constructor (api.md row 1): port defaults to 1883, and to 8883 with TLS', () => api.defaultPorts(mcsim));

  test('setCallback (api.md row 2): a non-function throws', () => api.setCallbackErrors(mcsim));

  test('MQTTException (api.md last row): an Error named MQTTException, with the broker\'s code and its meaning in words', () => api.exception(mcsim));

  test('connect (api.md row 4) rejects when the TCP connection is refused; later calls reject; nothing is left', () => api.connectRefused(mcsim));

  test('connect (api.md row 4) rejects when the host name does not resolve (the SDK\'s net resolver)', () => api.connectUnresolved(mcsim, { timeout: 90_000 }));

  test('connect (api.md row 4) rejects with a timeout when no CONNACK comes (a silent server)', () => api.connectSilent(mcsim));

  test('connect: "localhost" and an IPv4 literal both reach the broker', () => api.resolveName(mcsim, at()));

  test('connect (api.md row 4) resolves the session-present flag [MQTT-3.2.2-1, -2, -3]', () => api.sessionPresent(mcsim, at()));

  test('the seed\'s example, as api.md writes it: the callback fires for openmv/in, and openmv/out gets hello', () => api.seedExample(mcsim, at()));

  test('connect twice: the second call rejects while the first is pending and once connected', () => api.connectTwice(mcsim, at()));

  test('setLastWill (api.md row 3): argument errors, and too late once connected', () => api.setLastWillErrors(mcsim, at()));

  // mcsim is killed: the OS closes its socket, no DISCONNECT.
  test('the last will reaches another client when the device dies without DISCONNECT [MQTT-3.1.2-8]', () => api.will(mcsim, at()));

  test('disconnect (api.md row 5): pending Promises reject, nothing is left, later calls reject until connect', () => api.disconnect(mcsim, at()));

  test('ping (api.md row 6) writes PINGREQ; the PINGRESP makes waitMsg resolve undefined', () => api.ping(mcsim, at()));

  test('waitMsg (api.md row 9) resolves the first byte of a packet other than PUBLISH (PUBACK: 0x40)', () => api.waitMsgOtherPacket(mcsim, at()));

  test('publish (api.md row 7) at QoS 0, 1 and 2; waitMsg delivers each to the callback and resolves its first byte', () => api.publishQoS(mcsim, at()));

  // The largest packet goes out too: 2 MB through the SDK's socket, polled every 20 ms, takes about half a minute.
  test('publish (api.md row 7): argument errors and the 2,097,152-byte limit throw before anything is sent', { timeout: 180_000 }, () => api.publishArguments(mcsim, at(), { timeout: 170_000 }));

  test('subscribe (api.md row 8) throws when no callback is set', () => api.subscribeWithoutCallback(mcsim, at()));

  test('subscribe (api.md row 8) resolves the granted QoS', () => api.subscribeGranted(mcsim, at()));

  test('checkMsg (api.md row 10) waits about 50 ms and resolves undefined when nothing came', () => api.checkMsg(mcsim, at()));

  test('the callback (api.md row 2) gets topic and message as ArrayBuffers; waitMsg resolves the PUBLISH first byte', () => api.callbackTypes(mcsim, at()));

  for (const [broker, setting, code] of [['mosquitto', 'mosquitto with a password file', 5], ['aedes', 'aedes', 4]])
    test(`bad credentials (${setting}): connect rejects MQTTException(${code}) [MQTT-3.2.2-5]; the app runs on and connects with good ones`, () =>
      mcsim.onOneMachine(() => api.badCredentials(mcsim, broker)));

  test('a refused subscription rejects MQTTException(0x80) (aedes); the app runs on and subscribes again', () =>
    mcsim.onOneMachine(() => api.subscriptionRefused(mcsim)));

  test('mosquitto with an ACL still grants a denied subscription (it hides the denial); no message comes through it', () => interop.aclDenied(mcsim));
});
