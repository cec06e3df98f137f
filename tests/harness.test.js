// Self-tests of the XS simulator host: its ECMA-419 TCP socket against a plain
// node:net echo server, the Moddable runtime surface, errors and meters, a
// raw MQTT exchange with each broker; and where the host must be no kinder
// than a device (shared/docs/platform.md): frozen built-ins, preload,
// exceptions escaping callbacks, the TLS socket's write accounting, a 32-bit
// Time.ticks.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import tls from 'node:tls';
import { XSHost } from './harness/host.js';
import { startAedes, startMosquitto, freePort, LOOPBACK } from './harness/brokers.js';
import { makeCertificates } from './harness/certs.js';
import { runScenario, until, withXS } from './helpers/xs.js';

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

test('meters: compute steps are deterministic per code path and heap growth is visible', () => withXS({}, async xs => {
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
}));

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

test('built-ins are frozen before any module loads, as the SDK\'s linker leaves them; the global object is not', async () => {
  const { result } = await runScenario('tests/scenarios/harness/frozen.js');
  assert.deepEqual(result.notFrozen, [], 'every built-in constructor and prototype, Math, JSON, Reflect, Atomics');
  assert.match(result.errorNameAssigned, /^TypeError: .*set name: not writable$/, 'the override mistake: `this.name = ...` in an Error subclass throws, as in mcsim');
  assert.equal(result.globalWritable, 'ok 1', 'an app may add globals');
  assert.equal(result.moddableGlobals, 'function function', 'ArrayBuffer.fromString and String.fromArrayBuffer exist before the freeze');
  assert.equal(result.mqttException, 'ok MQTTException 5 true MQTTException: MQTT error 5: not authorized', 'the library\'s exceptions construct, named');
  assert.equal(result.protocolError, 'ok ProtocolError: protocol error: bad');
});

test('preload: what a preloaded module made while loading is left as mcsim leaves it; state made later, or by modules not preloaded, stays writable', async () => {
  const { result } = await runScenario('tests/scenarios/harness/preload.js', {}, { host: { manifest: 'tests/fixtures/preload/manifest.json' } });
  const readOnly = kind => new RegExp(`^TypeError: .*read-only ${kind} instance$`);
  const notWritable = name => new RegExp(`^TypeError: .*set ${name}: not writable$`);
  const notExtensible = /^TypeError: .*not extensible$/;
  const expected = {
    'map.get': 'ok 1',
    'map.set': readOnly('Map'), 'map.delete': readOnly('Map'), 'map.clear': readOnly('Map'),
    'set.add': readOnly('Set'), 'set.has': 'ok true',
    'weakMap.set': readOnly('WeakMap'),
    'nested map.set': readOnly('Map'),
    'closure map.set': readOnly('Map'),
    'array.push': 'ok 2',
    'object write': 'ok 5',
    'frozen array.push': notExtensible,
    'let counter': 'ok 3',
    'class static write': notWritable('count'),
    'class prototype write': notExtensible,
    'instance write of a prototype\'s name': notWritable('method'),
    'instance write': 'ok 1',
    'function property write': notExtensible,
    'global regexp exec': /^TypeError: .*lastIndex: not writable$/,
    'bytes.fill': /^TypeError: read-only buffer$/,
    'view.setUint8': /^TypeError: read-only buffer$/,
    'date.setTime': readOnly('Date'),
    'run-time map.set': 'ok 1',
    'run-time class static write': 'ok 2',
    'not preloaded map.set': 'ok 1',
    'not preloaded class static write': 'ok 2',
    'scenario\'s own map.set': 'ok 1',
  };
  assert.deepEqual(Object.keys(result), Object.keys(expected));
  for (const [write, outcome] of Object.entries(expected)) {
    if (outcome instanceof RegExp)
      assert.match(result[write], outcome, write);
    else
      assert.equal(result[write], outcome, write);
  }
});

