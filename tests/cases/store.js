// The device killed at random moments (issue 18). killedAtRandom (xsnap,
// tests/store.test.js): a client with its session in a file publishes at
// QoS 1 or 2, one message every 10 ms, and is killed (the machine closed)
// at a random moment after its first accepted message, then started
// again with the same file; a last boot only connects and lets the store
// drain. Every message whose publish() was accepted (reported) before a kill
// must reach the peer subscribed at the broker; at QoS 2 none twice. QoS 1
// duplicates are allowed (MQTT 3.1.1, 4.3.2) and counted; but a message the
// app was told was complete (onComplete) before a kill never comes again
// after it: its record was dead on flash before the app was told.
// killedBothWays (mcsim, SIGKILL, tests/mcsim-store.test.js): the same with
// traffic both ways, QoS 1 and 2, each message counted and every loss or
// duplicate attributed from the device's packets (below).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { until } from '../helpers/xs.js';
import { countOutgoing, countIncoming, publisherRecord } from '../helpers/delivery-count.js';

export const STORE = 'tests/scenarios/client/store.js';

/**
 * The topics in the app's inbox file (tests/scenarios/client/store.js,
 * inbox()), one per message it was handed, in order: its lines are `topic`,
 * or `topic<TAB>key` for a QoS 2 message given with a store's key. Nothing
 * when the file is not there.
 */
export function readInboxFile(file) {
  let text;
  try {
    text = readFileSync(file, 'utf8');
  }
  catch {
    return [];
  }
  return text.split('\n').filter(Boolean).map(line => line.split('\t')[0]);
}

const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));

/**
 * host: {run(file, params, {onReport}) -> Promise, kill() -> Promise}, a new
 * machine per run after a kill. peer: an MQTT.js client connected to the
 * broker at `port`. Returns the row: sent, delivered, lost, duplicated.
 */
export async function killedAtRandom(host, { peer, port, qos, kills, file, clientId, random = Math.random }) {
  const accepted = new Set(), arrived = new Map(), completed = new Map(), kills_ = [], resent = [];
  const onMessage = (topic, payload) => {
    if (topic !== 'soak/out')
      return;
    const message = payload.toString(), now = Date.now();
    arrived.set(message, (arrived.get(message) ?? 0) + 1);
    if (completed.has(message) && kills_.some(killed => killed > completed.get(message) && killed < now))
      resent.push(message);
  };
  peer.on('message', onMessage);
  await peer.subscribeAsync('soak/out', { qos });
  try {
    for (let boot = 0; boot <= kills; boot++) {
      const last = boot === kills;
      let first;
      const working = new Promise(resolve => { first = resolve; });
      const running = host.run(STORE, { case: 'work', port, file, qos, boot, clientId, ...(last ? { count: 0 } : {}) }, {
        onReport(value) {
          if (value.accepted) {
            accepted.add(value.accepted);
            first();
          }
          if (value.completed)
            completed.set(value.completed, Date.now());
          if (value.connected !== undefined && last)
            first();
        },
      });
      running.catch(() => {});	// killed: its rejection says so
      await Promise.race([working, running.then(() => { throw new Error(`boot ${boot} ended by itself`); })]).catch(error => {
        // A boot that never started its work: what it reported, and the device's packets since it started.
        const since = log.packets().filter(packet => packet.time >= started).slice(-12).map(packet => `${packet.direction} ${packet.cmd}${packet.messageId ? ` ${packet.messageId}` : ''}${packet.sessionPresent !== undefined ? ` sp ${packet.sessionPresent}` : ''}`);
        throw new Error(`boot ${boot} of ${kills}: ${error.message}; it reported ${heard.join(', ') || 'nothing'}; its packets: ${since.join(', ') || 'none'}`);
      });
      if (last)
        await until(() => [...accepted].every(message => arrived.has(message)), `every accepted message at the peer (${accepted.size})`, 30_000);
      else
        await sleep(30 + Math.floor(random() * 400));
      await host.kill();
      kills_.push(Date.now());
    }
  }
  finally {
    peer.removeListener('message', onMessage);
  }
  const lost = [...accepted].filter(message => !arrived.has(message));
  const duplicated = [...arrived].filter(([, count]) => count > 1).map(([message]) => message);
  assert.deepEqual(resent, [], 'a message told complete before a kill is not sent again after it');
  const row = { qos, kills, sent: accepted.size, delivered: [...accepted].filter(message => arrived.has(message)).length, lost: lost.length, duplicated: duplicated.length };
  assert.deepEqual(lost, [], `every message accepted before a kill arrives (${JSON.stringify(row)})`);
  if (qos === 2)
    assert.deepEqual(duplicated, [], `at QoS 2 none twice (${JSON.stringify(row)})`);
  assert.ok(accepted.size >= kills, `messages were accepted in each boot (${accepted.size})`);
  return row;
}

