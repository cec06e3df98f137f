// The cases of tests/scenarios/client/mqtt5.js (MQTT 5.0 in the client),
// each run and checked once here, for both hosts: tests/mqtt5.test.js runs
// them on xsnap (the app built with manifest_mqtt5.json), tests/mcsim-mqtt5.test.js
// in mcsim (the runner app includes it). Each takes the host (`xsnap` of
// tests/helpers/xs.js, or useMcsim() of tests/sim/suite.js). The brokers are
// scripted (tests/harness/scripted-broker.js) for what real ones will not do
// on demand, or real: mosquitto with an MQTT.js 5 peer, aedes (3.1.1 only)
// for the fallback. Statement ids are MQTT 5.0's (tests/conformance.md).
import assert from 'node:assert/strict';
import net from 'node:net';
import { startAedes, startMosquitto, LOOPBACK } from '../harness/brokers.js';
import { withScripted, polite } from '../harness/scripted-broker.js';
import { withPeer } from '../helpers/peer.js';
import { startProxy } from '../harness/proxy.js';
import mqttPacket from 'mqtt-packet';
import { until, underVersion } from '../helpers/xs.js';
import { importLibrary } from '../helpers/node-library.js';

const MQTT5 = 'tests/scenarios/client/mqtt5.js';
const V5_HOST = underVersion(5).options;	// xsnap's build; mcsim's runner includes it
const run = (host, name, params = {}) => host.runCase(MQTT5, name, params, V5_HOST);
/** A case in a build of 3.1.1 alone (manifest.json): xsnap only. */
const runCase311 = (host, name, params = {}) => host.runCase(MQTT5, name, params);
const runScenario = async (host, params, options) => ({ result: await host.run(MQTT5, params, options) });

/**
 * A scripted broker's PUBLISH handler: on the first connection, a PUBLISH
 * that `which` picks closes the connection unacknowledged (the client must
 * send it again on the next); anything else is answered politely.
 */
function closesFirstAtPublish(which = () => true) {
  return (session, packet) => {
    if (session.index === 0 && which(packet))
      session.close();	// no PUBACK: the connection ends
    else
      polite.publish(session, packet);
  };
}

export async function construct(host) {
  const result = await run(host, 'construct');
  for (const name of ['five', 'negotiate', 'four', 'propertiesUnder4'])
    assert.equal(result[name], 'ok', name);
  assert.equal(result.versionThree, 'RangeError: protocolVersion must be 4, 5 or "negotiate", not 3');
  assert.equal(result.versionString, 'RangeError: protocolVersion must be 4, 5 or "negotiate", not "5"');
}

export function notInBuild(host) {
  return withScripted({}, async broker => {
    const result = await runCase311(host, 'connect', { port: broker.port });
    assert.equal(result.text, "Error: MQTT 5 is not in this build: include manifest_mqtt5.json");
    assert.equal(broker.sessions.length, 0);
  });
}

export function badProperty(host) {
  return withScripted({}, async broker => {
    const result = await run(host, 'connect', { port: broker.port, properties: { receiveMaximum: 0 } });
    assert.match(result.text, /^RangeError: .*receiveMaximum/);
    assert.match((await run(host, 'connect', { port: broker.port, properties: 60 })).text, /^TypeError: properties must be an object, not 60/);
    assert.equal(broker.sessions.length, 0);
  });
}

// The first packet is CONNECT [MQTT-3.1.0-1], of protocol level 5 (3.1.2.2),
// with its properties and the client's Maximum Packet Size (3.1.2.11.4); the
// DISCONNECT after it well-formed (the scripted broker parses all of it as
// version 5, else the test fails) [MQTT-3.14.2-1], and nothing after it
// [MQTT-3.14.4-1].
export function connectPacket(host) {
  return withScripted({}, async broker => {
    const properties = {
      sessionExpiryInterval: 300, receiveMaximum: 10, topicAliasMaximum: 4, requestProblemInformation: 0,
      requestResponseInformation: 1, userProperties: [['site', 'lab'], ['site', 'attic']]
    };
    const will = { topic: 'wills/mqtt5', msg: 'gone', retain: true, qos: 1 };
    const result = await run(host, 'connect', { port: broker.port, properties, maxPacketSize: 4096, keepalive: 30, user: 'u', password: 'p', will });
    assert.deepEqual(result, { present: 0 });
    await until(() => broker.sessions[0].socket.destroyed || broker.sessions[0].socket.readableEnded, 'the client closing the connection');
    assert.equal(broker.sessions[0].packets.length, 2, 'CONNECT, DISCONNECT, nothing after');
    const [connect, disconnect] = broker.sessions[0].packets;
    assert.equal(connect.protocolVersion, 5);
    assert.equal(connect.clientId, 'mqtt5');
    assert.equal(connect.clean, true);
    assert.equal(connect.keepalive, 30);
    assert.equal(connect.username, 'u');
    assert.equal(String(connect.password), 'p');
    assert.deepEqual({ topic: connect.will.topic, payload: String(connect.will.payload), qos: connect.will.qos, retain: connect.will.retain }, { topic: 'wills/mqtt5', payload: 'gone', qos: 1, retain: true });
    assert.deepEqual({ ...connect.properties, userProperties: { ...connect.properties.userProperties } }, {
      sessionExpiryInterval: 300, receiveMaximum: 10, topicAliasMaximum: 4, requestProblemInformation: false,
      requestResponseInformation: true, maximumPacketSize: 4096, userProperties: { site: ['lab', 'attic'] }
    });
    assert.equal(disconnect.cmd, 'disconnect');
    assert.equal(disconnect.reasonCode ?? 0, 0);
  });
}

// CONNACK with a failure reason code: the connection is closed
// [MQTT-4.13.2-1], connect() rejects with the code, its name and the
// server's reason string (3.2.2.3.9).
export function connackRefusal(host) {
  return withScripted({
    connect(session) { session.send({ cmd: 'connack', reasonCode: 0x87, sessionPresent: false, properties: { reasonString: 'not on my watch' } }); },
  }, async broker => {
    const result = await run(host, 'connect', { port: broker.port });
    assert.deepEqual(result.error, { name: 'MQTTException', code: 0x87, message: 'MQTT error 135: Not authorized (not on my watch)', reason: 'not on my watch' });
  });
}

// Assigned Client Identifier (3.2.2.3.7): the client uses it from then on.
export function assignedId(host) {
  return withScripted({
    connect(session) { session.send({ cmd: 'connack', reasonCode: 0, sessionPresent: false, properties: { assignedClientIdentifier: 'srv-7' } }); },
  }, async broker => {
    assert.equal(await run(host, 'assignedId', { port: broker.port }), 'ok');
    assert.equal(broker.sessions[0].packets[0].clientId, '');
    assert.equal(broker.sessions[1].packets[0].clientId, 'srv-7');
  });
}

// Server Keep Alive [MQTT-3.1.2-23] [MQTT-3.2.2-21]: the client's 60 s give way to the server's 1 s.
export function serverKeepAlive(host) {
  return withScripted({
    connect(session) { session.send({ cmd: 'connack', reasonCode: 0, sessionPresent: false, properties: { serverKeepAlive: 1 } }); },
  }, async broker => {
    assert.equal(await run(host, 'serverKeepAlive', { port: broker.port }), 'ok');
    assert.ok(broker.sessions[0].packets.some(packet => packet.cmd === 'pingreq'), 'a PINGREQ within 1.5 s');
  });
}

