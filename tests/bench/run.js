// npm run bench: the client's cost on XS, beside a raw ECMA-419 socket app
// that writes pre-encoded packets through the same host (the baseline), in
// the same run, against aedes and mosquitto.
//
// XS meters (compute steps, heap slots) do not vary with machine load and are
// the figures to compare; wall-clock rates are shown beside the baseline's,
// as a ratio. Writes bench-results.json and prints a Markdown table.
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import mqtt from 'mqtt';
import { XSHost } from '../harness/host.js';
import { startAedes, startMosquitto } from '../harness/brokers.js';

const BENCH = 'tests/scenarios/bench/bench.js';
const WINDOW = 1536;	// the simulator's write window and read buffer
const ECHO_COUNT = Number(process.env.BENCH_ECHO ?? 5000);
const RECEIVE_COUNT = 1000;
const ROUNDS = 5;
const SIMULATOR_TICK = 20;	// mcsim services sockets from a 20 ms polling task (shared/docs/platform.md)
// The SDK's own ECMA-419 MQTT client, the second baseline, run on the same host when MODDABLE points at the SDK.
const SDK_CLIENT = process.env.MODDABLE && path.join(process.env.MODDABLE, 'examples/io/tcp/mqttclient/mqttclient.js');
const sdkPresent = Boolean(SDK_CLIENT && existsSync(SDK_CLIENT));

