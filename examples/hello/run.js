// The main job: the seed's example (examples/hello/main.ts) on the XS engine,
// in the simulator host, against an embedded aedes broker. A second client
// (MQTT.js) sends to openmv/in so the callback visibly fires, and shows what
// the example publishes on openmv/out.
//
//   npm start                              embedded aedes on loopback
//   npm start -- --broker HOST[:PORT]      a real broker instead
//   npm start -- --messages 5              how many messages to send before stopping
import { parseArgs } from 'node:util';
import mqtt from 'mqtt';
import { XSHost } from '../../tests/harness/host.js';
import { startAedes } from '../../tests/harness/brokers.js';

const { values } = parseArgs({ options: {
  broker: { type: 'string' },
  messages: { type: 'string', default: '3' },
} });
const count = Number(values.messages);

let broker, host, port;
if (values.broker) {
  [host, port] = values.broker.split(':');
  port = Number(port ?? 1883);
}
else {
  broker = await startAedes();
  host = '127.0.0.1';
  port = broker.port;
  console.log(`embedded aedes broker on ${host}:${port}`);
}

const peer = await mqtt.connectAsync(`mqtt://${host}:${port}`, { clientId: `hello-peer-${process.pid}` });
await peer.subscribeAsync('openmv/out');
const outgoing = new Promise(resolve => peer.on('message', (topic, payload) => {
  console.log(`peer   <- ${topic} ${payload}`);
  resolve();
}));

const xs = await XSHost.start({ config: { broker: host, port }, onTrace: text => process.stdout.write(`XS     trace: ${text}`) });
// The app's main module returns at once (its loop runs in an async function); only a failure ends the wait.
const failed = new Promise(resolve => xs.run('build/examples/hello/main.js').catch(error => {
  console.error(error);
  process.exitCode = 1;
  resolve();
}));
console.log(`XS     running examples/hello/main.ts: client "openmv" -> ${host}:${port}`);

await Promise.race([outgoing, failed]);
// The example subscribed before it published, so what goes to openmv/in now reaches its callback.
const traced = () => xs.traces.filter(line => line.startsWith('openmv/in ')).length;
for (let i = 1; i <= count && !process.exitCode; i++) {
  const text = `message ${i} from the peer`;
  console.log(`peer   -> openmv/in ${text}`);
  await peer.publishAsync('openmv/in', text);
  const deadline = Date.now() + 5000;
  while (traced() < i && Date.now() < deadline)
    await new Promise(resolve => setTimeout(resolve, 10));
  if (traced() < i) {
    console.error('the example\'s callback did not fire');
    process.exitCode = 1;
  }
}
console.log(process.exitCode ? 'failed' : `done: the callback fired ${traced()} times`);
await xs.close();
await peer.endAsync();
await broker?.close();
