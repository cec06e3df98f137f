// Failover across brokers (the `servers` option, README "Failover") on the
// real Moddable runtime: the cases tests/failover.test.js and
// tests/rabbitmq-cluster.test.js run on xsnap, checked once in
// tests/cases/failover.js and tests/cases/cluster.js, in the runner app in
// mcsim. (mcsim's sockets are not tapped: an incoming message the cluster
// acknowledged that never reaches the app counts as the client's loss here.)
import { test, describe, before, after } from 'node:test';
import { mcsimEnabled, useMcsim } from './sim/suite.js';
import { startRabbitCluster } from './harness/rabbitmq.js';
import * as failover from './cases/failover.js';
import * as cluster from './cases/cluster.js';

if (mcsimEnabled) describe('in mcsim: failover across brokers', () => {
  const mcsim = useMcsim();

  test('connect(): the first server down, the second accepts', () => failover.firstDown(mcsim));

  test('connect(): no server accepts (refused, CONNACK 3, silent past the connect timeout): it rejects once each was tried, naming each one\'s failure in order', () =>
    mcsim.onOneMachine(() => failover.noneAccepts(mcsim)));

  test('connect(): a refusal of the client (CONNACK 5) from the first server rejects at once; the second is not tried', () =>
    mcsim.onOneMachine(() => failover.refusalEndsWalk(mcsim)));

  test('the server in use killed: on the other within 2 x maxDelay; the first back: kept off a healthy connection; at the next loss, back on the first', { timeout: 60_000 }, () =>
    failover.failover(mcsim));

  describe('a RabbitMQ cluster of two nodes', { timeout: 600_000 }, () => {
    let nodes;
    before(async () => {
      nodes = await startRabbitCluster(2);
      await nodes.nodes[0].ctl(...cluster.MIRROR_SESSIONS);
    }, { timeout: 300_000 });
    after(() => nodes?.close());

    test('the node the client is on stopped during QoS 1 both ways: on the other node within 2 x maxDelay, its session resumed (session present) [MQTT-3.2.2-2]; no message the cluster acknowledged lost by the client [MQTT-4.3.2-1]', { timeout: 300_000 }, t =>
      cluster.nodeStopped(mcsim, nodes, t));
  });

  // Last on the runner's machine (an order kept from when the cluster case,
  // run after this one, saw mcsim die in 2 of 6 runs: SIGPIPE from a write to
  // the stopped node, now ignored; then a hang on that write's silence, now
  // taken as the connection's end: README, "write failed").
  test('each server\'s TLS options, its own or else the client\'s; ssl: null for none', () => failover.tlsPerServer(mcsim));
});
