// Traffic across a RabbitMQ cluster while the node the XS client is on is
// stopped, and who lost what: run by tests/rabbitmq-cluster.test.js (on
// xsnap), tests/mcsim-failover.test.js (in mcsim) and tests/bench/failover.js
// (the failover time over ten stops).
import assert from 'node:assert/strict';
import mqtt from 'mqtt';
import { PacketLog } from '../helpers/packet-log.js';
import { until, xsnap } from '../helpers/xs.js';

const FAILOVER = 'tests/scenarios/client/failover.js';

/** The policy that mirrors MQTT sessions on every node, promoted when their node stops. */
export const MIRROR_SESSIONS = ['set_policy', '--apply-to', 'queues', 'mqtt-sessions', '^mqtt-subscription-',
  JSON.stringify({ 'ha-mode': 'all', 'ha-sync-mode': 'automatic', 'ha-promote-on-shutdown': 'always', 'ha-promote-on-failure': 'always' })];

const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));

/**
 * Who lost what, by this rule. Outgoing (XS -> subscriber): a message whose
 * publish() resolved had its PUBACK, so the cluster had it; one that never
 * reached the subscriber is the cluster's loss; a publish() that did not
 * resolve is the client's. Incoming (publisher -> XS): a message the
 * cluster acknowledged (PUBACK to the publisher) and never sent to the
 * client (no PUBLISH for it on the client's sockets, by the packet log) is
 * the cluster's loss; one sent that never reached the callback is the
 * client's. Duplicates are QoS 1's right, counted only. Without a packet
 * log (mcsim: only the xsnap host taps its sockets), a missing incoming
 * message cannot be told apart: it counts as the client's.
 */
export function losses({ outcomes, incoming }, { atSubscriber, acknowledgedIn, traffic }) {
  const sentToClient = traffic
    ? new Set(traffic.packets().filter(packet => packet.direction === 'in' && packet.cmd === 'publish').map(packet => packet.topic))
    : new Set(acknowledgedIn);
  const ackedOut = outcomes.flatMap((outcome, i) => outcome === 'ok' ? [`out/${i}`] : []);
  const duplicates = counts => Object.values(counts).reduce((sum, n) => sum + n - 1, 0);
  return {
    out: {
      acknowledged: ackedOut.length,
      client: outcomes.flatMap((outcome, i) => outcome === 'ok' ? [] : [`out/${i}: ${outcome}`]),
      cluster: ackedOut.filter(topic => !atSubscriber[topic]),
      duplicates: duplicates(atSubscriber),
    },
    in: {
      acknowledged: acknowledgedIn.size,
      client: [...acknowledgedIn].filter(topic => sentToClient.has(topic) && !incoming[topic]),
      cluster: [...acknowledgedIn].filter(topic => !sentToClient.has(topic)),
      duplicates: duplicates(incoming),
    },
  };
}

/**
 * One run on `host` (`xsnap`, tests/helpers/xs.js, whose sockets a packet
 * log taps; or useMcsim()): the client on `home` (first in its list) and
 * `other`, MQTT.js peers on `other`; `home` is stopped once a third of the
 * outgoing messages arrived. Resolves the case's result, the losses, the
 * time `rabbitmqctl stop` took and the reports (the failover gap in them).
 */
export async function stopDuringTraffic(host, { home, other, count = 200, pace = 20, minDelay = 200, maxDelay = 1000, clientId = 'cluster-xs' }) {
  const subscriber = await mqtt.connectAsync(`mqtt://127.0.0.1:${other.port}`, { clientId: `${clientId}-sub`, clean: false, reconnectPeriod: 0 });
  const publisher = await mqtt.connectAsync(`mqtt://127.0.0.1:${other.port}`, { clientId: `${clientId}-pub`, reconnectPeriod: 0 });
  const traffic = host === xsnap ? new PacketLog() : undefined;	// only the xsnap host taps its sockets
  try {
    await subscriber.subscribeAsync('out/#', { qos: 1 });
    const atSubscriber = {};
    subscriber.on('message', topic => { atSubscriber[topic] = (atSubscriber[topic] ?? 0) + 1; });
    const reports = [];
    const done = host.run(FAILOVER, { case: 'cluster', ports: [home.port, other.port], count, pace, minDelay, maxDelay, timeout: 1, clientId }, {
      timeout: 120_000, onReport: value => reports.push(value), host: { tap: traffic?.tap },
    });
    await until(() => reports.some(value => value.ready), 'the XS client', 30_000);
    const acknowledgedIn = new Set();
    const publishing = (async () => {
      for (let i = 0; i < count; i++) {
        const topic = `in/${i}`;
        await publisher.publishAsync(topic, `m${i}`, { qos: 1 }).then(() => acknowledgedIn.add(topic), () => {});
        await sleep(pace);
      }
    })();
    await until(() => Object.keys(atSubscriber).length >= count / 3, 'a third of the outgoing messages', 30_000);
    const stopping = Date.now();
    await home.stop();
    const stopMs = Date.now() - stopping;
    await publishing;
    await host.message({ expect: acknowledgedIn.size });
    const result = await done;
    const ackedOut = result.outcomes.flatMap((outcome, i) => outcome === 'ok' ? [`out/${i}`] : []);
    await until(() => ackedOut.every(topic => atSubscriber[topic]), 'the acknowledged outgoing messages at the subscriber', 10_000).catch(() => {});
    await sleep(300);	// late duplicates
    return { result, reports, stopMs, losses: losses(result, { atSubscriber, acknowledgedIn, traffic }) };
  }
  finally {
    await subscriber.endAsync(true);
    await publisher.endAsync(true);
  }
}

/**
 * The checks, once for both hosts: the node of `cluster` the client is on
 * (the first) stopped during QoS 1 both ways; the client on the other within
 * 2 x maxDelay, session present, no loss of its own (the cluster's reported
 * apart, through `t.diagnostic`); nothing left after disconnect().
 */
export async function nodeStopped(host, cluster, t) {
  const [home, other] = cluster.nodes;
  const maxDelay = 1000;
  const { result, reports, stopMs, losses: lost } = await stopDuringTraffic(host, { home, other, maxDelay });
  t.diagnostic(`rabbitmqctl stop took ${stopMs} ms; client: ${JSON.stringify(result.events)}; ` +
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
}
