// The client against a scripted broker: acknowledgement order, lost
// connections, protocol breaches, a full queue, packet-id wrap. Statement ids
// are MQTT 3.1.1's (tests/conformance.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withScripted } from './harness/scripted-broker.js';
import { XSHost } from './harness/host.js';
import { runCase, until, xsnap } from './helpers/xs.js';
import * as faults from './cases/faults.js';

const FAULTS = 'tests/scenarios/client/faults.js';

// [MQTT-3.3.4-1] [MQTT-4.3.2-2] each QoS 1 PUBLISH gets a PUBACK with its own
// id [MQTT-2.3.1-6], even the one reusing the id of the client's publish in
// flight; [MQTT-4.5.0-2] both are acknowledged.
test('a PUBLISH arriving before the SUBACK or the PUBACK is queued, never taken for the acknowledgement', () => faults.publishBeforeAck(xsnap));

// Brokers that bend MQTT 3.1.1, scripted as they behave (shared/docs/field.md): no request waits forever.
test('a QoS 2 publish answered with PUBACK (RabbitMQ) resolves; the session forgets it, nothing is resent [MQTT-4.4.0-1]', () => faults.qos2Downgrade(xsnap));

test('SUBSCRIBE (QoS 2: AWS IoT), UNSUBSCRIBE and QoS 1/2 PUBLISH left unacknowledged reject after ackTimeout, each named; ids and outgoingLimit freed; the client goes on', () => faults.unacknowledged(xsnap));

test('an acknowledgement that comes after its request rejected (ackTimeout) is ignored; the connection stays', () => faults.lateAck(xsnap));

test('clean session 0: an unacknowledged publication rejects after ackTimeout but stays in the session, resent with DUP and its id at connect(false) [MQTT-4.4.0-1]', () => faults.unacknowledgedKept(xsnap));

for (const reconnect of [false, true])
  test(`a broker closing the connection on a QoS 2 PUBLISH (Azure IoT Hub)${reconnect ? ', with reconnect: reported each time, given up after three connections' : ': the rejection and onDisconnect say so'}`, () => faults.qos2Refused(xsnap, { reconnect }));

for (const [how, end] of Object.entries(faults.ENDINGS))
  test(`a connection ${how} rejects every pending Promise, and later calls reject`, () => faults.endedWhilePending(xsnap, end));

// A protocol violation closes the connection [MQTT-4.8.0-1]; the rows name the
// statement each breaks besides.
for (const row of Object.values(faults.BREACHES))
  test(`a broker sending ${row.fault} gets the connection closed with the parser's named error [MQTT-4.8.0-1]`, () => faults.breach(xsnap, row));

// A broken first answer is a protocol violation [MQTT-4.8.0-1] (the server's
// first packet is CONNACK [MQTT-3.2.0-1]; a refusal has session present 0
// [MQTT-3.2.2-4]); a refusal code rejects connect() with it, and the client
// closes its side [MQTT-3.2.2-5].
for (const row of Object.values(faults.FIRST_ANSWERS))
  test(`connect: ${row.fault}`, () => faults.connectOutcome(xsnap, row));

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
