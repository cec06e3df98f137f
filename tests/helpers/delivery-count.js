// Counting numbered messages end to end across broker crashes, and telling the
// client's losses from the broker's by the packets on the wire: the XS
// client's (the host's tap, PacketLog.packets()), the MQTT.js peer's
// (PacketLog.ofClient), the publisher's acknowledgements and the broker's
// kills and restarts, all on one clock (performance.now(), in Node).
//
// A message that did not arrive is the CLIENT's loss, unless one of the rules
// below proves it the broker's from those records and the broker's
// configuration (the row's: persistent or not). Each broker loss is listed
// with its rule and the packets that prove it.
//
// What a broker owes (MQTT 3.1.1):
// - [MQTT-4.5.0-1] when it takes ownership of a message (PUBACK for QoS 1,
//   PUBREC for QoS 2, to the sender), it MUST add it to the session state of
//   each client with a matching subscription; 3.1.2.4: a server's session
//   state holds the subscriptions and the messages pending or in flight.
// - [MQTT-3.2.2-2] [MQTT-3.2.2-3] on a reconnect with clean session 0, its
//   CONNACK says session present 1 when it has the session, 0 when it has no
//   session state: session present 0 proves it lost everything it held.
// - [MQTT-4.4.0-1] with the session kept, it sends again what the client did
//   not acknowledge.
// - [MQTT-4.3.3-2] a QoS 2 receiver (the client) that sent PUBREC takes any
//   PUBLISH with that packet id as the resend of that message until PUBREL,
//   and does not deliver it.
//
// The rules that give a lost message to the BROKER:
// - LOST_AT_RESTART: the broker took ownership of it (ack time t), the
//   receiver's subscription provably existed on the broker at t (a SUBACK
//   granting a matching filter before t, with no session-present-0 CONNACK
//   and no restart of a broker without persistence between), the broker that
//   acknowledged it was then killed, it had no persistence (the row's
//   configuration), and the receiver's first CONNACK after the restart said
//   session present 0 [MQTT-3.2.2-3]: the session state holding the message
//   [MQTT-4.5.0-1] was gone. For an incoming message the XS client received
//   and did not acknowledge, t is when the broker sent it (it held it
//   unacknowledged, to send again [MQTT-4.4.0-1]); no subscription check
//   is needed (it was sent).
// - AFTER_LAST_SAVE: as LOST_AT_RESTART up to the kill, for a broker with
//   persistence that saves its state every `lossWindow` ms at most (the row's
//   configuration): the kill came at most `lossWindow` ms after t, so the
//   last save may predate the message. Counted against the row's `bound`.
// - REUSED_ID (incoming QoS 2): the broker sent it with the packet id of an
//   earlier QoS 2 PUBLISH the client had acknowledged with PUBREC and not
//   completed (no PUBCOMP from the client), with no session-present-0
//   CONNACK between (the session was kept): the client must take it as that
//   message's resend and not deliver it [MQTT-4.3.3-2]. The broker used an id
//   still in use (seen with mosquitto restarting from a stale snapshot).
//   Counted against the row's `bound`.
// - KEPT_SESSION: the broker took ownership (ack time t), the receiver's
//   subscription provably existed at t, and its session provably stayed:
//   no restart after t of a broker without persistence, and every later
//   CONNACK of the receiver said session present 1. The broker had to keep
//   the message for the receiver [MQTT-4.5.0-1] [MQTT-3.1.2-5] and send it
//   [MQTT-4.4.0-1]; it never reached the receiver's wire (outgoing: the
//   receiver is the MQTT.js subscriber, past the XS client's part; incoming:
//   the crash test asserts the client's socket held nothing unread at the
//   count, so "never on its wire" means never sent). Counted against the
//   row's `bound`.
// - UNSUBSCRIBED (no one's, counted apart): the broker took the message when
//   the receiver provably had no subscription: its session was lost (a
//   restart without persistence, or a CONNACK saying session present 0) and
//   it wrote its next SUBSCRIBE only after; and that SUBSCRIBE was granted.
//   A broker sends a message only to the subscriptions it has [MQTT-4.5.0-1].
//   A receiver that never subscribes again gets no such pass: its losses are
//   its own.
// Nothing else: in particular a message the client acknowledged (it took
// ownership) and never delivered, a QoS 1 PUBLISH with a reused id (no QoS 1
// message awaits PUBCOMP), a message acknowledged while no subscription of the
// receiver is proven, or one acknowledged by a broker that was never killed,
// are the client's.
//
// Outgoing acknowledgement: the one for THAT PUBLISH is the first PUBACK
// (QoS 1) or PUBREC (QoS 2) with its packet id on its socket after it, before
// any other PUBLISH the client sent with that id. For QoS 2 the client must
// also have done its part: PUBREL sent after the PUBREC (before it used the id
// again), unless the next CONNACK said session present 0 (the broker owns it,
// SESSION-SPEC).
//
// Duplicates:
// - Outgoing QoS 2 duplicated by the CLIENT: the client sent the message again
//   where the standard forbids it: any PUBLISH of it after a PUBREC for it
//   [MQTT-4.3.3-1], or a new publication of it (DUP 0) other than its first,
//   unless on a connection whose CONNACK said session present 0 (the broker
//   lost the session; SESSION-SPEC: published again as a new message) and for
//   the first time on that connection. Every other second delivery is the
//   BROKER's (it delivered one publication twice, [MQTT-4.3.3-2]).
// - Incoming QoS 2: the broker's separate publications of one message are told
//   apart on the wire: a PUBLISH with another packet id, or with the same id
//   after the client sent PUBCOMP for it (a new publication by
//   [MQTT-4.3.3-2], which a broker resends after a crash from a stale
//   snapshot), or after a CONNACK with session present 0 following the
//   client's PUBREC (the broker lost the session). Deliveries beyond the
//   broker's publications are the CLIENT's duplicates.
// - QoS 1 duplicates are allowed ("at least once": a receiver treats a PUBLISH
//   after its PUBACK as a new publication, [MQTT-4.3.2-2]): counted apart.
// - lost unacknowledged: an incoming message never on the client's wire and
//   never acknowledged to the publisher (no one took it; reported apart).

