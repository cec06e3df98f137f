// The cases of tests/scenarios/client/resilience.js that both hosts run, each
// run and checked once here: QoS 2 exactly once, unsubscribe, keep-alive,
// half-open links, push mode, reconnect that keeps what is in flight.
// tests/resilience.test.js runs them on xsnap, tests/mcsim-session.test.js in
// mcsim. `host`: `xsnap` (tests/helpers/xs.js) or useMcsim() (tests/sim/suite.js).
import assert from 'node:assert/strict';
import { withPeer } from '../helpers/peer.js';
import { startAedes } from '../harness/brokers.js';
import { withScripted, polite } from '../harness/scripted-broker.js';
import { until, underVersion } from '../helpers/xs.js';
import { PacketLog } from '../helpers/packet-log.js';

const RESILIENCE = 'tests/scenarios/client/resilience.js';

// Until PUBREL, a PUBLISH with the id gets PUBREC again and is not delivered;
// PUBREL gets PUBCOMP [MQTT-4.3.3-2] [MQTT-3.3.4-1], each with the id of the
// packet it answers [MQTT-2.3.1-6].
/** The broker sends a QoS 2 PUBLISH twice before PUBREL: the callback has it once. */
export function qos2Duplicate(host, { version = 4 } = {}) {
  return withScripted({}, async broker => {
    const result = await host.runCase(RESILIENCE, 'qos2Duplicate', { port: broker.port, ...underVersion(version).params }, {
      ...underVersion(version).options,
      onReport: () => {
        const session = broker.sessions[0];
        const message = { cmd: 'publish', topic: 'dup/t', payload: 'exactly once', qos: 2, messageId: 9 };
        session.send(message);
        session.send({ ...message, dup: true });
        setTimeout(() => session.send({ cmd: 'pubrel', messageId: 9 }), 30);
      },
    });
    assert.deepEqual(result, ['exactly once']);
    const packets = broker.sessions[0].packets;
    assert.deepEqual(packets.filter(packet => packet.cmd === 'pubrec').map(packet => packet.messageId), [9, 9], 'each PUBLISH got its PUBREC, with its id');
    assert.deepEqual(packets.filter(packet => packet.cmd === 'pubcomp').map(packet => packet.messageId), [9], 'the PUBREL got its PUBCOMP, with its id');
    assert.equal(broker.sessions[0].version, version, 'the version of the CONNECT');
  });
}


/**
 * The longest time between two packets a client sent on a session, in ms:
 * on the wire where the host taps its sockets (xsnap: `log`, the times the
 * client's socket wrote them), else at the scripted broker's arrival (mcsim
 * has no tap; loopback adds little, but Node's arrival under load more).
 */
function longestSilence(session, log) {
  const gaps = log.packets().length ? log.sendGaps() : session.packets.slice(1).map((packet, i) => packet.at - session.packets[i].at);
  return Math.max(0, ...gaps);
}

