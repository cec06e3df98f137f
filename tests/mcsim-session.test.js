// QoS 0, 1 and 2 both ways, retained messages, unsubscribe, keep-alive, push
// mode, reconnect after the broker stopped and started, and faults only a
// scripted broker produces: on the real Moddable runtime (the runner app in
// the SDK's mcsim), against mosquitto and aedes on loopback, with MQTT.js
// peers. The scenarios are the ones tests/*.test.js run on the xsnap host.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import mqtt from 'mqtt';
import { startAedes, startMosquitto } from './harness/brokers.js';
import { withScripted, polite } from './harness/scripted-broker.js';
import { mcsimEnabled, useMcsim } from './sim/suite.js';
import { until } from './helpers/xs.js';

const INTEROP = 'tests/scenarios/client/interop.js';
const RESILIENCE = 'tests/scenarios/client/resilience.js';
const FAULTS = 'tests/scenarios/client/faults.js';
const DEVICE = 'tests/scenarios/client/device.js';

const toDevice = [
  { topic: 'interop/to-xs/ascii', payload: Buffer.from('plain text'), qos: 0 },
  { topic: 'interop/to-xs/ünïcødé/✓', payload: Buffer.from('texte accentué ✓ 𝄞'), qos: 1 },
  { topic: 'interop/to-xs/binary', payload: Buffer.from([0, 1, 2, 0xFE, 0xFF, 0x80, 0]), qos: 2 },
  { topic: 'interop/to-xs/empty', payload: Buffer.alloc(0), qos: 1 },
  { topic: 'interop/to-xs/kilobytes', payload: Buffer.from(Array.from({ length: 5000 }, (_, i) => i & 0xFF)), qos: 1 },
];
const fromDevice = [
  { topic: 'interop/from-xs/ascii', payload: 'hello from XS', qos: 0 },
  { topic: 'interop/from-xs/日本語', payload: 'UTF-8 ✓ 𝄞', qos: 1 },
  { topic: 'interop/from-xs/binary', payload: '00ff10fe80', binary: true, qos: 2 },
];