class Session {
  #reports = [];
  #sequence = 0;
  #waiters = [];
  static async open(tick = 0) {
    const session = new Session();
    session.xs = await XSHost.start({ window: WINDOW, readSize: WINDOW, tick });
    session.xs.run(BENCH, {}, { timeout: 3_600_000, onReport: report => session.#report(report) })
      .catch(error => { session.failure = error; for (const waiter of session.#waiters.splice(0)) waiter.reject(error); });
    await session.#next(report => report.ready);
    return session;
  }
  #report(report) {
    if (report.done && report.id !== this.#sequence)
      return;	// a late report of an earlier step
    if (report.error) {
      this.failure = new Error(report.error);
      for (const waiter of this.#waiters.splice(0))
        waiter.reject(this.failure);
      return;
    }
    this.#reports.push(report);
    for (const waiter of [...this.#waiters])
      if (waiter.match(report)) {
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
        this.#reports.splice(this.#reports.indexOf(report), 1);
        waiter.resolve(report);
      }
  }
  #next(match) {
    const found = this.#reports.find(match);
    if (found) {
      this.#reports.splice(this.#reports.indexOf(found), 1);
      return Promise.resolve(found);
    }
    return new Promise((resolve, reject) => this.#waiters.push({ match, resolve, reject }));
  }
  /** One turn: its meters. */
  turn(op) {
    return this.xs.message(op);
  }
  /** An operation over as many turns as it takes, until it reports done: compute, turns, wall time, heap at the end. */
  async span(op) {
    if (process.env.BENCH_DEBUG) console.error('span', JSON.stringify(op));
    const before = { ...this.xs.totals };
    const start = performance.now();
    const id = ++this.#sequence;
    const done = this.#next(report => report.done && report.id === id);
    await this.xs.message({ ...op, id });
    let timer;
    const report = await Promise.race([done, new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`bench step ${op.op} did not finish within 5 min`)), 300_000); })]);
    clearTimeout(timer);
    await new Promise(resolve => setTimeout(resolve, 10));	// the write window refills before the next step
    return {
      compute: this.xs.totals.compute - before.compute,
      turns: this.xs.totals.commands - before.commands,
      wall: performance.now() - start,
      heap: this.xs.meters.currentHeapCount,
      report,
    };
  }
  /** Live slots after a collection. */
  async heap() {
    return (await this.turn({ op: 'gc' })).currentHeapCount;
  }
  close() {
    return this.xs.close();
  }
}

const topic = 'bench/t';
const round = (value, digits = 0) => Number(value.toFixed(digits));

/** Compute and allocations of QoS 0 publishes that the socket takes at once, client and raw. */
async function publishCost(port, size, kind) {
  const packet = 2 + (size + 2 + topic.length < 128 ? 0 : 1) + 2 + topic.length + size;
  const perTurn = Math.max(1, Math.min(50, Math.floor(WINDOW / packet)));
  const fits = packet <= WINDOW;
  const measure = async (session, setup, op) => {
    await setup();
    await session.turn({ op: 'prepare', size, kind });
    for (let i = 0; i < 3; i++)	// warm
      await session.span({ ...op, count: perTurn });
    const noop = await session.turn({ op: 'noop' });
    const heapBefore = await session.heap();
    const result = fits ? await session.turn({ ...op, count: perTurn }) : await session.span({ ...op, count: 1 });
    if (fits)
      await new Promise(resolve => setTimeout(resolve, 20));	// the write window refills
    const allocated = (fits ? result.currentHeapCount : result.heap) - heapBefore;
    const heapAfter = await session.heap();
    const count = fits ? perTurn : 1;
    return {
      count,
      compute: round(((fits ? result.compute - noop.compute : result.compute)) / count),
      allocatedSlots: round(allocated / count, 1),
      retainedSlots: round((heapAfter - heapBefore) / count, 1),
    };
  };
  const client = await Session.open();
  const clientResult = await measure(client, () => client.span({ op: 'connect', port }), { op: 'publish', size, kind, topic });
  await client.close();
  const raw = await Session.open();
  const rawResult = await measure(raw, async () => {
    await raw.span({ op: 'rawConnect', port });
    await raw.turn({ op: 'prepare', size, kind });
    await raw.turn({ op: 'rawPrepare', size, kind, topic });
  }, { op: 'rawPublish' });
  await raw.close();
  if (!sdkPresent || kind !== 'binary' || size !== 16)
    return { client: clientResult, raw: rawResult };
  const sdk = await Session.open();
  const sdkResult = await measure(sdk, () => sdk.span({ op: 'sdkConnect', port, path: SDK_CLIENT }), { op: 'sdkPublish', size, kind, topic });
  await sdk.close();
  return { client: clientResult, raw: rawResult, sdk: sdkResult };
}

async function qos1Cost(port, tick = 0) {
  const count = tick ? 50 : 200;
  const client = await Session.open(tick);
  await client.span({ op: 'connect', port });
  await client.turn({ op: 'prepare', size: 16, kind: 'binary' });
  await client.span({ op: 'qos1', count: 20, topic });
  const clientResult = await client.span({ op: 'qos1', count, topic });
  await client.close();
  const raw = await Session.open(tick);
  await raw.span({ op: 'rawConnect', port });
  await raw.turn({ op: 'prepare', size: 16, kind: 'binary' });
  await raw.turn({ op: 'rawPrepareQoS1', count, topic });
  const rawResult = await raw.span({ op: 'rawQoS1', count, topic });
  await raw.close();
  const per = result => ({ compute: round(result.compute / count), turns: round(result.turns / count, 2), ms: round(result.wall / count, 3) });
  if (!sdkPresent || tick)
    return { client: per(clientResult), raw: per(rawResult) };
  const sdk = await Session.open(tick);
  await sdk.span({ op: 'sdkConnect', port, path: SDK_CLIENT });
  await sdk.turn({ op: 'prepare', size: 16, kind: 'binary' });
  await sdk.span({ op: 'sdkQoS1', count: 20, topic });
  const sdkResult = await sdk.span({ op: 'sdkQoS1', count, topic });
  await sdk.close();
  return { client: per(clientResult), raw: per(rawResult), sdk: per(sdkResult) };
}

async function receiveCost(port) {
  const peer = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`);
  const payload = Buffer.alloc(16, 7);
  const run = async (session, connect, expect) => {
    await session.span(connect);
    await session.turn({ op: 'prepare', size: 16, kind: 'binary' });
    for (const count of [50, RECEIVE_COUNT]) {	// warm, then measured
      const heapBefore = await session.heap();
      const before = { ...session.xs.totals };
      const done = session.span({ ...expect, count });
      for (let i = 0; i < count; i++)
        peer.publish('bench/in', payload);
      const result = await done;
      if (count === RECEIVE_COUNT)
        return {
          compute: round((session.xs.totals.compute - before.compute) / count),
          allocatedSlots: round((result.heap - heapBefore) / count, 1),
          retainedSlots: round(((await session.heap()) - heapBefore) / count, 1),
        };
    }
  };
  const client = await Session.open();
  const clientResult = await run(client, { op: 'connect', port, subscribe: 'bench/in' }, { op: 'expect' });
  await client.close();
  const raw = await Session.open();
  const rawResult = await run(raw, { op: 'rawConnect', port, subscribe: 'bench/in' }, { op: 'rawExpect', size: 16, topic: 'bench/in' });
  await raw.close();
  let sdkResult;
  if (sdkPresent) {
    const sdk = await Session.open();
    sdkResult = await run(sdk, { op: 'sdkConnect', port, subscribe: 'bench/in', path: SDK_CLIENT }, { op: 'sdkExpect' });
    await sdk.close();
  }
  await peer.endAsync();
  return { client: clientResult, raw: rawResult, sdk: sdkResult };
}

async function idleHeap(port) {
  const client = await Session.open();
  const before = await client.heap();
  await client.span({ op: 'connect', port });
  const after = await client.heap();
  await client.close();
  const raw = await Session.open();
  const rawBefore = await raw.heap();
  await raw.span({ op: 'rawConnect', port });
  const rawAfter = await raw.heap();
  await raw.close();
  return { clientSlots: after - before, socketSlots: rawAfter - rawBefore, clientOnlySlots: (after - before) - (rawAfter - rawBefore) };
}

/**
 * Publish-and-echo through the broker, client and raw app, each connected
 * once and measured `ROUNDS` times in alternation; the median round of each
 * is reported, since wall-clock rates vary with machine load.
 */
async function echoThroughput(port, tick = 0) {
  const size = 64;
  const count = tick ? Math.min(ECHO_COUNT, 2000) : ECHO_COUNT;
  const client = await Session.open(tick);
  await client.span({ op: 'connect', port, subscribe: 'bench/echo' });
  await client.turn({ op: 'prepare', size, kind: 'binary' });
  await client.span({ op: 'echo', count: 200, size, topic: 'bench/echo' });
  const raw = await Session.open(tick);
  await raw.span({ op: 'rawConnect', port, subscribe: 'bench/echo' });
  await raw.turn({ op: 'prepare', size, kind: 'binary' });
  await raw.span({ op: 'rawEcho', count: 200, size, topic: 'bench/echo' });
  const sdk = sdkPresent && !tick ? await Session.open(tick) : undefined;
  if (sdk) {
    await sdk.span({ op: 'sdkConnect', port, subscribe: 'bench/echo', path: SDK_CLIENT });
    await sdk.turn({ op: 'prepare', size, kind: 'binary' });
    await sdk.span({ op: 'sdkEcho', count: 200, size, topic: 'bench/echo' });
  }
  const clientRounds = [], rawRounds = [], sdkRounds = [];
  for (let round = 0; round < (tick ? 1 : ROUNDS); round++) {
    clientRounds.push(await client.span({ op: 'echo', count, size, topic: 'bench/echo' }));
    rawRounds.push(await raw.span({ op: 'rawEcho', count, size, topic: 'bench/echo' }));
    if (sdk)
      sdkRounds.push(await sdk.span({ op: 'sdkEcho', count, size, topic: 'bench/echo' }));
  }
  await client.close();
  await raw.close();
  await sdk?.close();
  const median = rounds => [...rounds].sort((a, b) => a.wall - b.wall)[rounds.length >> 1];
  const rate = result => ({
    messagesPerSecond: round(count / (result.wall / 1000)),
    megabytesPerSecond: round(count * size / (result.wall / 1000) / 1e6, 3),
    computePerMessage: round(result.compute / count),
    turnsPerMessage: round(result.turns / count, 3),
  });
  const clientRate = rate(median(clientRounds)), rawRate = rate(median(rawRounds));
  return { size, count, rounds: clientRounds.length, client: clientRate, raw: rawRate, sdk: sdk && rate(median(sdkRounds)), ratio: round(clientRate.messagesPerSecond / rawRate.messagesPerSecond, 3) };
}

/**
 * Where a message's compute steps go, piece by piece: the client's own code
 * over an in-memory socket that costs next to nothing (MemorySocket in the
 * bench app), each piece a turn of its own less an empty turn's steps. The
 * socket's side (the host's event, read() and write()) is what the raw app
 * pays on the real socket, in the tables beside.
 */
async function pathCost() {
  const session = await Session.open();
  const count = 50;
  const perMessage = async (op, divisor = count) => {
    await session.turn(op);	// warm: the topic cache, the settled Promise, the parser's view
    const noop = await session.turn({ op: 'noop' });
    const result = await session.turn(op);
    return round((result.compute - noop.compute) / divisor);
  };
  const prepare = (size, qos) => session.turn({ op: 'memPrepare', count, size, qos, topic: 'bench/in' });
  for (const [name, push, callback] of [['push', true, true], ['bare', true, false], ['wait', false, true]])
    await session.span({ op: 'memConnect', name, push, callback });
  await prepare(16, 0);
  const parse = await perMessage({ op: 'memParse' });
  const push = await perMessage({ op: 'memReceive', name: 'push' });
  const bare = await perMessage({ op: 'memReceive', name: 'bare' });
  const pushOne = await perMessage({ op: 'memReceiveOne', name: 'push', count });
  const wait = await perMessage({ op: 'memWait', name: 'wait', count });
  const write = await perMessage({ op: 'memWrite', count, topic });
  const publish = await perMessage({ op: 'memPublish', name: 'push', count, topic });
  const qos1 = await perMessage({ op: 'memQoS1', name: 'push', count, topic });
  await prepare(16, 1);
  const pushQoS1 = await perMessage({ op: 'memReceive', name: 'push' });
  await prepare(64, 0);
  const echo = await perMessage({ op: 'memEcho', name: 'push', count, topic: 'bench/in' });
  await session.close();
  return {
    messagesPerRead: count,
    receive: {
      parse, dispatch: bare - parse, callback: push - bare, total: push,
      acknowledgement: pushQoS1 - push, qos1Total: pushQoS1,
      onePerRead: pushOne, waitMsgOnePerRead: wait, waitMsgOverPush: wait - pushOne,
    },
    publish: { writer: write, total: publish, sending: publish - write },
    qos1RoundTrip: qos1,
    echo64: echo,
  };
}

/** What one Node-to-XS event costs the host: a turn that does nothing, timed over many. */
async function hostEventCost() {
  const session = await Session.open();
  for (let i = 0; i < 200; i++)
    await session.turn({ op: 'noop' });
  const count = 5000;
  const start = performance.now();
  let meters;
  for (let i = 0; i < count; i++)
    meters = await session.turn({ op: 'noop' });
  const wall = performance.now() - start;
  await session.close();
  return { microseconds: round(wall / count * 1000, 1), compute: meters.compute };
}

// BENCH_PATH=1: the breakdown alone (seconds, no broker), to meter a change piece by piece.
const pathOnly = Boolean(process.env.BENCH_PATH);
const results = {
  date: new Date().toISOString(),
  machine: `${os.cpus()[0]?.model ?? 'cpu'} x${os.cpus().length}, Node ${process.version}`,
  window: WINDOW,
  brokers: {},
  hostEvent: pathOnly ? undefined : await hostEventCost(),
  path: await pathCost(),
};

// BENCH_BROKERS=aedes: that broker alone (a shorter run).
const only = process.env.BENCH_BROKERS?.split(',');
for (const [name, start] of pathOnly ? [] : [['aedes', startAedes], ['mosquitto', startMosquitto]].filter(([name]) => !only || only.includes(name))) {
  const broker = await start();
  try {
    const port = broker.port;
    const entry = results.brokers[name] = { publish: {} };
    for (const kind of ['binary', 'string'])
      for (const size of [16, 1024, 65536])
        entry.publish[`${kind} ${size}`] = await publishCost(port, size, kind);
    entry.qos1 = await qos1Cost(port);
    entry.receive = await receiveCost(port);
    entry.idle = await idleHeap(port);
    entry.echo = await echoThroughput(port);
    entry.simulator = { tick: SIMULATOR_TICK, echo: await echoThroughput(port, SIMULATOR_TICK), qos1: await qos1Cost(port, SIMULATOR_TICK) };
    process.stderr.write(`${name} done\n`);
  }
  finally {
    await broker.close();
  }
}

if (pathOnly) {
  printPath();
  process.exit(0);
}
writeFileSync('bench-results.json', JSON.stringify(results, null, 2) + '\n');

const names = Object.keys(results.brokers);
const rows = [];
const row = (label, value) => rows.push(`| ${label} | ${names.map(name => value(results.brokers[name])).join(' | ')} |`);
for (const key of Object.keys(results.brokers[names[0]].publish)) {
  const [kind, size] = key.split(' ');
  const label = `QoS 0 publish, ${size >= 1024 ? `${size / 1024} KB` : `${size} B`} ${kind}`;
  row(`${label}: compute steps, client / raw`, b => `${b.publish[key].client.compute} / ${b.publish[key].raw.compute}`);
  row(`${label}: slots allocated (garbage), client / raw`, b => `${b.publish[key].client.allocatedSlots} / ${b.publish[key].raw.allocatedSlots}`);
  row(`${label}: heap growth once warm (slots)`, b => `${b.publish[key].client.retainedSlots}`);
}
row('QoS 1 round trip: compute steps, client / raw', b => `${b.qos1.client.compute} / ${b.qos1.raw.compute}`);
row('QoS 1 round trip: event-loop turns, client / raw', b => `${b.qos1.client.turns} / ${b.qos1.raw.turns}`);
row('QoS 1 round trip: ms, client / raw', b => `${b.qos1.client.ms} / ${b.qos1.raw.ms}`);
row('received message (16 B): compute steps, client / raw', b => `${b.receive.client.compute} / ${b.receive.raw.compute}`);
row('received message (16 B): slots allocated, client / raw', b => `${b.receive.client.allocatedSlots} / ${b.receive.raw.allocatedSlots}`);
row('idle connected client: heap slots (client alone)', b => `${b.idle.clientSlots} (${b.idle.clientOnlySlots})`);
row(`echo 64 B x ${ECHO_COUNT}: messages/s, client / raw (ratio)`, b => `${b.echo.client.messagesPerSecond} / ${b.echo.raw.messagesPerSecond} (${b.echo.ratio})`);
row('echo 64 B: MB/s, client / raw', b => `${b.echo.client.megabytesPerSecond} / ${b.echo.raw.megabytesPerSecond}`);
row('echo 64 B: compute steps per message, client / raw', b => `${b.echo.client.computePerMessage} / ${b.echo.raw.computePerMessage}`);
if (sdkPresent) {
  row('the SDK\'s ECMA-419 client, same host and run: QoS 0 publish 16 B, received 16 B, QoS 1 round trip, echo 64 B: compute steps', b =>
    `${b.publish['binary 16'].sdk.compute} / ${b.receive.sdk.compute} / ${b.qos1.sdk.compute} / ${b.echo.sdk.computePerMessage}`);
  row('the SDK\'s ECMA-419 client: slots allocated, QoS 0 publish 16 B / received 16 B', b => `${b.publish['binary 16'].sdk.allocatedSlots} / ${b.receive.sdk.allocatedSlots}`);
}
row(`simulator polling (${SIMULATOR_TICK} ms ticks): echo 64 B messages/s, client / raw (ratio)`, b => `${b.simulator.echo.client.messagesPerSecond} / ${b.simulator.echo.raw.messagesPerSecond} (${b.simulator.echo.ratio})`);
row(`simulator polling (${SIMULATOR_TICK} ms ticks): QoS 1 round trip ms, client / raw`, b => `${b.simulator.qos1.client.ms} / ${b.simulator.qos1.raw.ms}`);

console.log(`| measured ${results.date.slice(0, 10)} on XS (xsnap), write window ${WINDOW} B, socket events at once unless stated | ${names.join(' | ')} |`);
console.log(`|---|${names.map(() => '---').join('|')}|`);
console.log(rows.join('\n'));
printPath();
console.log(`\nOne Node-to-XS event of the host (an empty turn): ${results.hostEvent.microseconds} µs, ${results.hostEvent.compute} compute steps.`);
console.log(`${results.machine}; full figures in bench-results.json`);

/** The breakdown table; its last rows, the socket's side, from the first broker's raw app (not in BENCH_PATH's run). */
function printPath() {
  const path = results.path, first = Object.keys(results.brokers)[0], raw = results.brokers[first];
  const socketRows = raw ? `
| the socket's side, ${first}: a received 16 B message read by the raw app (host event and read()) | ${raw.receive.raw.compute} |
| the socket's side, ${first}: a QoS 0 publish 16 B written by the raw app | ${raw.publish['binary 16'].raw.compute} |` : '';
  console.log(`
| where a message's compute steps go: the client's code over an in-memory socket, per message (${path.messagesPerRead} a read unless stated) | steps |
|---|---|
| received 16 B, push: parse (PacketParser) | ${path.receive.parse} |
| received 16 B, push: dispatch and delivery (connection's read loop, link, handler, delivery) | ${path.receive.dispatch} |
| received 16 B, push: the app's callback (an empty function) | ${path.receive.callback} |
| received 16 B, push: the client's total | ${path.receive.total} |
| received 16 B, QoS 1: the acknowledgement (PUBACK written) | ${path.receive.acknowledgement} |
| received 16 B, QoS 1: the client's total | ${path.receive.qos1Total} |
| received 16 B, push, one message a read | ${path.receive.onePerRead} |
| received 16 B, waitMsg() awaited, one message a read | ${path.receive.waitMsgOnePerRead} (${path.receive.waitMsgOverPush} over push) |
| QoS 0 publish 16 B: the writer (PacketWriter.publish) | ${path.publish.writer} |
| QoS 0 publish 16 B: the client's total | ${path.publish.total} |
| QoS 1 round trip 16 B: publish, PUBACK read, the Promise awaited | ${path.qos1RoundTrip} |
| echo 64 B: publish and the same message received | ${path.echo64} |${socketRows}`);
}
