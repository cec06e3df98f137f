// The crash table's counter (tests/helpers/delivery-count.js) on made-up packet
// logs, one for each rule and each hole a rule must not have, with the exact
// count each must give: a change to the rules is a failing test here first.
// Times are ms on one clock, as the crash test records them; `socket` tells
// the XS client's connections apart.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { countIncoming, countOutgoing, inFlightAt, matches } from './helpers/delivery-count.js';

const packet = (time, direction, socket, cmd, more = {}) => ({ time, direction, socket, cmd, ...more });
const connack = (time, socket, sessionPresent) => packet(time, 'in', socket, 'connack', { sessionPresent, returnCode: 0 });
const subscribe = (time, socket, messageId, filter) => packet(time, 'out', socket, 'subscribe', { messageId, subscriptions: [filter] });
const suback = (time, socket, messageId, granted = [2]) => packet(time, 'in', socket, 'suback', { messageId, granted });
const publish = (time, direction, socket, messageId, topic, qos, dup = false) => packet(time, direction, socket, 'publish', { messageId, topic, qos, dup });
const ack = (time, direction, socket, cmd, messageId) => packet(time, direction, socket, cmd, { messageId });
/** The XS client's first connection: session made, subscribed to in/#. */
const session = () => [connack(1, 1, false), subscribe(2, 1, 1, 'in/#'), suback(3, 1, 1)];

const NOT_PERSISTENT = { persistent: false, restarts: [{ killed: 20, started: 25 }] };
const PERSISTENT = lossWindow => ({ persistent: true, lossWindow, restarts: [{ killed: 20, started: 25 }] });

/** The parts of a count the tests compare. */
const summary = count => ({ delivered: count.delivered, lostClient: count.lostClient, lostBroker: count.lostBroker, bounded: count.bounded,
  lostUnacked: count.lostUnacked, rules: [...count.broker, ...count.unsubscribed].map(each => `${each.topic} ${each.rule}`) });
const incoming = ({ topics, qos, delivered = [], acknowledged = {}, packets, broker }) => summary(countIncoming({
  topics, qos, deliveries: Object.fromEntries(delivered.map(topic => [topic, 1])), acknowledged: new Map(Object.entries(acknowledged)), packets, broker }));
const outgoing = ({ topics, qos, delivered = [], packets, subscriber, broker }) => summary(countOutgoing({
  topics, qos, deliveries: new Map(delivered.map(topic => [topic, 1])), packets, subscriber, broker }));
const expect = (delivered, lostClient, lostBroker = 0, bounded = 0, rules = [], lostUnacked = 0) => ({ delivered, lostClient, lostBroker, bounded, lostUnacked, rules });

test('topic filters match as 4.7 says', () => {
  assert.ok(matches('in/#', 'in/1/2') && matches('in/+/2', 'in/1/2') && matches('#', 'a') && matches('a/#', 'a'));
  assert.ok(!matches('in/#', 'out/1/2') && !matches('in/+', 'in/1/2') && !matches('in/+/3', 'in/1/2'));
});

