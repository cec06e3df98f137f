// npm run bench, the session on flash (issue 18): on XS (xsnap host), a
// client with its session on the host's NOR flash (4,096-byte blocks) beside
// the RAM session, in the same run, against mosquitto: the cost of a publish
// (compute steps of its turn), the flash written and erased per message,
// the XS heap with 0 and with N stored messages, the restore of N. Appends
// its table to bench-results.json's `store` and prints it.
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { XSHost } from '../harness/host.js';
import { startMosquitto } from '../harness/brokers.js';
import { NorFlash } from '../harness/storage.js';

const APP = 'tests/scenarios/bench/store.js';
const N = Number(process.env.BENCH_STORED ?? 5000);
const ROUNDS = 200;

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
  const table = ['| the session on flash, xsnap, mosquitto on loopback | |', '|---|---|', ...rows.map(([what, value]) => `| ${what} | ${value} |`)].join('\n');
  console.log(table);
  const file = 'bench-results.json';
  const results = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
  results.store = Object.fromEntries(rows);
  writeFileSync(file, JSON.stringify(results, null, 2) + '\n');
}
finally {
  await broker.close();
}
