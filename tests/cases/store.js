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
