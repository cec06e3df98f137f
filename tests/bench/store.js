// npm run bench, the session on flash (issue 18): on XS (xsnap host), a
// client with its session on the host's NOR flash (4,096-byte blocks) beside
// the RAM session, in the same run, against mosquitto: the cost of a publish
// (compute steps of its turn), the flash written and erased per message,
// the XS heap with 0 and with N stored messages, the restore of N. Then the
// same client in mcsim (the runner app, its store in a file of
// embedded:storage/files), when MODDABLE points at a built SDK: publish
// latency with the store and with the RAM session in the same run, and the
// restore of N. Appends its table to bench-results.json's `store` and prints it.
import { readFileSync, writeFileSync, existsSync, rmSync } from 'node:fs';
import { XSHost } from '../harness/host.js';
import { startMosquitto } from '../harness/brokers.js';
import { NorFlash } from '../harness/storage.js';
import path from 'node:path';
import { enabled as mcsimEnabled } from '../sim/sdk.js';
import { McsimHost, FILES } from '../sim/host.js';

const APP = 'tests/scenarios/bench/store.js';
const N = Number(process.env.BENCH_STORED ?? 5000);
const ROUNDS = 200;
const LATENCY = 200;	// QoS 1 publishes per mode in mcsim, in 4 alternating runs of LATENCY / 4
const CASES = 'tests/scenarios/client/store.js';

async function machine(storage) {
  const xs = await XSHost.start({ manifest: 'manifest_store.json', storage });
  const reports = [];
  xs.run(APP, {}, { timeout: 3_600_000, onReport: report => reports.push(report) }).catch(() => {});
  const next = async match => {
    for (let waited = 0; waited < 600_000; waited += 5) {
      const index = reports.findIndex(match);
      if (index >= 0)
        return reports.splice(index, 1)[0];
      await new Promise(resolve => setTimeout(resolve, 5));
    }
    throw new Error('no report');
  };
  await next(report => report.ready);
  const op = value => xs.message(value);
  return { xs, op, next };
}

/** Compute steps of one publish's turn, median of ROUNDS, connected to mosquitto. */
async function publishCost(stored, qos, port) {
  const storage = { flash: new NorFlash({ blockSize: 4096, blockCount: 16 }) };
  const { xs, op, next } = await machine(storage);
  try {
    await op({ op: 'make', stored, port, blocks: 16 });
    await op({ op: 'connect' });
    await next(report => report.connected);
    const steps = [];
    for (let i = 0; i < ROUNDS; i++) {
      steps.push((await op({ op: 'publish', qos })).compute);
      await new Promise(resolve => setTimeout(resolve, 2));	// its acknowledgement comes in turns of its own
    }
    await new Promise(resolve => setTimeout(resolve, 200));
    await op({ op: 'status' });
    const status = await next(report => report.wear !== undefined || report.count !== undefined);
    steps.sort((a, b) => a - b);
    return { steps: steps[steps.length >> 1], status, flash: storage.flash };
  }
  finally {
    await xs.close();
  }
}

/** Heap (slots) after a collection with 0 and with N messages stored offline; then the restore of N in a new machine. */
async function stored() {
  const blockCount = Math.ceil(N * 90 / 4088) + 4;
  const storage = { flash: new NorFlash({ blockSize: 4096, blockCount }) };
  let heap0, heapN;
  {
    const { xs, op, next } = await machine(storage);
    try {
      await op({ op: 'make', stored: true, blocks: blockCount });
      heap0 = (await op({ op: 'gc' })).currentHeapCount;
      await op({ op: 'fill', n: N, qos: 1 });
      await next(report => report.filled);
      heapN = (await op({ op: 'gc' })).currentHeapCount;
    }
    finally {
      await xs.close();
    }
  }
  const { xs, op } = await machine(storage);
  try {
    const start = performance.now();
    const meters = await op({ op: 'make', stored: true, blocks: blockCount });
    const wall = performance.now() - start;
    return { heap0, heapN, restoreSteps: meters.compute, restoreMs: wall, blockCount };
  }
  finally {
    await xs.close();
  }
}

const median = values => [...values].sort((a, b) => a - b)[values.length >> 1];
const percentile = (values, p) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * p))];

/**
 * In mcsim, against mosquitto: publish latency (ms from the publish() call
 * to its Promise resolving, and with the store to its completion, PUBACK),
 * QoS 1, 64 B, the RAM session and the store in alternating runs of the
 * same machine; then N messages stored offline and, in a new machine (a
 * reboot), their restore: the store's open, and connect(false) to the last
 * completed. Rows, or undefined without the SDK.
 */