/**
 * Deep sleep: `cycles` wake-ups of start, connect(false), publish one QoS 1
 * reading, then a kill at a random moment after publish() accepted it
 * (before or after its PUBACK), the broker restarted every 10 cycles (its
 * persistence keeps the sessions). Every reading arrives, in order (a QoS 1
 * duplicate may come, counted). `broker` has restart(); `peer` is an MQTT.js
 * client with a persistent session, reconnecting by itself. With `inbox`
 * (a file of the device, read back by `readInbox()`), the peer also sends a
 * QoS 1 command while the device sleeps before each later wake-up, and each
 * must reach the app; `protocolVersion` is the device's.
 */
export async function deepSleep(host, { peer, broker, cycles, file, clientId, protocolVersion, inbox, readInbox, random = Math.random }) {
  const arrived = [], commands = [];
  const onMessage = (topic, payload) => topic === 'sleep/readings' && arrived.push(payload.toString());
  peer.on('message', onMessage);
  await peer.subscribeAsync('sleep/readings', { qos: 1 });
  try {
    const wanted = Array.from({ length: cycles }, (_, n) => `r${n}`);
    for (let n = 0; n <= cycles; n++) {	// the last wake-up sends what the one before left
      if (n > 0 && n % 10 === 0)
        await broker.restart();
      if (inbox && n > 0) {	// while the device sleeps (dead): a command for it, which its session holds
        commands.push(`sleep/cmd/c${n}`);
        await peer.publishAsync(`sleep/cmd/c${n}`, 'x', { qos: 1 });
      }
      let accepted;
      const done = new Promise(resolve => { accepted = resolve; });
      const running = host.run(STORE, { case: 'reading', port: broker.port, file, clientId, n, protocolVersion, ...(inbox ? { commands: true, inbox } : {}) },
        { onReport: value => value.accepted === n && accepted() });
      running.catch(() => {});
      await Promise.race([done, running.then(() => { throw new Error(`cycle ${n} ended by itself`); })]);
      if (n === cycles)
        await until(() => wanted.every(reading => arrived.includes(reading)) && (!inbox || commands.every(command => readInbox().includes(command))),
          `all ${cycles} readings at the peer${inbox ? ' and every command in the app' : ''}`, 30_000).catch(() => {}).finally(() => host.kill());
      else {
        await sleep(Math.floor(random() * 40));
        await host.kill();
      }
    }
  }
  finally {
    peer.removeListener('message', onMessage);
  }
  const first = [...new Set(arrived)].filter(reading => reading !== `r${cycles}`);
  assert.deepEqual(first, Array.from({ length: cycles }, (_, n) => `r${n}`), 'every reading, in order');
  const row = { cycles, arrived: first.length, duplicated: arrived.length - new Set(arrived).size };
  if (inbox) {
    // Each command was acknowledged to the peer while the device slept: the
    // broker holds it in the device's session [MQTT-3.1.2-5] (under 5, a
    // session outlives the connection only with a Session Expiry Interval,
    // which connect(false) sends) and delivers it at a later wake-up; a QoS 1
    // duplicate is allowed [MQTT-4.3.2-1], counted.
    const got = readInbox();
    assert.deepEqual(commands.filter(command => !got.includes(command)), [], `every command sent while the device slept reaches its app (${got.length} deliveries)`);
    Object.assign(row, { commands: commands.length, commandDeliveries: got.length });
  }
  return row;
}

