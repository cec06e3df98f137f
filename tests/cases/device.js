// The device scenario (tests/scenarios/client/device.js: connect, subscribe,
// QoS 0/1/2 out and back, reconnect after the broker restarts, and again),
// checked once for every host and budget that runs it: mcsim-session.test.js
// in the runner app, mcsim-esp8266.test.js with the ESP8266's creation block.
import assert from 'node:assert/strict';

/** What the device's work must have done: every message both rounds, two connections, nothing left. */
export function checkDevice(result) {
  assert.deepEqual(result.received, ['device/0 round 1', 'device/0 round 2', 'device/1 round 1', 'device/1 round 2', 'device/2 round 1', 'device/2 round 2']);
  assert.equal(result.connects, 2);
  assert.deepEqual(result.after, { timers: 0, sockets: 0 });
}