if (mcsimEnabled) describe('in mcsim: QoS, sessions, keep-alive, reconnect', () => {
  const mcsim = useMcsim();
  let mosquitto;
  before(async () => { mosquitto = await startMosquitto(); });
  after(() => mosquitto?.close());

  test('QoS 0, 1 and 2 both ways with an MQTT.js peer through mosquitto: each message once and intact [MQTT-4.3.1-1, 4.3.2-1, 4.3.3-1]', async () => {
    const peer = await mqtt.connectAsync(`mqtt://127.0.0.1:${mosquitto.port}`, { clientId: 'peer-mcsim' });
    try {
      await peer.subscribeAsync('interop/from-xs/#', { qos: 2 });
      const received = [];
      peer.on('message', (topic, payload, packet) => received.push({ topic, payload: payload.toString('hex'), qos: packet.qos }));
      const result = await mcsim.runCase(INTEROP, 'exchange', { port: mosquitto.port, expect: toDevice.length, outgoing: fromDevice }, {
        onReport: async () => {
          for (const message of toDevice)
            await peer.publishAsync(message.topic, message.payload, { qos: message.qos });
        },
      });
      assert.deepEqual(result.received, toDevice.map(({ topic, payload }) => ({ topic, payload: payload.toString('hex') })));
      assert.deepEqual(result.qos, toDevice.map(message => message.qos));
      await until(() => received.length === fromDevice.length, 'the messages from mcsim');
      // Order holds per topic only [MQTT-4.6.0-6], and MQTT.js hands a QoS 2 message over at PUBREL: compare by topic.
      const byTopic = list => [...list].sort((a, b) => a.topic < b.topic ? -1 : 1);
      assert.deepEqual(byTopic(received), byTopic(fromDevice.map(({ topic, payload, binary, qos }) => ({ topic, payload: binary ? payload : Buffer.from(payload).toString('hex'), qos }))));
    }
    finally {
      await peer.endAsync();
    }
  });

  test('a retained message is delivered on subscribe, with its RETAIN flag [MQTT-3.3.1-6, -8]', async () => {
    const peer = await mqtt.connectAsync(`mqtt://127.0.0.1:${mosquitto.port}`);
    try {
      await peer.publishAsync('retained/t', 'kept for later', { qos: 1, retain: true });
      const result = await mcsim.runCase(INTEROP, 'retained', { port: mosquitto.port, topic: 'retained/t' });
      assert.deepEqual(result, { granted: 1, first: 0x33, received: [{ topic: 'retained/t', payload: 'kept for later' }] });
      await peer.publishAsync('retained/t', '', { qos: 1, retain: true });
    }
    finally {
      await peer.endAsync();
    }
  });

  test('subscribe and unsubscribe several topics in one packet; nothing comes after UNSUBACK [MQTT-3.10.4-2]', async () => {
    const peer = await mqtt.connectAsync(`mqtt://127.0.0.1:${mosquitto.port}`);
    try {
      const reports = [];
      const done = mcsim.runCase(RESILIENCE, 'unsubscribe', { port: mosquitto.port }, { onReport: value => reports.push(value) });
      await until(() => reports.length === 1, 'the subscriptions');
      for (const topic of ['multi/a', 'multi/b', 'multi/c', 'multi/single'])
        await peer.publishAsync(topic, 'before', { qos: 1 });
      await mcsim.host.message({ step: 'received' });
      await until(() => reports.length === 2, 'the unsubscriptions');
      assert.deepEqual(reports[1], { unsubscribed: 'ok', unsubscribedSingle: 'ok' });
      for (const topic of ['multi/a', 'multi/b', 'multi/c', 'multi/single'])
        await peer.publishAsync(topic, 'after', { qos: 1 });
      await mcsim.host.message({ step: 'after' });
      const result = await done;
      assert.deepEqual(result.granted, [0, 1, 2]);
      assert.equal(result.single, 1);
      assert.deepEqual([...result.received].sort(), ['multi/a', 'multi/b', 'multi/c', 'multi/single']);
    }
    finally {
      await peer.endAsync();
    }
  });

  test('push mode: each message reaches the callback as it arrives, no polling', async () => {
    const peer = await mqtt.connectAsync(`mqtt://127.0.0.1:${mosquitto.port}`);
    try {
      const result = await mcsim.runCase(RESILIENCE, 'push', { port: mosquitto.port, count: 20 }, {
        onReport: async () => {
          for (let i = 0; i < 20; i++)
            await peer.publishAsync(`push/${i}`, `m${i}`, { qos: i % 2 });
        },
      });
      assert.deepEqual(result, Array.from({ length: 20 }, (_, i) => `m${i}`));
    }
    finally {
      await peer.endAsync();
    }
  });

  test('keep-alive [MQTT-3.1.2-23]: never more than the keep-alive between two packets the client sends; idle it pings by itself, and publishing with nothing arriving it pings too (to find a dead link)', () =>
    withScripted({}, async broker => {
      /** The longest time between two packets a client sent on a session, in ms (the scripted broker's arrival times). */
      const longestSilence = session => Math.max(...session.packets.slice(1).map((packet, i) => packet.at - session.packets[i].at));
      const idle = await mcsim.runCase(RESILIENCE, 'keepalive', { port: broker.port, busy: false, duration: 2600 });
      // timers: the SDK's "Timers" count less each socket's polling task
      assert.deepEqual(idle, { manual: 'ok', after: { timers: 0, sockets: 0 } });
      const pings = broker.sessions[0].packets.filter(packet => packet.cmd === 'pingreq').length;
      assert.ok(pings >= 3, `at least 2 automatic PINGREQs in 2.6 s at keep-alive 1 s, plus the manual ping(); saw ${pings}`);
      assert.ok(longestSilence(broker.sessions[0]) <= 1000, `idle: ${longestSilence(broker.sessions[0])} ms between two packets`);
      // QoS 0 publishes every 250 ms: the scripted broker answers none of them.
      const busy = await mcsim.runCase(RESILIENCE, 'keepalive', { port: broker.port, busy: true, duration: 2600 });
      assert.deepEqual(busy, { manual: 'ok', after: { timers: 0, sockets: 0 } });
      const busyPings = broker.sessions[1].packets.filter(packet => packet.cmd === 'pingreq').length;
      assert.ok(busyPings >= 3, `publishing while nothing arrives, the client still pings to learn the link is alive; saw ${busyPings} PINGREQs`);
      assert.ok(longestSilence(broker.sessions[1]) <= 1000, `busy: ${longestSilence(broker.sessions[1])} ms between two packets`);
    }));

  test('a half-open connection (no PINGRESP, socket open) is declared dead within 1.5 x keepalive of the last arrival, then reconnect recovers', () =>
    withScripted({ pingreq(session) { if (session.index > 0) polite.pingreq(session); } }, async broker => {
      const result = await mcsim.runCase(RESILIENCE, 'halfOpen', { port: broker.port }, { timeout: 20_000 });
      const [connected, disconnected, reconnected] = result.events;
      assert.equal(connected.event, 'connected');
      assert.match(disconnected.reason, /did not answer PINGREQ within \d+ ms \(keep-alive 1 s\): connection dead/);
      // 1.5 x keepalive, and the simulator's 20 ms socket polling and a loaded machine's late timers
      assert.ok(disconnected.sinceLastSend <= 1500 + 300, `declared dead ${disconnected.sinceLastSend} ms after the last send`);
      assert.equal(reconnected.event, 'connected');
    }));

  test('reconnect after mosquitto is stopped and started: connect, subscribe, QoS 0/1/2 both ways before and after', async () => {
    const restartable = await startMosquitto();
    try {
      const result = await mcsim.run(DEVICE, { port: restartable.port }, { onReport: value => value.restartBroker && restartable.restart() });
      assert.deepEqual(result.received, ['device/0 round 1', 'device/0 round 2', 'device/1 round 1', 'device/1 round 2', 'device/2 round 1', 'device/2 round 2']);
      assert.equal(result.connects, 2);
      assert.deepEqual(result.after, { timers: 0, sockets: 0 });
    }
    finally {
      await restartable.close();
    }
  });

  test('while reconnecting (aedes killed), publishes wait up to outgoingLimit, the next rejects, the waiting ones go out after', async () => {
    const broker = await startAedes();
    try {
      const result = await mcsim.runCase(RESILIENCE, 'offlineBound', { port: broker.port }, {
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
  });

  for (const whileReconnecting of [false, true])
    test(`disconnect() leaves no timer and no socket, with reconnect enabled${whileReconnecting ? ', in the middle of reconnecting (mosquitto killed)' : ''}`, async () => {
      const broker = await startMosquitto();
      try {
        const result = await mcsim.runCase(RESILIENCE, 'noLeftovers', { port: broker.port, whileReconnecting }, {
          onReport: () => whileReconnecting && broker.kill(),
        });
        assert.deepEqual(result.after, { timers: 0, sockets: 0 });
        assert.deepEqual(result.later, { timers: 0, sockets: 0 }, 'no reconnect after disconnect()');
        assert.equal(result.connected, false);
        if (!whileReconnecting)
          assert.deepEqual(result.during, { timers: 1, sockets: 1 }, 'the keep-alive timer and the socket, while connected');
      }
      finally {
        await broker.close();
      }
    });

  test('publishes in flight when the connection drops are resent in order, DUP set, PUBREL past PUBREC [MQTT-4.4.0-1]; their Promises settle', () =>
    withScripted({
      connect(session) { session.send({ cmd: 'connack', returnCode: 0, sessionPresent: session.index > 0 }); },
      publish(session, packet) {
        if (session.index > 0)
          return polite.publish(session, packet);
        if (packet.qos === 2)
          session.send({ cmd: 'pubrec', messageId: packet.messageId });
      },
      pubrel(session, packet) {
        if (session.index > 0)
          return polite.pubrel(session, packet);
        setTimeout(() => session.close(), 20);
      },
    }, async broker => {
      const result = await mcsim.runCase(RESILIENCE, 'inFlightSurvives', { port: broker.port });
      assert.deepEqual(result, { results: ['ok', 'ok', 'ok'], after: { timers: 0, sockets: 0 } });
      const [first, second] = broker.sessions;
      const firstIds = first.packets.filter(packet => packet.cmd === 'publish').map(packet => packet.messageId);
      const resent = second.packets.filter(packet => packet.cmd !== 'connect' && packet.cmd !== 'disconnect')
        .map(packet => packet.cmd === 'publish' ? ['publish', packet.topic, packet.messageId, packet.dup] : [packet.cmd, packet.messageId]);
      assert.deepEqual(resent, [['publish', 'flight/1', firstIds[0], true], ['pubrel', firstIds[1]], ['publish', 'flight/3', firstIds[2], true]]);
    }));

  test('a QoS 2 message the broker resends before PUBREL reaches the callback once [MQTT-4.3.3-2]', () =>
    withScripted({}, async broker => {
      const result = await mcsim.runCase(RESILIENCE, 'qos2Duplicate', { port: broker.port }, {
        onReport: () => {
          const session = broker.sessions[0];
          const message = { cmd: 'publish', topic: 'dup/t', payload: 'exactly once', qos: 2, messageId: 9 };
          session.send(message);
          session.send({ ...message, dup: true });
          setTimeout(() => session.send({ cmd: 'pubrel', messageId: 9 }), 30);
        },
      });
      assert.deepEqual(result, ['exactly once']);
    }));

  test('a PUBLISH arriving before the SUBACK or the PUBACK is queued, never taken for the acknowledgement', () =>
    withScripted({
      subscribe(session, packet) {
        session.send({ cmd: 'publish', topic: 'order/t', payload: 'before suback', qos: 1, messageId: 7 });
        polite.subscribe(session, packet);
      },
      publish(session, packet) {
        if (packet.qos === 1) {
          session.send({ cmd: 'publish', topic: 'order/t', payload: 'before puback', qos: 1, messageId: packet.messageId });
          session.send({ cmd: 'puback', messageId: packet.messageId });
        }
      },
    }, async broker => {
      const result = await mcsim.runCase(FAULTS, 'publishBeforeAck', { port: broker.port });
      assert.deepEqual(result, { granted: 1, published: 'ok', received: [['order/t', 'before suback'], ['order/t', 'before puback']] });
    }));

  test('a connection reset by the broker rejects every pending Promise, and later calls reject', () =>
    withScripted({ publish(session) { setTimeout(() => session.reset(), 50); }, subscribe() {} }, async broker => {
      const result = await mcsim.runCase(FAULTS, 'endedWhilePending', { port: broker.port });
      for (const outcome of result.outcomes)
        assert.match(outcome, new RegExp(`^Error: connection to 127\\.0\\.0\\.1:${broker.port} closed by the broker or lost`));
      assert.deepEqual(result.after, { timers: 0, sockets: 0 });
      assert.match(result.later, /not connected/);
    }));

  for (const [fault, bytes, error] of [
    ['a reserved packet type', [0xF0, 0x00], 'ProtocolError: protocol error: reserved type 15 is not a packet'],
    ['a remaining length over four bytes', [0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x01], 'ProtocolError: protocol error: remaining length encoded in more than four bytes'],
  ])
    test(`a broker sending ${fault} gets the connection closed with the parser's named error, and the app runs on`, () =>
      withScripted({ publish(session) { session.sendRaw(bytes); } }, async broker => {
        assert.deepEqual(await mcsim.runCase(FAULTS, 'breach', { port: broker.port }), { outcome: error, after: { timers: 0, sockets: 0 } });
      }));

  test('a CONNACK refusal code rejects MQTTException(3) [MQTT-3.2.2-5], and the app runs on', () =>
    withScripted({ connect(session) { session.sendRaw([0x20, 0x02, 0, 3]); } }, async broker => {
      const starts = mcsim.host.starts;
      const result = await mcsim.runCase(FAULTS, 'connectOutcome', { port: broker.port });
      assert.deepEqual(result, { outcome: 'MQTTException: MQTT error 3: server unavailable', after: { timers: 0, sockets: 0 } });
      assert.equal(mcsim.host.starts, starts);
    }));
});
