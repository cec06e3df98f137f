// The cases of tests/scenarios/client/faults.js that both hosts run, each run
// and checked once here, against a scripted broker: acknowledgement order,
// lost connections, protocol breaches, refusals. tests/faults.test.js runs
// them on xsnap, tests/mcsim-session.test.js in mcsim. `host`: `xsnap`
// (tests/helpers/xs.js) or useMcsim() (tests/sim/suite.js).
import assert from 'node:assert/strict';
import { withScripted, polite } from '../harness/scripted-broker.js';
import { until } from '../helpers/xs.js';

const FAULTS = 'tests/scenarios/client/faults.js';

// [MQTT-3.3.4-1] [MQTT-4.3.2-2] each QoS 1 PUBLISH gets a PUBACK with its own
// id [MQTT-2.3.1-6], even the one reusing the id of the client's publish in
// flight; [MQTT-4.5.0-2] both are acknowledged.
/** A PUBLISH arriving before the SUBACK or the PUBACK is queued, never taken for the acknowledgement. */
export function publishBeforeAck(host) {
  let reused;	// the id of the client's QoS 1 publish, which the broker's own PUBLISH uses too
  return withScripted({
    subscribe(session, packet) {
      session.send({ cmd: 'publish', topic: 'order/t', payload: 'before suback', qos: 1, messageId: 7 });
      polite.subscribe(session, packet);
    },
    publish(session, packet) {
      if (packet.qos === 1) {
        reused = packet.messageId;
        session.send({ cmd: 'publish', topic: 'order/t', payload: 'before puback', qos: 1, messageId: packet.messageId });	// same id, other direction
        session.send({ cmd: 'puback', messageId: packet.messageId });
      }
    },
  }, async broker => {
    const result = await host.runCase(FAULTS, 'publishBeforeAck', { port: broker.port });
    assert.deepEqual(result, {
      granted: 1, published: 'ok',
      received: [['order/t', 'before suback'], ['order/t', 'before puback']],
    });
    const acks = broker.received.filter(packet => packet.cmd === 'puback').map(packet => packet.messageId);
    assert.ok(reused !== undefined, 'the client published at QoS 1');
    // Each PUBACK carries the id of the PUBLISH it acknowledges [MQTT-2.3.1-6]: 7, then the reused id.
    assert.deepEqual(acks, [7, reused], 'both queued messages were acknowledged once delivered, each with its own id');
  });
}

/** How a scripted broker's session ends the connection. */
export const ENDINGS = {
  'closed by the broker': session => session.close(),
  reset: session => session.reset(),
};

/** A connection the broker ends (`end`, one of ENDINGS) rejects every pending Promise, and later calls reject. */
export function endedWhilePending(host, end) {
  return withScripted({
    publish(session) { setTimeout(() => end(session), 50); },
    subscribe() {},	// no SUBACK: the subscribe is still pending when the connection ends
  }, async broker => {
    const result = await host.runCase(FAULTS, 'endedWhilePending', { port: broker.port });
    assert.equal(result.outcomes.length, 3);
    for (const outcome of result.outcomes)
      assert.match(outcome, new RegExp(`^Error: connection to 127\\.0\\.0\\.1:${broker.port} closed by the broker or lost`));
    assert.equal(result.connected, false);
    assert.deepEqual(result.after, { timers: 0, sockets: 0 });
    assert.match(result.later, /not connected/);
  });
}