/** Keep-alive 1 s [MQTT-3.1.2-23], idle and then publishing while nothing arrives: PINGREQs, and never more than 1 s between two packets. */
export function keepalive(host, { version = 4 } = {}) {
  return withScripted({}, async broker => {
    const idleLog = new PacketLog(), busyLog = new PacketLog();
    const manifest = underVersion(version).options.host;
    const idle = await host.runCase(RESILIENCE, 'keepalive', { port: broker.port, busy: false, duration: 2600, ...underVersion(version).params }, { host: { ...manifest, tap: idleLog.tap } });
    // In mcsim, timers: the SDK's "Timers" count less each socket's polling task
    assert.deepEqual(idle, { manual: 'ok', after: { timers: 0, sockets: 0 } });
    const pings = broker.sessions[0].packets.filter(packet => packet.cmd === 'pingreq').length;
    // At most one automatic PINGREQ per 3/4 keep-alive (750 ms): 3 in 2.6 s, the manual one, one more for a timer's rounding.
    assert.ok(pings >= 3 && pings <= 5, `2 or 3 automatic PINGREQs in 2.6 s at keep-alive 1 s, plus the manual ping(); saw ${pings}`);
    assert.ok(longestSilence(broker.sessions[0], idleLog) <= 1000, `idle: ${longestSilence(broker.sessions[0], idleLog)} ms between two packets`);

    // QoS 0 publishes every 250 ms: the scripted broker answers none of them.
    const busy = await host.runCase(RESILIENCE, 'keepalive', { port: broker.port, busy: true, duration: 2600, ...underVersion(version).params }, { host: { ...manifest, tap: busyLog.tap } });
    assert.deepEqual(busy, { manual: 'ok', after: { timers: 0, sockets: 0 } });
    const busyPings = broker.sessions[1].packets.filter(packet => packet.cmd === 'pingreq').length;
    assert.ok(busyPings >= 3 && busyPings <= 5, `publishing while nothing arrives, the client still pings to learn the link is alive, once per 3/4 keep-alive at most; saw ${busyPings} PINGREQs`);
    assert.ok(longestSilence(broker.sessions[1], busyLog) <= 1000, `busy: ${longestSilence(broker.sessions[1], busyLog)} ms between two packets`);
    assert.deepEqual(broker.sessions.map(session => session.version), [version, version], 'the version of each CONNECT');
  });
}

/**
 * A half-open connection (no PINGRESP, socket open) is declared dead within
 * 1.5 x keepalive of the last arrival, then reconnect recovers. `late`: the
 * ms a timer of the host may fire late (its socket polling, a loaded machine).
 */
export function halfOpen(host, { late }) {
  // Session 0 never answers PINGREQ; session 1 does, until the test ends it the same way.
  return withScripted({ pingreq(session) { if (session.index > 0) polite.pingreq(session); } }, async broker => {
    const result = await host.runCase(RESILIENCE, 'halfOpen', { port: broker.port }, { timeout: 20_000 });
    const [connected, disconnected, reconnected] = result.events;
    assert.equal(connected.event, 'connected');
    assert.equal(disconnected.event, 'disconnected');
    assert.match(disconnected.reason, /did not answer PINGREQ within \d+ ms \(keep-alive 1 s\): connection dead/);
    // The last arrival was the CONNACK: a PINGREQ after 3/4 of the keep-alive,
    // half a keep-alive to answer it: dead at 1.25 s; at most 1.5 s, and the
    // host's lateness.
    assert.ok(disconnected.sinceLastSend <= 1500 + late, `declared dead ${disconnected.sinceLastSend} ms after the CONNACK`);
    assert.ok(disconnected.sinceLastSend >= 1200, `not before the PINGREQ had half a keep-alive to be answered: ${disconnected.sinceLastSend} ms`);
    assert.equal(reconnected.event, 'connected');
    assert.ok(broker.sessions.length >= 2, 'a second connection was made');
  });
}

/**
 * The broker resets the connection (RST) at the client's first PUBLISH while
 * the client writes every millisecond, keep-alive 0: the client learns of the
 * loss from its writes (a write the socket refuses returns nothing; mcsim's
 * Linux socket gives no onError after it), then reconnects and publishes.
 * Without that, it would write into the dead socket for ever: the case's
 * `timeout` fails it.
 */
export function resetWhileWriting(host, { timeout = 15_000 } = {}) {
  let reset = false;
  return withScripted({
    publish(session, packet) {
      if (session.index === 0 && !reset) {
        reset = true;
        session.reset();
      }
      else
        polite.publish(session, packet);
    },
  }, async broker => {
    // On xsnap, socket events wait for a 20 ms polling tick, as mcsim's
    // (lin/tcp.c, kTaskInterval): the reset is read only at the next tick,
    // while a write meets it at once.
    const result = await host.runCase(RESILIENCE, 'resetWhileWriting', { port: broker.port, pace: 1 }, { timeout, host: { tick: 20 } });
    assert.equal(result.failed, undefined, 'connect() succeeded');
    const [connected, lost, again] = result.events;
    assert.equal(connected?.event, 'connected');
    assert.equal(lost?.event, 'disconnected', `the reset was noticed: ${JSON.stringify(result.events)}`);
    assert.equal(again?.event, 'connected', 'reconnected');
    assert.equal(result.events.length, 3, `one loss, one reconnection, the QoS 1 PUBLISH on it acknowledged: ${JSON.stringify(result.events)}`);
    assert.ok(broker.sessions.length >= 2 && broker.sessions[1].packets.some(packet => packet.cmd === 'publish' && packet.topic === 'after/reset'), 'the new connection carried the PUBLISH');
    assert.deepEqual(result.after, { timers: 0, sockets: 0 });
  });
}