/**
 * The device killed at random moments amid QoS 1 and QoS 2 traffic both
 * ways (mcsim), counted end to end and attributed from the packets
 * (helpers/delivery-count.js): a client with its session in file `file`
 * publishes out/<qos>/<boot>-<i> (QoS 1 and 2 in turn, one every 10 ms) to
 * `subscriber` through `proxy` (its tap is `log`: the device's packets),
 * while `publisher` sends in/<qos>/<n> to its subscription (one every
 * 20 ms, QoS 1 and 2 in turn); the device's app appends each message it is
 * handed to file `inbox` (read back by `readInbox()`). It is killed
 * `kills` times at a random moment and started again with the same file
 * and connect(false); a last boot only connects and lets both ways drain.
 * The broker is never killed: it keeps the device's session (every CONNACK
 * after the first says session present 1) and owes every message it
 * acknowledged [MQTT-4.5.0-1] [MQTT-4.4.0-1].
 *
 * Returns { table: [[direction, qos, count]], premise, resent }: `count` as
 * countOutgoing/countIncoming give it; any death of mcsim but the kills
 * rejects (SIGPIPE cannot kill it: tests/sim/mcsim-exit.js). The caller asserts.
 */
export async function killedBothWays(host, { port, proxy, log, subscriber, subscriberLog, publisher, readInbox, kills, file, inbox, clientId, random = Math.random }) {
  const accepted = new Set(), arrived = new Map(), completed = new Map(), killedAt = [], resent = [], overlaps = [];
  const onMessage = topic => {
    if (topic.startsWith('out/'))
      arrived.set(topic, (arrived.get(topic) ?? 0) + 1);
  };
  subscriber.on('message', onMessage);
  const { acknowledged, writes } = publisherRecord(publisher);
  const sentIn = [], publishErrors = [];
  let completedIn = 0, publishing = true, pacing;
  const sendIncoming = async () => {
    for (let n = 0; publishing; n++) {
      const qos = 1 + (n % 2), topic = `in/${qos}/${n}`;
      sentIn.push(topic);
      publisher.publish(topic, 'm', { qos }, error => {
        completedIn++;
        if (error)
          publishErrors.push(`${topic}: ${error.message}`);
      });
      await sleep(20);
    }
  };
  try {
    for (let boot = 0; boot <= kills; boot++) {
      const last = boot === kills;
      let ready;
      const working = new Promise(resolve => { ready = resolve; });
      const started = performance.now(), heard = [];
      const running = host.run(STORE, { case: 'bothWays', port: proxy.port, file, inbox, boot, clientId, subscribe: boot === 0, ...(last ? { count: 0 } : {}) }, {
        onReport(value) {
          if (heard.length < 8)
            heard.push(JSON.stringify(value));
          if (value.accepted) {
            accepted.add(value.accepted);
            ready();
          }
          if (value.completed)
            completed.set(value.completed, performance.now());
          if (value.granted)
            pacing ??= sendIncoming();
          if (value.connected !== undefined) {
            // The killed boot's connection closed with its process: one open now, else two devices ran at once.
            if (proxy.connections > 1)
              overlaps.push(`boot ${boot}: ${proxy.connections} device connections open at its CONNACK`);
            if (last)
              ready();
          }
        },
      });
      // Killed, its rejection says so; any other end fails the row.
      let failed;
      running.then(() => { failed = new Error(`boot ${boot} ended by itself`); },
        error => { if (!KILLED.test(error.message)) failed = error; });
      await Promise.race([working, running.then(() => { throw new Error(`boot ${boot} ended by itself`); })]).catch(error => {
        // A boot that never started its work: what it reported, and the device's packets since it started.
        const since = log.packets().filter(packet => packet.time >= started).slice(-12).map(packet => `${packet.direction} ${packet.cmd}${packet.messageId ? ` ${packet.messageId}` : ''}${packet.sessionPresent !== undefined ? ` sp ${packet.sessionPresent}` : ''}`);
        throw new Error(`boot ${boot} of ${kills}: ${error.message}; it reported ${heard.join(', ') || 'nothing'}; its packets: ${since.join(', ') || 'none'}`);
      });
      if (last) {
        publishing = false;
        await pacing;
        const incoming = () => new Set(readInbox());
        await until(() => [...accepted].every(topic => arrived.has(topic)) && completedIn === sentIn.length && sentIn.every(topic => incoming().has(topic)),
          `every accepted message at the subscriber (${accepted.size}), every publication of the publisher complete and in the app`, 30_000).catch(() => {});
        await sleep(500);	// a late duplicate has its chance to show
      }
      else
        await sleep(30 + Math.floor(random() * 400));
      if (failed)	// while it worked, before the kill: mcsim's death, an abort, the case's own failure
        throw failed;
      await host.kill();
      killedAt.push(performance.now());
    }
  }
  finally {
    publishing = false;
    subscriber.removeListener('message', onMessage);
  }
  const deliveries = {};
  for (const topic of readInbox())
    deliveries[topic] = (deliveries[topic] ?? 0) + 1;
  const packets = log.packets(), broker = { persistent: true, restarts: [] };
  // A message the app was told complete before a kill: the device sends no PUBLISH of it after that kill
  // (its record was dead on flash before the app was told). From the device's packets: a broker that
  // delivers it again to the subscriber is not the device's doing.
  for (const packet of packets)
    if (packet.direction === 'out' && packet.cmd === 'publish' && completed.has(packet.topic) &&
        killedAt.some(killed => killed > completed.get(packet.topic) && killed < packet.time))
      resent.push(`${packet.topic} (PUBLISH${packet.dup ? ' DUP 1' : ''} id ${packet.messageId} at ${Math.round(packet.time - completed.get(packet.topic))} ms after its completion)`);
  const table = [];
  for (const qos of [1, 2]) {
    const out = [...accepted].filter(topic => topic.startsWith(`out/${qos}/`));
    const into = sentIn.filter(topic => topic.startsWith(`in/${qos}/`));
    table.push(['device -> peer', qos, countOutgoing({ topics: out, qos, deliveries: arrived, packets, subscriber: subscriberLog.packets(), broker })],
      ['peer -> device', qos, countIncoming({ topics: into, qos, deliveries, acknowledged, writes, packets, broker })]);
  }
  // The premise: the kills came amid traffic both ways: the restored session
  // sent again what a killed boot had not completed, and messages to the
  // device were unacknowledged by it when it died (its connection closed at the proxy).
  const premise = { resentByDevice: resentAfterKill(packets), inInFlight: 0 };
  for (const killed of killedAt.slice(0, kills))
    premise.inInFlight += unansweredAt(packets, killed);
  return { table, premise, resent, publishErrors, overlaps, sent: { out: accepted.size, in: sentIn.length } };
}

