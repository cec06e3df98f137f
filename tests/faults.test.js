// The client against a scripted broker: acknowledgement order, lost
// connections, protocol breaches, a full queue, packet-id wrap. Statement ids
// are MQTT 3.1.1's (tests/conformance.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withScripted, polite } from './harness/scripted-broker.js';
import { XSHost } from './harness/host.js';
import { runCase, until } from './helpers/xs.js';

const FAULTS = 'tests/scenarios/client/faults.js';

// [MQTT-3.3.4-1] [MQTT-4.3.2-2] each QoS 1 PUBLISH gets a PUBACK with its own
// id [MQTT-2.3.1-6], even the one reusing the id of the client's publish in
// flight; [MQTT-4.5.0-2] both are acknowledged.
test('a PUBLISH arriving before the SUBACK or the PUBACK is queued, never taken for the acknowledgement', () =>
  withScripted({
    subscribe(session, packet) {
      session.send({ cmd: 'publish', topic: 'order/t', payload: 'before suback', qos: 1, messageId: 7 });
      polite.subscribe(session, packet);
    },
    publish(session, packet) {
      if (packet.qos === 1) {
        session.send({ cmd: 'publish', topic: 'order/t', payload: 'before puback', qos: 1, messageId: packet.messageId });	// same id, other direction
        session.send({ cmd: 'puback', messageId: packet.messageId });
      }
    },
  }, async broker => {
    const result = await runCase(FAULTS, 'publishBeforeAck', { port: broker.port });
    assert.deepEqual(result, {
      granted: 1, published: 'ok',
      received: [['order/t', 'before suback'], ['order/t', 'before puback']],
    });
    const acks = broker.received.filter(packet => packet.cmd === 'puback').map(packet => packet.messageId);
    assert.equal(acks.length, 2, 'both queued messages were acknowledged once delivered');
    assert.equal(acks[0], 7);
  }));

for (const [how, end, message] of [
  ['closed by the broker', session => session.close(), /closed by the broker or lost/],
  ['reset', session => session.reset(), /closed by the broker or lost/],
]) {
  test(`a connection ${how} rejects every pending Promise, and later calls reject`, () =>
    withScripted({
      publish(session) { setTimeout(() => end(session), 50); },
      subscribe() {},	// no SUBACK: the subscribe is still pending when the connection ends
    }, async broker => {
      const result = await runCase(FAULTS, 'endedWhilePending', { port: broker.port });
      assert.equal(result.outcomes.length, 3);
      for (const outcome of result.outcomes)
        assert.match(outcome, new RegExp(`^Error: connection to 127\\.0\\.0\\.1:${broker.port} ${message.source}`));
      assert.equal(result.connected, false);
      assert.deepEqual(result.after, { timers: 0, sockets: 0 });
      assert.match(result.later, /not connected/);
    }));
}

