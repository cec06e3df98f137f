// Traffic across a RabbitMQ cluster while the node the XS client is on is
// stopped, and who lost what: run by tests/rabbitmq-cluster.test.js (the
// checks) and tests/bench/failover.js (the failover time over ten stops).
import mqtt from 'mqtt';
import { XSHost } from '../harness/host.js';
import { PacketLog } from '../helpers/packet-log.js';
import { until } from '../helpers/xs.js';

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
 * client's. Duplicates are QoS 1's right, counted only.
 */
export function losses({ outcomes, incoming }, { atSubscriber, acknowledgedIn, traffic }) {
  const sentToClient = new Set(traffic.packets().filter(packet => packet.direction === 'in' && packet.cmd === 'publish').map(packet => packet.topic));
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
 * One run: the XS client on `home` (first in its list) and `other`, MQTT.js
 * peers on `other`; `home` is stopped once a third of the outgoing messages
 * arrived. Resolves the case's result, the losses, the failover gap and
 * the reports.
 */
export async function stopDuringTraffic({ home, other, count = 200, pace = 20, minDelay = 200, maxDelay = 1000, clientId = 'cluster-xs' }) {
  const subscriber = await mqtt.connectAsync(`mqtt://127.0.0.1:${other.port}`, { clientId: `${clientId}-sub`, clean: false, reconnectPeriod: 0 });
  const publisher = await mqtt.connectAsync(`mqtt://127.0.0.1:${other.port}`, { clientId: `${clientId}-pub`, reconnectPeriod: 0 });
  const traffic = new PacketLog();
  const xs = await XSHost.start({ tap: traffic.tap });
  try {
    await subscriber.subscribeAsync('out/#', { qos: 1 });
    const atSubscriber = {};
    subscriber.on('message', topic => { atSubscriber[topic] = (atSubscriber[topic] ?? 0) + 1; });
    const reports = [];
    const done = xs.run(FAILOVER, { case: 'cluster', ports: [home.port, other.port], count, pace, minDelay, maxDelay, timeout: 1, clientId }, {
      timeout: 120_000, onReport: value => reports.push(value),
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
    await xs.message({ expect: acknowledgedIn.size });
    const result = await done;
    const ackedOut = result.outcomes.flatMap((outcome, i) => outcome === 'ok' ? [`out/${i}`] : []);
    await until(() => ackedOut.every(topic => atSubscriber[topic]), 'the acknowledged outgoing messages at the subscriber', 10_000).catch(() => {});
    await sleep(300);	// late duplicates
    return { result, reports, stopMs, losses: losses(result, { atSubscriber, acknowledgedIn, traffic }) };
  }
  finally {
    await xs.close();
    await subscriber.endAsync(true);
    await publisher.endAsync(true);
  }
}