import { performance } from 'node:perf_hooks';

export const RULES = {
  KEPT_SESSION: 'acknowledged, the receiver subscribed, and its session kept from then on (no restart without persistence, every later CONNACK session present 1): the broker had to store it and send it [MQTT-4.5.0-1] [MQTT-3.1.2-5] [MQTT-4.4.0-1] (bounded per row)',
  UNSUBSCRIBED: 'no one\'s: taken by the broker after the receiver\'s session was lost and before the receiver wrote its next (granted) SUBSCRIBE: a message goes only to the subscriptions that exist [MQTT-4.5.0-1]',
  LOST_AT_RESTART: 'acknowledged, the receiver subscribed, then the broker was killed without persistence and the receiver\'s next CONNACK said session present 0 [MQTT-4.5.0-1] [MQTT-3.2.2-3]',
  AFTER_LAST_SAVE: 'acknowledged, the receiver subscribed, then the broker was killed within its save interval [MQTT-4.5.0-1] (bounded per row)',
  REUSED_ID: 'sent with the packet id of a QoS 2 message the client had PUBRECed and not completed, session kept: the client must not deliver it [MQTT-4.3.3-2] (bounded per row)',
};

/** An MQTT topic filter matches a topic name (4.7: '+' one level, '#' the rest). */
export function matches(filter, topic) {
  const f = filter.split('/'), t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#')
      return true;
    if (i >= t.length || (f[i] !== '+' && f[i] !== t[i]))
      return false;
  }
  return f.length === t.length;
}

