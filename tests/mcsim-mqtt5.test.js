// MQTT 5.0 in the client on the real Moddable runtime: the cases of
// tests/cases/mqtt5.js in the SDK's mcsim (the runner app includes
// manifest_mqtt5.json; one machine for the whole file, case after case), as
// tests/mqtt5.test.js runs them on xsnap. The two cases that need a build of
// 3.1.1 alone stay on xsnap.
import { test, describe } from 'node:test';
import { mcsimEnabled, useMcsim } from './sim/suite.js';
import * as mqtt5 from './cases/mqtt5.js';

if (mcsimEnabled) describe('in mcsim: MQTT 5.0', () => {
  const mcsim = useMcsim();

  test('protocolVersion: 4, 5 or "negotiate", checked in the constructor', () => mqtt5.construct(mcsim));

  test('a bad CONNECT property rejects connect() before any connection is made', () => mqtt5.badProperty(mcsim));

  test('version 5 [MQTT-3.1.0-1] [MQTT-3.14.2-1] [MQTT-3.14.4-1]: CONNECT carries level 5 and the properties; DISCONNECT is well-formed and last', () => mqtt5.connectPacket(mcsim));

  test('CONNACK refusal [MQTT-4.13.2-1]: MQTTException with the reason code, its name and the reason string', () => mqtt5.connackRefusal(mcsim));

  test('an empty client id: the server assigns one, and the next CONNECT carries it', () => mqtt5.assignedId(mcsim));

  test('Server Keep Alive overrides the client\'s keep-alive [MQTT-3.1.2-23] [MQTT-3.2.2-21]', () => mqtt5.serverKeepAlive(mcsim));

  test('CONNACK limits [MQTT-3.2.2-11] [MQTT-3.2.2-14] [MQTT-3.2.2-15]: Maximum QoS, Retain Available, Maximum Packet Size, wildcard and shared subscriptions', () => mqtt5.limits(mcsim));

  test('[MQTT-4.4.0-2] [MQTT-4.3.3-4] failure reason codes on PUBACK, PUBREC, PUBCOMP, SUBACK, UNSUBACK reject with code and reason string', () => mqtt5.ackFailures(mcsim));

  test('Receive Maximum 1 [MQTT-3.3.4-7] [MQTT-3.3.4-8] [MQTT-4.9.0-2] [MQTT-4.9.0-3]: one QoS 1/2 PUBLISH in flight at a time, in order; SUBSCRIBE not held', () => mqtt5.receiveMaximum(mcsim));

  test('a server DISCONNECT [MQTT-4.13.2-1]: onDisconnect gets its reason code and reason string', () => mqtt5.serverDisconnect(mcsim));

  test('negotiate: a 3.1.1 CONNACK refusing version 5, then a 3.1.1 connection', () => mqtt5.negotiateLegacy(mcsim));

  test('negotiate: Unsupported Protocol Version (0x84) also falls back to 3.1.1', () => mqtt5.negotiate84(mcsim));

  test('protocolVersion 5 against a 3.1.1 CONNACK: connect() rejects, no fallback', () => mqtt5.strictLegacy(mcsim));

  test('negotiate against aedes (3.1.1 only): the connection closed before CONNACK, then 3.1.1', () => mqtt5.negotiateAedes(mcsim));

  test('negotiate against mosquitto: version 5 is agreed, on the first connection', () => mqtt5.negotiateMosquitto(mcsim));

  test('version 5 against mosquitto and an MQTT.js 5 peer: publish and subscribe both ways', () => mqtt5.roundTrip(mcsim));

  test('every reason code a server may send (2.4), through the client: CONNACK failures reject connect() [MQTT-3.2.2-7], a server DISCONNECT reaches onDisconnect, acknowledgement codes complete (below 0x80) or reject (0x80 and up) with MQTTException of the code', () => mqtt5.everyReason(mcsim));

  test('connect(false) under 5 keeps the session past the connection, as under 3.1.1: Session Expiry Interval 0xFFFFFFFF unless the app gives one [MQTT-3.1.2-25]; a message sent while away arrives, session present 1 [MQTT-3.2.2-2] (mosquitto); the app\'s 0 ends it', () => mqtt5.keptSession(mcsim));

  test('version 5 against mosquitto and an MQTT.js 5 peer: PUBLISH properties both ways, request/response, subscription options', () => mqtt5.properties(mcsim));

  test('Subscription Identifiers through mosquitto [MQTT-3.3.4-3] [MQTT-3.3.4-4] [MQTT-3.3.4-5]: overlapping subscriptions, each message carries the identifiers of those it matched, handed to the callback', () => mqtt5.subscriptionIds(mcsim));

  test('a Subscription Identifier (3.8.2.1.2): 1..268,435,455, one per SUBSCRIBE, refused under Subscription Identifiers Available 0, each before anything is sent; sent in SUBSCRIBE\'s properties', () => mqtt5.subscriptionIdChecks(mcsim));

  test('after a reconnect without a session, the subscriptions are made again with their identifiers, one SUBSCRIBE per identifier (3.8.2.1.2) [MQTT-3.3.4-3]; a filter refused (0x87) not made again', () => mqtt5.resubscribeIds(mcsim));

  test('a QoS 1 PUBLISH sent again after a reconnect keeps its properties (DUP, same id)', () => mqtt5.resend(mcsim));

  test('incoming topic aliases: a PUBLISH by alias reaches the callback with its topic', () => mqtt5.incomingAliases(mcsim));

  test('outgoing topic aliases [MQTT-3.2.2-17] [MQTT-3.3.2-7] [MQTT-3.3.2-8] [MQTT-3.3.2-9]: set once then used alone, never above the server\'s maximum 2, mappings not carried to the next connection, the DUP resend setting its alias again, a publish made while reconnecting by name', () => mqtt5.outgoingAliases(mcsim));

  test('outgoing topic aliases with PUBLISH packets that wait or are dropped [MQTT-3.3.4-7]: one held by the Receive Maximum and one refused over outgoingLimit carry no alias, the QoS 0 publishes of their topics set it', () => mqtt5.aliasesWaiting(mcsim));

  test('outgoing topic aliases off by default and without the server\'s Topic Alias Maximum [MQTT-3.2.2-18]; a bad topicAliases rejects connect() before anything is sent', () => mqtt5.aliasesOff(mcsim));

  test('outgoing topic aliases through mosquitto: an MQTT.js 5 subscriber gets every message with its full topic, in order, at QoS 0, 1 and 2', () => mqtt5.aliasesThroughBroker(mcsim));

  test('CONNACK 0x9D with a Server Reference: connect() rejects with the code and the reference', () => mqtt5.serverMoved(mcsim));

  test('Server Reference (4.11) in the walk of `servers`: CONNACK 0x9D sends the next attempt to the referenced server, where the client connects', () => mqtt5.referenceInWalk(mcsim));

  test('Server Reference (4.11) to a server that fails: the walk goes on with the server it was going to', () => mqtt5.referenceFails(mcsim));

  test('Server Reference (4.11) followed once: the referenced server\'s own reference is not followed, the walk goes on', () => mqtt5.referenceChain(mcsim));

  test('Server Reference (4.11) in a server DISCONNECT 0x9C, with `reconnect`: the reconnection goes to the first referenced server', () => mqtt5.referenceReconnect(mcsim));

  test('Server Reference (4.11) followed by a client of one server: at its next loss, the reconnection goes back to its own server', () => mqtt5.referenceHome(mcsim));

  test('enhanced authentication (4.12) [MQTT-4.12.0-2] [MQTT-4.12.0-3] [MQTT-4.12.0-5] [MQTT-3.1.2-33]: a SCRAM-like exchange of two challenges through onAuthenticate, CONNACK\'s data to the app; re-authentication [MQTT-4.12.1-1] resolves on AUTH 0', () => mqtt5.enhancedAuth(mcsim));

  test('enhanced authentication with answers that are Promises: each AUTH waits for its answer', () => mqtt5.enhancedAuthAsync(mcsim));

  test('enhanced authentication [MQTT-4.12.0-5] [MQTT-4.12.0-2]: a server AUTH or CONNACK with another method or none, an AUTH 0 before CONNACK: ProtocolError, nothing answered', () => mqtt5.authWrongMethod(mcsim));

  test('enhanced authentication [MQTT-4.12.0-6] [MQTT-4.12.0-7]: AUTH or a CONNACK method when CONNECT carried none: ProtocolError, the client sends no AUTH; no onAuthenticate to answer 0x18: connect() rejects', () => mqtt5.authWithoutMethod(mcsim));

  test('enhanced authentication: onAuthenticate throwing or rejecting, at a challenge or at CONNACK, rejects connect() with its error and closes the connection', () => mqtt5.authAppRefuses(mcsim));

  test('enhanced authentication [MQTT-4.12.0-1] [MQTT-4.12.0-4]: CONNACK 0x8C, 0x87, 0x86 reject connect() with MQTTException', () => mqtt5.authConnackRefusal(mcsim));

  test('re-authentication refused [MQTT-4.12.1-2]: the server\'s DISCONNECT rejects reauthenticate() and ends the connection; one at a time; an AUTH nobody asked for closes the connection', () => mqtt5.reauthRefused(mcsim));

  test('re-authentication the server never ends (silent after AUTH 0x19, or after its challenge): reauthenticate() rejects within ackTimeout naming it, and the connection closes [MQTT-4.12.1-2]', () => mqtt5.reauthIgnored(mcsim));
  test('enhanced authentication: bad options and reauthenticate() misuse throw or reject before anything is sent [MQTT-4.12.0-7]', () => mqtt5.authChecks(mcsim));

  test('enhanced authentication against mosquitto 2.0.11 (no auth plugin): CONNACK 0x8C Bad authentication method [MQTT-4.12.0-1]', () => mqtt5.authMosquitto(mcsim));
});
