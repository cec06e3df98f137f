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
