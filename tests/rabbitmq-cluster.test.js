// Failover across a RabbitMQ cluster of two nodes (Debian's rabbitmq-server,
// tests/harness/rabbitmq.js), on the xsnap host: the client is given both
// nodes (`servers`), the node it is on is stopped during QoS 1 traffic both
// ways, and it must be on the other node within 2 x the reconnect maxDelay,
// with the session the cluster kept, and every message the cluster
// acknowledged must arrive. What the cluster itself loses is counted apart
// (the rule in tests/cases/cluster.js, which holds the checks for both hosts;
// tests/mcsim-failover.test.js runs them in mcsim), as tests/crash.test.js
// does for brokers that crash.
//
// RabbitMQ 3.10 keeps a clean-session-0 client's session in a classic queue
// (mqtt-subscription-<id>qos1) on the node where the client declared it: a
// session survives the stop of that node only when the queue is mirrored,
// which the cluster is told here by a policy (README, "Brokers as measured
// here"). `node tests/bench/failover.js` measures the failover time over ten
// node stops.
import { test, describe, before, after } from 'node:test';
import { startRabbitCluster } from './harness/rabbitmq.js';
import { xsnap } from './helpers/xs.js';
import * as cluster from './cases/cluster.js';

describe('failover across a RabbitMQ cluster of two nodes', { timeout: 600_000 }, () => {
  let nodes;
  before(async () => {
    nodes = await startRabbitCluster(2);
    await nodes.nodes[0].ctl(...cluster.MIRROR_SESSIONS);
  }, { timeout: 300_000 });
  after(() => nodes?.close());

  test('the node the client is on stopped during QoS 1 both ways: on the other node within 2 x maxDelay, its session resumed (session present) [MQTT-3.2.2-2]; no message the cluster acknowledged lost by the client [MQTT-4.3.2-1], the cluster\'s own losses counted apart', { timeout: 300_000 }, async t => {
    await cluster.nodeStopped(xsnap, nodes, t);
  });
});