async function inMcsim(port) {
  if (!mcsimEnabled())
    return undefined;
  const host = await McsimHost.open();
  const file = `bench-${process.pid}`, remove = () => rmSync(path.join(FILES, file), { force: true });
  try {
    const ram = { resolved: [], total: 0 }, stored = { resolved: [], complete: [], total: 0 };
    for (let run = 0; run < 4; run++)
      for (const [mode, into] of [['ram', ram], ['store', stored]]) {
        remove();
        const result = await host.run(CASES, { case: 'latency', port, stored: mode === 'store', file, count: LATENCY / 4, clientId: `bench-${mode}` }, { timeout: 120_000 });
        into.resolved.push(...result.resolved);
        into.complete?.push(...result.complete);
        into.total += result.total;
      }
    remove();
    const blocks = Math.ceil(N * 100 / 4088) + 4;
    await host.run(CASES, { case: 'fill', file, count: N, blocks, clientId: 'bench-restore' }, { timeout: 600_000 });
    await host.kill();	// a reboot: the restore in a new machine
    const restore = await host.run(CASES, { case: 'restoreTimed', port, file, count: N, blocks, clientId: 'bench-restore' }, { timeout: 300_000 });
    const ms = values => `${median(values)} / ${percentile(values, 0.9)}`;
    return [
      [`mcsim, QoS 1 publish of 64 B, connected: ms from publish() to its Promise resolving, median / 90th percentile (Time.ticks, ${LATENCY} each), RAM session (at PUBACK) / store (on flash)`, `${ms(ram.resolved)} / ${ms(stored.resolved)}`],
      ['mcsim, the same with the store: ms from publish() to its completion (onComplete, at PUBACK), median / 90th percentile', ms(stored.complete)],
      [`mcsim, ${LATENCY} such publishes one after another, each awaited (and with the store its completion): ms per message, RAM session / store`, `${(ram.total / LATENCY).toFixed(2)} / ${(stored.total / LATENCY).toFixed(2)}`],
      [`mcsim, restore of ${N} stored messages (QoS 1, 64 B, a file of ${blocks} blocks of 4,096 B) in a new machine: ms from the Store's construction to the client made (the store open) / from connect(false) to the last completed`,
        `${restore.open} / ${restore.drain}${restore.completed === N ? '' : ` (only ${restore.completed} completed)`}`],
    ];
  }
  finally {
    remove();
    await host.close();
  }
}

const broker = await startMosquitto();
try {
  const rows = [];
  for (const qos of [1, 2]) {
    const ram = await publishCost(false, qos, broker.port);
    const flash = await publishCost(true, qos, broker.port);
    const erases = [...flash.flash.erases].reduce((a, b) => a + b, 0);
    rows.push([`QoS ${qos} publish of 64 B, connected: compute steps of its turn, RAM session / store`, `${ram.steps} / ${flash.steps}`]);
    rows.push([`QoS ${qos}, 64 B: flash bytes written per message (store)`, (flash.flash.bytesWritten / ROUNDS).toFixed(1)]);
    rows.push([`QoS ${qos}, 64 B: blocks erased per message (store; ${ROUNDS} messages, 16 blocks)`, (erases / ROUNDS).toFixed(4)]);
  }
  const heap = await stored();
  rows.push([`XS heap (slots, after a collection), the client with its store: 0 / ${N} messages stored offline (64 B, QoS 1)`, `${heap.heap0} / ${heap.heapN}`]);
  rows.push([`restore of ${N} stored messages (a new client over the same flash, ${heap.blockCount} blocks): compute steps, ms`, `${heap.restoreSteps} / ${heap.restoreMs.toFixed(1)}`]);
  const mcsim = await inMcsim(broker.port);
  if (mcsim)
    rows.push(...mcsim);
  else
    console.log('mcsim figures skipped: MODDABLE does not point at a built SDK');
  const table = ['| the session on flash, xsnap (and mcsim where it says), mosquitto on loopback | |', '|---|---|', ...rows.map(([what, value]) => `| ${what} | ${value} |`)].join('\n');
  console.log(table);
  const file = 'bench-results.json';
  const results = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
  results.store = Object.fromEntries(rows);
  writeFileSync(file, JSON.stringify(results, null, 2) + '\n');
}
finally {
  await broker.close();
}