// A protocol violation closes the connection [MQTT-4.8.0-1]; the rows name the
// statement each breaks besides.
for (const [fault, bytes, error] of [
  ['a reserved packet type', [0xF0, 0x00], 'ProtocolError: protocol error: reserved type 15 is not a packet'],
  ['a packet a client never receives (SUBSCRIBE)', [0x82, 0x06, 0, 1, 0, 1, 0x61, 0], 'ProtocolError: protocol error: a client never receives SUBSCRIBE'],
  ['wrong fixed-header flags (PUBACK 0x41) [MQTT-2.2.2-2]', [0x41, 0x02, 0, 1], 'ProtocolError: protocol error: wrong fixed-header flags 0x1 for PUBACK'],
  ['a remaining length over four bytes', [0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x01], 'ProtocolError: protocol error: remaining length encoded in more than four bytes'],
  ['a PUBACK of the wrong size', [0x40, 0x03, 0, 1, 0], 'ProtocolError: protocol error: PUBACK with remaining length 3; it must be 2'],
  ['PUBLISH with QoS 3 [MQTT-3.3.1-4]', [0x36, 0x05, 0, 1, 0x61, 0, 1], 'ProtocolError: protocol error: PUBLISH with QoS 3'],
  ['a topic running past the packet', [0x30, 0x03, 0, 9, 0x61], 'ProtocolError: protocol error: PUBLISH topic length 9 runs past the packet'],
  ['a second CONNACK', [0x20, 0x02, 0, 0], 'ProtocolError: protocol error: unexpected CONNACK'],
  ['a QoS 0 PUBLISH with DUP set [MQTT-3.3.1-2]', [0x38, 0x04, 0, 1, 0x61, 0x78], 'ProtocolError: protocol error: PUBLISH with QoS 0 and DUP set (MQTT-3.3.1-2)'],
  ['a PUBLISH whose topic is not UTF-8 (FF) [MQTT-1.5.3-1]', [0x30, 0x04, 0, 1, 0xFF, 0x78], 'ProtocolError: protocol error: PUBLISH topic is not well-formed UTF-8'],
  ['a PUBLISH whose topic holds U+0000 [MQTT-1.5.3-2] [MQTT-4.7.3-2]', [0x30, 0x05, 0, 2, 0x61, 0x00, 0x78], 'ProtocolError: protocol error: PUBLISH topic contains U+0000'],
  ['a PUBLISH whose topic is "#" [MQTT-3.3.2-2] [MQTT-4.7.1-1]', [0x30, 0x04, 0, 1, 0x23, 0x78], 'ProtocolError: protocol error: PUBLISH topic contains a wildcard (+ or #)'],
]) {
  test(`a broker sending ${fault} gets the connection closed with the parser's named error [MQTT-4.8.0-1]`, () =>
    withScripted({
      publish(session) { session.sendRaw(bytes); },
    }, async broker => {
      const result = await runCase(FAULTS, 'breach', { port: broker.port });
      assert.deepEqual(result, { outcome: error, after: { timers: 0, sockets: 0 } });
      await until(() => broker.sessions[0].socket.destroyed || broker.sessions[0].socket.readableEnded, 'the client to close the connection');
    }));
}

// A broken first answer is a protocol violation [MQTT-4.8.0-1] (the server's
// first packet is CONNACK [MQTT-3.2.0-1]; a refusal has session present 0
// [MQTT-3.2.2-4]); a refusal code rejects connect() with it, and the client
// closes its side [MQTT-3.2.2-5].
for (const [fault, bytes, error] of [
  ['a CONNACK of the wrong size [MQTT-4.8.0-1]', [0x20, 0x03, 0, 0, 0], 'ProtocolError: protocol error: CONNACK with remaining length 3; it must be 2'],
  ['a PUBLISH instead of CONNACK [MQTT-3.2.0-1]', [0x30, 0x03, 0, 1, 0x61], 'ProtocolError: protocol error: expected CONNACK, received PUBLISH'],
  ['CONNACK reserved flag bits [MQTT-4.8.0-1]', [0x20, 0x02, 0x02, 0], 'ProtocolError: protocol error: CONNACK acknowledge flags 0x2 have reserved bits set'],
  ['a refusing CONNACK with session present 1 [MQTT-3.2.2-4]', [0x20, 0x02, 0x01, 0x05], 'ProtocolError: protocol error: CONNACK refuses (return code 5) with session present 1 (MQTT-3.2.2-4)'],
  ['a refusal code [MQTT-3.2.2-5]', [0x20, 0x02, 0, 3], 'MQTTException: MQTT error 3: server unavailable'],
]) {
  test(`connect: ${fault}`, () =>
    withScripted({
      connect(session) { session.sendRaw(bytes); },
      subscribe() {},
    }, async broker => {
      const result = await runCase(FAULTS, 'connectOutcome', { port: broker.port });
      assert.deepEqual(result, { outcome: error, after: { timers: 0, sockets: 0 } });
    }));
}

