// Self-tests of the XS simulator host: its ECMA-419 TCP socket against a plain
// node:net echo server, the Moddable runtime surface, errors and meters, and a
// raw MQTT exchange with each broker.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { XSHost } from './harness/host.js';
import { startAedes, startMosquitto, freePort, LOOPBACK } from './harness/brokers.js';
import { runScenario } from './helpers/xs.js';

function listen(onConnection) {
  return new Promise(resolve => {
    const server = net.createServer(onConnection);
    server.listen(0, LOOPBACK, () => resolve(server));
  });
}

describe('ECMA-419 TCP socket against a node:net echo server', async () => {
  const server = await listen(socket => { socket.on('error', () => {}); socket.pipe(socket); });
  const port = server.address().port;
  after(() => server.close());

  for (const window of [1536, 256]) {
    test(`1 MB through a ${window}-byte write window arrives intact and in order`, async () => {
      const { result } = await runScenario('tests/scenarios/harness/echo.js', { port, size: 1 << 20 }, { host: { window, readSize: window } });
      assert.equal(result.received, 1 << 20);
      assert.equal(result.largestWindow, window, 'onWritable never offers more than the window');
      assert.ok(result.writes >= (1 << 20) / window, 'the data went out in window-sized writes');
      assert.equal(result.wouldBlock, 'would block', 'a write larger than the window throws "would block"');
      assert.equal(result.invalid, 'invalid', 'read(n) past what is readable throws "invalid"');
    });
  }
});

test('a peer reset calls onError, with no argument, and releases the socket', async () => {
  const server = await listen(socket => socket.once('data', () => socket.resetAndDestroy()));
  try {
    const { result } = await runScenario('tests/scenarios/harness/reset.js', { port: server.address().port });
    assert.deepEqual(result, { connected: true, errorArguments: 0, resources: { timers: 0, sockets: 0 } });
  }
  finally {
    server.close();
  }
});

test('a refused connection calls onError without onWritable', async () => {
  const { result } = await runScenario('tests/scenarios/harness/refused.js', { port: await freePort() });
  assert.deepEqual(result, { writable: false });
});

test('the runtime: trace, ArrayBuffer.fromString, String.fromArrayBuffer, timer and time', async () => {
  const reports = [];
  const { result, xs } = await runScenario('tests/scenarios/harness/runtime.js', {}, { onReport: value => reports.push(value) });
  assert.equal(result.byteLength, Buffer.byteLength('héllo ✓ 𝄞'));
  assert.equal(result.roundTrip, true);
  assert.deepEqual(result.fired, ['repeat 1', 'repeat 2', 'repeat 3', 'once']);
  assert.ok(result.elapsed >= 70, `Time.ticks advanced ${result.elapsed} ms`);
  assert.deepEqual(reports, [{ during: { timers: 2, sockets: 0 } }]);
  assert.deepEqual(result.after, { timers: 0, sockets: 0 });
  assert.deepEqual(xs.traces, ['runtime scenario traced\n']);
});

test('an exception in XS surfaces with its message and stack', async () => {
  await assert.rejects(runScenario('tests/scenarios/harness/throws.js', { where: 'scenario' }),
    error => error.name === 'XSError' && /RangeError: thrown by the scenario/.test(error.message) && /throws/.test(error.xsStack));
  await assert.rejects(runScenario('tests/scenarios/harness/throws.js', { where: 'callback' }),
    error => /uncaught exception in a callback: TypeError/.test(error.message) && /failingCallback/.test(error.xsStack));
});

test('meters: compute steps are deterministic per code path and heap growth is visible', async () => {
  const xs = await XSHost.start();
  try {
    xs.run('tests/scenarios/harness/meters.js').catch(() => {});
    await xs.message({ n: 0 });	// warm up: loads nothing more, but settles the first-turn costs
    const empty = await xs.message({ n: 0 });
    const small = await xs.message({ n: 1000 });
    const again = await xs.message({ n: 1000 });
    const large = await xs.message({ n: 2000 });
    assert.equal(small.compute, again.compute, 'the same work costs the same compute');
    assert.ok(large.compute - empty.compute > 1.9 * (small.compute - empty.compute), 'compute grows with the work');
    const before = await xs.message({ n: 0 });
    const kept = await xs.message({ n: 0, keep: true });
    assert.ok(kept.currentHeapCount > before.currentHeapCount, 'retained allocations show in currentHeapCount');
  }
  finally {
    await xs.close();
  }
});

for (const [name, start] of [['aedes', startAedes], ['mosquitto', startMosquitto]]) {
  test(`a raw CONNECT/CONNACK with ${name}, through the emulated socket`, async () => {
    const broker = await start();
    try {
      const { result } = await runScenario('tests/scenarios/raw-connect.js', { port: broker.port });
      assert.deepEqual(result, { type: 2, returnCode: 0, sessionPresent: false, count: 4 });
    }
    finally {
      await broker.close();
    }
  });
}
