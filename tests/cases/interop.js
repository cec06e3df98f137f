// The cases of tests/scenarios/client/interop.js that both hosts run, each
// run and checked once here: real peers (MQTT.js) through real brokers,
// retained messages, big payloads, mosquitto's ACL. tests/interop.test.js runs
// them on xsnap; tests/mcsim-session.test.js, mcsim-transfer.test.js and
// mcsim-api.test.js in mcsim. `host`: `xsnap` (tests/helpers/xs.js) or
// useMcsim() (tests/sim/suite.js).
import assert from 'node:assert/strict';
import { withPeer } from '../helpers/peer.js';
import { startMosquitto } from '../harness/brokers.js';
import { until } from '../helpers/xs.js';

const INTEROP = 'tests/scenarios/client/interop.js';
const FAULTS = 'tests/scenarios/client/faults.js';

// MQTT promises an order only per topic and QoS from one client: a server
// treats each topic as an Ordered Topic [MQTT-4.6.0-5] and sends PUBLISH
// packets for the same topic and QoS in the order it received them from any
// given client [MQTT-4.6.0-6]. Across topics or QoS levels nothing is promised
// (a QoS 0 message may overtake a QoS 2 one: MQTT.js, for one, hands a QoS 2
// message over on PUBREL). So each direction carries, besides one message per
// kind of topic and payload, a sequence at each QoS on its own topic, and the
// check takes what arrived as a set and the order within each topic and QoS.
const SEQUENCE = 5;
const sequences = prefix => Array.from({ length: SEQUENCE }, (_, i) => [0, 1, 2].map(qos =>
  ({ topic: `${prefix}/ordered/qos${qos}`, payload: `message ${i}`, qos }))).flat();

const toXS = [
  { topic: 'interop/to-xs/ascii', payload: Buffer.from('plain text'), qos: 0 },
  { topic: 'interop/to-xs/ünïcødé/✓', payload: Buffer.from('texte accentué ✓ 𝄞'), qos: 1 },
  { topic: 'interop/to-xs/binary', payload: Buffer.from([0, 1, 2, 0xFE, 0xFF, 0x80, 0]), qos: 2 },
  { topic: 'interop/to-xs/empty', payload: Buffer.alloc(0), qos: 1 },
  { topic: 'interop/to-xs/kilobytes', payload: Buffer.from(Array.from({ length: 5000 }, (_, i) => i & 0xFF)), qos: 1 },
  ...sequences('interop/to-xs').map(message => ({ ...message, payload: Buffer.from(message.payload) })),
];
const fromXS = [
  { topic: 'interop/from-xs/ascii', payload: 'hello from XS', qos: 0 },
  { topic: 'interop/from-xs/日本語', payload: 'UTF-8 ✓ 𝄞', qos: 1 },
  { topic: 'interop/from-xs/binary', payload: '00ff10fe80', binary: true, qos: 2 },
  { topic: 'interop/from-xs/retained', payload: 'kept', qos: 1, retain: true },
  ...sequences('interop/from-xs'),
];

/** Messages as {topic, payload (hex), qos}, in a canonical order: what arrived, as a set. */
const asSet = messages => messages.map(message => JSON.stringify(message)).sort();
/** Payloads by topic and QoS, each list in arrival order: the order [MQTT-4.6.0-6] promises. */
function perTopicAndQoS(messages) {
  const lists = {};
  for (const { topic, qos, payload } of messages)
    (lists[`${topic} (QoS ${qos})`] ??= []).push(payload);
  return lists;
}

/** Messages both ways with an MQTT.js peer (client id `peerId`) through the broker at `port`: each once, at its QoS, in order per topic and QoS. */
export async function exchange(host, { port, peerId }) {
  return withPeer(port, { clientId: peerId }, async peer => {
    await peer.subscribeAsync('interop/from-xs/#', { qos: 2 });
    const fromXSReceived = [];
    peer.on('message', (topic, payload, packet) => fromXSReceived.push({ topic, payload: payload.toString('hex'), qos: packet.qos }));
    const result = await host.runCase(INTEROP, 'exchange', { port, expect: toXS.length, outgoing: fromXS }, {
      onReport: async () => {
        // All in flight at once, sent in this order on one connection.
        await Promise.all(toXS.map(message => peer.publishAsync(message.topic, message.payload, { qos: message.qos })));
      },
    });
    // waitMsg hands one message to the callback and resolves its first byte: the i-th QoS is the i-th message's.
    assert.equal(result.qos.length, result.received.length);
    const received = result.received.map((message, i) => ({ ...message, qos: result.qos[i] }));
    const sent = toXS.map(({ topic, payload, qos }) => ({ topic, payload: payload.toString('hex'), qos }));
    assert.deepEqual(asSet(received), asSet(sent), 'every message reached XS once, at its QoS');
    assert.deepEqual(perTopicAndQoS(received), perTopicAndQoS(sent), 'in the order sent, per topic and QoS');

    await until(() => fromXSReceived.length === fromXS.length, 'the messages from XS');
    const published = fromXS.map(({ topic, payload, binary, qos }) => ({ topic, payload: binary ? payload : Buffer.from(payload).toString('hex'), qos }));
    assert.deepEqual(asSet(fromXSReceived), asSet(published), 'every message from XS reached MQTT.js once, at its QoS');
    assert.deepEqual(perTopicAndQoS(fromXSReceived), perTopicAndQoS(published), 'in the order XS published them, per topic and QoS');
  });
}

