// On an ESP8266's budget: apps built with the `creation` block of the SDK's
// build/devices/esp/manifest.json (XS stack 256 slots; chunk heap 1,536 +
// 512 bytes and slot heap 512 + 64 slots to start with), run in mcsim against
// mosquitto. mcsim honours the stack and the initial heaps (the heap grows
// from them, so collections come as often as on the device) but not the
// block's `static` total (32,768 bytes): npm run bench reports the peak heap
// beside it. A 64-bit simulator doubles the size of every slot, so passing
// here is a stricter test than the device's; the SDK's own ECMA-419 client
// passes it (the last test), which is the bar.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { withPeer } from './helpers/peer.js';
import { startMosquitto } from './harness/brokers.js';
import { mcsimEnabled } from './sim/suite.js';
import { build, esp8266Creation } from './sim/apps.js';
import { runTraced } from './sim/traced.js';
import { checkDevice } from './cases/device.js';
import { scramServer } from './cases/mqtt5.js';
import { withScripted } from './harness/scripted-broker.js';

if (mcsimEnabled) describe('in mcsim, on an ESP8266\'s budget (creation block of build/devices/esp)', () => {
  const creation = esp8266Creation();
  let broker;
  before(async () => { broker = await startMosquitto(); });
  after(() => broker?.close());

  test('examples/hello runs: it connects, publishes hello, and its callback traces a message it receives', () => withPeer(broker.port, async peer => {
    await peer.subscribeAsync('openmv/out');
    let hello = false;
    peer.on('message', (topic, payload) => { hello ||= topic === 'openmv/out' && payload.toString() === 'hello'; });
    const so = await build('hello', { config: { broker: '127.0.0.1', port: broker.port }, creation });
    const sending = setInterval(() => hello && peer.publish('openmv/in', 'from the test'), 100);
    try {
      const { traces } = await runTraced(so, { timeout: 20_000, until: line => line === 'openmv/in from the test' });
      assert.ok(hello, 'hello reached the broker');
      assert.ok(traces.includes('openmv/in from the test'));
    }
    finally {
      clearInterval(sending);
    }
  }));

  /** The device scenario (tests/scenarios/client/device.js) in the one-case app (`app`), with this creation block. */
  async function device(block, app = 'one-case', config = {}) {
    const restartable = await startMosquitto();
    try {
      const so = await build(app, { config: { scenario: 'client/device', port: restartable.port, ...config }, creation: block });
      const { result } = await runTraced(so, { timeout: 30_000, onReport: value => value.restartBroker && restartable.restart() });
      return result;
    }
    finally {
      await restartable.close();
    }
  }
  test('a device\'s work runs: connect, subscribe, QoS 0/1/2 out and back, reconnect after the broker restarts, and again', async () => {
    checkDevice(await device(creation));
  });

  test(`the library leaves the app at least 64 of the ${creation.stack} stack slots: the same work runs with a stack of ${creation.stack - 64}`, async () => {
    checkDevice(await device({ ...creation, stack: creation.stack - 64 }));
  });

  // The same margin under 5: the version 5 code's deepest paths (parsing a
  // PUBLISH and its properties, writing a PUBLISH) are kept as flat as
  // 3.1.1's (README, "MQTT 5.0").
  test(`under MQTT 5 (protocolVersion 5, manifest_mqtt5.json): the same work runs with a stack of ${creation.stack - 64}`, async () => {
    checkDevice(await device({ ...creation, stack: creation.stack - 64 }, 'one-case-mqtt5', { protocolVersion: 5 }));
  });

  // Outgoing topic aliases add a frame to the PUBLISH path (AliasWriter5's
  // publish over Writer5's, and the link's sendsNow read once more): the
  // same margin with them, each PUBLISH after the first of its topic by alias.
  test(`under MQTT 5 with topicAliases 3: the same work runs with a stack of ${creation.stack - 64}`, async () => {
    checkDevice(await device({ ...creation, stack: creation.stack - 64 }, 'one-case-mqtt5', { protocolVersion: 5, topicAliases: 3 }));
  });

  // Enhanced authentication (4.12): the app's onAuthenticate is called in a
  // turn of its own, never under the socket's callback, and the AUTH of
  // reauthenticate() is made in one (the property encoder nests deep): the
  // exchange of two challenges, CONNACK's data and a re-authentication on
  // the same margin (the stack's high-water mark traced: README, "MQTT 5.0").
  test(`under MQTT 5 with enhanced authentication: a SCRAM-like exchange and a re-authentication run with a stack of ${creation.stack - 64}`, () => withScripted(scramServer(), async broker => {
    const so = await build('one-case-mqtt5', { config: { scenario: 'client/mqtt5', case: 'authenticateLean', port: broker.port, stackProbe: 1 }, creation: { ...creation, stack: creation.stack - 64 } });
    const { result, traces } = await runTraced(so, { timeout: 30_000 });
    assert.deepEqual(result, { codes: [0x18, 0x18, 0, 0x18, 0], connected: true });
    const stack = traces.find(line => line.startsWith('STACK '));
    console.log(`enhanced authentication at ${creation.stack - 64} slots: ${stack} bytes, high-water mark`);
  }));

  test(`failover on a stack of ${creation.stack - 64}: the same work with two servers (\`servers\`), the first killed where the test above restarts it; the client goes on with the second`, async () => {
    const first = await startMosquitto(), second = await startMosquitto();
    try {
      const so = await build('one-case', { config: { scenario: 'client/device', port: first.port, port2: second.port }, creation: { ...creation, stack: creation.stack - 64 } });
      checkDevice((await runTraced(so, { timeout: 30_000, onReport: value => value.restartBroker && first.kill() })).result);
    }
    finally {
      await first.close();
      await second.close();
    }
  });

  test('the SDK\'s own ECMA-419 client runs the same exchange on this budget (the bar the library must meet)', async () => {
    const so = await build('sdk-client', { config: { port: broker.port, exchange: 1, echo: 200, qos1: 20 }, creation });
    const { result, traces } = await runTraced(so, { timeout: 30_000 });
    assert.ok(traces.includes('EXCHANGED ["device/0 QoS 0","device/1 QoS 1","device/2 QoS 2"]'), 'QoS 0, 1 and 2 out and back');
    assert.equal(result.echo.count, 200);
  });
});
