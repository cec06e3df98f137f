// The API cases that hold against RabbitMQ (Debian's rabbitmq-server, MQTT
// plugin), on the real Moddable runtime: the scenarios run in the SDK's
// mcsim (one runner machine for the file), each run and checked by
// tests/cases/, as tests/rabbitmq.test.js does on xsnap. One RabbitMQ node
// for the whole file (it takes 10-30 s to start). What RabbitMQ does
// differently: README, "Brokers as measured here".
import { test, describe, before, after } from 'node:test';
import { startRabbitMQ } from './harness/rabbitmq.js';
import { mcsimEnabled, useMcsim } from './sim/suite.js';
import * as api from './cases/api.js';
import * as interop from './cases/interop.js';
import * as resilience from './cases/resilience.js';

if (mcsimEnabled) describe('in mcsim: against RabbitMQ', () => {
  const mcsim = useMcsim();
  let broker;
  before(async () => { broker = await startRabbitMQ(); }, { timeout: 180_000 });
  after(() => broker?.close());
  const at = () => ({ port: broker.port });
  // RabbitMQ grants QoS 1 at most (a QoS 2 SUBSCRIBE is granted 1, a QoS 2 PUBLISH answered with PUBACK).
  const rabbit = () => ({ port: broker.port, maxQoS: 1 });

  test('connect resolves the session-present flag: RabbitMQ keeps a clean-session-0 session [MQTT-3.2.2-1, -2, -3]', () => api.sessionPresent(mcsim, at()));

  test('the seed\'s example, as api.md writes it: the callback fires for openmv/in, and openmv/out gets hello', () => api.seedExample(mcsim, at()));

  test('subscribe at QoS 0, 1, 2 resolves the granted QoS: RabbitMQ grants 1 for 2', () => api.subscribeGranted(mcsim, rabbit()));

  // Delivered QoS = min(published, granted) [MQTT-3.8.4-6].
  test('publish at QoS 0, 1 and 2 all settle (QoS 2 on RabbitMQ\'s PUBACK); each message comes back, the QoS 2 one at QoS 1', () => api.publishQoS(mcsim, rabbit()));

  test('a QoS 2 publish that RabbitMQ answers with PUBACK resolves, leaves the session and reaches a subscriber once', () => interop.qos2Downgraded(mcsim, at()));

  test('a retained message reaches a new subscription to its topic [MQTT-3.3.1-6]', () => interop.retained(mcsim, at()));

  test('RabbitMQ sends no retained message to a subscription through a wildcard (+ or #), departing from [MQTT-3.3.1-6]', () => interop.retainedNotToWildcards(mcsim, at()));

  test('several topics in one SUBSCRIBE and one UNSUBSCRIBE: return codes in order [MQTT-3.9.3-1], [0, 1, 1] as RabbitMQ grants; nothing comes after UNSUBACK [MQTT-3.10.4-2]', () => resilience.unsubscribe(mcsim, rabbit()));

  test('disconnect: pending Promises reject, nothing is left, later calls reject until connect', () => api.disconnect(mcsim, at()));

  // mcsim is killed: the OS closes its socket, no DISCONNECT.
  test('the last will reaches another client when the device dies without DISCONNECT [MQTT-3.1.2-8]', () => api.will(mcsim, at()));
});