/** `size` bytes published at `params.qos` to itself come back intact; nothing is left after disconnect. `options`, the host's run options. */
export async function bigEcho(host, params, options) {
  assert.deepEqual(await host.runCase(INTEROP, 'bigEcho', params, options), { length: params.size, mismatch: -1, after: { timers: 0, sockets: 0 } });
}

/**
 * `count` publishes of `size` bytes at `qos` issued at once (outgoingLimit
 * `count`): each Promise resolves [MQTT-4.3.2-1], each message comes back,
 * each intact; nothing is left after disconnect.
 */
export async function burst(host, params, options) {
  assert.deepEqual(await host.runCase(INTEROP, 'burst', params, options), { failed: [], missing: [], corrupt: [], after: { timers: 0, sockets: 0 } });
}

// The broker's part, exercised: it stores the message and sends it with RETAIN 1 on a new subscription [MQTT-3.3.1-5] [MQTT-3.3.1-6] [MQTT-3.3.1-8].
export async function retained(host, { port }) {
  return withPeer(port, async peer => {
    await peer.publishAsync('retained/t', 'kept for later', { qos: 1, retain: true });
    const result = await host.runCase(INTEROP, 'retained', { port, topic: 'retained/t' });
    assert.deepEqual(result, { granted: 1, first: 0x33, received: [{ topic: 'retained/t', payload: 'kept for later' }] });
    await peer.publishAsync('retained/t', '', { qos: 1, retain: true });
  });
}

// RabbitMQ 3.10 departs from [MQTT-3.3.1-6] here (rabbitmq-server#8096, and
// measured): a retained message goes to a new subscription whose filter is
// the topic itself, never to one through a wildcard. README, "Brokers as
// measured here".
/** RabbitMQ: a retained message reaches a subscription to its very topic, and none with a wildcard (+ or #). */
export async function retainedNotToWildcards(host, { port }) {
  return withPeer(port, async peer => {
    await peer.publishAsync('retained/w/t', 'kept', { qos: 1, retain: true });
    try {
      const wildcards = await host.runCase(INTEROP, 'collect', { port, filters: ['retained/w/+', 'retained/#'], wait: 500 });
      assert.deepEqual(wildcards, { granted: [1, 1], received: [] });
      const exact = await host.runCase(INTEROP, 'collect', { port, filters: ['retained/w/t'], wait: 500 });
      assert.deepEqual(exact, { granted: [1], received: [{ topic: 'retained/w/t', payload: 'kept' }] });
    }
    finally {
      await peer.publishAsync('retained/w/t', '', { qos: 1, retain: true });
    }
  });
}

/**
 * RabbitMQ answers a QoS 2 PUBLISH with PUBACK: the publish resolves, and the
 * message reaches a subscriber once, never resent (the faults.js case
 * qos2Downgrade, against the broker itself). And it reports no session at
 * the client's connect(false): it keeps none for a client without
 * subscriptions.
 */
export async function qos2Downgraded(host, { port }) {
  return withPeer(port, async peer => {
    await peer.subscribeAsync('downgrade/t', { qos: 2 });
    const received = [];
    peer.on('message', (topic, payload, packet) => received.push({ payload: payload.toString(), qos: packet.qos }));
    const result = await host.runCase(FAULTS, 'qos2Downgrade', { port });
    assert.equal(result.published, 'ok', 'the QoS 2 publish settles on PUBACK');
    assert.equal(result.next, 'ok', 'and left room under outgoingLimit (1)');
    assert.equal(result.sessionPresent, 0, 'RabbitMQ keeps no session for a clean-session-0 client without subscriptions (its session is its subscription queue)');
    assert.deepEqual(result.after, { timers: 0, sockets: 0 });
    await until(() => received.length >= 2, 'both messages');
    await new Promise(resolve => setTimeout(resolve, 300));	// a resend would have arrived by now
    assert.deepEqual(received, [{ payload: 'two', qos: 1 }, { payload: 'one', qos: 1 }], 'each once, at QoS 1 (granted 1)');
  });
}

// Measured fact (shared/docs/platform.md): mosquitto acknowledges a denied
// SUBSCRIBE with the requested QoS, so MQTTException(0x80) cannot come from
// it; aedes' refusal is the `subscriptionRefused` case of tests/cases/api.js.
/** mosquitto with an ACL denying a subscription still grants it (it hides the denial); no message comes through it. */
export async function aclDenied(host) {
  const broker = await startMosquitto({
    users: { device: 'pw', peer: 'pw' },
    acl: 'user device\ntopic read allowed/#\n\nuser peer\ntopic readwrite #\n',
  });
  try {
    await withPeer(broker.port, { username: 'peer', password: 'pw' }, async peer => {
      const result = await host.runCase(INTEROP, 'aclDenied', { port: broker.port }, {
        onReport: async () => {
          await peer.publishAsync('denied/t', 'never delivered', { qos: 1 });
          await peer.publishAsync('allowed/t', 'delivered', { qos: 1 });
        },
      });
      assert.deepEqual(result, { denied: 1, allowed: 1, received: ['allowed/t'] });
    });
  }
  finally {
    await broker.close();
  }
}
