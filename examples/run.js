// Runs an example app (its compiled main) on the XS engine, in the simulator
// host, against an embedded aedes broker; a second client (MQTT.js) sends to
// openmv/in so the example's callback visibly fires, and shows what the
// example publishes on openmv/out. USAGE below says how to call it.
import { parseArgs } from 'node:util';
import mqtt from 'mqtt';
import { XSHost } from '../tests/harness/host.js';
import { startAedes } from '../tests/harness/brokers.js';
import { makeCertificates } from '../tests/harness/certs.js';
import { until } from '../tests/helpers/xs.js';

const USAGE = `usage: node examples/run.js [hello|secure] [--broker HOST[:PORT]] [--messages N]
       npm start -- [options]          (hello)
       npm run secure -- [options]     (secure: TLS, with a CA made for the run)

Runs the example on the XS engine in the simulator host, against an embedded
aedes broker; a second client (MQTT.js) sends to openmv/in and shows what the
example publishes on openmv/out.

  --broker HOST[:PORT]  a real broker instead (port 1883, or 8883 for secure)
  --messages N          messages the second client sends before the run ends (default 3)
  -h, --help            print this and exit`;
const EXAMPLES = ['hello', 'secure'];
const WAIT = 15_000;	// ms for the example to show it is connected (its publish), and for each message

/** A mistake in how the script was called: the reason and the usage, exit status 2. */
function usageError(reason) {
  console.error(`examples/run.js: ${reason}\n\n${USAGE}`);
  process.exit(2);
}

/** A run that cannot go on: one line saying why, exit status 1. */
class RunError extends Error {}

function parse() {
  let parsed;
  try {
    parsed = parseArgs({ allowPositionals: true, options: {
      broker: { type: 'string' },
      messages: { type: 'string', default: '3' },
      help: { type: 'boolean', short: 'h', default: false },
    } });
  }
  catch (error) {
    usageError(error.message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  if (positionals.length > 1)
    usageError(`one example at a time, not ${positionals.join(' ')}`);
  const example = positionals[0] ?? 'hello';
  if (!EXAMPLES.includes(example))
    usageError(`no example named ${example} (${EXAMPLES.join(', ')})`);
  const count = Number(values.messages);
  if (!Number.isInteger(count) || count < 1)
    usageError(`--messages must be a whole number >= 1, not ${values.messages}`);
  let broker;
  if (values.broker !== undefined) {
    const match = /^([^:\s]+)(?::(\d+))?$/.exec(values.broker);
    const port = Number(match?.[2] ?? (example === 'secure' ? 8883 : 1883));
    if (!match || port < 1 || port > 65535)
      usageError(`--broker must be HOST or HOST:PORT (port 1..65535), not ${values.broker}`);
    broker = { host: match[1], port };
  }
  return { example, count, broker };
}

async function main({ example, count, broker: external }) {
  const secure = example === 'secure';
  const certificates = secure ? makeCertificates() : undefined;
  const open = [];	// what to close at the end, last opened first
  try {
    let host, port;
    if (external)
      ({ host, port } = external);
    else {
      const broker = await startAedes(secure ? { tls: { key: certificates.localhost.key, cert: certificates.localhost.cert } } : {});
      open.push(() => broker.close());
      host = secure ? 'localhost' : '127.0.0.1';
      port = broker.port;
      console.log(`embedded aedes broker on ${host}:${port}${secure ? ' (TLS, certificate for localhost from a CA made for this run)' : ''}`);
    }

    // No retries: a broker that refuses or cannot be reached ends the run at once, named.
    const peer = await mqtt.connectAsync(`${secure ? 'mqtts' : 'mqtt'}://${host}:${port}`, {
      clientId: `example-peer-${process.pid}`, ca: certificates?.ca.pem, reconnectPeriod: 0, connectTimeout: WAIT,
    }, false).catch(error => {
      throw new RunError(`cannot connect to the broker at ${host}:${port}: ${error.message}`);
    });
    open.push(() => peer.endAsync());
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
    open.push(() => xs.close());
    // The app's main module returns at once (its loop runs in an async function); only a failure ends the wait.
    const failed = xs.run(`build/examples/${example}/main.js`).then(
      () => new Promise(() => {}),
      error => { throw new RunError(`the example failed: ${error.message.split('\n')[0]}`); });
    failed.catch(() => {});	// observed by the races below; a late failure must not end Node unhandled
    console.log(`XS     running examples/${example}/main.ts -> ${host}:${port}`);

    // The example traces its own failure ("hello: Error: ...") and stays quiet: its publish is the sign it runs.
    await within(Promise.race([outgoing, failed]), () => {
      const reason = xs.traces.find(line => line.startsWith(`${example}: `));
      return new RunError(reason ? `the example stopped: ${reason.trim()}` : `the example published nothing on openmv/out within ${WAIT / 1000} s`);
    });
    // The example subscribed before it published, so what goes to openmv/in now reaches its callback.
    const traced = () => xs.traces.filter(line => line.startsWith('openmv/in ')).length;
    for (let i = 1; i <= count; i++) {
      const text = `message ${i} from the peer`;
      console.log(`peer   -> openmv/in ${text}`);
      await peer.publishAsync('openmv/in', text);
      await until(() => traced() >= i, `message ${i}`, WAIT).catch(() => {
        throw new RunError(`the example's callback did not fire for message ${i} within ${WAIT / 1000} s`);
      });
    }
    console.log(`done: the callback fired ${traced()} times`);
  }
  finally {
    for (const close of open.reverse())
      await close().catch(() => {});
  }
}

/** `promise`, or the error `timedOut()` makes after WAIT ms. */
function within(promise, timedOut) {
  let timer;
  const timeout = new Promise((resolve, reject) => { timer = setTimeout(() => reject(timedOut()), WAIT); });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

try {
  await main(parse());
}
catch (error) {
  if (!(error instanceof RunError))
    throw error;
  console.error(`examples/run.js: ${error.message}`);
  process.exitCode = 1;
}
