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
