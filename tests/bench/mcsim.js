// npm run bench, second part: measurements on the real Moddable runtime
// (mcsim, SDK 8.2.3, 64-bit, debug build) against mosquitto on loopback, when
// MODDABLE points at a built SDK. Three apps measured the same way
// (tests/mcsim/footprint.js): the library (tests/mcsim/measure), the SDK's own
// ECMA-419 client (tests/mcsim/sdk-client) and a raw ECMA-419 socket writing
// pre-encoded packets (tests/mcsim/raw-socket). Then the ESP8266's budget:
// the XS stack each needs (its high-water mark, and the smallest `stack` of
// the ESP8266's creation block with which the work still runs) and the heap
// it holds at its peak. Merged into bench-results.json under "mcsim"; prints
// the README's table.
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { startMosquitto } from '../harness/brokers.js';
import { sdk as findSdk, HOW_TO_ENABLE } from '../sim/sdk.js';
import { build, esp8266Creation } from '../sim/apps.js';
import { runTraced } from '../sim/traced.js';

const RESULTS = 'bench-results.json';
// BENCH_MCSIM_ONLY=heap: the three apps' footprint alone (no parts, no
// ESP8266 budget), its tables printed, bench-results.json left as it is.
const HEAP_ONLY = process.env.BENCH_MCSIM_ONLY === 'heap';
const ROUNDS = Number(process.env.BENCH_MCSIM_ROUNDS ?? (HEAP_ONLY ? 1 : 3));
const ECHO = Number(process.env.BENCH_MCSIM_ECHO ?? 2000);
const QOS1 = 100;
const SLOT = 32;	// bytes per XS slot in a 64-bit build (xsSlotRecord: four pointers); 16 on the ESP8266
const APPS = { library: 'measure', sdk: 'sdk-client', raw: 'raw-socket' };

const { missing } = findSdk();
if (missing) {
  console.log(`mcsim measurements skipped: ${missing} (to run them: ${HOW_TO_ENABLE.replace('npm test', 'npm run bench')})`);
  process.exit(0);
}

const broker = await startMosquitto();
const results = { date: new Date().toISOString(), runtime: 'mcsim, Moddable SDK 8.2.3, 64-bit debug build; mosquitto 2 on loopback', footprint: {}, esp8266: {} };
try {
  // Footprint and rates: each app ROUNDS times, in turn; the heap figures of
  // the first round (they repeat), the median of each rate.
  const rounds = { library: [], sdk: [], raw: [] }, built = {};
  for (const [who, app] of Object.entries(APPS))
    built[who] = await build(app, { config: { port: broker.port, echo: ECHO, qos1: QOS1 } });
  for (let round = 0; round < ROUNDS; round++)
    for (const who of Object.keys(APPS))
      rounds[who].push((await runTraced(built[who], { timeout: 120_000 })).result);
  const median = values => [...values].sort((a, b) => a - b)[values.length >> 1];
  for (const [who, runs] of Object.entries(rounds))
    results.footprint[who] = {
      ...runs[0],
      echo: { count: ECHO, payload: 64, perSecond: median(runs.map(run => run.echo.perSecond)), rounds: runs.map(run => run.echo.perSecond) },
      qos1: { count: QOS1, perSecond: median(runs.map(run => run.qos1.perSecond)), rounds: runs.map(run => run.qos1.perSecond) },
    };
  process.stderr.write('mcsim footprint done\n');

  if (!HEAP_ONLY)
    await partsAndBudget();
}
finally {
  await broker.close();
}

/** Where the library's bytes go, and the ESP8266's budget: the full bench's. */
async function partsAndBudget() {
  // Where the library's bytes go (tests/mcsim/parts), in the same run.
  const parts = await build('parts', { config: { port: broker.port } });
  results.parts = (await runTraced(parts, { timeout: 60_000 })).result;

  // The ESP8266's block; what each needs of the stack and the heap.
  const creation = esp8266Creation();
  results.esp8266.creation = creation;
  const restartable = await startMosquitto();
  try {
    const runs = {
      // the library's device work (tests/scenarios/client/device.js): connect, subscribe, QoS 0/1/2 both ways, reconnect
      library: (block, probe) => build('one-case', { config: { scenario: 'client/device', port: restartable.port, stackProbe: probe ? 1 : 0 }, creation: block })
        .then(so => runTraced(so, { timeout: 30_000, onReport: value => value.restartBroker && restartable.restart() }))
        .then(({ result, stack }) => ({ ok: result.received?.length === 6, stack })),
      // the library's measurement flow, as the SDK client's below
      libraryMeasure: (block, probe) => build('measure', { config: { port: broker.port, echo: 200, qos1: 20, probe: probe ? 1 : 0 }, creation: block })
        .then(so => runTraced(so, { timeout: 30_000 }))
        .then(({ result }) => ({ ok: true, stack: result.peaks?.stack, heap: result.peaks?.heap })),
      // the SDK's client: connect, subscribe, QoS 0/1/2 out and back, 20 QoS 1 round trips, echo
      sdk: (block, probe) => build('sdk-client', { config: { port: broker.port, echo: 200, qos1: 20, exchange: 1, probe: probe ? 1 : 0 }, creation: block })
        .then(so => runTraced(so, { timeout: 30_000 }))
        .then(({ result, traces }) => ({ ok: traces.some(line => line.startsWith('EXCHANGED') && line.includes('device/2 QoS 2')), stack: result.peaks?.stack, heap: result.peaks?.heap })),
    };
    const attempt = async (run, block, probe = false) => {
      try {
        return await run(block, probe);
      }
      catch (error) {
        return { ok: false, failure: error.message.split('\n')[0] };
      }
    };
    const roomy = { ...creation, stack: 4096 };	// the ESP8266's heaps, a stack that does not limit
    for (const [who, run] of Object.entries(runs)) {
      const entry = results.esp8266[who] = {};
      entry.withTheBlock = await attempt(run, creation);
      const probed = await attempt(run, roomy, true);
      entry.stackHighWater = probed.ok && probed.stack ? { bytes: probed.stack, slots: Math.ceil(probed.stack / SLOT) } : probed;
      if (probed.heap)
        entry.peakHeap = probed.heap;
      entry.smallestStack = await smallestStack(stack => attempt(run, { ...creation, stack }));
      process.stderr.write(`mcsim esp8266 ${who} done\n`);
    }
  }
  finally {
    await restartable.close();
  }
}