test('a packet over maxPacketSize closes the connection as soon as its length is known [MQTT-4.8.0-2]', () =>
  withScripted({
    publish(session) { session.sendRaw([0x30, 0xA0, 0x8D, 0x06]); },	// remaining length 100,000; no byte of the body follows
  }, async broker => {
    const result = await runCase(FAULTS, 'breach', { port: broker.port });
    assert.equal(result.outcome, 'ProtocolError: protocol error: PUBLISH of 100004 bytes exceeds the maximum packet size of 65536');
  }));

// Every QoS 1 message is acknowledged [MQTT-3.3.4-1] [MQTT-4.5.0-2], its
// PUBACKs in the order the PUBLISHes came [MQTT-4.6.0-2].
test('a full queue stops the reading: messages stay in TCP, QoS 1 acks wait for delivery, then all arrive in order', () =>
  withScripted({}, async broker => {
    const count = 60;
    const xs = await XSHost.start();
    try {
      let subscribed = false;
      const done = xs.run(FAULTS, { case: 'boundedQueue', port: broker.port, count }, { onReport: () => { subscribed = true; } });
      await until(() => subscribed, 'the subscription');
      const session = broker.sessions[0];
      for (let i = 0; i < count; i++)
        session.send({ cmd: 'publish', topic: `flood/${i}`, payload: `message ${i} `.padEnd(200, '.'), qos: 1, messageId: i + 1 });
      await new Promise(resolve => setTimeout(resolve, 300));	// the client does not poll
      assert.equal(session.packets.filter(p => p.cmd === 'puback').length, 0, 'nothing delivered, nothing acknowledged');
      const held = xs.socketStats()[0];
      assert.ok(held.inboundBytes > 0, `the host holds ${held.inboundBytes} bytes the client did not read`);
      assert.ok(held.xsBuffered <= 1536, 'XS buffers no more than its read size');
      await xs.message({ poll: true });
      const received = await done;
      assert.deepEqual(received, Array.from({ length: count }, (_, i) => `message ${i} `.padEnd(200, '.')));
      await until(() => session.packets.filter(p => p.cmd === 'puback').length === count, 'every PUBACK');
      assert.deepEqual(session.packets.filter(p => p.cmd === 'puback').map(p => p.messageId), Array.from({ length: count }, (_, i) => i + 1), 'PUBACKs in the order of their PUBLISHes');
    }
    finally {
      await xs.close();
    }
  }));

// Never id 0 [MQTT-2.3.1-1]; never an id in flight [MQTT-2.3.1-2]; an id is
// free again once its PUBACK came [MQTT-2.3.1-3] [MQTT-4.3.2-1].
test('packet ids wrap past 65,535, skipping the id still in flight [MQTT-2.3.1-2]', { timeout: 240_000 }, () => {
  const inFlight = new Set();
  const violations = [];
  let held;
  const ids = [];
  return withScripted({
    publish(session, packet) {
      if (inFlight.has(packet.messageId))
        violations.push(packet.messageId);
      ids.push(packet.messageId);
      if (packet.topic === 'wrap/held') {
        held = packet.messageId;
        inFlight.add(held);
        return;
      }
      session.send({ cmd: 'puback', messageId: packet.messageId });
    },
  }, async broker => {
    const count = 65_600;
    const result = await runCase(FAULTS, 'idWrap', { port: broker.port, count, window: 500 }, {
      timeout: 200_000,
      onReport: () => {
        inFlight.delete(held);
        broker.sessions[0].send({ cmd: 'puback', messageId: held });
      },
    });
    assert.deepEqual(result, { sent: count });
    assert.equal(ids.length, count);
    assert.deepEqual(violations, [], 'no id reused while in flight');
    assert.equal(held, 1);
    const wrapAt = ids.indexOf(65535);
    assert.ok(wrapAt > 0, 'ids reached 65,535');
    assert.equal(ids[wrapAt + 1], 2, 'after 65,535 the next id is 2: id 1 is still in flight');
  });
});
