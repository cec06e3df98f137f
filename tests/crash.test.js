// Brokers killed with SIGKILL and started again on the same port in the middle
// of traffic, messages counted end to end (issue #11). Per broker and client
// mode, QoS 1 and 2, both ways: the XS client publishes out/<qos>/<n> to an
// MQTT.js subscriber; an MQTT.js publisher sends in/<qos>/<n> to the XS client.
//
// What must hold: 0 messages lost and 0 QoS 2 messages duplicated BY THE
// CLIENT. What the broker causes (a crash without persistence loses what it
// had acknowledged; a stale snapshot makes it send again a QoS 2 message the
// client completed, which the standard cannot tell from a new one
// [MQTT-4.3.3-2]) is shown from the packet log and counted apart; QoS 1
// duplicates are allowed ([MQTT-4.3.2-2]: after PUBACK a PUBLISH with that id
// is a new publication; QoS 1 is "at least once", 4.3.2) and counted apart.
// The rules that tell them apart are in helpers/delivery-count.js.
//
// The brokers and how they are killed:
// - aedes in a child process with aedes-persistence-level (LevelDB in a
//   temporary directory): what aedes stored survives the SIGKILL.
// - aedes in a child process with its in-memory persistence: the SIGKILL
//   loses every session (a crash without persistence).
// - mosquitto with persistence, autosave_interval 1 and autosave_on_changes
//   false: it writes its database every second, so a SIGKILL leaves a
//   snapshot up to 1 s old (messages completed since come back; messages
//   acknowledged since are lost). The traffic starts 1.5 s after the
//   clients' sessions are made, so that a snapshot holds the sessions.
// - mosquitto without persistence: the SIGKILL loses every session.
// The client modes: `reconnect` (the client reconnects by itself), and the
// app reconnecting with connect(false) on onDisconnect (no `reconnect`).
//
// The table of counts is printed (t.diagnostic) for the closing note.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import mqtt from 'mqtt';
import { startAedesProcess, startMosquitto } from './harness/brokers.js';
import { XSHost } from './harness/host.js';
import { until } from './helpers/xs.js';
import { PacketLog } from './helpers/packet-log.js';
import { countOutgoing, countIncoming } from './helpers/delivery-count.js';

const CRASH = 'tests/scenarios/client/crash.js';
const COUNT = 100;	// messages per direction and QoS
const delay = ms => new Promise(resolve => setTimeout(resolve, ms));

const BROKERS = [
  { name: 'aedes, LevelDB persistence', tag: 'aedes-level', start: () => startAedesProcess({ store: 'level' }) },
  { name: 'aedes, memory persistence (lost)', tag: 'aedes-memory', start: () => startAedesProcess({ store: 'memory' }) },
  // Traffic starts 1.5 s after the sessions are made, so that a snapshot holds them.
  { name: 'mosquitto, persistence (autosave 1 s)', tag: 'mosquitto-persistent', start: () => startMosquitto({ persistence: { autosaveInterval: 1 } }), snapshot: 1500 },
  { name: 'mosquitto, no persistence', tag: 'mosquitto-volatile', start: () => startMosquitto() },
];

const rows = [];
after(() => {
  if (!rows.length)
    return;
  const header = '| broker, SIGKILL + restart | client | direction | QoS | sent | delivered | lost by client | dup by client | lost by broker | dup by broker | QoS 1 dup (allowed) |';
  console.log(['', header, '|---|---|---|---|---|---|---|---|---|---|---|', ...rows].join('\n'));
});

/** Resolves once `sample()` has not changed for `quiet` ms (at most `limit` ms). */
async function settle(sample, quiet = 1000, limit = 15_000) {
  const start = Date.now();
  let last = sample(), since = Date.now();
  while (Date.now() - start < limit && Date.now() - since < quiet) {
    await delay(100);
    const now = sample();
    if (now !== last) {
      last = now;
      since = Date.now();
    }
  }
}

const topicsOf = (prefix, qos) => Array.from({ length: COUNT }, (_, i) => `${prefix}/${qos}/${i}`);