describe('a correct run: everything delivered, nobody lost anything', () => {
  test('incoming QoS 1 and 2', () => {
    const packets = [...session(), publish(10, 'in', 1, 10, 'in/1/0', 1), ack(11, 'out', 1, 'puback', 10),
      publish(12, 'in', 1, 11, 'in/2/0', 2), ack(13, 'out', 1, 'pubrec', 11), ack(14, 'in', 1, 'pubrel', 11), ack(15, 'out', 1, 'pubcomp', 11)];
    assert.deepEqual(incoming({ topics: ['in/1/0'], qos: 1, delivered: ['in/1/0'], acknowledged: { 'in/1/0': 9 }, packets }), expect(1, 0));
    assert.deepEqual(incoming({ topics: ['in/2/0'], qos: 2, delivered: ['in/2/0'], acknowledged: { 'in/2/0': 11 }, packets }), expect(1, 0));
  });
  test('outgoing QoS 1 and 2', () => {
    const packets = [connack(1, 1, false), publish(10, 'out', 1, 1, 'out/1/0', 1), ack(11, 'in', 1, 'puback', 1),
      publish(12, 'out', 1, 2, 'out/2/0', 2), ack(13, 'in', 1, 'pubrec', 2), ack(14, 'out', 1, 'pubrel', 2), ack(15, 'in', 1, 'pubcomp', 2)];
    assert.deepEqual(outgoing({ topics: ['out/1/0'], qos: 1, delivered: ['out/1/0'], packets }), expect(1, 0));
    assert.deepEqual(outgoing({ topics: ['out/2/0'], qos: 2, delivered: ['out/2/0'], packets }), expect(1, 0));
  });
  test('a message the publisher never got acknowledged and nobody received is no one\'s (lost unacknowledged)', () => {
    assert.deepEqual(incoming({ topics: ['in/1/0'], qos: 1, packets: session() }), expect(0, 0, 0, 0, [], 1));
  });
});

