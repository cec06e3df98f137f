// The session on flash (issue 18) on the real Moddable runtime: the runner
// app in mcsim keeps its session in a file of embedded:storage/files (POSIX,
// in build/mcsim/files), and the simulator's process is killed with SIGKILL
// at random moments amid QoS 1 and QoS 2 traffic, then started again with the
// same file, against mosquitto with persistence (tests/cases/store.js).
// Deep sleep: wake-ups of start, connect(false), one QoS 1 reading, a kill.
// `npm run soak` runs 100 kills per row (SOAK_KILLS) and 100 wake-ups
// (SOAK_CYCLES), and prints the table.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import path from 'node:path';
import mqtt from 'mqtt';
import { startMosquitto } from './harness/brokers.js';
import { atExit } from './harness/cleanup.js';
import { mcsimEnabled, useMcsim } from './sim/suite.js';
import { FILES } from './sim/host.js';
import { build, esp8266Creation } from './sim/apps.js';
import { runTraced } from './sim/traced.js';
import { killedAtRandom, deepSleep, STORE } from './cases/store.js';
import { until } from './helpers/xs.js';

const KILLS = Number(process.env.SOAK_KILLS ?? 10);
const CYCLES = Number(process.env.SOAK_CYCLES ?? 20);

if (mcsimEnabled) describe('in mcsim: the session on flash, the simulator killed', () => {
  const mcsim = useMcsim();
  let mosquitto, peer;
  const rows = [];
  before(async () => {
    mosquitto = await startMosquitto({ persistence: { autosaveInterval: 1 } });
    peer = await mqtt.connectAsync(`mqtt://127.0.0.1:${mosquitto.port}`);
  });
  after(async () => {
    await peer?.endAsync(true);
    await mosquitto?.close();
    if (rows.length)
      console.log(['| QoS | kills | sent (accepted) | delivered | lost | duplicated |', '|---|---|---|---|---|---|',
        ...rows.map(row => `| ${row.qos} | ${row.kills} | ${row.sent} | ${row.delivered} | ${row.lost} | ${row.duplicated} |`)].join('\n'));
  });

  for (const qos of [1, 2]) {
    test(`SIGKILL at ${KILLS} random moments amid QoS ${qos} traffic: every message accepted before a kill arrives${qos === 2 ? ', none twice' : ''}`, { timeout: 120_000 + KILLS * 15_000 }, async t => {
      const file = `killed-qos${qos}-${process.pid}`;
      const remove = () => rmSync(path.join(FILES, file), { force: true });
      const cancel = atExit(remove);
      try {
        const row = await killedAtRandom(mcsim, { peer, port: mosquitto.port, qos, kills: KILLS, file, clientId: `mcsim-killed${qos}-${process.pid}` });
        rows.push(row);
        t.diagnostic(JSON.stringify(row));
      }
      finally {
        remove();
        cancel();
      }
    });
  }

  test(`deep sleep: ${CYCLES} wake-ups of start, connect(false), one QoS 1 reading, SIGKILL at a random moment after publish() accepted it, mosquitto restarted every 10: every reading arrives, in order`, { timeout: 60_000 + CYCLES * 10_000 }, async t => {
    const broker = await startMosquitto({ persistence: { autosaveInterval: 1 } });
    const sleepPeer = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.port}`, { clientId: `sleep-peer-${process.pid}`, clean: false, reconnectPeriod: 100 });
    const file = `sleep-${process.pid}`;
    const remove = () => rmSync(path.join(FILES, file), { force: true });
    const cancel = atExit(remove);
    try {
      const row = await deepSleep(mcsim, { peer: sleepPeer, broker, cycles: CYCLES, file, clientId: `sleeper-${process.pid}` });
      t.diagnostic(JSON.stringify(row));
      console.log(`deep sleep: ${JSON.stringify(row)}`);
    }
    finally {
      remove();
      cancel();
      await sleepPeer.endAsync(true);
      await broker.close();
    }
  });

  test('offline: the broker down while the app publishes 5,000 QoS 1 messages of 64 B: publish() accepts them all, the XS heap stays within 1 KB of its level before the first, and all arrive in order once the broker is back', { timeout: 300_000 }, async t => {
    const count = 5000;
    const broker = await startMosquitto();
    const offlinePeer = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.port}`, { reconnectPeriod: 100 });
    const file = `offline-${process.pid}`;
    const remove = () => rmSync(path.join(FILES, file), { force: true });
    const cancel = atExit(remove);
    const arrived = [];
    offlinePeer.on('message', (topic, payload) => arrived.push(payload.toString().slice(0, 5)));
    try {
      let published;
      const connected = new Promise(resolve => { published = { connected: resolve }; });
      const stored = new Promise(resolve => { published.stored = resolve; });
      const done = mcsim.run(STORE, { case: 'offline', port: broker.port, file, count, blocks: Math.ceil(count * 92 / 4088) + 4, clientId: `offline-${process.pid}` }, {
        timeout: 280_000,
        onReport: value => value.connected ? published.connected() : value.published && published.stored(value),
      });
      done.catch(() => {});
      await connected;
      await broker.kill();
      await mcsim.message({});
      const { before, after } = await stored;
      assert.ok(Math.abs(after - before) <= 1024, `the heap stays within 1 KB: ${before} then ${after} bytes`);
      await broker.start();
      await until(() => offlinePeer.connected, 'the peer back');
      await offlinePeer.subscribeAsync('offline/out', { qos: 1 });
      await mcsim.message({});
      const result = await done;
      assert.equal(result.done, count);
      await until(() => arrived.length >= count, `${count} messages at the peer`, 30_000);
      assert.deepEqual([...new Set(arrived)], Array.from({ length: count }, (_, i) => String(i).padStart(5, '0')), 'all, in order');
      t.diagnostic(`heap before the first and after the last: ${before} / ${after} bytes`);
      console.log(`offline 5,000 x 64 B: heap ${before} -> ${after} bytes, ${arrived.length} arrived`);
    }
    finally {
      remove();
      cancel();
      await offlinePeer.endAsync(true);
      await broker.close();
    }
  });
});