/** Packets with their index (`#n` in the proofs) and the look-ups the rules need. */
function indexed(packets) {
  packets.forEach((packet, index) => { packet.index = index; });
  const byTopic = new Map();	// 'in topic' / 'out topic' -> PUBLISH packets
  for (const packet of packets)
    if (packet.cmd === 'publish') {
      const key = `${packet.direction} ${packet.topic}`;
      if (!byTopic.has(key))
        byTopic.set(key, []);
      byTopic.get(key).push(packet);
    }
  const connackOf = new Map();	// socket -> its CONNACK
  for (const packet of packets)
    if (packet.direction === 'in' && packet.cmd === 'connack' && !connackOf.has(packet.socket))
      connackOf.set(packet.socket, packet);
  /** The first packet after `from` (an index) matching `test`, before index `before`. */
  const next = (from, test, before = Infinity) => {
    for (let i = from + 1; i < Math.min(before, packets.length); i++)
      if (test(packets[i]))
        return packets[i];
    return undefined;
  };
  /**
   * The acknowledgement `ackCmd` of `publish` (any direction): the first
   * packet of that type with its id on its socket, from the other side,
   * before the same side sends another PUBLISH with that id on that socket.
   */
  const ackOf = (publish, ackCmd) => {
    const other = publish.direction === 'in' ? 'out' : 'in';
    const found = next(publish.index, packet => packet.socket === publish.socket && packet.messageId === publish.messageId &&
      ((packet.direction === other && packet.cmd === ackCmd) || (packet.direction === publish.direction && packet.cmd === 'publish')));
    return found?.cmd === ackCmd ? found : undefined;
  };
  const INCOMING_FLOW = new Set(['in publish', 'in pubrel', 'out puback', 'out pubrec', 'out pubcomp']);
  /** What the log shows of an incoming `publish`'s packet id on its socket from it on: "#7 in publish 7 dup, #9 out pubrec 7, ...". */
  const story = publish => packets.filter(packet => packet.index >= publish.index && packet.socket === publish.socket &&
    packet.messageId === publish.messageId && INCOMING_FLOW.has(`${packet.direction} ${packet.cmd}`))
    .slice(0, 6).map(packet => `#${packet.index} ${packet.direction} ${packet.cmd} ${packet.messageId ?? ''}${packet.dup ? ' dup' : ''}`.trim()).join(', ');
  return { packets, byTopic, connackOf, next, ackOf, story };
}

const ms = time => `${Math.round(time)} ms`;

/**
 * The broker's configuration and life: `persistent`, `lossWindow` (ms, with
 * persistence: how old its last save may be at a kill), `restarts`
 * ([{ killed, started }] times). Instance i runs from restarts[i-1].started
 * to restarts[i].started; an acknowledgement received before a restart's
 * start came from the instance that restart killed.
 */
function instanceAt(broker, time) {
  let i = 0;
  while (i < broker.restarts.length && time >= broker.restarts[i].started)
    i++;
  return i;
}

/**
 * The SUBACK that proves the receiver (its packet log) had a subscription
 * matching `topic` on the broker at `time`: granted for a matching filter of
 * the SUBSCRIBE with its id, received before `time`, with no CONNACK saying
 * session present 0 and no restart of a broker without persistence since.
 */
function subscriptionAt(log, topic, time, broker, until = time) {
  for (let i = log.packets.length - 1; i >= 0; i--) {
    const suback = log.packets[i];
    if (suback.time >= time || suback.direction !== 'in' || suback.cmd !== 'suback')
      continue;
    const subscribe = log.packets.slice(0, i).reverse().find(packet => packet.direction === 'out' && packet.cmd === 'subscribe' &&
      packet.socket === suback.socket && packet.messageId === suback.messageId);
    const granted = subscribe?.subscriptions?.some((filter, k) => suback.granted?.[k] !== 128 && matches(filter, topic));
    if (!granted)
      continue;
    const lostSince = log.packets.some(packet => packet.direction === 'in' && packet.cmd === 'connack' && !packet.sessionPresent &&
      packet.time > suback.time && packet.time <= until) || (!broker.persistent && instanceAt(broker, suback.time) !== instanceAt(broker, until));
    return lostSince ? undefined : suback;
  }
  return undefined;
}

/**
 * UNSUBSCRIBED: the receiver provably had no subscription matching `topic`
 * when the broker took the message at `time`: its session was lost before
 * (a restart of a broker without persistence, or its CONNACK saying session
 * present 0) and it wrote its next SUBSCRIBE for the topic only after `time`
 * (the broker cannot have had it before), and that SUBSCRIBE was granted
 * (the receiver did subscribe again). A proof, or undefined.
 */