// What the broker does after UNSUBACK is its own part [MQTT-3.10.4-2]; exercised here.
/** Several topics in one SUBSCRIBE and one UNSUBSCRIBE, through the broker at `port` (granting at most `maxQoS`); nothing comes after UNSUBACK. */
export async function unsubscribe(host, { port, maxQoS = 2 }) {
  return withPeer(port, async peer => {
    const reports = [];
    // After the 'after' messages are published (acknowledged to the peer), the client listens 500 ms
    // (a hundred times a loopback broker's forwarding) for any that would come after UNSUBACK.
    const done = host.runCase(RESILIENCE, 'unsubscribe', { port, quiet: 500 }, { onReport: value => reports.push(value) });
    await until(() => reports.length === 1, 'the subscriptions');
    for (const topic of ['multi/a', 'multi/b', 'multi/c', 'multi/single'])
      await peer.publishAsync(topic, 'before', { qos: 1 });
    await host.message({ step: 'received' });
    await until(() => reports.length === 2, 'the unsubscriptions');
    assert.deepEqual(reports[1], { unsubscribed: 'ok', unsubscribedSingle: 'ok' });
    for (const topic of ['multi/a', 'multi/b', 'multi/c', 'multi/single'])
      await peer.publishAsync(topic, 'after', { qos: 1 });
    await host.message({ step: 'after' });
    const result = await done;
    assert.deepEqual(result.granted, [0, 1, 2].map(qos => Math.min(qos, maxQoS)));
    assert.equal(result.single, 1);
    assert.deepEqual([...result.received].sort(), ['multi/a', 'multi/b', 'multi/c', 'multi/single'], 'the messages before, once each, and nothing after UNSUBACK');
  });
}

/** Push mode: each message reaches the callback as it arrives, no polling. */
export async function push(host, { port }) {
  return withPeer(port, async peer => {
    const result = await host.runCase(RESILIENCE, 'push', { port, count: 20 }, {
      onReport: async () => {
        for (let i = 0; i < 20; i++)
          await peer.publishAsync(`push/${i}`, `m${i}`, { qos: i % 2 });
      },
    });
    assert.deepEqual(result, Array.from({ length: 20 }, (_, i) => `m${i}`));
  });
}

/**
 * disconnect() leaves no timer and no socket, with reconnect enabled; with
 * `whileReconnecting`, `dropBroker()` ends the connection first, so that
 * disconnect() comes in the middle of reconnecting.
 */
export async function noLeftovers(host, { port, whileReconnecting, dropBroker }) {
  const result = await host.runCase(RESILIENCE, 'noLeftovers', { port, whileReconnecting }, {
    onReport: () => whileReconnecting && dropBroker(),
  });
  assert.deepEqual(result.after, { timers: 0, sockets: 0 });
  assert.deepEqual(result.later, { timers: 0, sockets: 0 }, 'no reconnect after disconnect()');
  assert.equal(result.connected, false);
  if (!whileReconnecting)
    assert.deepEqual(result.during, { timers: 1, sockets: 1 }, 'the keep-alive timer and the socket, while connected');
}

/**
 * A scripted broker's first connection that acknowledges no QoS 1 PUBLISH,
 * answers a QoS 2 one with PUBREC only, and dies 20 ms after the PUBREL
 * arrives; later connections answer politely.
 */