for (const broker of BROKERS) {
  describe(`${broker.name}: SIGKILL and restart during traffic`, () => {
    for (const reconnect of [true, false]) {
      const mode = reconnect ? 'reconnect option' : 'app reconnects';
      test(`${mode}: QoS 1 and 2 both ways, 0 lost and 0 QoS 2 duplicated by the client [MQTT-4.3.3-2] [MQTT-4.4.0-1] [MQTT-3.1.2-4]`, { timeout: 120_000 }, async t => {
        const tag = `${broker.tag}-${reconnect ? 'r' : 'a'}`;
        const running = await broker.start();
        const url = `mqtt://127.0.0.1:${running.port}`;
        const options = { clean: false, reconnectPeriod: 100, connectTimeout: 2000 };
        const subscriber = await mqtt.connectAsync(url, { ...options, clientId: `crash-sub-${tag}` });
        const publisher = await mqtt.connectAsync(url, { ...options, clientId: `crash-pub-${tag}` });
        const log = new PacketLog();
        const xs = await XSHost.start({ tap: log.tap });
        try {
          await subscriber.subscribeAsync('out/#', { qos: 2 });
          const atSubscriber = new Map();
          subscriber.on('message', topic => atSubscriber.set(topic, (atSubscriber.get(topic) ?? 0) + 1));
          // What the publisher's broker acknowledged: PUBACK or PUBREC, by the id of the PUBLISH it answers.
          const idToTopic = new Map(), acknowledged = new Set();
          publisher.on('packetsend', packet => { if (packet.cmd === 'publish') idToTopic.set(packet.messageId, packet.topic); });
          publisher.on('packetreceive', packet => {
            if (packet.cmd === 'puback' || packet.cmd === 'pubrec')
              acknowledged.add(idToTopic.get(packet.messageId));
          });

          let ready = false, published;
          const done = xs.run(CRASH, { port: running.port, count: COUNT, clientId: `crash-xs-${tag}`, reconnect }, {
            timeout: 100_000,
            onReport: value => {
              if (value.ready)
                ready = true;
              if (value.published)
                published = value.published;
            },
          });
          await until(() => ready, 'the XS client', 20_000);
          await delay(broker.snapshot ?? 0);
          await xs.message({ start: true });
          let completed = 0;
          const incoming = (async () => {
            for (let i = 0; i < COUNT; i++) {
              for (const qos of [1, 2])
                publisher.publish(`in/${qos}/${i}`, `m${i}`, { qos }, () => { completed++; });
              await delay(10);
            }
          })();
          await delay(COUNT * 5);	// about half of the paced traffic (a pair of messages every 10 ms)
          const killedAfter = { out: [...atSubscriber.keys()].length, in: completed };
          await running.kill();
          await delay(300);
          await running.start();
          await incoming;
          await until(() => published, 'every publish of the XS client settled', 60_000);
          await until(() => completed === 2 * COUNT, 'the publisher\'s messages completed', 20_000).catch(() => {});
          await settle(() => `${[...atSubscriber.values()].reduce((a, b) => a + b, 0)} ${log.packets().length}`);
          await xs.message({ finish: true });
          const result = await done;

          const packets = log.packets();
          const table = [];
          for (const qos of [1, 2]) {
            const out = countOutgoing({ topics: topicsOf('out', qos), qos, deliveries: atSubscriber, packets });
            const into = countIncoming({ topics: topicsOf('in', qos), qos, deliveries: result.incoming, acknowledged, packets });
            table.push(['XS -> MQTT.js', qos, out], ['MQTT.js -> XS', qos, into]);
          }
          for (const [direction, qos, c] of table) {
            const row = `| ${broker.name} | ${mode} | ${direction} | ${qos} | ${c.sent} | ${c.delivered} | ${c.lostClient} | ${qos === 2 ? c.dupClient : '-'} | ${c.lostBroker}${c.lostUnacked ? ` (+${c.lostUnacked} never acknowledged)` : ''} | ${qos === 2 ? c.dupBroker : '-'} | ${qos === 1 ? c.dupAllowed : '-'} |`;
            rows.push(row);
            t.diagnostic(row);
            for (const fault of c.faults.slice(0, 6))
              t.diagnostic(`  ${direction} QoS ${qos}: ${fault}`);
          }
          t.diagnostic(`killed after ${killedAfter.out} outgoing messages at the subscriber and ${killedAfter.in} incoming completed; ` +
            `XS publishes: ${JSON.stringify(published)}; rejections: ${JSON.stringify(result.rejections)}; XS connections ${result.connections}: ${result.events.slice(0, 8).join('; ')}`);

          assert.ok(result.connections >= 2, 'the client connected again after the crash');
          for (const [direction, qos, c] of table) {
            assert.equal(c.lostClient, 0, `${direction} QoS ${qos}: ${c.lostClient} lost by the client: ${c.faults.filter(f => !/delivered \d+ times/.test(f)).slice(0, 5).join('; ')}`);
            if (qos === 2)
              assert.equal(c.dupClient, 0, `${direction} QoS 2: ${c.dupClient} duplicated by the client: ${c.faults.filter(f => /delivered \d+ times/.test(f)).slice(0, 5).join('; ')}`);
          }
        }
        finally {
          await xs.close();
          await subscriber.endAsync(true);
          await publisher.endAsync(true);
          await running.close();
        }
      });
    }
  });
}