function unsubscribedAt(log, topic, time, broker, t0, from = time) {
  const restart = broker.persistent ? undefined : broker.restarts.filter(each => each.started <= time).at(-1);
  const connack = log.packets.filter(packet => packet.direction === 'in' && packet.cmd === 'connack' && !packet.sessionPresent && packet.time <= time).at(-1);
  const lost = Math.max(restart?.started ?? -Infinity, connack?.time ?? -Infinity);
  if (lost === -Infinity)
    return undefined;
  const covers = packet => packet.direction === 'out' && packet.cmd === 'subscribe' && packet.subscriptions?.some(filter => matches(filter, topic));
  const subscribe = log.packets.find(packet => covers(packet) && packet.time > lost);
  const suback = subscribe && log.packets.find(packet => packet.index > subscribe.index && packet.direction === 'in' && packet.cmd === 'suback' &&
    packet.socket === subscribe.socket && packet.messageId === subscribe.messageId);
  if (!suback || !subscribe.subscriptions.some((filter, k) => suback.granted?.[k] !== 128 && matches(filter, topic)))
    return undefined;
  // A SUBSCRIBE written before `time` whose SUBACK came after: the broker may
  // have had the subscription when it took the message, and then owed it to
  // the session, which must have stayed (no session present 0 after):
  // not the receiver's loss either way.
  if (subscribe.time <= time && log.packets.some(packet => packet.time > time && packet.direction === 'in' && packet.cmd === 'connack' && !packet.sessionPresent))
    return undefined;
  const cause = restart && restart.started === lost ? `broker started again without persistence at ${ms(lost - t0)}` :
    `receiver's CONNACK ${log.name}#${connack.index} at ${ms(lost - t0)}: session present 0`;
  return subscribe.time > time ? `${cause}; receiver's next SUBSCRIBE ${log.name}#${subscribe.index} only at ${ms(subscribe.time - t0)} (SUBACK ${log.name}#${suback.index})` :
    `${cause}; receiver's next SUBSCRIBE ${log.name}#${subscribe.index} at ${ms(subscribe.time - t0)}, its SUBACK ${log.name}#${suback.index} at ${ms(suback.time - t0)}, ` +
    `not before the message was written (${ms(from - t0)}), the session kept after: no subscription yet, or the broker's (KEPT_SESSION)`;
}

/**
 * Whether the broker lost a message it owned from `time` (`what` says how),
 * by LOST_AT_RESTART or AFTER_LAST_SAVE: { rule, proof } or { why } (not
 * proven). `receiver`: the log of the client the message was for;
 * `subscribed`: the subscription must be checked (it was not sent yet).
 */