describe('an exception escaping a callback of the host fails the scenario and stops the machine, as a device aborts', async () => {
  const certs = makeCertificates();
  const servers = [];
  const serve = async (secure, onConnection) => {
    const server = secure
      ? tls.createServer({ key: certs.localhost.key, cert: certs.localhost.cert }, onConnection)
      : net.createServer(onConnection);
    server.on('tlsClientError', () => {});
    await new Promise(resolve => server.listen(0, LOOPBACK, resolve));
    servers.push(server);
    return server.address().port;
  };
  const echo = socket => { socket.on('error', () => {}); socket.pipe(socket); };
  const hangUp = socket => { socket.on('error', () => {}); socket.end(); };
  const ports = {
    tcpEcho: await serve(false, echo),
    tlsEcho: await serve(true, echo),
    tlsHangUp: await serve(true, hangUp),
    refused: await freePort(),
  };
  after(() => servers.forEach(server => server.close()));

  for (const [where, port] of [
    ['Timer.set'], ['Timer.repeat'], ['Net.resolve'],
    ['TCP onWritable', ports.tcpEcho], ['TCP onReadable', ports.tcpEcho], ['TCP onError', ports.refused],
    ['TLS onWritable', ports.tlsEcho], ['TLS onReadable', ports.tlsEcho], ['TLS onError', ports.tlsHangUp],
  ]) {
    test(`a throw from ${where}`, () => withXS({}, async xs => {
      await assert.rejects(xs.run('tests/scenarios/harness/callbacks.js', { where, port }),
        error => error.name === 'XSError' && error.message === `uncaught exception in a callback: RangeError: thrown by ${where}`);
      const seen = xs.traces.length;
      await new Promise(resolve => setTimeout(resolve, 60));
      assert.equal(xs.traces.length, seen, 'no callback runs after it: the scenario\'s 10 ms timer, which traces, stopped');
      await assert.rejects(xs.run('tests/scenarios/harness/callbacks.js', { where }), /the XS machine stopped: uncaught exception in a callback/);
    }));
  }

  test('Timer.schedule from a timer\'s own callback does what the SDK\'s Linux timers do (measured in mcsim): a one-shot timer is dropped all the same; a repeating one rescheduled with another first interval fails the scenario', async () => {
    await withXS({}, async xs => {
      assert.equal(await xs.run('tests/scenarios/harness/schedule.js', { kind: 'one-shot' }), 1, 'the one-shot timer fired once');
      assert.ok(await xs.run('tests/scenarios/harness/schedule.js', { kind: 'repeat' }) >= 3, 'the repeating timer fired on');
    });
    const other = await XSHost.start();
    try {
      await assert.rejects(other.run('tests/scenarios/harness/schedule.js', { kind: 'repeat-other' }),
        /uncaught exception in a callback: Error: Timer.schedule\(timer, first, repeat\) from the timer's own callback, with first !== repeat/);
    }
    finally {
      await other.close().catch(() => {});
    }
  });

  test('a throw after the scenario has finished is not lost: closing the host reports it', async () => {
    const xs = await XSHost.start();
    let closed = false;
    try {
      assert.equal(await xs.run('tests/scenarios/harness/callbacks.js', { where: 'Timer.set', late: true }), 'resolved');
      await until(() => xs.aborted, 'the late exception');
      closed = true;
      await assert.rejects(xs.close(), /uncaught exception in a callback: RangeError: thrown by Timer.set/);
    }
    finally {
      if (!closed)
        await xs.close();
    }
  });
});

describe('the TLS socket accounts for writes as the SDK\'s does', async () => {
  const certs = makeCertificates();
  let received = 0;
  const server = tls.createServer({ key: certs.localhost.key, cert: certs.localhost.cert }, socket => {
    socket.on('error', () => {});
    socket.on('data', data => { received += data.length; });
  });
  server.on('tlsClientError', () => {});
  await new Promise(resolve => server.listen(0, LOOPBACK, resolve));
  after(() => server.close());

  // What one record of n bytes costs the TCP window (measured in mcsim; the
  // SDK negotiates the first with mosquitto, the second with node:tls).
  const suites = {
    'AES128-CBC-SHA256': n => 5 + 16 + Math.ceil((n + 32 + 1) / 16) * 16,
    'AES128-GCM-SHA256': n => 5 + 8 + n + 16,
  };
  for (const [suite, record] of Object.entries(suites)) {
    test(`${suite}: onWritable(window - 96), write() returns the TCP room less 32, "would block", "too large", {more}, and the record after a refused one is fatal`, async () => {
      received = 0;
      const { result } = await runScenario('tests/scenarios/harness/tls-writes.js', { port: server.address().port }, { host: { tlsSuite: suite } });
      const window = 1536;
      assert.deepEqual(result.onWritable.slice(0, 3), [window - 96, window - 96, window - 96], 'onWritable offers the TCP window less 96');
      assert.ok(result.thisIsSocket.every(is => !is), 'callbacks are not called on the socket');
      assert.equal(result.thisHolds, 'onError onReadable onWritable', '`this` is the object of the three callbacks, as in tlssocket.js');
      // mcsim, same writes: AES128-CBC-SHA256 1435 1270 209 "too large" 199 124; AES128-GCM-SHA256 1474 1345 316 "too large" 306 257
      let room = window;
      const after = n => (room -= record(n), Math.max(0, room - 32));
      assert.deepEqual(result.first, [after(1), after(100), after(1000), 'Error: too large', Math.max(0, room - 10 - 32), after(30)]);
      room = window;
      // mcsim: 1000 bytes then 600 in one window: the second record does not fit the TCP socket
      assert.deepEqual(result.second, [after(1000), 'Error: would block']);
      assert.equal(typeof result.afterLostRecord, 'number');
      assert.equal(result.thrown, 'TLS: alert: 2, 20', 'the peer failed the next record\'s MAC (its sequence number was taken by the refused one) and sent a fatal alert');
      await until(() => received === 1 + 100 + 1000 + 30 + 1000, 'the records that left');
      await new Promise(resolve => setTimeout(resolve, 20));
      assert.equal(received, 2131, 'the refused record never left, nor the one the peer would reject');
    });
  }
});

test('Time.ticks as a device\'s signed 32-bit counter (ticksStart): it rolls over past 2^31 - 1 and Time.delta stays right across', async () => {
  const { result } = await runScenario('tests/scenarios/harness/ticks.js', { wait: 150 }, { host: { ticksStart: 2 ** 31 - 50 } });
  assert.ok(result.integers);
  assert.ok(result.start >= 2 ** 31 - 50 && result.start < 2 ** 31, `starts just below 2^31: ${result.start}`);
  assert.ok(result.end < 0 && result.end >= -(2 ** 31), `rolled over to a negative 32-bit integer: ${result.end}`);
  assert.ok(result.delta >= 150 && result.delta < 2000, `Time.delta(start, end) is the time waited: ${result.delta}`);
  assert.ok(result.deltaToNow >= result.delta && result.deltaToNow < 2000, `Time.delta(start) measures to now: ${result.deltaToNow}`);

  const simulator = await runScenario('tests/scenarios/harness/ticks.js', { wait: 20 });
  assert.ok(simulator.result.start >= 0 && simulator.result.start < 10_000, 'without ticksStart, from 0 as on the simulator');
  assert.equal(simulator.result.delta, simulator.result.end - simulator.result.start);
});