if (mcsimEnabled) describe('in mcsim, on an ESP8266\'s budget, the session on flash', () => {
  const creation = esp8266Creation();

  /** The stored device's work (tests/scenarios/client/store.js, case device) with `block`; `boots` runs over the same file, the first making it. */
  async function storedDevice(block, boots) {
    const broker = await startMosquitto();
    const file = `device-${process.pid}`;
    const remove = () => rmSync(path.join(FILES, file), { force: true });
    const cancel = atExit(remove);
    try {
      remove();
      const so = await build('stored-device', { config: { port: broker.port, file, files: FILES }, creation: block });
      for (let boot = 0; boot < boots; boot++) {
        const { result } = await runTraced(so, { timeout: 60_000 });
        assert.equal(result.present, 1, `boot ${boot + 1}`);
        assert.deepEqual(result.received, Array.from({ length: 25 }, (_, i) => `m${i}`), `boot ${boot + 1}`);
        assert.equal(result.done, 25, `boot ${boot + 1}`);
        assert.deepEqual(result.after, { timers: 0, sockets: 0 }, `boot ${boot + 1}`);
      }
    }
    finally {
      remove();
      cancel();
      await broker.close();
    }
  }

  test('a device\'s work with its session in a file runs with the ESP8266\'s creation block: 10 QoS 1 and 10 QoS 2 out and back, then 5 stored before connect(false) go out after a restore', () => storedDevice(creation, 1));

  test(`the store leaves the app at least 64 of the ${creation.stack} stack slots: the same work runs with a stack of ${creation.stack - 64}, at the first boot (the file made) and at a later one (the file restored)`, () => storedDevice({ ...creation, stack: creation.stack - 64 }, 2));
});
