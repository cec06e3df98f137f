// Failover across a RabbitMQ cluster of two nodes (Debian's rabbitmq-server,
// tests/harness/rabbitmq.js), on the xsnap host: the client is given both
// nodes (`servers`), the node it is on is stopped during QoS 1 traffic both
// ways, and it must be on the other node within 2 x the reconnect maxDelay,
// with the session the cluster kept, and every message the cluster
// acknowledged must arrive. What the cluster itself loses is counted apart
// (the rule below), as tests/crash.test.js does for brokers that crash.
//
// RabbitMQ 3.10 keeps a clean-session-0 client's session in a classic queue
// (mqtt-subscription-<id>qos1) on the node where the client declared it: a
// session survives the stop of that node only when the queue is mirrored,
// which the cluster is told here by a policy (README, "Brokers as measured
// here"). `node tests/bench/failover.js` measures the failover time over ten
// node stops.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startRabbitCluster } from './harness/rabbitmq.js';
import { MIRROR_SESSIONS, stopDuringTraffic } from './cases/cluster.js';

describe('failover across a RabbitMQ cluster of two nodes', { timeout: 600_000 }, () => {
  let cluster;
  before(async () => {
    cluster = await startRabbitCluster(2);
    await cluster.nodes[0].ctl(...MIRROR_SESSIONS);
  }, { timeout: 300_000 });
  after(() => cluster?.close());

  test('the node the client is on stopped during QoS 1 both ways: on the other node within 2 x maxDelay, its session resumed (session present) [MQTT-3.2.2-2]; no message the cluster acknowledged lost by the client [MQTT-4.3.2-1], the cluster\'s own losses counted apart', { timeout: 300_000 }, async t => {
    const [home, other] = cluster.nodes;
    const maxDelay = 1000;
    const { result, reports, stopMs, losses: lost } = await stopDuringTraffic({ home, other, maxDelay });
    t.diagnostic(`rabbitmqctl stop took ${stopMs} ms; XS: ${JSON.stringify(result.events)}; ` +
      `out: ${lost.out.acknowledged} acknowledged, client lost ${lost.out.client.length}, cluster lost ${lost.out.cluster.length}, ${lost.out.duplicates} duplicates; ` +
      `in: ${lost.in.acknowledged} acknowledged, client lost ${lost.in.client.length}, cluster lost ${lost.in.cluster.length}, ${lost.in.duplicates} duplicates`);
    const [first, second] = reports.filter(value => value.connected);
    assert.equal(first.sessionPresent, false, 'a new session at first');
    assert.ok(second, 'the client connected again');
    assert.ok(second.gap <= 2 * maxDelay, `on the other node ${second.gap} ms after the loss: within 2 x maxDelay (${2 * maxDelay} ms)`);
    assert.equal(second.sessionPresent, true, 'the other node has the session the cluster kept');
    assert.equal(result.connections, 2, 'one failover, no more');
    assert.deepEqual(lost.out.client, [], 'every publish() resolved: the client lost no outgoing message');
    assert.deepEqual(lost.in.client, [], 'every message the cluster sent the client reached the callback');
    assert.deepEqual(result.after, { timers: 0, sockets: 0 });
  });
});
