// The client against a scripted broker: acknowledgement order, lost
// connections, protocol breaches, a full queue, packet-id wrap.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withScripted, polite } from './harness/scripted-broker.js';
import { XSHost } from './harness/host.js';
import { runCase, until } from './helpers/xs.js';

const FAULTS = 'tests/scenarios/client/faults.js';


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

for (const [fault, bytes, error] of [
  ['a reserved packet type', [0xF0, 0x00], 'ProtocolError: protocol error: reserved type 15 is not a packet'],
  ['a packet a client never receives (SUBSCRIBE)', [0x82, 0x06, 0, 1, 0, 1, 0x61, 0], 'ProtocolError: protocol error: a client never receives SUBSCRIBE'],
  ['wrong fixed-header flags (PUBACK 0x41)', [0x41, 0x02, 0, 1], 'ProtocolError: protocol error: wrong fixed-header flags 0x1 for PUBACK'],
  ['a remaining length over four bytes', [0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x01], 'ProtocolError: protocol error: remaining length encoded in more than four bytes'],
  ['a PUBACK of the wrong size', [0x40, 0x03, 0, 1, 0], 'ProtocolError: protocol error: PUBACK with remaining length 3; it must be 2'],
  ['PUBLISH with QoS 3', [0x36, 0x05, 0, 1, 0x61, 0, 1], 'ProtocolError: protocol error: PUBLISH with QoS 3'],
  ['a topic running past the packet', [0x30, 0x03, 0, 9, 0x61], 'ProtocolError: protocol error: PUBLISH topic length 9 runs past the packet'],
  ['a second CONNACK', [0x20, 0x02, 0, 0], 'ProtocolError: protocol error: unexpected CONNACK'],
]) {
  test(`a broker sending ${fault} gets the connection closed with the parser's named error`, () =>
    withScripted({
      publish(session) { session.sendRaw(bytes); },
    }, async broker => {
      const result = await runCase(FAULTS, 'breach', { port: broker.port });
      assert.deepEqual(result, { outcome: error, after: { timers: 0, sockets: 0 } });
      await until(() => broker.sessions[0].socket.destroyed || broker.sessions[0].socket.readableEnded, 'the client to close the connection');
    }));
}

for (const [fault, bytes, error] of [
  ['a CONNACK of the wrong size', [0x20, 0x03, 0, 0, 0], 'ProtocolError: protocol error: CONNACK with remaining length 3; it must be 2'],
  ['a PUBLISH instead of CONNACK', [0x30, 0x03, 0, 1, 0x61], 'ProtocolError: protocol error: expected CONNACK, received PUBLISH'],
  ['CONNACK reserved flag bits', [0x20, 0x02, 0x02, 0], 'ProtocolError: protocol error: CONNACK acknowledge flags 0x2 have reserved bits set'],
  ['a refusal code', [0x20, 0x02, 0, 3], 'MQTTException: MQTT error 3: server unavailable'],
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

test('a packet over maxPacketSize closes the connection as soon as its length is known', () =>
  withScripted({
    publish(session) { session.sendRaw([0x30, 0xA0, 0x8D, 0x06]); },	// remaining length 100,000; no byte of the body follows
  }, async broker => {
    const result = await runCase(FAULTS, 'breach', { port: broker.port });
    assert.equal(result.outcome, 'ProtocolError: protocol error: PUBLISH of 100004 bytes exceeds the maximum packet size of 65536');
  }));

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
    }
    finally {
      await xs.close();
    }
  }));

test('packet ids wrap past 65,535, skipping the id still in flight', { timeout: 240_000 }, () => {
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