export const lostAfterPubrel = {
  publish(session, packet) {
    if (session.index > 0)
      return polite.publish(session, packet);
    if (packet.qos === 2)
      session.send({ cmd: 'pubrec', messageId: packet.messageId });	// and nothing else: the first connection acknowledges nothing
  },
  pubrel(session, packet) {
    if (session.index > 0)
      return polite.pubrel(session, packet);
    setTimeout(() => session.close(), 20);	// the PUBREL arrived: now the connection dies
  },
};

// Clean session 0 and `reconnect`: the session is kept [MQTT-3.1.2-4]
// [MQTT-4.1.0-1]; on the new connection each unacknowledged PUBLISH goes again
// with DUP 1 [MQTT-3.3.1-1] and its id [MQTT-2.3.1-3], and PUBREL (never the
// PUBLISH) for the QoS 2 one past PUBREC [MQTT-4.3.3-1] [MQTT-2.3.1-6], in the
// original order [MQTT-4.6.0-1]; the first sends are DUP 0 [MQTT-4.3.2-1].
/** Publishes in flight when the connection drops are resent in order (DUP, PUBREL past PUBREC) and their Promises settle [MQTT-4.4.0-1]. */
export function inFlightSurvives(host, { version = 4 } = {}) {
  return withScripted({
    connect(session) { session.send({ cmd: 'connack', returnCode: 0, reasonCode: 0, sessionPresent: session.index > 0 }); },
    ...lostAfterPubrel,
  }, async broker => {
    // A reconnection takes 50 to 100 ms: a publication that never settles fails the case in 10 s, not 60.
    const result = await host.runCase(RESILIENCE, 'inFlightSurvives', { port: broker.port, ...underVersion(version).params }, { timeout: 10_000, ...underVersion(version).options });
    assert.deepEqual(broker.sessions.map(session => session.version), [version, version], 'the version of each CONNECT');
    assert.deepEqual(result, { results: ['ok', 'ok', 'ok'], after: { timers: 0, sockets: 0 } });
    const [first, second] = broker.sessions;
    const firstIds = first.packets.filter(packet => packet.cmd === 'publish').map(packet => [packet.topic, packet.messageId, packet.dup]);
    assert.deepEqual(firstIds.map(([topic, , dup]) => [topic, dup]), [['flight/1', false], ['flight/2', false], ['flight/3', false]]);
    assert.equal(new Set(firstIds.map(([, id]) => id)).size, 3, 'each new message its own packet id');
    assert.deepEqual(first.packets.filter(packet => packet.cmd === 'publish').map(packet => packet.qos), [1, 2, 1], 'each with its QoS');
    const resent = second.packets.filter(packet => packet.cmd !== 'connect' && packet.cmd !== 'disconnect')
      .map(packet => packet.cmd === 'publish' ? ['publish', packet.topic, packet.messageId, packet.dup] : [packet.cmd, packet.messageId]);
    assert.deepEqual(resent, [
      ['publish', 'flight/1', firstIds[0][1], true],
      ['pubrel', firstIds[1][1]],
      ['publish', 'flight/3', firstIds[2][1], true],
    ], 'in their original order, with their ids');
  });
}

/** While reconnecting (aedes killed), publishes wait up to outgoingLimit, the next rejects, the waiting ones go out after. */
export async function offlineBound(host) {
  const broker = await startAedes();
  try {
    const result = await host.runCase(RESILIENCE, 'offlineBound', { port: broker.port }, {
      onReport: async value => {
        if (value.connected)
          await broker.kill();
        if (value.queued)
          await broker.start();
      },
    });
    assert.equal(result.refused, 'Error: outgoing queue full: 5 messages wait for the connection (outgoingLimit 5)');
    assert.deepEqual(result.outcomes, ['ok', 'ok', 'ok', 'ok', 'ok']);
    assert.deepEqual(result.after, { timers: 0, sockets: 0 });
  }
  finally {
    await broker.close();
  }
}