/**
 * The smallest `stack` (slots, in steps of 8) with which the run passes,
 * searched between 64 and 1024: a run that fails for another reason than a
 * stack overflow ends the search and is reported.
 */
async function smallestStack(pass) {
  let low = 64, high = 1024;
  const top = await pass(high);
  if (!top.ok)
    return { slots: `over ${high}`, failure: top.failure };
  while (high - low > 8) {
    const middle = Math.round((low + high) / 16) * 8;
    const outcome = await pass(middle);
    if (outcome.ok)
      high = middle;
    else if (/stack overflow/.test(outcome.failure ?? ''))
      low = middle;
    else
      return { slots: `at most ${high}`, failure: `at ${middle}: ${outcome.failure}` };
  }
  return { slots: high };
}

if (!HEAP_ONLY) {
  const merged = existsSync(RESULTS) ? JSON.parse(readFileSync(RESULTS, 'utf8')) : {};
  merged.mcsim = results;
  writeFileSync(RESULTS, JSON.stringify(merged, null, 2) + '\n');
}

const { library, sdk, raw } = results.footprint;
const bytes = figure => `${figure.total.toLocaleString('en')} (${figure.slots.toLocaleString('en')} + ${figure.chunks.toLocaleString('en')})`;

// The issue's three comparisons (issue 21), from this run: what the client
// keeps after traffic, beside what it held before and the SDK's client.
const signed = value => `${value > 0 ? '+' : value < 0 ? '−' : '±'}${Math.abs(value).toLocaleString('en')}`;
const against = (after, before) => `${bytes(after)}, ${signed(after.total - before.total)} over ${before.total.toLocaleString('en')}`;
console.log([
  `| held after the work, mcsim ${results.date.slice(0, 10)}: bytes over the baseline (slots + chunks), collected until nothing more goes | library | SDK's ECMA-419 client |`,
  '|---|---|---|',
  `| 2,000 QoS 0 publishes of 64 B to a topic nobody subscribes to, beside before them (after the row below) | ${against(library.published, library.traffic)} | ${against(sdk.published, sdk.traffic)} |`,
  `| disconnected, still referenced two turns later (a second client: connect(), a subscription, a QoS 1 round trip, disconnect()), beside the client made, before its first connect() | ${against(library.settled, library.made)} | closed: ${bytes(sdk.disconnected)} (it connects as it is made) |`,
  `| after a subscription and 20 QoS 1 round trips, beside idle and connected | ${against(library.traffic, library.idle)} | ${against(sdk.traffic, sdk.idle)} |`,
  `| the same, library beside the SDK's client | ${signed(library.traffic.total - sdk.traffic.total)} | |`,
  '',
].join('\n'));
if (HEAP_ONLY) {
  console.log(JSON.stringify(results.footprint));
  process.exit(0);
}

