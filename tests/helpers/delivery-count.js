// Counting numbered messages end to end across a broker crash, and telling
// the client's faults from the broker's by the packets the XS client wrote
// and received (the host's tap, PacketLog.packets()). The rules:
//
// Outgoing (the XS client publishes, an MQTT.js subscriber counts):
// - lost by the BROKER: the broker acknowledged the message to the client
//   (PUBACK for QoS 1, PUBREC for QoS 2: it took ownership, [MQTT-4.3.2-2]
//   [MQTT-4.3.3-2]) and the subscriber never got it (a crash without
//   persistence, a snapshot older than the acknowledgement, a subscription
//   the broker lost).
// - lost by the CLIENT: no acknowledgement of it ever reached the client: the
//   client did not get it accepted.
// - QoS 2 duplicated by the CLIENT: the client sent the message again where
//   the standard forbids it: any PUBLISH of it after a PUBREC for it
//   [MQTT-4.3.3-1], or a new publication of it (DUP 0) other than its first,
//   unless on a connection whose CONNACK said session present 0 (the broker
//   lost the session; SESSION-SPEC: published again as a new message) and
//   for the first time on that connection. Every other second delivery is
//   the BROKER's (it delivered one publication twice, [MQTT-4.3.3-2]).
// - QoS 1 duplicates are allowed ("at least once": a receiver treats a
//   PUBLISH after its PUBACK as a new publication, [MQTT-4.3.2-2]): counted
//   apart, never a failure.
//
// Incoming (an MQTT.js publisher sends, the XS app counts deliveries):
// - lost by the CLIENT: the client received the PUBLISH on the wire and the
//   app never got it, and either the client acknowledged it (PUBACK, PUBREC:
//   it took ownership) or no connection followed (it held it to the end).
// - lost by the BROKER: received, never acknowledged by the client, and a
//   connection followed on which the broker did not send it again (it still
//   owned it: a broker that lost the session, SESSION-SPEC: a message not
//   yet read when the connection ends is dropped unacknowledged); or sent
//   with the packet id of an earlier message that was not complete (no
//   PUBCOMP from the client): until PUBREL the client must take such a
//   PUBLISH as a resend of that message and not deliver it [MQTT-4.3.3-2]
//   (seen with mosquitto restarting from a stale snapshot: it reuses ids).
// - lost by the BROKER: never on the client's wire, and the publisher got it
//   acknowledged (PUBACK/PUBREC).
// - lost unacknowledged: never on the wire, never acknowledged to the
//   publisher (neither side took ownership; reported, no one's to assert).
// - QoS 2: the broker's separate publications of one message are told apart
//   on the wire: a PUBLISH with another packet id, or with the same id after
//   the client sent PUBCOMP for it (a new publication by [MQTT-4.3.3-2], which
//   a broker resends after a crash from a stale snapshot), or after a CONNACK
//   with session present 0 following the client's PUBREC (the broker lost
//   the session). Deliveries beyond the broker's publications are the
//   CLIENT's duplicates; a second delivery of a second publication is the
//   BROKER's (the standard cannot tell it from a new message).
// - QoS 1 duplicates: allowed, counted apart, as above.

function indexed(packets) {
  const connack = new Map();	// socket -> sessionPresent
  for (const packet of packets)
    if (packet.direction === 'in' && packet.cmd === 'connack')
      connack.set(packet.socket, packet.sessionPresent);
  const byTopic = new Map();	// topic -> PUBLISH packets with their index
  packets.forEach((packet, index) => {
    packet.index = index;
    if (packet.cmd === 'publish') {
      const key = `${packet.direction} ${packet.topic}`;
      if (!byTopic.has(key))
        byTopic.set(key, []);
      byTopic.get(key).push(packet);
    }
  });
  const find = (direction, cmd, socket, id, after, before = Infinity) => packets.some(packet =>
    packet.index > after && packet.index < before && packet.direction === direction && packet.cmd === cmd &&
    packet.messageId === id && (socket === undefined || packet.socket === socket));
  /** What the log shows of an incoming `publish`'s packet id on its socket from it on: "in publish 7 dup, out pubrec 7, ...". */
  const INCOMING_FLOW = new Set(['in publish', 'in pubrel', 'out puback', 'out pubrec', 'out pubcomp']);
  const story = publish => packets.filter(packet => packet.index >= publish.index && packet.socket === publish.socket &&
    packet.messageId === publish.messageId && INCOMING_FLOW.has(`${packet.direction} ${packet.cmd}`))
    .slice(0, 6).map(packet => `${packet.direction} ${packet.cmd} ${packet.messageId ?? ''}${packet.dup ? ' dup' : ''}`.trim()).join(', ');
  return { connack, byTopic, find, story };
}

