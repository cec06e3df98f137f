// Runs an example app (its compiled main) on the XS engine, in the simulator
// host, against an embedded aedes broker; a second client (MQTT.js) sends to
// openmv/in so the example's callback visibly fires, and shows what the
// example publishes on openmv/out.
//
//   node examples/run.js hello                      (npm start)
//   node examples/run.js secure                     (npm run secure: TLS, with a CA made for the run)
//   ... --broker HOST[:PORT]                        a real broker instead (plain TCP: hello)
//   ... --messages N                                messages to send before stopping (default 3)
import { parseArgs } from 'node:util';
import mqtt from 'mqtt';
import { XSHost } from '../tests/harness/host.js';
import { startAedes } from '../tests/harness/brokers.js';
import { makeCertificates } from '../tests/harness/certs.js';

const { values, positionals } = parseArgs({ allowPositionals: true, options: {
  broker: { type: 'string' },
  messages: { type: 'string', default: '3' },
} });
const example = positionals[0] ?? 'hello';
const secure = example === 'secure';
const count = Number(values.messages);

let broker, host, port;
const certificates = secure ? makeCertificates() : undefined;
if (values.broker) {
  [host, port] = values.broker.split(':');
  port = Number(port ?? (secure ? 8883 : 1883));
}
else {
  broker = await startAedes(secure ? { tls: { key: certificates.localhost.key, cert: certificates.localhost.cert } } : {});
  host = secure ? 'localhost' : '127.0.0.1';
  port = broker.port;
  console.log(`embedded aedes broker on ${host}:${port}${secure ? ' (TLS, certificate for localhost from a CA made for this run)' : ''}`);
}

const peer = await mqtt.connectAsync(`${secure ? 'mqtts' : 'mqtt'}://${host}:${port}`, {
  clientId: `example-peer-${process.pid}`, ca: certificates?.ca.pem,
});
await peer.subscribeAsync('openmv/out');
const outgoing = new Promise(resolve => peer.on('message', (topic, payload) => {
  console.log(`peer   <- ${topic} ${payload}`);
  resolve();
}));

const xs = await XSHost.start({
  manifest: secure ? 'manifest_tls.json' : 'manifest.json',
  config: { broker: host, port },
  resources: secure ? { 'ca.der': certificates.ca.der } : {},
  onTrace: text => process.stdout.write(`XS     trace: ${text}`),
});
// The app's main module returns at once (its loop runs in an async function); only a failure ends the wait.
const failed = new Promise(resolve => xs.run(`build/examples/${example}/main.js`).catch(error => {
  console.error(error);
  process.exitCode = 1;
  resolve();
}));
console.log(`XS     running examples/${example}/main.ts -> ${host}:${port}`);

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