/** host.kill()'s rejection of the run it ends. */
const KILLED = /the machine was killed before the case ended/;

/**
 * What the device sent again on a later connection of its session: PUBLISH
 * with DUP 1 [MQTT-3.3.1-1], and PUBREL for a PUBREC that came on an earlier
 * connection [MQTT-4.4.0-1].
 */
function resentAfterKill(packets) {
  return packets.filter((packet, index) => packet.direction === 'out' && ((packet.cmd === 'publish' && packet.dup) ||
    (packet.cmd === 'pubrel' && !packets.slice(0, index).some(earlier => earlier.socket === packet.socket && earlier.direction === 'in' &&
      earlier.cmd === 'pubrec' && earlier.messageId === packet.messageId)))).length;
}

/** Incoming QoS 1/2 PUBLISH packets the device had not acknowledged (PUBACK, PUBREC) on their connection when it died at `killed`. */
function unansweredAt(packets, killed) {
  return packets.filter((packet, index) => packet.direction === 'in' && packet.cmd === 'publish' && packet.qos > 0 && packet.time < killed &&
    packet.time > killed - 1000 && !packets.slice(index + 1).some(later => later.socket === packet.socket && later.direction === 'out' &&
      later.messageId === packet.messageId && (later.cmd === 'puback' || later.cmd === 'pubrec') && later.time < killed)).length;
}