function tally() {
  return { sent: 0, delivered: 0, lostClient: 0, dupClient: 0, lostBroker: 0, dupBroker: 0, dupAllowed: 0, lostUnacked: 0, faults: [] };
}

/**
 * Outgoing messages of one QoS: `topics` sent by the XS client, `deliveries`
 * (topic -> count) at the subscriber, `packets` from the XS client's log.
 */
export function countOutgoing({ topics, qos, deliveries, packets }) {
  const { connack, byTopic, find } = indexed(packets);
  const ack = qos === 1 ? 'puback' : 'pubrec';
  const count = tally();
  for (const topic of topics) {
    count.sent++;
    const d = deliveries.get(topic) ?? 0;
    const sends = byTopic.get(`out ${topic}`) ?? [];
    const acked = sends.some(send => find('in', ack, send.socket, send.messageId, send.index));
    if (d > 0)
      count.delivered++;
    else if (acked) {
      count.lostBroker++;
      count.faults.push(`${topic}: acknowledged (${ack}) to the client, never delivered`);
    }
    else {
      count.lostClient++;
      count.faults.push(`${topic}: never acknowledged by the broker (sent ${sends.length} times)`);
    }
    if (d <= 1)
      continue;
    if (qos === 1) {
      count.dupAllowed += d - 1;
      continue;
    }
    let forbidden = 0;
    sends.forEach((send, k) => {
      const pubrecBefore = sends.slice(0, k).some(earlier => find('in', 'pubrec', earlier.socket, earlier.messageId, earlier.index, send.index));
      const sameSocketBefore = sends.slice(0, k).some(earlier => earlier.socket === send.socket);
      const renewed = k > 0 && !send.dup && (connack.get(send.socket) !== false || sameSocketBefore);
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

/**
 * Incoming messages of one QoS: `topics` sent by the publisher, `deliveries`
 * (topic -> count) in the XS app, `acknowledged` (topics the publisher got
 * PUBACK/PUBREC for), `packets` from the XS client's log.
 */
export function countIncoming({ topics, qos, deliveries, acknowledged, packets }) {
  const { connack, byTopic, find, story } = indexed(packets);
  // The earlier PUBLISH of another message with the same packet id, not completed (no PUBCOMP) when `publish` came.
  const reusedUnreleased = publish => packets.find(earlier => earlier.index < publish.index && earlier.direction === 'in' &&
    earlier.cmd === 'publish' && earlier.messageId === publish.messageId && earlier.topic !== publish.topic &&
    !find('out', 'pubcomp', undefined, publish.messageId, earlier.index, publish.index));
  const count = tally();
  for (const topic of topics) {
    count.sent++;
    const d = deliveries[topic] ?? 0;
    const wire = byTopic.get(`in ${topic}`) ?? [];
    let publish, earlier;
    if (d > 0)
      count.delivered++;
    else if ((publish = wire.find(each => (earlier = reusedUnreleased(each)))) !== undefined) {
      count.lostBroker++;
      count.faults.push(`${topic}: the broker sent it with packet id ${publish.messageId}, which still awaited PUBREL for ${earlier.topic}: ` +
        `the client must take it as that message's resend [MQTT-4.3.3-2] (${story(publish)})`);
    }
    else if (wire.length) {
      const last = wire[wire.length - 1];
      const ackedByClient = wire.some(publish => find('out', qos === 1 ? 'puback' : 'pubrec', publish.socket, publish.messageId, publish.index));
      const reconnectedAfter = packets.some(packet => packet.index > last.index && packet.direction === 'in' && packet.cmd === 'connack');
      if (!ackedByClient && reconnectedAfter) {
        count.lostBroker++;
        count.faults.push(`${topic}: received ${wire.length} times, never acknowledged by the client, not sent again on the next connection (${wire.map(story).join(' / ')})`);
      }
      else {
        count.lostClient++;
        count.faults.push(`${topic}: received on the wire ${wire.length} times, ${ackedByClient ? 'acknowledged' : 'never acknowledged'}, never delivered to the app (${wire.map(story).join(' / ')})`);
      }
    }
    else if (acknowledged.has(topic)) {
      count.lostBroker++;
      count.faults.push(`${topic}: acknowledged to the publisher, never sent to the client`);
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
        find('out', 'pubcomp', undefined, publish.messageId, current.index, publish.index) ||
        (connack.get(publish.socket) === false && publish.socket !== current.socket &&
          find('out', 'pubrec', undefined, publish.messageId, current.index, publish.index)));
      if (!current || renewed) {
        publications++;
        current = publish;
      }
    }
    const byBroker = Math.min(d, publications) - 1;
    count.dupBroker += byBroker;
    count.dupClient += d - 1 - byBroker;
    count.faults.push(`${topic}: delivered ${d} times; the broker published it ${publications} times (${wire.length} PUBLISH on the wire)`);
  }
  return count;
}