describe('a packet id used again: REUSED_ID only for a QoS 2 message the client PUBRECed, in a kept session [MQTT-4.3.3-2]', () => {
  test('QoS 1: the client PUBACKed the second message with the id and never delivered it: the client\'s loss', () => {
    const packets = [...session(), publish(10, 'in', 1, 5, 'in/1/0', 1), ack(11, 'out', 1, 'puback', 5),
      publish(12, 'in', 1, 5, 'in/1/1', 1), ack(13, 'out', 1, 'puback', 5)];
    assert.deepEqual(incoming({ topics: ['in/1/0', 'in/1/1'], qos: 1, delivered: ['in/1/0'], packets }), expect(1, 1));
  });
  test('QoS 2 whose earlier message the client never PUBRECed: the client\'s losses, both', () => {
    const packets = [...session(), publish(10, 'in', 1, 5, 'in/2/0', 2), publish(12, 'in', 1, 5, 'in/2/1', 2), ack(13, 'out', 1, 'pubrec', 5)];
    assert.deepEqual(incoming({ topics: ['in/2/0', 'in/2/1'], qos: 2, packets }), expect(0, 2));
  });
  test('QoS 2 after a CONNACK with session present 0 (the id was free again): the client\'s loss', () => {
    const packets = [...session(), publish(10, 'in', 1, 5, 'in/2/0', 2), ack(11, 'out', 1, 'pubrec', 5),
      connack(30, 2, false), subscribe(31, 2, 2, 'in/#'), suback(32, 2, 2), publish(33, 'in', 2, 5, 'in/2/1', 2), ack(34, 'out', 2, 'pubrec', 5)];
    assert.deepEqual(incoming({ topics: ['in/2/0', 'in/2/1'], qos: 2, delivered: ['in/2/0'], packets, broker: NOT_PERSISTENT }), expect(1, 1));
  });
  test('QoS 2 after the client sent PUBCOMP for the earlier message: the client\'s loss', () => {
    const packets = [...session(), publish(10, 'in', 1, 5, 'in/2/0', 2), ack(11, 'out', 1, 'pubrec', 5), ack(12, 'in', 1, 'pubrel', 5),
      ack(13, 'out', 1, 'pubcomp', 5), publish(14, 'in', 1, 5, 'in/2/1', 2), ack(15, 'out', 1, 'pubrec', 5)];
    assert.deepEqual(incoming({ topics: ['in/2/0', 'in/2/1'], qos: 2, delivered: ['in/2/0'], packets }), expect(1, 1));
  });
  test('QoS 2 in a kept session while the earlier message awaited PUBREL: the broker\'s (REUSED_ID), its resend too', () => {
    const packets = [...session(), publish(10, 'in', 1, 5, 'in/2/0', 2), ack(11, 'out', 1, 'pubrec', 5),
      connack(30, 2, true), publish(31, 'in', 2, 5, 'in/2/1', 2), ack(32, 'out', 2, 'pubrec', 5),
      connack(40, 3, true), publish(41, 'in', 3, 5, 'in/2/1', 2, true), ack(42, 'out', 3, 'pubrec', 5), ack(43, 'in', 3, 'pubrel', 5), ack(44, 'out', 3, 'pubcomp', 5)];
    const count = countIncoming({ topics: ['in/2/0', 'in/2/1'], qos: 2, deliveries: { 'in/2/0': 1 }, acknowledged: new Map(), packets, broker: PERSISTENT(1000) });
    assert.deepEqual(summary(count), expect(1, 0, 1, 1, ['in/2/1 REUSED_ID']));
    assert.match(count.broker[0].proof, /PUBLISH #6 \(QoS 2, id 5\) while #3 \(in\/2\/0\) awaited PUBREL: the client's PUBREC #4/);
  });
});

describe('never on the client\'s wire, acknowledged to the publisher: the broker\'s only with a proven subscription and a stated loss', () => {
  const lostSession = [...session(), publish(10, 'in', 1, 10, 'in/1/0', 1), ack(11, 'out', 1, 'puback', 10), connack(30, 2, false)];
  test('after session present 0 the client did not SUBSCRIBE again: every later message is the client\'s loss', () => {
    assert.deepEqual(incoming({ topics: ['in/1/0', 'in/1/1', 'in/1/2'], qos: 1, delivered: ['in/1/0'], acknowledged: { 'in/1/1': 40, 'in/1/2': 41 },
      packets: lostSession, broker: NOT_PERSISTENT }), expect(1, 2));
  });
  test('taken before the client wrote its SUBSCRIBE again (granted): no one\'s (UNSUBSCRIBED), neither lost by the client nor by the broker', () => {
    const packets = [...lostSession, subscribe(45, 2, 2, 'in/#'), suback(46, 2, 2)];
    const count = countIncoming({ topics: ['in/1/1'], qos: 1, deliveries: {}, acknowledged: new Map([['in/1/1', 40]]), packets, broker: NOT_PERSISTENT });
    assert.deepEqual(summary(count), expect(0, 0, 0, 0, ['in/1/1 UNSUBSCRIBED']));
    assert.equal(count.lostUnsubscribed, 1);
    assert.match(count.unsubscribed[0].proof, /receiver's CONNACK #5 at 29 ms: session present 0; receiver's next SUBSCRIBE #6 only at 44 ms \(SUBACK #7\)/);
    // A SUBSCRIBE refused (0x80) is no subscription again: the client's loss.
    assert.deepEqual(incoming({ topics: ['in/1/1'], qos: 1, acknowledged: { 'in/1/1': 40 }, packets: [...lostSession, subscribe(45, 2, 2, 'in/#'), suback(46, 2, 2, [128])],
      broker: NOT_PERSISTENT }), expect(0, 1));
  });
  test('a SUBACK refusing the filter (0x80) proves no subscription: the client\'s loss', () => {
    const packets = [connack(1, 1, false), subscribe(2, 1, 1, 'in/#'), suback(3, 1, 1, [128]), connack(30, 2, false)];
    assert.deepEqual(incoming({ topics: ['in/1/1'], qos: 1, acknowledged: { 'in/1/1': 15 }, packets, broker: NOT_PERSISTENT }), expect(0, 1));
  });
  test('subscribed again, acknowledged after, the broker never killed after and the session kept: the broker\'s (KEPT_SESSION, bounded); a later session present 0: the client\'s', () => {
    const packets = [...lostSession, subscribe(31, 2, 2, 'in/#'), suback(32, 2, 2)];
    assert.deepEqual(incoming({ topics: ['in/1/1'], qos: 1, acknowledged: { 'in/1/1': 40 }, packets, broker: NOT_PERSISTENT }), expect(0, 0, 1, 1, ['in/1/1 KEPT_SESSION']));
    assert.deepEqual(incoming({ topics: ['in/1/1'], qos: 1, acknowledged: { 'in/1/1': 40 }, packets: [...packets, connack(50, 3, false)], broker: NOT_PERSISTENT }), expect(0, 1));
  });
  test('acknowledged before a kill without persistence, subscribed, and the next CONNACK said session present 0: the broker\'s (LOST_AT_RESTART)', () => {
    const count = countIncoming({ topics: ['in/1/1'], qos: 1, deliveries: {}, acknowledged: new Map([['in/1/1', 15]]), packets: lostSession, broker: NOT_PERSISTENT });
    assert.deepEqual(summary(count), expect(0, 0, 1, 0, ['in/1/1 LOST_AT_RESTART']));
    assert.match(count.broker[0].proof, /acknowledged to the publisher at 14 ms; receiver's SUBACK #2 at 2 ms; killed at 19 ms, started again at 24 ms without persistence; receiver's CONNACK #5 at 29 ms: session present 0/);
  });
  test('the same with the next CONNACK saying session present 1: the client\'s loss (the broker kept the session)', () => {
    const packets = [...session(), connack(30, 2, true)];
    assert.deepEqual(incoming({ topics: ['in/1/1'], qos: 1, acknowledged: { 'in/1/1': 15 }, packets, broker: NOT_PERSISTENT }), expect(0, 1));
  });
  test('a broker with persistence: the broker\'s within its save window before the kill (AFTER_LAST_SAVE), beyond it with the session kept (KEPT_SESSION), both bounded; the client\'s beyond it if the session went', () => {
    const packets = [...session(), connack(30, 2, true)];
    assert.deepEqual(incoming({ topics: ['in/1/1'], qos: 1, acknowledged: { 'in/1/1': 15 }, packets, broker: PERSISTENT(10) }), expect(0, 0, 1, 1, ['in/1/1 AFTER_LAST_SAVE']));
    assert.deepEqual(incoming({ topics: ['in/1/1'], qos: 1, acknowledged: { 'in/1/1': 5 }, packets, broker: PERSISTENT(10) }), expect(0, 0, 1, 1, ['in/1/1 KEPT_SESSION']));
    assert.deepEqual(incoming({ topics: ['in/1/1'], qos: 1, acknowledged: { 'in/1/1': 5 }, packets: [...session(), connack(30, 2, false)], broker: PERSISTENT(10) }), expect(0, 1));
  });
});

describe('received on the client\'s wire and never delivered', () => {
  test('acknowledged by the client (it took ownership): the client\'s loss, whatever the broker did after', () => {
    const packets = [...session(), publish(16, 'in', 1, 10, 'in/1/3', 1), ack(17, 'out', 1, 'puback', 10), connack(30, 2, false)];
    assert.deepEqual(incoming({ topics: ['in/1/3'], qos: 1, acknowledged: { 'in/1/3': 15 }, packets, broker: NOT_PERSISTENT }), expect(0, 1));
  });
  test('not acknowledged, then a kill without persistence and session present 0: the broker\'s (LOST_AT_RESTART)', () => {
    const packets = [...session(), publish(16, 'in', 1, 10, 'in/1/3', 1), connack(30, 2, false)];
    assert.deepEqual(incoming({ topics: ['in/1/3'], qos: 1, acknowledged: { 'in/1/3': 15 }, packets, broker: NOT_PERSISTENT }), expect(0, 0, 1, 0, ['in/1/3 LOST_AT_RESTART']));
  });
  test('not acknowledged and no connection after: the client held it to the end, the client\'s loss', () => {
    const packets = [...session(), publish(16, 'in', 1, 10, 'in/1/3', 1)];
    assert.deepEqual(incoming({ topics: ['in/1/3'], qos: 1, acknowledged: { 'in/1/3': 15 }, packets }), expect(0, 1));
  });
});

describe('outgoing: the acknowledgement must be the one for that PUBLISH', () => {
  const subscriber = [connack(0.5, 0, false), subscribe(1, 0, 1, 'out/#'), suback(2, 0, 1), connack(30, 0, false), subscribe(31, 0, 2, 'out/#'), suback(32, 0, 2)];
  test('dropped at a reconnection, its id used for the next message, acknowledged on the new socket: the client\'s loss', () => {
    const packets = [connack(1, 1, false), publish(10, 'out', 1, 1, 'out/1/0', 1), connack(30, 2, true), publish(31, 'out', 2, 1, 'out/1/1', 1), ack(32, 'in', 2, 'puback', 1)];
    assert.deepEqual(outgoing({ topics: ['out/1/0', 'out/1/1'], qos: 1, delivered: ['out/1/1'], packets, subscriber, broker: NOT_PERSISTENT }), expect(1, 1));
  });
  test('its id used again on the same socket before an acknowledgement: that acknowledgement is the second message\'s; the client\'s loss', () => {
    const packets = [connack(1, 1, false), publish(10, 'out', 1, 1, 'out/1/0', 1), publish(11, 'out', 1, 1, 'out/1/1', 1), ack(12, 'in', 1, 'puback', 1)];
    assert.deepEqual(outgoing({ topics: ['out/1/0', 'out/1/1'], qos: 1, delivered: ['out/1/1'], packets, subscriber, broker: NOT_PERSISTENT }), expect(1, 1));
  });
  test('acknowledged, the subscriber subscribed, killed without persistence, its CONNACK said session present 0: the broker\'s (LOST_AT_RESTART)', () => {
    const packets = [connack(1, 1, false), publish(10, 'out', 1, 1, 'out/1/0', 1), ack(11, 'in', 1, 'puback', 1)];
    const count = countOutgoing({ topics: ['out/1/0'], qos: 1, deliveries: new Map(), packets, subscriber, broker: NOT_PERSISTENT });
    assert.deepEqual(summary(count), expect(0, 0, 1, 0, ['out/1/0 LOST_AT_RESTART']));
    assert.match(count.broker[0].proof, /PUBLISH #1, its puback #2 at 10 ms; receiver's SUBACK sub#2 at 1 ms; .*receiver's CONNACK sub#3 at 29 ms: session present 0/);
  });
  test('acknowledged, but the subscriber\'s subscription is not proven at that time: the client\'s loss', () => {
    const packets = [connack(1, 1, false), publish(10, 'out', 1, 1, 'out/1/0', 1), ack(11, 'in', 1, 'puback', 1)];
    assert.deepEqual(outgoing({ topics: ['out/1/0'], qos: 1, packets, subscriber: subscriber.slice(3), broker: NOT_PERSISTENT }), expect(0, 1));
  });
  test('QoS 2: PUBREC and then no PUBREL where due (the session kept): the client\'s loss; with PUBREL, the broker\'s', () => {
    const sent = [connack(1, 1, false), publish(10, 'out', 1, 1, 'out/2/0', 2), ack(11, 'in', 1, 'pubrec', 1)];
    assert.deepEqual(outgoing({ topics: ['out/2/0'], qos: 2, packets: [...sent, connack(30, 2, true)], subscriber, broker: PERSISTENT(100) }), expect(0, 1));
    assert.deepEqual(outgoing({ topics: ['out/2/0'], qos: 2, packets: [...sent, ack(12, 'out', 1, 'pubrel', 1), connack(30, 2, true)], subscriber, broker: PERSISTENT(100) }),
      expect(0, 0, 1, 1, ['out/2/0 AFTER_LAST_SAVE']));
    // Session present 0 after the PUBREC: the broker owns it, no PUBREL is due.
    assert.deepEqual(outgoing({ topics: ['out/2/0'], qos: 2, packets: [...sent, connack(30, 2, false)], subscriber, broker: NOT_PERSISTENT }),
      expect(0, 0, 1, 0, ['out/2/0 LOST_AT_RESTART']));
  });
});

test('in flight at a kill: the PUBLISH packets sent before it that the killed broker never acknowledged', () => {
  const packets = [connack(1, 1, false), publish(10, 'out', 1, 1, 'out/1/0', 1), ack(11, 'in', 1, 'puback', 1),
    publish(12, 'out', 1, 2, 'out/1/1', 1), publish(13, 'out', 1, 3, 'out/2/1', 2), ack(22, 'in', 1, 'pubrec', 3),
    connack(30, 2, true), publish(31, 'out', 2, 2, 'out/1/1', 1, true), ack(32, 'in', 2, 'puback', 2)];
  assert.deepEqual(inFlightAt(packets, 20, 25).map(each => each.topic), ['out/1/1']);
});

test('with persistence, written to the broker before its kill and acknowledged only by the restarted broker: judged from the write (AFTER_LAST_SAVE)', () => {
  const packets = [...session(), connack(30, 2, true)];
  const count = countIncoming({ topics: ['in/2/1'], qos: 2, deliveries: {}, acknowledged: new Map([['in/2/1', 35]]), writes: new Map([['in/2/1', [15, 31]]]),
    packets, broker: PERSISTENT(10) });
  assert.deepEqual(summary(count), expect(0, 0, 1, 1, ['in/2/1 AFTER_LAST_SAVE']));
  assert.match(count.broker[0].proof, /^written at 14 ms to the broker killed after, written at 30 ms, acknowledged to the publisher only by the restarted broker at 34 ms at 14 ms; receiver's SUBACK #2/);
  // Written after the broker stopped: the restarted broker took it, never killed, the session kept: KEPT_SESSION.
  assert.deepEqual(summary(countIncoming({ topics: ['in/2/1'], qos: 2, deliveries: {}, acknowledged: new Map([['in/2/1', 35]]), writes: new Map([['in/2/1', [22, 31]]]),
    packets, broker: PERSISTENT(10) })), expect(0, 0, 1, 1, ['in/2/1 KEPT_SESSION']));
});

test('taken while the client\'s SUBSCRIBE was on its way (written before, SUBACK after), the session kept: not the client\'s (UNSUBSCRIBED or the broker\'s)', () => {
  const packets = [...session(), connack(30, 2, false), subscribe(38, 2, 2, 'in/#'), suback(45, 2, 2)];
  assert.deepEqual(incoming({ topics: ['in/1/1'], qos: 1, acknowledged: { 'in/1/1': 40 }, packets, broker: NOT_PERSISTENT }), expect(0, 0, 0, 0, ['in/1/1 UNSUBSCRIBED']));
  // The session lost again after: the client's.
  assert.deepEqual(incoming({ topics: ['in/1/1'], qos: 1, acknowledged: { 'in/1/1': 40 }, packets: [...packets, connack(50, 3, false)], broker: NOT_PERSISTENT }), expect(0, 1));
});

test('written before the client\'s SUBACK came, acknowledged after it: the broker may have taken it first, so not KEPT_SESSION: UNSUBSCRIBED (not the client\'s)', () => {
  const packets = [...session(), publish(10, 'in', 1, 10, 'in/1/0', 1), ack(11, 'out', 1, 'puback', 10), connack(30, 2, false), subscribe(31, 2, 2, 'in/#'), suback(32, 2, 2)];
  const count = countIncoming({ topics: ['in/1/1'], qos: 1, deliveries: {}, acknowledged: new Map([['in/1/1', 40]]), writes: new Map([['in/1/1', [30.5]]]),
    packets, broker: NOT_PERSISTENT });
  assert.deepEqual(summary(count), expect(0, 0, 0, 0, ['in/1/1 UNSUBSCRIBED']));
  // Written after the SUBACK: the subscription predates it, the session kept: the broker's (KEPT_SESSION).
  assert.deepEqual(summary(countIncoming({ topics: ['in/1/1'], qos: 1, deliveries: {}, acknowledged: new Map([['in/1/1', 40]]), writes: new Map([['in/1/1', [33]]]),
    packets, broker: NOT_PERSISTENT })), expect(0, 0, 1, 1, ['in/1/1 KEPT_SESSION']));
});