// Maximum QoS [MQTT-3.2.2-11], Retain Available [MQTT-3.2.2-14], the
// server's Maximum Packet Size [MQTT-3.2.2-15], Wildcard and Shared
// Subscription Available (3.2.2.3.11, 3.2.2.3.13): named errors, thrown
// before anything is sent.
export function limits(host) {
  return withScripted({
    connect(session) {
      session.send({ cmd: 'connack', reasonCode: 0, sessionPresent: false, properties: {
        maximumQoS: 1, retainAvailable: false, maximumPacketSize: 100, wildcardSubscriptionAvailable: false, sharedSubscriptionAvailable: false,
      } });
    },
  }, async broker => {
    const result = await run(host, 'limits', { port: broker.port });
    assert.match(result.qos2, /^RangeError: QoS 2 is above the server's Maximum QoS of 1 \(MQTT-3\.2\.2-11\)/);
    assert.match(result.retain, /^TypeError: the server does not support retained messages/);
    assert.match(result.tooLarge, /^RangeError: PUBLISH of \d+ bytes exceeds the server's Maximum Packet Size of 100/);
    assert.match(result.wildcard, /^TypeError: the server does not support wildcard subscriptions/);
    assert.match(result.shared, /^TypeError: the server does not support shared subscriptions/);
    assert.equal(result.qos1, 'ok');
    assert.equal(result.plainSubscribe, 1);
    const publishes = broker.sessions[0].packets.filter(packet => packet.cmd === 'publish');
    assert.deepEqual(publishes.map(packet => packet.qos), [1], 'only the allowed publish went out');
  });
}

// Failure reason codes on acknowledgements (2.4): a PUBACK or PUBREC of 0x80
// or more acknowledges the PUBLISH, which is not sent again [MQTT-4.4.0-2];
// PUBREL only on a PUBREC below 0x80 [MQTT-4.3.3-4]; PUBCOMP, SUBACK and
// UNSUBACK codes (3.7.2.1, 3.9.3, 3.11.3).
export function ackFailures(host) {
  return withScripted({
    publish(session, packet) {
      const reasonString = `no ${packet.topic}`;
      if (packet.topic === 'refuse/puback')
        session.send({ cmd: 'puback', messageId: packet.messageId, reasonCode: 0x87, properties: { reasonString } });
      else if (packet.topic === 'refuse/pubrec')
        session.send({ cmd: 'pubrec', messageId: packet.messageId, reasonCode: 0x80, properties: { reasonString } });
      else
        polite.publish(session, packet);
    },
    pubrel(session, packet) {
      session.send({ cmd: 'pubcomp', messageId: packet.messageId, reasonCode: 0x92 });
    },
    subscribe(session, packet) {
      session.send({ cmd: 'suback', messageId: packet.messageId, granted: packet.subscriptions.map(s => s.topic.startsWith('refuse/') ? 0x87 : s.qos), properties: { reasonString: 'filter refused' } });
    },
    unsubscribe(session, packet) {
      session.send({ cmd: 'unsuback', messageId: packet.messageId, granted: packet.unsubscriptions.map(topic => topic.startsWith('refuse/') ? 0x87 : 0x11) });
    },
  }, async broker => {
    const result = await run(host, 'ackFailures', { port: broker.port });
    assert.deepEqual(result.puback, { name: 'MQTTException', code: 0x87, message: 'MQTT error 135: Not authorized (PUBACK) (no refuse/puback)', reason: 'no refuse/puback' });
    assert.deepEqual(result.pubrec, { name: 'MQTTException', code: 0x80, message: 'MQTT error 128: Unspecified error (PUBREC) (no refuse/pubrec)', reason: 'no refuse/pubrec' });
    assert.deepEqual(result.pubcomp, { name: 'MQTTException', code: 0x92, message: 'MQTT error 146: Packet Identifier not found (PUBCOMP)' });
    assert.deepEqual(result.suback, { name: 'MQTTException', code: 0x87, message: 'MQTT error 135: Not authorized (SUBACK) (filter refused)', reason: 'filter refused' });
    assert.deepEqual(result.subackMany, [1, 0x87]);
    assert.deepEqual(result.unsuback, { name: 'MQTTException', code: 0x87, message: 'MQTT error 135: Not authorized (UNSUBACK)' });
    assert.equal(result.unsubackNone, 'ok', 'No subscription existed (0x11) is not a failure');
    assert.equal(result.after, 'ok');
    assert.equal(result.connected, true);
    const sent = broker.sessions[0].packets;
    const pubrels = sent.filter(packet => packet.cmd === 'pubrel');
    assert.equal(pubrels.length, 1, 'PUBREL only for the PUBREC that succeeded');
    for (const topic of ['refuse/puback', 'refuse/pubrec'])
      assert.equal(sent.filter(packet => packet.topic === topic).length, 1, `${topic} not sent again`);
  });
}

// Receive Maximum 1: never more than one QoS 1 or 2 PUBLISH unacknowledged
// [MQTT-3.3.4-7] [MQTT-4.9.0-2], the others wait in order; the SUBSCRIBE is
// not held back [MQTT-3.3.4-8] [MQTT-4.9.0-3]. The broker answers each
// PUBLISH and PUBREL 30 ms late.
export async function receiveMaximum(host) {
  let unacknowledged = 0, most = 0;
  const later = fn => setTimeout(fn, 30);
  return withScripted({
    connect(session) { session.send({ cmd: 'connack', reasonCode: 0, sessionPresent: false, properties: { receiveMaximum: 1 } }); },
    publish(session, packet) {
      most = Math.max(most, ++unacknowledged);
      later(() => {
        if (packet.qos === 1)
          unacknowledged--;
        session.send({ cmd: packet.qos === 1 ? 'puback' : 'pubrec', messageId: packet.messageId });
      });
    },
    pubrel(session, packet) {
      later(() => { unacknowledged--; session.send({ cmd: 'pubcomp', messageId: packet.messageId }); });
    },
  }, async broker => {
    const result = await run(host, 'receiveMaximum', { port: broker.port });
    assert.equal(most, 1, 'never two QoS 1/2 PUBLISH unacknowledged at the broker');
    assert.deepEqual(result.settledIn.filter(step => step !== 'subscribed'), [0, 1, 2, 3]);
    assert.equal(result.settledIn.indexOf('subscribed'), 0, 'SUBACK came before the first publish completed');
    const order = broker.sessions[0].packets.map(packet => packet.cmd === 'publish' ? packet.topic : packet.cmd);
    assert.deepEqual(order.filter(step => step.startsWith('quota/')), ['quota/0', 'quota/1', 'quota/2', 'quota/3']);
    assert.ok(order.indexOf('subscribe') < order.indexOf('quota/1'), `SUBSCRIBE went before the held PUBLISH: ${order}`);
  });
}

// A server's DISCONNECT with a reason code and string (3.14.2.1, 3.14.2.2.3):
// the connection is closed [MQTT-4.13.2-1].
export function serverDisconnect(host) {
  return withScripted({}, async broker => {
    const running = runScenario(host, { case: 'serverDisconnect', port: broker.port }, V5_HOST);
    await until(() => broker.sessions[0]?.packets.length, 'CONNECT');
    await new Promise(resolve => setTimeout(resolve, 100));
    broker.sessions[0].send({ cmd: 'disconnect', reasonCode: 0x8E, properties: { reasonString: 'another one took it' } });
    const { result } = await running;
    assert.deepEqual(result.reason, {
      name: 'MQTTException', code: 0x8E, reason: 'another one took it',
      message: "MQTT error 142: Session taken over, in the server's DISCONNECT (another one took it)",
    });
    assert.equal(result.connected, false);
  });
}

// negotiate: a 3.1.1 server answers CONNECT of level 5 with its CONNACK of
// return code 1 (MQTT 3.1.1 [MQTT-3.1.2-2]); the client tries 3.1.1 at once.
export function negotiateLegacy(host) {
  return withScripted({
    connect(session) {
      if (session.version === 5)
        session.sendRaw([0x20, 0x02, 0x00, 0x01]);
      else
        polite.connect(session);
    },
  }, async broker => {
    const result = await run(host, 'negotiate', { port: broker.port });
    assert.deepEqual(result, { present: 0, granted: 1 });
    assert.deepEqual(broker.sessions.map(session => session.version), [5, 4]);
    assert.deepEqual(broker.sessions[1].packets.map(packet => packet.cmd), ['connect', 'subscribe', 'publish', 'disconnect']);
  });
}

export function negotiate84(host) {
  return withScripted({
    connect(session) {
      if (session.version === 5)
        session.send({ cmd: 'connack', reasonCode: 0x84, sessionPresent: false });
      else
        polite.connect(session);
    },
  }, async broker => {
    assert.deepEqual(await run(host, 'negotiate', { port: broker.port }), { present: 0, granted: 1 });
    assert.deepEqual(broker.sessions.map(session => session.version), [5, 4]);
  });
}

export function strictLegacy(host) {
  return withScripted({
    connect(session) { session.sendRaw([0x20, 0x02, 0x00, 0x01]); },
  }, async broker => {
    const result = await run(host, 'negotiate', { port: broker.port, protocolVersion: 5 });
    assert.match(result.error, /^MQTTException: MQTT error 1: .*the server speaks MQTT 3\.1\.1/);
    assert.equal(broker.sessions.length, 1);
  });
}

// aedes speaks 3.1.1 only: it closes the connection on a CONNECT of level 5.
export async function negotiateAedes(host) {
  const broker = await startAedes();
  try {
    assert.deepEqual(await run(host, 'negotiate', { port: broker.port }), { present: 0, granted: 1 });
  }
  finally {
    await broker.close();
  }
}

export async function negotiateMosquitto(host) {
  const broker = await startMosquitto();
  const connections = [];	// per connection: its first bytes each way
  const sniffer = net.createServer(client => {
    const seen = { up: undefined, down: undefined };
    connections.push(seen);
    const upstream = net.connect({ host: LOOPBACK, port: broker.port });
    client.on('data', data => { seen.up ??= data; upstream.write(data); });
    upstream.on('data', data => { seen.down ??= data; client.write(data); });
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.on('error', () => {});
    upstream.on('error', () => {});
  });
  await new Promise(resolve => sniffer.listen(0, LOOPBACK, resolve));
  try {
    assert.deepEqual(await run(host, 'negotiate', { port: sniffer.address().port }), { present: 0, granted: 1 });
    assert.equal(connections.length, 1);
    assert.equal(connections[0].up[8], 5, 'CONNECT of protocol level 5');
    assert.equal(connections[0].down[0], 0x20);
    assert.ok(connections[0].down[1] > 2, 'a CONNACK of version 5 (with its properties)');
  }
  finally {
    await new Promise(resolve => sniffer.close(resolve));
    await broker.close();
  }
}

// Round trips through mosquitto with an MQTT.js 5 peer: QoS 0, 1, 2 both
// ways [MQTT-4.3.2-1] [MQTT-4.3.3-1], SUBACK's granted QoS (3.9.3), UNSUBACK.
export async function roundTrip(host) {
  const broker = await startMosquitto();
  try {
    await withPeer(broker.port, { protocolVersion: 5 }, async peer => {
      const seen = [];
      peer.on('message', (topic, message) => seen.push(`${topic} ${message}`));
      await peer.subscribeAsync('v5/out', { qos: 1 });
      const running = runScenario(host, { case: 'roundTrip', port: broker.port }, { ...V5_HOST, onReport: async () => {
        await peer.publishAsync('v5/in', 'from peer', { qos: 1 });
      } });
      const { result } = await running;
      assert.deepEqual(result.granted, [2, 1]);
      assert.deepEqual(result.received.toSorted(), ['v5/in from peer', 'v5/self/0 q0', 'v5/self/1 q1', 'v5/self/2 q2']);
      await until(() => seen.length === 1, 'the peer\'s message');
      assert.deepEqual(seen, ['v5/out from XS']);
    });
  }
  finally {
    await broker.close();
  }
}

// Every reason code a server may send (section 2.4; each packet's table in
// section 3, which tests/codec5.test.js checks against mqtt-packet's), as the
// app meets it, through the client: a CONNACK failure rejects connect() with
// MQTTException of that code [MQTT-3.2.2-7]; a server DISCONNECT reaches
// onDisconnect with its code; an acknowledgement's code below 0x80 completes
// the operation (SUBACK's granted QoS resolves subscribe()), one of 0x80 or
// more rejects it with MQTTException of that code; the connection stays up
// through them all. Each message names the code ("MQTT error N: <name>").
const FAILURE = 0x80;
export async function everyReason(host) {
  const { serverMaySend } = await importLibrary('mqtt/v5/reasons');
  const types = { connack: 2, puback: 4, pubrec: 5, pubcomp: 7, suback: 9, unsuback: 11, disconnect: 14 };
  const codes = type => Array.from({ length: 256 }, (_, code) => code).filter(code => serverMaySend(code, type));
  const plan = Object.fromEntries(Object.entries(types).map(([name, type]) => [name, codes(type)]));
  plan.connack = plan.connack.filter(code => code >= FAILURE);	// 0 is every other case's connection
  const first = plan.connack.length, last = first + plan.disconnect.length;
  const pubcompFor = new Map();	// a QoS 2 message's id -> the PUBCOMP code its topic names
  const codeOf = topic => Number(topic.slice(topic.indexOf('/') + 1));
  await withScripted({
    connect(session) {
      const i = session.index;
      session.send({ cmd: 'connack', reasonCode: i < first ? plan.connack[i] : 0, sessionPresent: false });
      if (i >= first && i < last)
        session.send({ cmd: 'disconnect', reasonCode: plan.disconnect[i - first] });
    },
    publish(session, packet) {
      if (packet.topic.startsWith('puback/'))
        session.send({ cmd: 'puback', messageId: packet.messageId, reasonCode: codeOf(packet.topic) });
      else if (packet.topic.startsWith('pubrec/'))
        session.send({ cmd: 'pubrec', messageId: packet.messageId, reasonCode: codeOf(packet.topic) });
      else {
        pubcompFor.set(packet.messageId, codeOf(packet.topic));
        session.send({ cmd: 'pubrec', messageId: packet.messageId, reasonCode: 0 });
      }
    },
    pubrel(session, packet) { session.send({ cmd: 'pubcomp', messageId: packet.messageId, reasonCode: pubcompFor.get(packet.messageId) ?? 0 }); },
    subscribe(session, packet) { session.send({ cmd: 'suback', messageId: packet.messageId, granted: [codeOf(packet.subscriptions[0].topic)] }); },
    unsubscribe(session, packet) { session.send({ cmd: 'unsuback', messageId: packet.messageId, granted: [codeOf(packet.unsubscriptions[0])] }); },
  }, async broker => {
    const seen = await host.runCase(MQTT5, 'everyReason', { port: broker.port, plan }, { ...V5_HOST, timeout: 60_000 });
    const failed = got => got.name === 'MQTTException' && got.code === got.sent && got.message.startsWith(`MQTT error ${got.sent}: `) && !/unknown reason code/.test(got.message);
    const wrong = [];
    for (const got of [...seen.connack, ...seen.disconnect])
      if (!failed(got))
        wrong.push(`${seen.connack.includes(got) ? 'CONNACK' : 'DISCONNECT'} ${got.sent}: ${JSON.stringify(got)}`);
    for (const name of ['puback', 'pubrec', 'pubcomp', 'suback', 'unsuback'])
      for (const got of seen[name]) {
        const ok = got.sent < FAILURE
          ? (name === 'suback' ? got.ok === got.sent : got.ok === null)
          : failed(got);
        if (!ok)
          wrong.push(`${name.toUpperCase()} ${got.sent}: ${JSON.stringify(got)}`);
      }
    assert.deepEqual(wrong, [], 'each code as the API says');
    const counts = Object.fromEntries(Object.entries(seen).filter(([, list]) => Array.isArray(list)).map(([name, list]) => [name, list.length]));
    assert.deepEqual(counts, Object.fromEntries(Object.entries(plan).map(([name, list]) => [name, list.length])), 'every code of the plan was met');
    assert.equal(seen.connected, true, 'the acknowledgements\' failures left the connection up');
    assert.equal(broker.sessions.length, last + 1, 'one connection per CONNACK and DISCONNECT code, and one for the acknowledgements');
  });
}

// connect(false) under 5 means what it means under 3.1.1 (the seed's
// clean_session=False): the session outlives the connection. Under 5 that
// takes a Session Expiry Interval above 0 (3.1.2.11.2, [MQTT-3.1.2-25]); an
// absent one is 0, and mosquitto then ends the session at the disconnect.
// Without the app's own, the client sends 0xFFFFFFFF; the app's own is kept
// (here 0: the session ends, as the app asked). Through mosquitto 2.0.11: a
// QoS 1 message published while the client is away reaches it at its next
// connect(false), session present 1 [MQTT-3.2.2-2].
export async function keptSession(host) {
  const broker = await startMosquitto();
  try {
    await withPeer(broker.port, { protocolVersion: 5 }, async peer => {
      const away = async (properties, n) => {
        const first = await run(host, 'keptSession', { port: broker.port, phase: 'first', properties });
        await peer.publishAsync('sleep/reading', `while away ${n}`, { qos: 1 });
        return { first, second: await run(host, 'keptSession', { port: broker.port, phase: 'second', properties, wait: properties ? 300 : 3000 }) };
      };
      const kept = await away(undefined, 1);
      assert.deepEqual(kept.second, { present: 1, received: ['sleep/reading while away 1'] }, 'the session kept: the message sent while away arrives');
      const ended = await away({ sessionExpiryInterval: 0 }, 2);
      assert.equal(ended.first.present, 1, 'the session of before, still there');
      assert.deepEqual(ended.second, { present: 0, received: [] }, 'the app\'s Session Expiry Interval 0 kept: the session ended with the connection');
    });
  }
  finally {
    await broker.close();
  }
}

// PUBLISH properties (3.3.2.3) both ways through mosquitto, as sent (user
// properties in their order, 3.3.2.3.7); request/response with Response
// Topic and Correlation Data (4.10); No Local and Retain Handling 2
// (3.8.3.1).
export async function properties(host) {
  const broker = await startMosquitto();
  try {
    await withPeer(broker.port, { protocolVersion: 5 }, async peer => {
      const seen = [];
      peer.on('message', (topic, message, packet) => {
        seen.push({ topic, message: String(message), properties: packet.properties });
        if (topic === 'svc/req')
          peer.publish(packet.properties.responseTopic, 'pong', { qos: 1, properties: { correlationData: packet.properties.correlationData } });
      });
      await peer.subscribeAsync(['props/out', 'svc/req'], { qos: 1 });
      await peer.publishAsync('kept/t', 'retained', { qos: 1, retain: true });
      const { result } = await runScenario(host, { case: 'properties', port: broker.port }, { ...V5_HOST, onReport: async () => {
        await peer.publishAsync('props/in', 'hello', { qos: 1, properties: { contentType: 'text/plain', userProperties: { from: 'peer' }, messageExpiryInterval: 30 } });
        await peer.publishAsync('nl/t', 'theirs', { qos: 1 });
      } });
      await until(() => seen.length >= 2, 'the XS publishes at the peer');
      const out = seen.find(message => message.topic === 'props/out');
      assert.equal(out.message, '{"t":21}');
      assert.equal(out.properties.payloadFormatIndicator, true);
      assert.ok(out.properties.messageExpiryInterval > 0 && out.properties.messageExpiryInterval <= 60);
      assert.equal(out.properties.contentType, 'application/json');
      assert.equal(out.properties.responseTopic, 'props/back');
      assert.deepEqual([...out.properties.correlationData], [1, 2, 3]);
      assert.deepEqual({ ...out.properties.userProperties }, { unit: ['C', 'F'] });
      const byTopic = Object.fromEntries(result.map(message => [message.topic, message]));
      assert.deepEqual(Object.keys(byTopic).toSorted(), ['nl/t', 'props/in', 'svc/reply/xs'], 'No Local: "mine" did not come back; Retain Handling 2: no retained message');
      assert.equal(byTopic['nl/t'].msg, 'theirs');
      assert.equal(byTopic['props/in'].properties.contentType, 'text/plain');
      assert.deepEqual(byTopic['props/in'].properties.userProperties, [['from', 'peer']]);
      assert.ok(byTopic['props/in'].properties.messageExpiryInterval <= 30);
      assert.equal(byTopic['svc/reply/xs'].msg, 'pong');
      assert.equal(byTopic['svc/reply/xs'].properties.correlationData, 'req-42', 'the answer carries the request\'s Correlation Data');
      await peer.publishAsync('kept/t', '', { qos: 1, retain: true });	// the retained message goes
    });
  }
  finally {
    await broker.close();
  }
}

// Subscription Identifiers (3.8.2.1.2) through mosquitto: overlapping
// subscriptions "sid/+" (7), "sid/#" (268,435,455) and "sid/a" (none); a
// PUBLISH to "sid/a" matches the three. The server sends the identifiers of
// the matching subscriptions [MQTT-3.3.4-3]: in one copy, all of them
// [MQTT-3.3.4-4]; or one copy per subscription, each with its own
// subscription's identifier, none for "sid/a" [MQTT-3.3.4-5]. Either way the
// callback's third argument hands them to the app. mosquitto 2.0.11 sends
// one copy per matching subscription (as measured here: three copies, [7],
// [268435455] and none).
export async function subscriptionIds(host) {
  const broker = await startMosquitto();
  try {
    const { result } = await runScenario(host, { case: 'subscriptionIds', port: broker.port }, V5_HOST);
    assert.deepEqual(result.granted, [1, 1, 1]);
    const both = result.received.filter(message => message.topic === 'sid/a');
    assert.ok(both.every(message => message.msg === 'both'));
    if (both.length === 1)
      assert.deepEqual(both[0].ids.toSorted((a, b) => a - b), [7, 268435455], 'one copy carries every matching subscription\'s identifier [MQTT-3.3.4-4]');
    else
      assert.deepEqual(both.map(message => message.ids).toSorted((a, b) => a.length - b.length || a[0] - b[0]), [[], [7], [268435455]],
        'one copy per subscription, each with its identifier [MQTT-3.3.4-5]');
    assert.deepEqual(result.received.filter(message => message.topic === 'sid/b/c').map(message => message.ids), [[268435455]], '"sid/#" alone matches');
  }
  finally {
    await broker.close();
  }
}

// subscribe()'s Subscription Identifier: 1..268,435,455 (3.8.2.1.2), one
// per SUBSCRIBE for all its filters, refused when CONNACK says Subscription
// Identifiers Available 0 (3.2.2.3.12): each a named error before anything
// is sent; a valid one goes in the SUBSCRIBE's properties.
export async function subscriptionIdChecks(host) {
  await withScripted({}, broker => withScripted({
    connect(session) { session.send({ cmd: 'connack', reasonCode: 0, sessionPresent: false, properties: { subscriptionIdentifiersAvailable: false } }); },
  }, async refusing => {
    const result = await run(host, 'subscriptionIdChecks', { port: broker.port, port2: refusing.port });
    const range = /^RangeError: SUBSCRIBE property subscriptionIdentifier must be an integer 1\.\.268435455, not /;
    for (const name of ['zero', 'tooLarge', 'fraction', 'string'])
      assert.match(result[name], range, name);
    assert.match(result.mixed, /^TypeError: one SUBSCRIBE carries one Subscription Identifier for all its topic filters/);
    assert.match(result.oneAndNone, /^TypeError: one SUBSCRIBE carries one Subscription Identifier for all its topic filters/);
    assert.deepEqual(result.shared, [1, 1]);
    assert.match(result.unavailable, /^TypeError: the server does not support subscription identifiers: Subscription Identifiers Available is 0 in its CONNACK/);
    assert.equal(result.plain, 1);
    const subscribes = broker.sessions[0].packets.filter(packet => packet.cmd === 'subscribe');
    assert.equal(subscribes.length, 1, 'only the valid SUBSCRIBE went out');
    assert.deepEqual(subscribes[0].properties, { subscriptionIdentifier: 3 });
    assert.deepEqual(subscribes[0].subscriptions.map(s => s.topic), ['c/a', 'c/b']);
    const refused = refusing.sessions[0].packets.filter(packet => packet.cmd === 'subscribe');
    assert.equal(refused.length, 1, 'only the plain SUBSCRIBE went out');
    assert.equal(refused[0].properties, undefined);
  }));
}

// After a reconnect that found no session, the client subscribes again
// with each subscription's identifier: one SUBSCRIBE per identifier, which a
// SUBSCRIBE gives all its filters (3.8.2.1.2), so that the messages carry
// the identifiers the app asked for [MQTT-3.3.4-3]. A filter the server
// refused (0x87, Not authorized: a failure, 3.9.3) is not asked for again.
export function resubscribeIds(host) {
  return withScripted({
    subscribe(session, packet) {
      session.send({ cmd: 'suback', messageId: packet.messageId, granted: packet.subscriptions.map(s => s.topic === 'r/x' ? 0x87 : s.qos) });
    },
    publish: closesFirstAtPublish(),
  }, async broker => {
    assert.equal(await run(host, 'resubscribeIds', { port: broker.port }), 'ok');
    const subscribes = broker.sessions[1].packets.filter(packet => packet.cmd === 'subscribe');
    const byIdentifier = Object.fromEntries(subscribes.map(packet => [packet.properties?.subscriptionIdentifier ?? 'none',
      packet.subscriptions.map(s => `${s.topic} ${s.qos}`)]));
    assert.deepEqual(byIdentifier, { 1: ['r/a 1', 'r/d 1'], 2: ['r/b 0'], none: ['r/c 1', 'r/e 1'] });
    assert.equal(subscribes.length, 3);
  });
}

// A Server Reference (4.11) followed into failover: CONNACK 0x9C/0x9D or
// the server's DISCONNECT carrying one sends the client's next attempt (the
// walk of its `servers`, or a reconnection) to the referenced server, once;
// if that fails, the walk goes on from the server it was going to.

/** A port where nothing listens. */
async function deadPort() {
  const probe = net.createServer();
  await new Promise(resolve => probe.listen(0, LOOPBACK, resolve));
  const { port } = probe.address();
  await new Promise(resolve => probe.close(resolve));
  return port;
}

const moved = reference => ({
  connect(session) { session.send({ cmd: 'connack', reasonCode: 0x9D, sessionPresent: false, properties: { serverReference: reference } }); },
});

export async function referenceInWalk(host) {
  await withScripted({}, target => withScripted({}, second => withScripted(moved(`127.0.0.1:${target.port}`), async first => {
    const result = await run(host, 'serverReference', { ports: [first.port, second.port] });
    assert.deepEqual(result, { present: 0, connects: 1, losses: [] }, 'connect() resolves: the referenced server accepted');
    assert.equal(first.sessions.length, 1);
    assert.equal(target.sessions.length, 1, 'the next attempt went to the referenced server');
    assert.equal(target.sessions[0].packets[0].cmd, 'connect');
    assert.equal(second.sessions.length, 0, 'the walk\'s next server was not needed');
  })));
}

export async function referenceFails(host) {
  const dead = await deadPort();
  await withScripted({}, second => withScripted(moved(`127.0.0.1:${dead}`), async first => {
    const result = await run(host, 'serverReference', { ports: [first.port, second.port] });
    assert.deepEqual(result, { present: 0, connects: 1, losses: [] }, 'the walk went on after the referenced server failed');
    assert.equal(first.sessions.length, 1, 'the referring server was not tried again within the walk');
    assert.equal(second.sessions.length, 1);
  }));
}

export async function referenceChain(host) {
  await withScripted({}, last => withScripted({}, second => withScripted(moved(`127.0.0.1:${last.port}`), target => withScripted(moved(`127.0.0.1:${target.port}`), async first => {
    const result = await run(host, 'serverReference', { ports: [first.port, second.port] });
    assert.deepEqual(result, { present: 0, connects: 1, losses: [] });
    assert.equal(target.sessions.length, 1, 'the first reference followed');
    assert.equal(last.sessions.length, 0, 'the referenced server\'s own reference not followed: once');
    assert.equal(second.sessions.length, 1, 'the walk went on');
  }))));
}

export async function referenceReconnect(host) {
  await withScripted({}, target => withScripted({
    connect(session) {
      session.send({ cmd: 'connack', reasonCode: 0, sessionPresent: false });
      setTimeout(() => session.send({ cmd: 'disconnect', reasonCode: 0x9C, properties: { serverReference: `127.0.0.1:${target.port} elsewhere.example:1883` } }), 100);
    },
  }, async first => {
    const result = await run(host, 'serverReference', { ports: [first.port], reconnect: true });
    assert.equal(result.present, 0);
    assert.equal(result.connects, 2, 'connected again, at the referenced server');
    assert.equal(result.losses.length, 1);
    assert.equal(result.losses[0].code, 0x9C);
    assert.equal(result.losses[0].serverReference, `127.0.0.1:${target.port} elsewhere.example:1883`);
    assert.equal(first.sessions.length, 1, 'no attempt at the referring server');
    assert.equal(target.sessions.length, 1, 'the first of the references');
  }));
}

// A client of one server, at the referenced server after a reconnection:
// at its next loss it goes back to its own server (the next walk begins at
// the first server, as the README's "Failover" says).
export async function referenceHome(host) {
  await withScripted({
    connect(session) {
      polite.connect(session);
      setTimeout(() => session.close(), 100);	// the connection at the referenced server is lost
    },
  }, target => withScripted({
    connect(session) {
      polite.connect(session);
      if (session.index === 0)
        setTimeout(() => session.send({ cmd: 'disconnect', reasonCode: 0x9C, properties: { serverReference: `127.0.0.1:${target.port}` } }), 100);
    },
  }, async first => {
    const result = await run(host, 'serverReference', { ports: [first.port], reconnect: true, connections: 3 });
    assert.equal(result.connects, 3);
    assert.deepEqual(result.losses.map(loss => loss.code), [0x9C, undefined]);
    assert.equal(target.sessions.length, 1, 'the referenced server, once');
    assert.equal(first.sessions.length, 2, 'back at the client\'s own server');
  }));
}

export function v4Extras(host) {
  return withScripted({}, async broker => {
    const result = await runCase311(host, 'v4Extras', { port: broker.port });
    assert.equal(result.published, 'ok');
    assert.match(result.options, /^RangeError: QoS must be 0, 1 or 2/);
    assert.equal(broker.sessions[0].packets.find(packet => packet.cmd === 'publish').topic, 'v4/t');
  });
}

// A QoS 1 PUBLISH sent again in the session after a reconnect: DUP, its id
// and its properties (4.4, 3.3.1.1).
export function resend(host) {
  return withScripted({
    connect(session) { session.send({ cmd: 'connack', reasonCode: 0, sessionPresent: session.index > 0 }); },
    publish: closesFirstAtPublish(),
  }, async broker => {
    assert.equal(await run(host, 'resend', { port: broker.port }), 'ok');
    const [first, again] = broker.sessions.map(session => session.packets.find(packet => packet.cmd === 'publish'));
    assert.equal(again.dup, true);
    assert.equal(again.messageId, first.messageId);
    for (const publish of [first, again]) {
      assert.equal(publish.properties.contentType, 'text/plain');
      assert.deepEqual({ ...publish.properties.userProperties }, { k: 'v' });
    }
  });
}

// Outgoing topic aliases (3.3.2.3.4), as a server sees them: each PUBLISH of
// each connection resolved through that connection's mappings alone
// [MQTT-3.3.2-7]: a topic with an alias sets it, an empty topic needs an
// alias set before on the same connection (else the server would close it
// with 0x82, Protocol Error); no alias 0 [MQTT-3.3.2-8] nor above the
// server's Topic Alias Maximum [MQTT-3.2.2-17] [MQTT-3.3.2-9], none at all
// when it is 0 or absent [MQTT-3.2.2-18]. Returns, per connection, each
// PUBLISH as [topic as sent, alias or 0, topic it stands for].
function resolveAliases(connections, maximum) {
  return connections.map((publishes, index) => {
    const mapped = new Map();
    return publishes.map(packet => {
      const alias = packet.properties?.topicAlias;
      if (alias !== undefined) {
        assert.ok(alias >= 1 && alias <= maximum, `connection ${index}: topic alias ${alias} outside 1..${maximum}`);
        if (packet.topic !== '')
          mapped.set(alias, packet.topic);
      }
      else
        assert.notEqual(packet.topic, '', `connection ${index}: an empty topic without a topic alias`);
      const topic = packet.topic === '' ? mapped.get(alias) : packet.topic;
      assert.ok(topic !== undefined, `connection ${index}: PUBLISH by topic alias ${alias}, which this connection never set`);
      return [packet.topic, alias ?? 0, topic];
    });
  });
}

const ALIASED = ['alias/a/0123456789012345678901234567', 'alias/b/0123456789012345678901234567', 'alias/c/0123456789012345678901234567'];

// The client's outgoing topic aliases against a scripted server whose
// CONNACK says Topic Alias Maximum 2 (the client would use 5): the first
// PUBLISH of a topic on a connection sets an alias, later ones carry it
// alone; the third topic goes by name (the first two keep theirs). The first
// connection ends on a QoS 1 PUBLISH sent by alias; its resend on the next
// connection (DUP, same id, its properties) sets the alias again there, as
// the old mapping is gone [MQTT-3.3.2-7]; a QoS 0 publish made while the
// client reconnected (its frame made for no connection) goes by name; the
// second connection's first PUBLISH of each topic sets its alias anew. An
// app's own topicAlias throws under the option.
export function outgoingAliases(host) {
  return withScripted({
    connect(session) { session.send({ cmd: 'connack', reasonCode: 0, sessionPresent: session.index > 0, properties: { topicAliasMaximum: 2 } }); },
    publish: closesFirstAtPublish(packet => packet.qos === 1),
  }, async broker => {
    const result = await run(host, 'outgoingAliases', { port: broker.port, topics: ALIASED, topicAliases: 5 });
    assert.deepEqual(result, { resent: 'ok', waited: 'ok', appAlias: "TypeError: topicAlias is the client's to choose under the topicAliases option: publish without it" });
    const publishes = broker.sessions.map(session => session.packets.filter(packet => packet.cmd === 'publish'));
    const [a, b, c] = ALIASED;
    assert.deepEqual(resolveAliases(publishes, 2), [
      [[a, 1, a], ['', 1, a], [b, 2, b], [c, 0, c], ['', 2, b], ['', 1, a], ['', 1, a]],
      [[a, 1, a], [b, 0, b], ['', 1, a], [b, 2, b], ['', 2, b], [c, 0, c]],
    ]);
    const [first, again] = [publishes[0][6], publishes[1][0]];
    assert.deepEqual([first.qos, first.dup, again.qos, again.dup, again.messageId], [1, false, 1, true, first.messageId]);
    assert.equal(again.properties.contentType, 'text/plain', 'the resend keeps its properties beside its new alias');
    assert.deepEqual(publishes[1].map(packet => String(packet.payload)), ['qos1', 'waited', 'second', 'second', 'second', 'second']);
  });
}

// PUBLISH packets made while others wait carry no alias they cannot keep: a
// QoS 1 PUBLISH held by the server's Receive Maximum 1 (written after the
// packets made after it; first connection) and one refused over
// outgoingLimit (made for its argument checks, never sent; second
// connection, no Receive Maximum) go by name or not at all, so that the QoS 0
// publishes of their topics, sent at once, set the aliases themselves
// (3.3.2.3.4: a PUBLISH by alias needs its alias set before, on this
// connection) [MQTT-3.3.4-7]. The server answers PUBLISH 50 ms late.
export function aliasesWaiting(host) {
  return withScripted({
    connect(session) { session.send({ cmd: 'connack', reasonCode: 0, sessionPresent: false, properties: { topicAliasMaximum: 3, receiveMaximum: session.index === 0 ? 1 : undefined } }); },
    publish(session, packet) { setTimeout(() => polite.publish(session, packet), 50); },
  }, async broker => {
    const result = await run(host, 'aliasesWaiting', { port: broker.port, topics: ALIASED });
    assert.deepEqual(result, { first: 'ok', held: 'ok', refused: 'Error: outgoing queue full: 2 messages wait for the socket or the broker\'s acknowledgement (outgoingLimit 2)', both: ['ok', 'ok'] });
    const [a, b, c] = ALIASED;
    const publishes = broker.sessions.map(session => session.packets.filter(packet => packet.cmd === 'publish'));
    assert.deepEqual(resolveAliases(publishes, 3), [
      [[a, 1, a], [b, 2, b], ['', 1, a], [b, 0, b]],
      [[a, 1, a], [b, 2, b], [c, 3, c], ['', 1, a]],
    ]);
    assert.deepEqual(publishes.map(packets => packets.map(packet => String(packet.payload))), [['1', '3', '4', '2'], ['5', '6', '8', '9']]);
  });
}

// Without topicAliases (the default) no PUBLISH carries an alias, and a
// server's Topic Alias Maximum of 0 (absent) leaves the option unused
// [MQTT-3.2.2-18]; a bad option rejects connect() before anything is sent.
export function aliasesOff(host) {
  return withScripted({}, async broker => {
    assert.match((await run(host, 'connect', { port: broker.port, topicAliases: 1.5 })).text, /^RangeError: topicAliases must be an integer 0\.\.65535, not 1\.5/);
    assert.equal(broker.sessions.length, 0);
    await run(host, 'aliasesThroughBroker', { port: broker.port, topicAliases: 4, publishes: [[ALIASED[0], 'x', 0], [ALIASED[0], 'y', 1]] });
    await run(host, 'aliasesThroughBroker', { port: broker.port, publishes: [[ALIASED[0], 'x', 0], [ALIASED[0], 'y', 1]] });
    for (const session of broker.sessions)
      for (const packet of session.packets.filter(packet => packet.cmd === 'publish'))
        assert.deepEqual([packet.topic, packet.properties?.topicAlias], [ALIASED[0], undefined]);
  });
}

// Through mosquitto 2.0.11 (its Topic Alias Maximum is 10), to an MQTT.js 5
// subscriber: the client's PUBLISH by alias (seen on the way, through a
// proxy) arrive with their full topics, in order, at QoS 0, 1 and 2.
export async function aliasesThroughBroker(host) {
  const broker = await startMosquitto();
  const parser = mqttPacket.parser({ protocolVersion: 5 });
  const sent = [];
  parser.on('packet', packet => packet.cmd === 'publish' && sent.push(packet));
  const proxy = await startProxy(broker.port, { tap: (direction, socket, bytes) => direction === 'out' && parser.parse(bytes) });
  try {
    await withPeer(broker.port, { protocolVersion: 5 }, async peer => {
      const seen = [];
      peer.on('message', (topic, message) => seen.push(`${topic} ${message}`));
      await peer.subscribeAsync('alias/#', { qos: 2 });
      const [a, b, c] = ALIASED;
      const publishes = [[a, '1', 0], [a, '2', 1], [b, '3', 2], [c, '4', 0], [b, '5', 0], [c, '6', 1], [a, '7', 2]];
      assert.equal(await run(host, 'aliasesThroughBroker', { port: proxy.port, topicAliases: 2, publishes }), 'ok');
      await until(() => seen.length === publishes.length, 'every message at the subscriber');
      assert.deepEqual(seen, publishes.map(([topic, msg]) => `${topic} ${msg}`));
      assert.deepEqual(resolveAliases([sent], 2)[0], [[a, 1, a], ['', 1, a], [b, 2, b], [c, 0, c], ['', 2, b], [c, 0, c], ['', 1, a]]);
    });
  }
  finally {
    await proxy.close();
    await broker.close();
  }
}

// Incoming topic aliases (3.3.2.3.4): the client's Topic Alias Maximum goes
// in CONNECT; a PUBLISH with an empty topic and an alias the server mapped
// before on this connection reaches the callback with that topic.
export function incomingAliases(host) {
  return withScripted({
    subscribe(session, packet) {
      polite.subscribe(session, packet);
      const publish = (topic, payload, topicAlias) => session.send({ cmd: 'publish', topic, payload, qos: 0, properties: { topicAlias } });
      publish('alias/one', 'a', 1);
      publish('alias/two', 'b', 2);
      publish('', 'c', 1);
      publish('', 'd', 2);
    },
  }, async broker => {
    const received = await run(host, 'incomingAliases', { port: broker.port });
    assert.deepEqual(received.map(([topic, msg]) => `${topic} ${msg}`), ['alias/one a', 'alias/two b', 'alias/one c', 'alias/two d']);
    assert.equal(broker.sessions[0].packets[0].properties.topicAliasMaximum, 2);
  });
}

// A CONNACK 0x9D (Server moved) with a Server Reference (4.11): connect()
// rejects with the code and the reference for the app.
export function serverMoved(host) {
  return withScripted({
    connect(session) { session.send({ cmd: 'connack', reasonCode: 0x9D, sessionPresent: false, properties: { serverReference: 'broker2.example.com:1884' } }); },
  }, async broker => {
    const result = await run(host, 'connect', { port: broker.port });
    assert.deepEqual(result.error, {
      name: 'MQTTException', code: 0x9D, serverReference: 'broker2.example.com:1884',
      message: 'MQTT error 157: Server moved; server reference: broker2.example.com:1884',
    });
  });
}

// ---- Enhanced authentication (4.12, 3.15) ----

const METHOD = 'SCRAM-SHA-1';
const bytes = value => Buffer.from(value);

/**
 * A SCRAM-like server, after 4.12's non-normative example: CONNECT's data,
 * then two challenges (AUTH 0x18 "server-first", "server-second"), then
 * CONNACK 0 with the method and "server-final". Re-authentication (AUTH
 * 0x19): one challenge ("server-re"), then AUTH 0 with "server-re-final";
 * or, `reauthRefused`, DISCONNECT 0x87; or, `reauthIgnored`, nothing at all
 * (after its challenge when `reauthIgnored` is "after challenge"). The other options break it: the
 * method of its AUTH or CONNACK, its CONNACK code, no challenge at all, an
 * AUTH of `firstCode` first, an AUTH after CONNACK nobody asked for.
 */
export function scramServer({ authMethod = METHOD, connackMethod = METHOD, connackCode = 0, challenge = true, firstCode = 0x18, reauthRefused = false, reauthIgnored = false, unasked = false } = {}) {
  return {
    connect(session) {
      session.rounds = 0;
      if (challenge && !connackCode)
        return session.send({ cmd: 'auth', reasonCode: firstCode, properties: { authenticationMethod: authMethod, authenticationData: bytes('server-first') } });
      this.connack(session, connackCode);
    },
    connack(session, reasonCode = 0) {
      session.send({ cmd: 'connack', reasonCode, sessionPresent: false, properties: reasonCode ? undefined : { authenticationMethod: connackMethod ?? undefined, authenticationData: bytes('server-final') } });
      if (unasked && !reasonCode)
        session.send({ cmd: 'auth', reasonCode: 0x18, properties: { authenticationMethod: METHOD, authenticationData: bytes('unasked') } });
    },
    auth(session, packet) {
      if (packet.reasonCode === 0x19) {
        session.reauthenticating = true;
        if (reauthRefused)
          return session.send({ cmd: 'disconnect', reasonCode: 0x87, properties: { reasonString: 'reauth refused' } });
        if (reauthIgnored === true)
          return undefined;
        return session.send({ cmd: 'auth', reasonCode: 0x18, properties: { authenticationMethod: METHOD, authenticationData: bytes('server-re') } });
      }
      if (session.reauthenticating) {
        session.reauthenticating = false;
        if (reauthIgnored)
          return undefined;
        return session.send({ cmd: 'auth', reasonCode: 0, properties: { authenticationMethod: METHOD, authenticationData: bytes('server-re-final') } });
      }
      if (++session.rounds === 1)
        return session.send({ cmd: 'auth', reasonCode: 0x18, properties: { authenticationMethod: METHOD, authenticationData: bytes('server-second') } });
      this.connack(session);
    },
  };
}

/** The AUTH packets a session received, as [reason code, method, data]. */
const authsOf = session => session.packets.filter(packet => packet.cmd === 'auth')
  .map(packet => [packet.reasonCode, packet.properties?.authenticationMethod, packet.properties?.authenticationData?.toString() ?? null]);

const closedByClient = session => until(() => session.socket.destroyed || session.socket.readableEnded, 'the client closing the connection');

// The exchange of 4.12: CONNECT with the method and the client's first
// data; each server AUTH 0x18 [MQTT-4.12.0-2] answered by AUTH 0x18
// [MQTT-4.12.0-3] with the same method [MQTT-4.12.0-5] and the app's
// answer; nothing else before CONNACK [MQTT-3.1.2-33] (a publish tried in
// the callback rejects); CONNACK's method checked and its data handed to
// the app with reason 0. Then re-authentication (4.12.1): AUTH 0x19 with
// the method [MQTT-4.12.1-1], the server's 0x18 answered, its AUTH 0
// resolves reauthenticate(), a QoS 1 publish made meanwhile completes.
export function enhancedAuth(host) {
  return withScripted(scramServer(), async broker => {
    const result = await run(host, 'authenticate', { port: broker.port, reauth: 're-first' });
    assert.deepEqual(result.calls, [
      [METHOD, 'server-first', 0x18], [METHOD, 'server-second', 0x18], [METHOD, 'server-final', 0],
      [METHOD, 'server-re', 0x18], [METHOD, 'server-re-final', 0],
    ]);
    assert.equal(result.present, 0);
    assert.equal(result.during, 'ok', 'publish() before CONNACK returned a Promise (it rejects)');
    assert.equal(result.reauth, 'resolved');
    assert.equal(result.published, 'ok');
    assert.equal(result.connected, true);
    const session = broker.sessions[0], connect = session.packets[0];
    assert.deepEqual([connect.properties.authenticationMethod, String(connect.properties.authenticationData)], [METHOD, 'client-first']);
    assert.deepEqual(session.packets.slice(1, 3).map(packet => packet.cmd), ['auth', 'auth'], 'only AUTH before CONNACK [MQTT-3.1.2-33]');
    assert.equal(session.packets.filter(packet => packet.topic === 'auth/during').length, 0);
    assert.deepEqual(authsOf(session), [
      [0x18, METHOD, 'client-final-1'], [0x18, METHOD, 'client-final-2'],
      [0x19, METHOD, 're-first'], [0x18, METHOD, 'client-final-4'],
    ]);
    await closedByClient(session);
  });
}

// The same exchange with answers that are Promises (an app computing its
// proof asynchronously): the AUTH waits for each.
export function enhancedAuthAsync(host) {
  return withScripted(scramServer(), async broker => {
    const result = await run(host, 'authenticate', { port: broker.port, answer: 'async' });
    assert.deepEqual(result.calls.map(call => call[2]), [0x18, 0x18, 0]);
    assert.equal(result.present, 0);
    assert.deepEqual(authsOf(broker.sessions[0]), [[0x18, METHOD, 'client-final-1'], [0x18, METHOD, 'client-final-2']]);
  });
}

/** connect() of the authenticate case against `script`: the result and the broker's first session. */
async function authRun(host, script, params = {}) {
  return withScripted(script, async broker => {
    const result = await run(host, 'authenticate', { port: broker.port, ...params });
    const session = broker.sessions[0];
    await closedByClient(session);
    return { result, session };
  });
}

// A server breaking the exchange: its AUTH or its CONNACK with another
// method [MQTT-4.12.0-5], CONNACK without one, an AUTH 0 before CONNACK
// [MQTT-4.12.0-2]: connect() rejects with a ProtocolError naming it, the
// connection closed, no AUTH answered.
export async function authWrongMethod(host) {
  const cases = [
    [{ authMethod: 'PLAIN' }, 'protocol error: AUTH with Authentication Method "PLAIN", not the CONNECT\'s "SCRAM-SHA-1" (MQTT-4.12.0-5)'],
    [{ challenge: false, connackMethod: 'PLAIN' }, 'protocol error: CONNACK with Authentication Method "PLAIN", not the CONNECT\'s "SCRAM-SHA-1" (MQTT-4.12.0-5)'],
    [{ challenge: false, connackMethod: null }, 'protocol error: CONNACK with Authentication Method absent, not the CONNECT\'s "SCRAM-SHA-1" (MQTT-4.12.0-5)'],
    [{ firstCode: 0 }, 'protocol error: AUTH Success before CONNACK: the server goes on with 0x18 (Continue authentication) or ends with CONNACK (MQTT-4.12.0-2)'],
  ];
  for (const [script, message] of cases) {
    const { result, session } = await authRun(host, scramServer(script));
    assert.deepEqual(result.error, { name: 'ProtocolError', message }, JSON.stringify(script));
    assert.deepEqual(result.calls, [], 'the app is not asked');
    assert.deepEqual(authsOf(session), [], 'no AUTH answered');
    assert.equal(result.connected, false);
  }
}

// Without an Authentication Method in CONNECT, the server sends no AUTH
// and no method in CONNACK [MQTT-4.12.0-6] (connect() rejects with a
// ProtocolError if it does) and the client sends no AUTH [MQTT-4.12.0-7].
// With a method but no onAuthenticate, the server's AUTH 0x18 rejects
// connect() saying so.
export async function authWithoutMethod(host) {
  for (const [script, message] of [
    [{}, 'protocol error: AUTH from the server, and the client\'s CONNECT carried no Authentication Method (MQTT-4.12.0-6)'],
    [{ challenge: false }, 'protocol error: CONNACK with an Authentication Method, and the client\'s CONNECT carried none (MQTT-4.12.0-6)'],
  ]) {
    const { result, session } = await authRun(host, scramServer(script), { method: null, answer: 'none' });
    assert.deepEqual(result.error, { name: 'ProtocolError', message });
    assert.equal(session.packets[0].properties?.authenticationMethod, undefined);
    assert.deepEqual(authsOf(session), [], 'no AUTH from the client [MQTT-4.12.0-7]');
  }
  const { result, session } = await authRun(host, scramServer(), { answer: 'none' });
  assert.deepEqual(result.error, { name: 'Error', message: 'the server asks to continue the authentication (AUTH 0x18, method "SCRAM-SHA-1") and no onAuthenticate answers it' });
  assert.deepEqual(authsOf(session), []);
}

// The app's callback refusing (a throw or a rejected Promise), at the
// server's challenge or at CONNACK's final data (a SCRAM client whose
// check of the server's signature fails): connect() rejects with the
// app's error, the connection is closed, nothing more is sent.
export async function authAppRefuses(host) {
  for (const [answer, failAt, auths] of [['throw', 0x18, 0], ['reject', 0x18, 0], ['throw', 0, 2], ['reject', 0, 2]]) {
    const { result, session } = await authRun(host, scramServer(), { answer, failAt });
    const what = `${answer} at 0x${failAt.toString(16)}`;
    assert.deepEqual(result.error, { name: 'Error', message: `bad server data at 0x${failAt.toString(16)}` }, what);
    assert.equal(result.connected, false, what);
    assert.equal(authsOf(session).length, auths, what);
    assert.ok(session.packets.every(packet => packet.cmd === 'connect' || packet.cmd === 'auth'), `${what}: nothing but CONNECT and AUTH`);
  }
}

// CONNACK 0x8C (Bad authentication method) [MQTT-4.12.0-1], 0x87 and 0x86
// after the exchange: connect() rejects with MQTTException, the
// connection closed [MQTT-4.12.0-4] [MQTT-4.13.2-1].
export async function authConnackRefusal(host) {
  const refuse = (code, afterRounds) => ({
    ...scramServer({ challenge: afterRounds }),
    ...(afterRounds ? { auth(session) { session.send({ cmd: 'connack', reasonCode: code, sessionPresent: false }); } } : { connect(session) { session.send({ cmd: 'connack', reasonCode: code, sessionPresent: false }); } }),
  });
  for (const [code, name, afterRounds] of [[0x8C, 'Bad authentication method', false], [0x87, 'Not authorized', true], [0x86, 'Bad User Name or Password', true]]) {
    const { result } = await authRun(host, refuse(code, afterRounds));
    assert.deepEqual(result.error, { name: 'MQTTException', code, message: `MQTT error ${code}: ${name}` });
    assert.deepEqual(result.calls.map(call => call[2]), afterRounds ? [0x18] : [], 'the app is not called for a refusal');
  }
}

// A re-authentication the server refuses: its DISCONNECT 0x87 rejects
// reauthenticate() with it and ends the connection [MQTT-4.12.1-2];
// onDisconnect gets it too. A second reauthenticate() while one is in
// progress rejects. An AUTH after CONNACK with no re-authentication
// asked closes the connection with a ProtocolError.
export async function reauthRefused(host) {
  await withScripted(scramServer({ reauthRefused: true }), async broker => {
    const result = await run(host, 'authenticate', { port: broker.port, reauth: 're-first', reauthTwice: true });
    const refusal = { name: 'MQTTException', code: 0x87, message: 'MQTT error 135: Not authorized, in the server\'s DISCONNECT (reauth refused)', reason: 'reauth refused' };
    assert.deepEqual(result.reauth, refusal);
    assert.deepEqual(result.disconnected, refusal);
    assert.equal(result.again, 'Error: a re-authentication is in progress: wait for it');
    assert.equal(result.connected, false);
    assert.deepEqual(authsOf(broker.sessions[0]).slice(2), [[0x19, METHOD, 're-first']]);
  });
  await withScripted(scramServer({ unasked: true }), async broker => {
    const result = await run(host, 'authenticate', { port: broker.port, reauth: 're-first' });
    assert.equal(result.disconnected?.message, 'protocol error: AUTH while no re-authentication is in progress: only the client begins one (4.12.1)');
    assert.equal(result.connected, false);
  });
}

// A re-authentication the server never ends, silent after AUTH 0x19 or
// after its challenge: 4.12.1 leaves the end to the server, so a client
// that waited would hold the app's Promise as long as the connection.
// reauthenticate() rejects within ackTimeout, naming it, and the
// connection closes (onDisconnect hears the same), so that a new CONNECT
// authenticates afresh.
export async function reauthIgnored(host) {
  for (const reauthIgnored of [true, 'after challenge']) {
    await withScripted(scramServer({ reauthIgnored }), async broker => {
      const result = await run(host, 'authenticate', { port: broker.port, reauth: 're-first', ackTimeout: 400 });
      const message = 'the server did not end the re-authentication within ackTimeout (400 ms): connection closed';
      assert.equal(result.reauth?.message, message, `${reauthIgnored}: reauthenticate() rejects, naming it`);
      assert.match(result.disconnected?.message ?? '', /the server did not end the re-authentication within ackTimeout \(400 ms\)/, `${reauthIgnored}: onDisconnect hears it`);
      assert.equal(result.connected, false);
      await closedByClient(broker.sessions[0]);
    });
  }
}

// Bad input, each before anything is sent: onAuthenticate without
// authenticationMethod [MQTT-4.12.0-7] or not a function, authenticationData
// without a method (3.1.2.11.10), a method not UTF-8; reauthenticate()
// before connect(), under 3.1.1, without a method, with bad data; after
// disconnect() it rejects.
export function authChecks(host) {
  const echo = { connect(session, packet) { session.send({ cmd: 'connack', reasonCode: 0, sessionPresent: false, properties: { authenticationMethod: packet.properties?.authenticationMethod } }); } };
  return withScripted(echo, async broker => {
    const result = await run(host, 'authenticateChecks', { port: broker.port });
    assert.deepEqual(result, {
      withoutMethod: 'TypeError: onAuthenticate needs properties.authenticationMethod: without one in CONNECT, no AUTH is exchanged (MQTT-4.12.0-7)',
      notFunction: 'TypeError: onAuthenticate must be a function, not "x"',
      dataWithoutMethod: 'TypeError: CONNECT property authenticationData given without authenticationMethod',
      methodNotUTF8: result.methodNotUTF8,
      beforeConnect: 'TypeError: reauthenticate needs MQTT 5, after connect()',
      under4: 'TypeError: reauthenticate needs MQTT 5, after connect()',
      withoutMethodConnected: 'TypeError: reauthenticate needs properties.authenticationMethod: without one in CONNECT, no AUTH is exchanged (MQTT-4.12.0-7)',
      badData: result.badData,
      notConnected: 'Error: not connected: call connect() first',
    });
    assert.match(result.methodNotUTF8, /^TypeError: .*authenticationMethod.*U\+0000/);
    assert.equal(result.badData, 'TypeError: reauthenticate\'s data must be a string or binary data, not 42');
    assert.equal(broker.sessions.length, 2, 'only the two clients that connected');
    assert.deepEqual(broker.received.filter(packet => packet.cmd === 'auth'), []);
  });
}

// mosquitto 2.0.11 has no plugin for enhanced authentication here: a
// CONNECT with an Authentication Method gets CONNACK 0x8C [MQTT-4.12.0-1].
export async function authMosquitto(host) {
  const broker = await startMosquitto();
  try {
    const result = await run(host, 'authenticate', { port: broker.port });
    assert.equal(result.error?.code, 0x8C, JSON.stringify(result.error));
    assert.deepEqual(result.calls, []);
  }
  finally {
    await broker.close();
  }
}
