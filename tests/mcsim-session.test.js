// QoS 0, 1 and 2 both ways, retained messages, unsubscribe, keep-alive, push
// mode, reconnect after the broker stopped and started, and faults only a
// scripted broker produces: on the real Moddable runtime (the runner app in
// the SDK's mcsim), against mosquitto and aedes on loopback, with MQTT.js
// peers. The scenarios are the ones tests/*.test.js run on the xsnap host,
// and so are the checks of those both hosts run (tests/cases).
import { test, describe, before, after } from 'node:test';
import { startMosquitto } from './harness/brokers.js';
import { mcsimEnabled, useMcsim } from './sim/suite.js';
import * as interop from './cases/interop.js';
import * as resilience from './cases/resilience.js';
import * as faults from './cases/faults.js';
import { checkDevice } from './cases/device.js';

const DEVICE = 'tests/scenarios/client/device.js';

if (mcsimEnabled) describe('in mcsim: QoS, sessions, keep-alive, reconnect', () => {
  const mcsim = useMcsim();
  let mosquitto;
  before(async () => { mosquitto = await startMosquitto(); });
  after(() => mosquitto?.close());

  // (No statement cited: mcsim has no tap, so the client's packets are not seen here; interop.test.js looks at them on xsnap.)
  test('QoS 0, 1 and 2 both ways with an MQTT.js peer through mosquitto: each message once and intact', () =>
    interop.exchange(mcsim, { port: mosquitto.port, peerId: 'peer-mcsim' }));

  test('a retained message is delivered on subscribe, with its RETAIN flag [MQTT-3.3.1-6, -8]', () => interop.retained(mcsim, { port: mosquitto.port }));

  test('subscribe and unsubscribe several topics in one packet; return codes in the order of the filters [MQTT-3.9.3-1]; nothing comes after UNSUBACK [MQTT-3.10.4-2]', () => resilience.unsubscribe(mcsim, { port: mosquitto.port }));

  test('push mode: each message reaches the callback as it arrives, no polling', () => resilience.push(mcsim, { port: mosquitto.port }));

  test('keep-alive [MQTT-3.1.2-23]: never more than the keep-alive between two packets the client sends; idle it pings by itself, and publishing with nothing arriving it pings too (to find a dead link)', () =>
    resilience.keepalive(mcsim));

  test('MQTT 5: keep-alive [MQTT-3.1.2-22]: never more than the keep-alive between two packets the client sends; idle it pings by itself, and publishing with nothing arriving it pings too', () =>
    resilience.keepalive(mcsim, { version: 5 }));

  // 1.5 x keepalive, and the simulator's 20 ms socket polling and a loaded machine's late timers: 300 ms.
  test('a half-open connection (no PINGRESP, socket open) is declared dead within 1.5 x keepalive of the last arrival, then reconnect recovers', () =>
    resilience.halfOpen(mcsim, { late: 300 }));

  test('the broker resets the connection while the client writes, keep-alive 0: the loss is noticed from the writes (no onError comes in mcsim after a failed write), reconnect recovers', () =>
    resilience.resetWhileWriting(mcsim));

  test('reconnect after mosquitto is stopped and started: connect, subscribe, QoS 0/1/2 both ways before and after', async () => {
    const restartable = await startMosquitto();
    try {
      checkDevice(await mcsim.run(DEVICE, { port: restartable.port }, { onReport: value => value.restartBroker && restartable.restart() }));
    }
    finally {
      await restartable.close();
    }
  });

  test('while reconnecting (aedes killed), publishes wait up to outgoingLimit, the next rejects, the waiting ones go out after', () => resilience.offlineBound(mcsim));

  for (const whileReconnecting of [false, true])
    test(`disconnect() leaves no timer and no socket, with reconnect enabled${whileReconnecting ? ', in the middle of reconnecting (mosquitto killed)' : ''}`, async () => {
      const broker = await startMosquitto();
      try {
        await resilience.noLeftovers(mcsim, { port: broker.port, whileReconnecting, dropBroker: () => broker.kill() });
      }
      finally {
        await broker.close();
      }
    });

  test('publishes in flight when the connection drops are resent in order, DUP set, PUBREL past PUBREC [MQTT-4.4.0-1]; their Promises settle', () =>
    resilience.inFlightSurvives(mcsim));

  test('MQTT 5: publishes in flight when the connection drops are resent in their original order [MQTT-4.6.0-1], unacknowledged until PUBACK or PUBREC [MQTT-4.3.2-3] [MQTT-4.3.3-3]: each new message its own id, its QoS and DUP 0 [MQTT-4.3.2-1] [MQTT-4.3.2-2] [MQTT-4.3.3-1] [MQTT-4.3.3-2], PUBREL and not the PUBLISH past PUBREC [MQTT-4.3.3-6]; their Promises settle', () =>
    resilience.inFlightSurvives(mcsim, { version: 5 }));

  test('a QoS 2 message the broker resends before PUBREL reaches the callback once [MQTT-4.3.3-2]', () => resilience.qos2Duplicate(mcsim));

  test('MQTT 5: a QoS 2 message the broker resends before PUBREL reaches the callback once [MQTT-4.3.3-10]; PUBREC with its id [MQTT-4.3.3-8], PUBCOMP with the PUBREL\'s [MQTT-4.3.3-11]', () => resilience.qos2Duplicate(mcsim, { version: 5 }));

  test('a PUBLISH arriving before the SUBACK or the PUBACK is queued, never taken for the acknowledgement', () => faults.publishBeforeAck(mcsim));

  test('a connection reset by the broker rejects every pending Promise, and later calls reject', () => faults.endedWhilePending(mcsim, faults.ENDINGS.reset));

  for (const row of [faults.BREACHES.reservedType, faults.BREACHES.longLength])
    test(`a broker sending ${row.fault} gets the connection closed with the parser's named error, and the app runs on`, () => faults.breach(mcsim, row));

  test('a CONNACK refusal code rejects MQTTException(3) [MQTT-3.2.2-5], and the app runs on', () =>
    mcsim.onOneMachine(() => faults.connectOutcome(mcsim, faults.FIRST_ANSWERS.refusal)));

  // Brokers that bend MQTT 3.1.1, scripted as they behave (shared/docs/field.md): no request waits forever.
  test('a QoS 2 publish answered with PUBACK (RabbitMQ) resolves; the session forgets it, nothing is resent [MQTT-4.4.0-1]', () => faults.qos2Downgrade(mcsim));

  test('SUBSCRIBE (QoS 2: AWS IoT), UNSUBSCRIBE and QoS 1/2 PUBLISH left unacknowledged reject after ackTimeout, each named; the client goes on', () => faults.unacknowledged(mcsim));

  test('clean session 0: an unacknowledged publication rejects after ackTimeout but stays in the session, resent with DUP and its id at connect(false) [MQTT-4.4.0-1]', () => faults.unacknowledgedKept(mcsim));

  test('a broker closing the connection on a QoS 2 PUBLISH (Azure IoT Hub), with reconnect: reported each time, given up after three connections', () => faults.qos2Refused(mcsim, { reconnect: true }));
});