function lostByBroker({ topic, time, what, receiver, broker, subscribed, t0, written, from = time }) {
  // With persistence, a message written to a broker that was killed before it
  // answered, and acknowledged (as a resend) only by the restarted broker, is
  // judged from when it was written: the killed broker may have taken it and
  // saved that, and then not the message [MQTT-4.5.0-1]. Written after the
  // broker stopped (restart.killed), it never reached that broker.
  const before = written === undefined ? undefined : broker.restarts[instanceAt(broker, written)];
  if (broker.persistent && before && written < before.killed && instanceAt(broker, time) > instanceAt(broker, written)) {
    what = `written at ${ms(written - t0)} to the broker killed after, ${what} only by the restarted broker at ${ms(time - t0)}`;
    time = from = written;
  }
  const instance = instanceAt(broker, time);
  const restart = broker.restarts[instance];
  if (!restart && !subscribed)
    return { why: `${what}; the broker that took it was never killed` };
  let proof = `${what} at ${ms(time - t0)}`;
  if (subscribed) {
    // The broker took the message between `from` (the PUBLISH written) and
    // `time` (its acknowledgement received): the subscription must predate
    // `from` (its SUBACK received before: the clocks are Node's, on
    // loopback; the order in which Node reads two sockets is not the order
    // in which the broker wrote them) and last until `time`.
    const suback = subscriptionAt(receiver, topic, from, broker, time);
    if (!suback) {
      const none = unsubscribedAt(receiver, topic, time, broker, t0, from);
      return none ? { rule: 'UNSUBSCRIBED', proof: `${what} at ${ms(time - t0)}; ${none}` } :
        { why: `${what} at ${ms(time - t0)}; no subscription of the receiver proven then (no SUBACK since its session was last lost; ` +
          `its SUBSCRIBE/SUBACK: ${receiver.packets.filter(packet => packet.cmd === 'subscribe' || packet.cmd === 'suback' || packet.cmd === 'connack')
            .map(packet => `${receiver.name}#${packet.index} ${packet.cmd}${packet.cmd === 'connack' ? ` ${packet.sessionPresent ? 1 : 0}` : ''} at ${ms(packet.time - t0)}`).join(', ')})` };
    }
    proof += `; receiver's SUBACK ${receiver.name}#${suback.index} at ${ms(suback.time - t0)}`;
  }
  const keptSession = subscribed && (!restart || broker.persistent) &&
    receiver.packets.every(packet => packet.time <= time || packet.direction !== 'in' || packet.cmd !== 'connack' || packet.sessionPresent);
  if (keptSession && !(broker.persistent && restart && restart.killed - time <= broker.lossWindow))
    return { rule: 'KEPT_SESSION', proof: `${proof}; ${restart ? 'killed after with persistence' : 'the broker never killed after'}, every later CONNACK of the receiver said session present 1; ` +
      `the receiver's log ends at ${ms(receiver.packets.at(-1).time - t0)} (${receiver.packets.filter(packet => packet.time > time).length} packets after)` };
  if (!restart)
    return { why: `${what}; the broker that took it was never killed` };
  proof += `; killed at ${ms(restart.killed - t0)}, started again at ${ms(restart.started - t0)}`;
  if (!broker.persistent) {
    const connack = receiver.packets.find(packet => packet.direction === 'in' && packet.cmd === 'connack' && packet.time > restart.started);
    if (!connack || connack.sessionPresent)
      return { why: `${what}; killed after, but the receiver's next CONNACK ${connack ? `(${receiver.name}#${connack.index}) said session present 1` : 'never came'}` };
    return { rule: 'LOST_AT_RESTART', proof: `${proof} without persistence; receiver's CONNACK ${receiver.name}#${connack.index} at ${ms(connack.time - t0)}: session present 0` };
  }
  if (restart.killed - time <= broker.lossWindow)
    return { rule: 'AFTER_LAST_SAVE', proof: `${proof}: ${ms(restart.killed - time)} before the kill, within the ${broker.lossWindow} ms save window` };
  return { why: `${what}; killed ${ms(restart.killed - time)} after, beyond the broker's ${broker.lossWindow} ms save window` };
}

function tally() {
  return { sent: 0, delivered: 0, lostClient: 0, dupClient: 0, lostBroker: 0, bounded: 0, lostUnsubscribed: 0, unsubscribed: [], dupBroker: 0, dupAllowed: 0, lostUnacked: 0, broker: [], faults: [] };
}

function toBroker(count, topic, { rule, proof }) {
  if (rule === 'UNSUBSCRIBED') {
    count.lostUnsubscribed++;
    count.unsubscribed.push({ topic, rule, proof });
    return;
  }
  count.lostBroker++;
  if (rule !== 'LOST_AT_RESTART')
    count.bounded++;
  count.broker.push({ topic, rule, proof });
}

function toClient(count, topic, why) {
  count.lostClient++;
  count.faults.push(`${topic}: ${why}`);
}

const NO_BROKER = { persistent: false, restarts: [] };

/**
 * Outgoing messages of one QoS: `topics` sent by the XS client, `deliveries`
 * (topic -> count) at the subscriber, `packets` from the XS client's log,
 * `subscriber` the subscriber's packets (PacketLog.ofClient), `broker` as
 * for instanceAt().
 */
export function countOutgoing({ topics, qos, deliveries, packets, subscriber = [], broker = NO_BROKER }) {
  const xs = indexed(packets);
  const receiver = { name: 'sub', ...indexed(subscriber) };
  const t0 = packets[0]?.time ?? 0;
  const ackCmd = qos === 1 ? 'puback' : 'pubrec';
  const count = tally();
  for (const topic of topics) {
    count.sent++;
    const d = deliveries.get(topic) ?? 0;
    const sends = xs.byTopic.get(`out ${topic}`) ?? [];
    if (d > 0)
      count.delivered++;
    else {
      const send = sends.find(each => xs.ackOf(each, ackCmd));
      const ack = send && xs.ackOf(send, ackCmd);
      if (!ack)
        toClient(count, topic, `never acknowledged by the broker (sent ${sends.length} times: ${sends.map(each => `#${each.index}`).join(', ')})`);
      else if (qos === 2 && !releasedAfter(xs, ack))
        toClient(count, topic, `PUBREC #${ack.index}, and the client did not send PUBREL for it where due [MQTT-4.3.3-1] [MQTT-4.4.0-1]`);
      else {
        const verdict = lostByBroker({ topic, time: ack.time, from: send.time, what: `PUBLISH #${send.index}, its ${ackCmd} #${ack.index}`, receiver, broker, subscribed: true, t0, written: sends[0].time });
        if (verdict.rule)
          toBroker(count, topic, verdict);
        else
          toClient(count, topic, `never delivered: ${verdict.why}`);
      }
    }
    if (d <= 1)
      continue;
    if (qos === 1) {
      count.dupAllowed += d - 1;
      continue;
    }
    let forbidden = 0;
    sends.forEach((send, k) => {
      const pubrecBefore = sends.slice(0, k).some(earlier => xs.next(earlier.index, packet => packet.direction === 'in' && packet.cmd === 'pubrec' &&
        packet.socket === earlier.socket && packet.messageId === earlier.messageId, send.index));
      const sameSocketBefore = sends.slice(0, k).some(earlier => earlier.socket === send.socket);
      const renewed = k > 0 && !send.dup && (xs.connackOf.get(send.socket)?.sessionPresent !== false || sameSocketBefore);
      if (pubrecBefore || renewed)
        forbidden++;
    });
    const byClient = Math.min(d - 1, forbidden);
    count.dupClient += byClient;
    count.dupBroker += d - 1 - byClient;
    count.faults.push(`${topic}: delivered ${d} times; the client sent it ${sends.length} times, ${forbidden} of them where the standard forbids`);
  }
  return count;
}

/** QoS 2 outgoing: after `pubrec` the client sent PUBREL with its id (before using the id again), or the next CONNACK said session present 0. */
function releasedAfter(xs, pubrec) {
  const id = pubrec.messageId;
  const found = xs.next(pubrec.index, packet => packet.direction === 'out' && packet.messageId === id && (packet.cmd === 'pubrel' || packet.cmd === 'publish'));
  if (found?.cmd === 'pubrel')
    return true;
  const connack = xs.next(pubrec.index, packet => packet.direction === 'in' && packet.cmd === 'connack' && packet.socket !== pubrec.socket);
  return connack !== undefined && !connack.sessionPresent && (!found || found.index > connack.index);
}

/**
 * Incoming messages of one QoS: `topics` sent by the publisher, `deliveries`
 * (topic -> count) in the XS app, `acknowledged` (topic -> time the
 * publisher got PUBACK/PUBREC for it), `writes` (topic -> the times the
 * publisher wrote its PUBLISH), `packets` from the XS client's log,
 * `broker` as for instanceAt().
 */
export function countIncoming({ topics, qos, deliveries, acknowledged, writes, packets, broker = NO_BROKER }) {
  const xs = indexed(packets);
  const receiver = { name: '', ...xs };
  const t0 = packets[0]?.time ?? 0;
  const ackCmd = qos === 1 ? 'puback' : 'pubrec';
  const count = tally();
  for (const topic of topics) {
    count.sent++;
    const d = deliveries[topic] ?? 0;
    const wire = xs.byTopic.get(`in ${topic}`) ?? [];
    if (d > 0)
      count.delivered++;
    else if (wire.length) {
      const covered = wire.map(publish => ({ publish, earlier: reusedUnreleased(xs, publish) })).filter(each => each.earlier);
      const reused = covered[0];
      const taken = wire.find(publish => !covered.some(each => each.publish === publish) && xs.ackOf(publish, ackCmd));
      const last = wire[wire.length - 1];
      if (taken)
        toClient(count, topic, `received #${taken.index}, acknowledged (${ackCmd} #${xs.ackOf(taken, ackCmd).index}), never delivered to the app (${wire.map(xs.story).join(' / ')})`);
      else if (reused)
        toBroker(count, topic, { rule: 'REUSED_ID', proof: `PUBLISH #${reused.publish.index} (QoS 2, id ${reused.publish.messageId}) while #${reused.earlier.publish.index} ` +
          `(${reused.earlier.publish.topic}) awaited PUBREL: the client's PUBREC #${reused.earlier.pubrec.index}, no PUBCOMP, no session-present-0 CONNACK between (${xs.story(reused.publish)})` });
      else {
        const verdict = lostByBroker({ topic, time: last.time, what: `received #${last.index}, never acknowledged by the client`, receiver, broker, subscribed: false, t0 });
        if (verdict.rule)
          toBroker(count, topic, verdict);
        else
          toClient(count, topic, `never delivered to the app: ${verdict.why} (${wire.map(xs.story).join(' / ')})`);
      }
    }
    else if (acknowledged.has(topic)) {
      const time = acknowledged.get(topic), times = writes?.get(topic) ?? [];
      const from = times.filter(write => write <= time).at(-1) ?? time;	// the PUBLISH that acknowledgement answers
      const verdict = lostByBroker({ topic, time, from, what: `written at ${ms(from - t0)}, acknowledged to the publisher`, receiver, broker, subscribed: true, t0, written: times[0] });
      if (verdict.rule)
        toBroker(count, topic, verdict);
      else
        toClient(count, topic, `never on the client's wire: ${verdict.why}`);
    }
    else
      count.lostUnacked++;
    if (d <= 1)
      continue;
    if (qos === 1) {
      count.dupAllowed += d - 1;
      continue;
    }
    let publications = 0, current;
    for (const publish of wire) {
      const renewed = current && (publish.messageId !== current.messageId ||
        xs.next(current.index, packet => packet.direction === 'out' && packet.cmd === 'pubcomp' && packet.messageId === publish.messageId, publish.index) ||
        (xs.connackOf.get(publish.socket)?.sessionPresent === false && publish.socket !== current.socket &&
          xs.next(current.index, packet => packet.direction === 'out' && packet.cmd === 'pubrec' && packet.messageId === publish.messageId, publish.index)));
      if (!current || renewed) {
        publications++;
        current = publish;
      }
    }
    const byBroker = Math.min(d, publications) - 1;
    count.dupBroker += byBroker;
    count.dupClient += d - 1 - byBroker;
    count.faults.push(`${topic}: delivered ${d} times; the broker published it ${publications} times (${wire.length} PUBLISH on the wire: ${wire.map(xs.story).join(' / ')})`);
  }
  return count;
}

/**
 * REUSED_ID: the earlier QoS 2 PUBLISH (another message) whose packet id
 * `publish` (QoS 2) carries, which the client had acknowledged with PUBREC
 * and not completed (no PUBCOMP) when `publish` came, with no CONNACK saying
 * session present 0 between: { publish, pubrec } or undefined.
 */
function reusedUnreleased(xs, publish) {
  if (publish.qos !== 2)
    return undefined;
  const id = publish.messageId;
  for (let i = publish.index - 1; i >= 0; i--) {
    const earlier = xs.packets[i];
    if (earlier.direction !== 'in' || earlier.cmd !== 'publish' || earlier.messageId !== id)
      continue;
    const between = packet => (packet.direction === 'out' && packet.cmd === 'pubcomp' && packet.messageId === id) ||
      (packet.direction === 'in' && packet.cmd === 'connack' && !packet.sessionPresent);
    if (earlier.qos !== 2 || xs.next(earlier.index, between, publish.index))
      return undefined;
    if (earlier.topic === publish.topic)	// a resend of this message: covered as long as its first copy was
      return reusedUnreleased(xs, earlier);
    const pubrec = xs.ackOf(earlier, 'pubrec');
    return pubrec && pubrec.index < publish.index ? { publish: earlier, pubrec } : undefined;
  }
  return undefined;
}

/**
 * The QoS 1 and 2 PUBLISH packets a client sent (`packets`: its log) before
 * `killed` that the broker killed then never acknowledged: no PUBACK or
 * PUBREC for it on its socket before `started` (the next instance's start).
 * The crash tests' premise: the kill came with messages in flight.
 */
export function inFlightAt(packets, killed, started) {
  const xs = indexed(packets.map(packet => ({ ...packet })));
  return xs.packets.filter(packet => packet.direction === 'out' && packet.cmd === 'publish' && packet.qos > 0 && packet.time < killed &&
    !(xs.ackOf(packet, packet.qos === 1 ? 'puback' : 'pubrec')?.time < started));
}

/**
 * What countIncoming needs of the MQTT.js client that publishes to the XS
 * client, recorded from its packet events: `acknowledged` (topic -> when
 * the broker first acknowledged it, PUBACK or PUBREC, matched by the id of
 * the PUBLISH it answers: MQTT.js uses an id again only once its message is
 * complete) and `writes` (topic -> the times it wrote its PUBLISH: the broker
 * took the message between a write and the acknowledgement).
 */
export function publisherRecord(publisher) {
  const idToTopic = new Map(), acknowledged = new Map(), writes = new Map();
  publisher.on('packetsend', packet => {
    if (packet.cmd !== 'publish')
      return;
    idToTopic.set(packet.messageId, packet.topic);
    writes.set(packet.topic, [...writes.get(packet.topic) ?? [], performance.now()]);
  });
  publisher.on('packetreceive', packet => {
    const topic = idToTopic.get(packet.messageId);
    if ((packet.cmd === 'puback' || packet.cmd === 'pubrec') && !acknowledged.has(topic))
      acknowledged.set(topic, performance.now());
  });
  return { acknowledged, writes };
}
