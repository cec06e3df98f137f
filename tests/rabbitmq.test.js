// RabbitMQ (Debian's rabbitmq-server, MQTT plugin) as a broker of the suite,
// on the xsnap host: the harness (tests/harness/rabbitmq.js) and the cases
// of tests/cases/ that hold against it, with what RabbitMQ does differently
// (README, "Brokers as measured here"). One node for the whole file: it takes
// 10-30 s to start.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync, readdirSync } from 'node:fs';
import net from 'node:net';
import { startRabbitMQ } from './harness/rabbitmq.js';
import { LOOPBACK } from './harness/net.js';
import { xsnap } from './helpers/xs.js';
import * as api from './cases/api.js';
import * as interop from './cases/interop.js';
import * as resilience from './cases/resilience.js';

/** Process ids whose command line names `text` (the node's folder is in beam.smp's `-home`). */
function processesNaming(text) {
  const found = [];
  for (const pid of readdirSync('/proc').filter(name => /^\d+$/.test(name))) {
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'latin1').includes(text))
        found.push(Number(pid));
    }
    catch {
      // gone meanwhile
    }
  }
  return found;
}

const listening = port => new Promise(resolve => {
  const socket = net.connect({ host: LOOPBACK, port }, () => { socket.destroy(); resolve(true); });
  socket.on('error', () => resolve(false));
});

describe('against RabbitMQ', { timeout: 600_000 }, () => {
  let broker;
  before(async () => { broker = await startRabbitMQ(); }, { timeout: 180_000 });
  after(() => broker?.close());
  const at = () => ({ port: broker.port });
  // RabbitMQ grants QoS 1 at most (a QoS 2 SUBSCRIBE is granted 1, a QoS 2 PUBLISH answered with PUBACK).
  const rabbit = () => ({ port: broker.port, maxQoS: 1 });

  test('the harness\'s node: MQTT, AMQP and Erlang distribution on loopback only; runs as the package\'s user', async () => {
    const listeners = await broker.ctl('status');
    for (const port of [broker.ports.mqtt, broker.ports.amqp, broker.ports.dist])
      assert.match(listeners, new RegExp(`interface: 127\\.0\\.0\\.1, port: ${port},`, 'i'), `port ${port} on loopback`);
    assert.doesNotMatch(listeners, /interface: (\[::\]|0\.0\.0\.0|::)/i, 'nothing on every interface');
    const [beam] = processesNaming(broker.dir).filter(pid => readFileSync(`/proc/${pid}/comm`, 'utf8').startsWith('beam'));
    assert.ok(beam, 'beam.smp runs with the node\'s folder as its home');
    if (process.getuid() === 0) {
      const uid = Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${beam}/status`, 'utf8'))[1]);
      assert.notEqual(uid, 0, 'the node does not run as root');
    }
  });

  test('connect resolves the session-present flag: RabbitMQ keeps a clean-session-0 session [MQTT-3.2.2-1, -2, -3]', () => api.sessionPresent(xsnap, at()));

  test('the seed\'s example: the callback fires for openmv/in, and openmv/out gets hello', () => api.seedExample(xsnap, at()));

  test('ping writes PINGREQ; the PINGRESP makes waitMsg resolve undefined', () => api.ping(xsnap, at()));

  test('connect twice: the second call rejects', () => api.connectTwice(xsnap, at()));

  // CONNECT carries the will with its flag [MQTT-3.1.2-9]; the broker publishes it [MQTT-3.1.2-8].
  test('the last will reaches another client when the socket dies without DISCONNECT', () => api.will(xsnap, at()));

  test('disconnect: pending Promises reject, nothing is left, later calls reject until connect', () => api.disconnect(xsnap, at()));

  test('waitMsg resolves the first byte of a packet other than PUBLISH (PUBACK: 0x40)', () => api.waitMsgOtherPacket(xsnap, at()));

  // RabbitMQ's departures: QoS 2 taken as QoS 1 both ways; delivered QoS = min(published, granted) [MQTT-3.8.4-6].
  test('subscribe at QoS 0, 1, 2 resolves the granted QoS: RabbitMQ grants 1 for 2', () => api.subscribeGranted(xsnap, rabbit()));

  test('publish at QoS 0, 1 and 2 all settle (QoS 2 on RabbitMQ\'s PUBACK); each message comes back, the QoS 2 one at QoS 1', () => api.publishQoS(xsnap, rabbit()));

  test('a QoS 2 publish that RabbitMQ answers with PUBACK resolves, leaves the session and reaches a subscriber once', () => interop.qos2Downgraded(xsnap, at()));

  test('checkMsg waits about 50 ms and resolves undefined when nothing came', () => api.checkMsg(xsnap, at()));

  test('the callback gets topic and message as ArrayBuffers; waitMsg resolves the PUBLISH first byte', () => api.callbackTypes(xsnap, at()));

  // The broker's part [MQTT-3.3.1-5] [MQTT-3.3.1-6]: a subscription to the topic itself gets the retained message.
  test('a retained message reaches a new subscription to its topic', () => interop.retained(xsnap, at()));

  test('RabbitMQ sends no retained message to a subscription through a wildcard (+ or #), departing from [MQTT-3.3.1-6]', () => interop.retainedNotToWildcards(xsnap, at()));

  test('several topics in one SUBSCRIBE and one UNSUBSCRIBE: return codes in order [MQTT-3.9.3-1], [0, 1, 1] as RabbitMQ grants; nothing comes after UNSUBACK [MQTT-3.10.4-2]', () => resilience.unsubscribe(xsnap, rabbit()));

  // Last, as it closes the file's node.
  test('close(): `rabbitmqctl stop`, then its epmd; no process, port or folder is left', async () => {
    const { dir, ports, epmdPort } = broker;
    await broker.close();
    broker = null;
    assert.equal(existsSync(dir), false, 'the node\'s folder is removed');
    assert.deepEqual(processesNaming(dir), [], 'no process of the node');
    for (const port of [ports.mqtt, ports.amqp, ports.dist, epmdPort])
      assert.equal(await listening(port), false, `nothing listens on ${port}`);
  });
});