// A protocol violation closes the connection [MQTT-4.8.0-1]; the rows name the
// statement each breaks besides.
/** What a broker sends after the client's PUBLISH, and the error it must close the connection with. */
export const BREACHES = {
  reservedType: { fault: 'a reserved packet type', bytes: [0xF0, 0x00], error: 'ProtocolError: protocol error: reserved type 15 is not a packet' },
  subscribe: { fault: 'a packet a client never receives (SUBSCRIBE)', bytes: [0x82, 0x06, 0, 1, 0, 1, 0x61, 0], error: 'ProtocolError: protocol error: a client never receives SUBSCRIBE' },
  flags: { fault: 'wrong fixed-header flags (PUBACK 0x41) [MQTT-2.2.2-2]', bytes: [0x41, 0x02, 0, 1], error: 'ProtocolError: protocol error: wrong fixed-header flags 0x1 for PUBACK' },
  longLength: { fault: 'a remaining length over four bytes', bytes: [0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x01], error: 'ProtocolError: protocol error: remaining length encoded in more than four bytes' },
  pubackSize: { fault: 'a PUBACK of the wrong size', bytes: [0x40, 0x03, 0, 1, 0], error: 'ProtocolError: protocol error: PUBACK with remaining length 3; it must be 2' },
  qos3: { fault: 'PUBLISH with QoS 3 [MQTT-3.3.1-4]', bytes: [0x36, 0x05, 0, 1, 0x61, 0, 1], error: 'ProtocolError: protocol error: PUBLISH with QoS 3' },
  topicPastEnd: { fault: 'a topic running past the packet', bytes: [0x30, 0x03, 0, 9, 0x61], error: 'ProtocolError: protocol error: PUBLISH topic length 9 runs past the packet' },
  secondConnack: { fault: 'a second CONNACK', bytes: [0x20, 0x02, 0, 0], error: 'ProtocolError: protocol error: unexpected CONNACK' },
  qos0Dup: { fault: 'a QoS 0 PUBLISH with DUP set [MQTT-3.3.1-2]', bytes: [0x38, 0x04, 0, 1, 0x61, 0x78], error: 'ProtocolError: protocol error: PUBLISH with QoS 0 and DUP set (MQTT-3.3.1-2)' },
  topicNotUTF8: { fault: 'a PUBLISH whose topic is not UTF-8 (FF) [MQTT-1.5.3-1]', bytes: [0x30, 0x04, 0, 1, 0xFF, 0x78], error: 'ProtocolError: protocol error: PUBLISH topic is not well-formed UTF-8' },
  topicNull: { fault: 'a PUBLISH whose topic holds U+0000 [MQTT-1.5.3-2] [MQTT-4.7.3-2]', bytes: [0x30, 0x05, 0, 2, 0x61, 0x00, 0x78], error: 'ProtocolError: protocol error: PUBLISH topic contains U+0000' },
  topicWildcard: { fault: 'a PUBLISH whose topic is "#" [MQTT-3.3.2-2] [MQTT-4.7.1-1]', bytes: [0x30, 0x04, 0, 1, 0x23, 0x78], error: 'ProtocolError: protocol error: PUBLISH topic contains a wildcard (+ or #)' },
};

/** A broker sending a row of BREACHES after the client's PUBLISH gets the connection closed with the row's error, the parser's. */
export function breach(host, { bytes, error }) {
  return withScripted({
    publish(session) { session.sendRaw(bytes); },
  }, async broker => {
    const result = await host.runCase(FAULTS, 'breach', { port: broker.port });
    assert.deepEqual(result, { outcome: error, after: { timers: 0, sockets: 0 } });
    await until(() => broker.sessions[0].socket.destroyed || broker.sessions[0].socket.readableEnded, 'the client to close the connection');
  });
}

// A broken first answer is a protocol violation [MQTT-4.8.0-1] (the server's
// first packet is CONNACK [MQTT-3.2.0-1]; a refusal has session present 0
// [MQTT-3.2.2-4]); a refusal code rejects connect() with it, and the client
// closes its side [MQTT-3.2.2-5].
/** A broker's first answer to CONNECT, and how connect() must settle. */
export const FIRST_ANSWERS = {
  connackSize: { fault: 'a CONNACK of the wrong size [MQTT-4.8.0-1]', bytes: [0x20, 0x03, 0, 0, 0], error: 'ProtocolError: protocol error: CONNACK with remaining length 3; it must be 2' },
  publishFirst: { fault: 'a PUBLISH instead of CONNACK [MQTT-3.2.0-1]', bytes: [0x30, 0x03, 0, 1, 0x61], error: 'ProtocolError: protocol error: expected CONNACK, received PUBLISH' },
  reservedFlags: { fault: 'CONNACK reserved flag bits [MQTT-4.8.0-1]', bytes: [0x20, 0x02, 0x02, 0], error: 'ProtocolError: protocol error: CONNACK acknowledge flags 0x2 have reserved bits set' },
  refusalWithSession: { fault: 'a refusing CONNACK with session present 1 [MQTT-3.2.2-4]', bytes: [0x20, 0x02, 0x01, 0x05], error: 'ProtocolError: protocol error: CONNACK refuses (return code 5) with session present 1 (MQTT-3.2.2-4)' },
  refusal: { fault: 'a refusal code [MQTT-3.2.2-5]', bytes: [0x20, 0x02, 0, 3], error: 'MQTTException: MQTT error 3: server unavailable' },
};

