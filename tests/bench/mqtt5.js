// npm run bench, MQTT 5.0 (issue 20): the client under 3.1.1, under 5, and
// under 5 with outgoing topic aliases (`topicAliases`), in the same run, on XS
// (xsnap, the bench app built with manifest_mqtt5.json), against mosquitto
// through a loopback proxy that counts what the client writes:
//  - bytes on the wire for COUNT QoS 0 publishes of 16 B to a 40-byte topic,
//    each awaited (handed to the socket) before the next; then the same made
//    in one turn, most of which wait in the send queue (and so carry no
//    alias: only a PUBLISH handed to the socket at once does);
//  - compute steps per QoS 0 publish: PER_TURN publishes in one turn (all
//    taken by the socket at once), less an empty turn's steps;
//  - compute steps per received message (16 B, QoS 0, from an MQTT.js peer).
// XS meters do not vary with machine load. Appends its table to
// bench-results.json's `mqtt5` and prints it.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import mqtt from 'mqtt';
import { XSHost } from '../harness/host.js';
import { startMosquitto } from '../harness/brokers.js';
import { startProxy } from '../harness/proxy.js';

const BENCH = 'tests/scenarios/bench/bench.js';
const WINDOW = 1536;
const COUNT = 1000;
const PER_TURN = 25;	// 25 packets of at most 61 bytes: within the write window
const TOPIC = 'bench/aliases/01234567890123456789012345';	// 40 bytes
const PAYLOAD = { size: 16, kind: 'binary' };
const CONFIGS = [
  ['MQTT 3.1.1', {}],
  ['MQTT 5', { protocolVersion: 5 }],
  ['MQTT 5, topicAliases: 1', { protocolVersion: 5, topicAliases: 1 }],
];
const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));

/** The bench app on xsnap: `turn` (one message, its meters), `span` (until the step reports done: its compute). */
async function machine() {
  const xs = await XSHost.start({ manifest: 'manifest_mqtt5.json', window: WINDOW, readSize: WINDOW });
  const reports = [];
  let failure, sequence = 0;
  xs.run(BENCH, {}, { timeout: 3_600_000, onReport: report => report.error ? (failure = new Error(report.error)) : reports.push(report) }).catch(error => { failure = error; });
  const next = async match => {
    for (let waited = 0; waited < 300_000; waited += 2) {
      if (failure)
        throw failure;
      const index = reports.findIndex(match);
      if (index >= 0)
        return reports.splice(index, 1)[0];
      await sleep(2);
    }
    throw new Error('no report from the bench app');
  };
  await next(report => report.ready);
  const turn = op => xs.message(op);
  const span = async op => {
    const before = xs.totals.compute, id = ++sequence;
    await xs.message({ ...op, id });
    await next(report => report.done && report.id === id);
    return xs.totals.compute - before;
  };
  return { xs, turn, span };
}

async function measure(config, proxy, peer) {
  const settle = async () => {	// until what the client wrote has all reached the proxy
    for (let last = -1; last !== proxy.written;) {
      last = proxy.written;
      await sleep(50);
    }
  };
  const { xs, turn, span } = await machine();
  try {
    await span({ op: 'connect', port: proxy.port, subscribe: 'bench/in', ...config });
    await turn({ op: 'prepare', ...PAYLOAD });
    await span({ op: 'publishEach', count: 50, topic: TOPIC, ...PAYLOAD });	// warm (and, with aliases, the alias set)
    await sleep(50);
    const before = proxy.written;
    await span({ op: 'publishEach', count: COUNT, topic: TOPIC, ...PAYLOAD });
    await settle();
    const wire = proxy.written - before;
    const burstBefore = proxy.written;	// the same COUNT in one turn: past the write window they wait in the queue, and go by name
    await span({ op: 'publish', count: COUNT, topic: TOPIC, ...PAYLOAD });
    await settle();
    const burstWire = proxy.written - burstBefore;
    await sleep(50);
    for (let i = 0; i < 3; i++) {
      await turn({ op: 'publish', count: PER_TURN, topic: TOPIC, ...PAYLOAD });
      await sleep(20);	// the write window refills
    }
    const noop = await turn({ op: 'noop' });
    const burst = await turn({ op: 'publish', count: PER_TURN, topic: TOPIC, ...PAYLOAD });
    await sleep(20);
    const payload = Buffer.alloc(PAYLOAD.size, 7);
    let receive;
    for (const count of [50, COUNT]) {	// warm, then measured
      const done = span({ op: 'expect', count });
      for (let i = 0; i < count; i++)
        peer.publish('bench/in', payload);
      receive = await done / count;
    }
    return { wireBytes: wire, wirePerPublish: wire / COUNT, burstWireBytes: burstWire, publishSteps: Math.round((burst.compute - noop.compute) / PER_TURN), receiveSteps: Math.round(receive) };
  }
  finally {
    await xs.close();
  }
}

const broker = await startMosquitto();
let written = 0;
const proxy = await startProxy(broker.port, { tap: (direction, socket, bytes) => { if (direction === 'out') written += bytes.length; } });
Object.defineProperty(proxy, 'written', { get: () => written });
const peer = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.port}`);
try {
  const results = {};
  for (const [name, config] of CONFIGS)
    results[name] = await measure(config, proxy, peer);
  const names = Object.keys(results);
  const rows = [
    [`bytes on the wire, ${COUNT} QoS 0 publishes of 16 B to a 40-byte topic, each awaited`, r => r.wireBytes.toLocaleString('en')],
    ['bytes per publish', r => r.wirePerPublish.toFixed(1)],
    [`bytes on the wire, the same ${COUNT} publishes made in one turn (most wait in the send queue)`, r => r.burstWireBytes.toLocaleString('en')],
    [`compute steps per QoS 0 publish (${PER_TURN} in a turn)`, r => r.publishSteps],
    ['compute steps per received message (16 B, QoS 0)', r => r.receiveSteps],
  ];
  const table = [`| measured ${new Date().toISOString().slice(0, 10)} on XS (xsnap), mosquitto on loopback, one run | ${names.join(' | ')} |`, `|---|${names.map(() => '---').join('|')}|`,
    ...rows.map(([what, value]) => `| ${what} | ${names.map(name => value(results[name])).join(' | ')} |`)].join('\n');
  console.log(table);
  const file = 'bench-results.json';
  const all = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
  all.mqtt5 = results;
  writeFileSync(file, JSON.stringify(all, null, 2) + '\n');
}
finally {
  await peer.endAsync();
  await proxy.close();
  await broker.close();
}