// The README's table.
const stackOf = entry => typeof entry.stackHighWater?.slots === 'number' ? `${entry.stackHighWater.bytes.toLocaleString('en')} B = ${entry.stackHighWater.slots} slots` : `n/a (${entry.stackHighWater?.failure ?? 'no figure'})`;
const passes = outcome => outcome.ok ? 'yes' : `no: ${outcome.failure ?? 'wrong result'}`;
const smallest = entry => `${entry.smallestStack.slots}${entry.smallestStack.failure ? ` (${entry.smallestStack.failure})` : ''}`;
const rows = [
  `| measured ${results.date.slice(0, 10)} in mcsim (SDK 8.2.3, 64-bit: a slot is 32 bytes, 16 on a device), mosquitto on loopback | library | SDK's ECMA-419 client | raw ECMA-419 socket |`,
  '|---|---|---|---|',
  `| XS heap, idle and connected: bytes over the baseline taken before the constructor (slots + chunks) | ${bytes(library.idle)} | ${bytes(sdk.idle)} | ${bytes(raw.idle)} |`,
  `| the client made, before its first connect() (the SDK's client and the socket connect as they are made) | ${bytes(library.made)} | | |`,
  `| the same after a subscription and 20 QoS 1 round trips | ${bytes(library.traffic)} | ${bytes(sdk.traffic)} | ${bytes(raw.traffic)} |`,
  `| the same after 2,000 QoS 0 publishes of 64 B more, to a topic nobody subscribes to | ${bytes(library.published)} | ${bytes(sdk.published)} | |`,
  `| the same with the echo's topic subscribed, before its traffic | ${bytes(library.beforeEcho)} | ${bytes(sdk.beforeEcho)} | ${bytes(raw.beforeEcho)} |`,
  `| the same after the echo: ${ECHO} QoS 0 publishes out and back | ${bytes(library.echoed)} | ${bytes(sdk.echoed)} | ${bytes(raw.echoed)} |`,
  `| the same right after disconnect() (close), the client still referenced | ${bytes(library.disconnected)} | ${bytes(sdk.disconnected)} | ${bytes(raw.disconnected)} |`,
  `| the same right after disconnect() (close) and the last reference dropped | ${bytes(library.closing)} | ${bytes(sdk.closing)} | ${bytes(raw.closing)} |`,
  `| the same two turns (20 ms) later | ${bytes(library.released)} | ${bytes(sdk.released)} | ${bytes(raw.released)} |`,
  `| a second client, after connect(), a subscription, a QoS 1 round trip and disconnect(), still referenced two turns (20 ms) later (beside "the client made" above) | ${bytes(library.settled)} | | |`,
  `| QoS 0 echo, 64 B x ${ECHO}: messages/s (median of ${ROUNDS}) | ${library.echo.perSecond} | ${sdk.echo.perSecond} | ${raw.echo.perSecond} |`,
  `| QoS 1 round trips/s (median of ${ROUNDS}) | ${library.qos1.perSecond} | ${sdk.qos1.perSecond} | ${raw.qos1.perSecond} |`,
  `| ESP8266 block (stack ${results.esp8266.creation.stack}; chunk ${results.esp8266.creation.chunk.initial} + ${results.esp8266.creation.chunk.incremental}; heap ${results.esp8266.creation.heap.initial} + ${results.esp8266.creation.heap.incremental}): the device's work runs | ${passes(results.esp8266.library.withTheBlock)} | ${passes(results.esp8266.sdk.withTheBlock)} | |`,
  `| XS stack high-water mark (the SDK's "XS Stack Used"), device work | ${stackOf(results.esp8266.library)} | ${stackOf(results.esp8266.sdk)} | |`,
  `| smallest stack (slots) with which it runs, ESP8266 heaps | ${smallest(results.esp8266.library)} | ${smallest(results.esp8266.sdk)} | |`,
  `| peak slot + chunk heap in use, ESP8266 heaps (the block's static total: ${results.esp8266.creation.static.toLocaleString('en')}; mcsim does not enforce it) | ${results.esp8266.libraryMeasure.peakHeap?.toLocaleString('en') ?? 'n/a'} | ${results.esp8266.sdk.peakHeap?.toLocaleString('en') ?? 'n/a'} | |`,
];
console.log(rows.join('\n'));

// What each part of the library costs.
const part = name => { const { slots, chunks } = results.parts[name]; return `${(slots + chunks).toLocaleString('en')} (${slots.toLocaleString('en')} + ${chunks.toLocaleString('en')})`; };
console.log([
  '',
  `| where the library's heap goes, mcsim ${results.date.slice(0, 10)} (bytes, slots + chunks, collected until one frees nothing more) | |`,
  '|---|---|',
  `| the client made, not connected (facade, link, packet writer, CONNECT kept as its bytes), keep-alive 60 s | ${part('made')} |`,
  `| connect(): socket, connection, parser, keep-alive timer | ${part('connected')} |`,
  `| of which a bare connected ECMA-419 TCP socket, measured alone | ${part('bareSocket')} |`,
  `| of which the parser (its own packet record), measured alone | ${part('parser')} |`,
  `| a subscription (the session, the acknowledgement timer until its deadline) | ${part('subscribed')} |`,
  `| 20 QoS 1 round trips after it (the topic cache, the acknowledgement timer until its deadline) | ${part('qos1')} |`,
  `| a message received through waitMsg (the delivery, the last topic kept) | ${part('received')} |`,
].join('\n'));
console.log(`\nThe library's measurement flow (tests/mcsim/measure): stack high-water ${stackOf(results.esp8266.libraryMeasure)}, smallest stack ${smallest(results.esp8266.libraryMeasure)}, with the block: ${passes(results.esp8266.libraryMeasure.withTheBlock)}.`);
console.log(`Full figures in ${RESULTS} ("mcsim").`);