/** connect() against a broker answering CONNECT with a row of FIRST_ANSWERS settles with the row's error, and nothing is left. */
export function connectOutcome(host, { bytes, error }) {
  return withScripted({
    connect(session) { session.sendRaw(bytes); },
    subscribe() {},
  }, async broker => {
    const result = await host.runCase(FAULTS, 'connectOutcome', { port: broker.port });
    assert.deepEqual(result, { outcome: error, after: { timers: 0, sockets: 0 } });
  });
}

// Brokers that bend MQTT 3.1.1 (shared/docs/field.md), scripted as they
// behave: no request the app awaits may wait forever.

/** RabbitMQ answers a QoS 2 PUBLISH with PUBACK: the publish resolves (the broker took it at QoS 1), and the session forgets it. */
export function qos2Downgrade(host) {
  return withScripted({
    connect(session) { session.send({ cmd: 'connack', returnCode: 0, sessionPresent: session.index > 0 }); },
    publish(session, packet) { session.send({ cmd: 'puback', messageId: packet.messageId }); },	// at any QoS
  }, async broker => {
    const result = await host.runCase(FAULTS, 'qos2Downgrade', { port: broker.port });
    assert.deepEqual(result, { published: 'ok', next: 'ok', sessionPresent: 1, after: { timers: 0, sockets: 0 } });
    const sent = broker.received.filter(packet => ['publish', 'pubrel'].includes(packet.cmd)).map(({ cmd, qos, dup }) => ({ cmd, qos, dup }));
    assert.deepEqual(sent, [{ cmd: 'publish', qos: 2, dup: false }, { cmd: 'publish', qos: 1, dup: false }],
      'no PUBREL, and nothing resent at the connect(false) that found the session [MQTT-4.4.0-1]');
  });
}

/** A broker that answers what is not on a silent/ topic, and QoS 0 and 1 SUBSCRIBEs only (AWS IoT: no SUBACK at QoS 2). */
const selective = {
  subscribe(session, packet) {
    if (packet.subscriptions.every(({ qos }) => qos < 2))
      polite.subscribe(session, packet);
  },
  unsubscribe(session, packet) {
    if (!packet.unsubscriptions.some(filter => filter.startsWith('silent/')))
      polite.unsubscribe(session, packet);
  },
  publish(session, packet) {
    if (!packet.topic.startsWith('silent/'))
      polite.publish(session, packet);
  },
};

/** The longest an overdue request may take to reject past ackTimeout: timers under load, mcsim's polling. */
const LATE = 3000;

/** SUBSCRIBE, UNSUBSCRIBE and QoS 1 and 2 PUBLISH without acknowledgement reject after `ackTimeout` ms, each named; the client goes on. */
export function unacknowledged(host, ackTimeout = 300) {
  return withScripted(selective, async broker => {
    const result = await host.runCase(FAULTS, 'unacknowledged', { port: broker.port, ackTimeout });
    const firstFilter = { publish: packet => packet.topic, subscribe: packet => packet.subscriptions[0].topic, unsubscribe: packet => packet.unsubscriptions[0] };
    const ids = Object.fromEntries(broker.received.filter(packet => firstFilter[packet.cmd]).map(packet => [firstFilter[packet.cmd](packet), packet.messageId]));
    const within = `within ${ackTimeout / 1000} s`;
    assert.deepEqual(result.outcomes.map(({ outcome }) => outcome), [
      `Error: no SUBACK for SUBSCRIBE to "silent/a", "silent/b" (packet id ${ids['silent/a']}) ${within}`,
      `Error: no UNSUBACK for UNSUBSCRIBE from "silent/u" (packet id ${ids['silent/u']}) ${within}`,
      `Error: no PUBACK for PUBLISH to "silent/1" at QoS 1 (packet id ${ids['silent/1']}) ${within}`,
      `Error: no PUBREC for PUBLISH to "silent/2" at QoS 2 (packet id ${ids['silent/2']}) ${within}`,
    ]);
    for (const { elapsed } of result.outcomes)
      assert.ok(elapsed >= ackTimeout && elapsed < ackTimeout + LATE, `rejected after ${elapsed} ms (ackTimeout ${ackTimeout})`);
    // Room under outgoingLimit (2) again: the session forgot both publications (clean session 1).
    assert.deepEqual(result.later, { granted: 1, published: ['ok', 'ok'], connected: true });
    assert.deepEqual(result.after, { timers: 0, sockets: 0 });
    assert.equal(broker.sessions.length, 1, 'one connection throughout');
  });
}

