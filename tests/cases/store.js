// The device killed at random moments (issue 18), checked once for both
// hosts: a client with its session in a file publishes at QoS 1 or 2, one
// message every 10 ms, and is killed (SIGKILL in mcsim; the machine closed on
// xsnap) at a random moment after its first accepted message, then started
// again with the same file; a last boot only connects and lets the store
// drain. Every message whose publish() was accepted (reported) before a kill
// must reach the peer subscribed at the broker; at QoS 2 none twice. QoS 1
// duplicates are allowed (MQTT 3.1.1, 4.3.2) and counted; but a message the
// app was told was complete (onComplete) before a kill never comes again
// after it: its record was dead on flash before the app was told.
import assert from 'node:assert/strict';
import { until } from '../helpers/xs.js';

export const STORE = 'tests/scenarios/client/store.js';

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
      await Promise.race([working, running.then(() => { throw new Error(`boot ${boot} ended by itself`); })]);
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
 * client with a persistent session, reconnecting by itself.
 */
export async function deepSleep(host, { peer, broker, cycles, file, clientId, random = Math.random }) {
  const arrived = [];
  const onMessage = (topic, payload) => topic === 'sleep/readings' && arrived.push(payload.toString());
  peer.on('message', onMessage);
  await peer.subscribeAsync('sleep/readings', { qos: 1 });
  try {
    const wanted = Array.from({ length: cycles }, (_, n) => `r${n}`);
    for (let n = 0; n <= cycles; n++) {	// the last wake-up sends what the one before left
      if (n > 0 && n % 10 === 0)
        await broker.restart();
      let accepted;
      const done = new Promise(resolve => { accepted = resolve; });
      const running = host.run(STORE, { case: 'reading', port: broker.port, file, clientId, n }, { onReport: value => value.accepted === n && accepted() });
      running.catch(() => {});
      await Promise.race([done, running.then(() => { throw new Error(`cycle ${n} ended by itself`); })]);
      if (n === cycles)
        await until(() => wanted.every(reading => arrived.includes(reading)), `all ${cycles} readings at the peer`, 30_000).finally(() => host.kill());
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
  return { cycles, arrived: first.length, duplicated: arrived.length - new Set(arrived).size };
}