/** An acknowledgement that comes after the request rejected matches nothing and is ignored; the connection stays. */
export function lateAck(host, ackTimeout = 300) {
  return withScripted({
    subscribe(session, packet) {
      if (packet.subscriptions[0].topic === 'late/t')
        setTimeout(() => polite.subscribe(session, packet), 2 * ackTimeout);
      else
        polite.subscribe(session, packet);
    },
  }, async broker => {
    const result = await host.runCase(FAULTS, 'lateAck', { port: broker.port, ackTimeout });
    assert.deepEqual(result, {
      late: `Error: no SUBACK for SUBSCRIBE to "late/t" (packet id 1) within ${ackTimeout / 1000} s`,
      connected: true, granted: 1, after: { timers: 0, sockets: 0 },
    });
  });
}

/** With clean session 0 the unacknowledged publication rejects but stays in the session, and goes out again with DUP and its id at the next connect(false) [MQTT-4.4.0-1]. */
export function unacknowledgedKept(host, ackTimeout = 300) {
  return withScripted({
    connect(session) { session.send({ cmd: 'connack', returnCode: 0, sessionPresent: session.index > 0 }); },
    publish(session, packet) {
      if (session.index > 0 || !packet.topic.startsWith('silent/'))
        polite.publish(session, packet);
    },
  }, async broker => {
    const result = await host.runCase(FAULTS, 'unacknowledgedKept', { port: broker.port, ackTimeout });
    const [first, again] = broker.received.filter(packet => packet.cmd === 'publish');
    assert.equal(result.published, `Error: no PUBACK for PUBLISH to "silent/kept" at QoS 1 (packet id ${first.messageId}) within ${ackTimeout / 1000} s`
      + '; the message stays in the session and goes out again on the next connect(false) (connect(true) gives it up)');
    assert.match(result.full, /^Error: outgoing queue full: 1 messages wait/, 'it still counts against outgoingLimit');
    assert.equal(result.sessionPresent, 1);
    assert.deepEqual({ topic: again.topic, dup: again.dup, messageId: again.messageId }, { topic: 'silent/kept', dup: true, messageId: first.messageId });
    assert.equal(result.afterResend, 'ok', 'acknowledged at the resend, it left the session');
    assert.deepEqual(result.after, { timers: 0, sockets: 0 });
  });
}

/** The hint the client's errors end with when a connection ends while a QoS 2 PUBLISH awaits PUBREC. */
export const REFUSED_QOS2 = ' (a broker that refuses QoS 2, as Azure IoT Hub does, closes the connection on a QoS 2 PUBLISH: publish at QoS 1 there)';

/** A scripted broker as Azure IoT Hub: it closes the connection on a QoS 2 PUBLISH, answers the others. */
export const REFUSES_QOS2 = {
  publish(session, packet) {
    if (packet.qos === 2)
      session.close();
    else
      polite.publish(session, packet);
  },
};

/** The reason a connection to the scripted broker gives when it ends while that PUBLISH awaits PUBREC. */
export const lostAwaitingPubrec = (port, id) => `connection to 127.0.0.1:${port} closed by the broker or lost, while PUBLISH to "refused/t" at QoS 2 (packet id ${id}) awaited PUBREC${REFUSED_QOS2}`;

/** Azure IoT Hub closes the connection on a QoS 2 PUBLISH: the rejection and onDisconnect say so; with reconnect the message is given up after three connections. */
export function qos2Refused(host, { reconnect }) {
  return withScripted(REFUSES_QOS2, async broker => {
    const result = await host.runCase(FAULTS, 'qos2Refused', { port: broker.port, reconnect });
    const ids = broker.received.filter(packet => packet.cmd === 'publish' && packet.qos === 2).map(packet => packet.messageId);
    const lost = id => lostAwaitingPubrec(broker.port, id);
    if (!reconnect) {
      assert.deepEqual(ids.length, 1);
      assert.deepEqual(result, { published: `Error: ${lost(ids[0])}`, reasons: [lost(ids[0])], after: { timers: 0, sockets: 0 } });
      return;
    }
    assert.equal(ids.length, 3, 'sent on three connections, then given up');
    assert.deepEqual(result, {
      published: `Error: PUBLISH to "refused/t" at QoS 2 (packet id ${ids[2]}) given up: 3 connections ended while it awaited PUBREC${REFUSED_QOS2}`,
      reasons: ids.map(lost), next: 'ok', after: { timers: 0, sockets: 0 },
    });
    assert.equal(broker.sessions.length, 4, 'the fourth connection stays');
  });
}
