// The runner app in mcsim, driven as the xsnap host is driven
// (tests/harness/host.js): the same run(file, params, {onReport}) and
// message(value), so that a test can run a case of tests/scenarios on either.
//
//   const host = await McsimHost.open();
//   const result = await host.run('tests/scenarios/client/api.js', { case: 'ping', port });
//   await host.close();
//
// The test side of the control channel (tests/mcsim/runner/harness.js) listens
// on 127.0.0.1 at a port fixed when the runner app is built, chosen below the
// kernel's ephemeral range so that no port handed out by listen(0) (brokers of
// this or another test run) can take it; if another process holds it anyway,
// a new one is chosen and the app relinked. One machine runs at a time, and
// runs the cases one after another; a case that aborts the machine, kills it
// or times out fails, and the next run() starts a new machine.
import net from 'node:net';
import path from 'node:path';
import readline from 'node:readline';
import { readFileSync, writeFileSync, existsSync, mkdirSync } from 'node:fs';
import { Simulator, describeEnd } from './simulator.js';
import { build } from './apps.js';
import { buildRoot } from './sdk.js';

const PORT_FILE = path.join(buildRoot, 'control-port');
/** The runner's files root (embedded:storage/files): a case's files are its own to remove. */
export const FILES = path.join(buildRoot, 'files');

export class McsimError extends Error {
  constructor(message, lines = []) {
    super(lines.length ? `${message}\n  last traces of the app:\n    ${lines.slice(-15).join('\n    ')}` : message);
    this.name = 'McsimError';
  }
}

export class McsimHost {
  /**
   * Listens on the control port and builds the runner app for it; the
   * machine starts at the first run(). app: 'runner', or a variant of it in
   * tests/sim/apps.js ('runner-client-tls').
   */
  static async open({ app = 'runner' } = {}) {
    const host = new McsimHost();
    await host.#listen(app);
    return host;
  }

  #server;
  #so;
  #simulator;		// the machine now running, if any
  #connection;		// its control socket
  #stopping;		// the stop() of a machine that ended by itself: kill() waits for it
  #connected;		// {resolve, reject}: waiting for the machine's hello
  #run;			// {resolve, reject, onReport, timer}
  /** What the app traced during the last run(). */
  traces = [];
  /** Machines started, for tests that say so. */
  starts = 0;

  async #listen(app) {
    const stored = controlPort();
    let port = stored;
    for (let attempt = 0; ; attempt++) {
      try {
        this.#server = await listen(port);
        break;
      }
      catch (error) {
        if (error.code !== 'EADDRINUSE' || attempt === 20)
          throw error;
        port = pickPort();
      }
    }
    if (port !== stored)
      writeFileSync(PORT_FILE, `${port}\n`);	// the runner app is built again with it
    this.#server.on('connection', socket => this.#accept(socket));
    // The files of embedded:storage/files (the session on flash's cases): a folder of the build.
    mkdirSync(FILES, { recursive: true });
    this.#so = await build(app, { config: { control: port, files: FILES } });
  }

  /** Runs a scenario module of tests/scenarios; resolves with what its default export returns. */
  async run(file, params = {}, { onReport, timeout = 60_000 } = {}) {
    if (this.#run)
      throw new Error('a scenario is already running');
    if (!this.#simulator)
      await this.#startMachine();
    const scenario = path.relative('tests/scenarios', file.replace(/^\.\//, '')).replace(/\.js$/, '');
    this.traces = [];
    return new Promise((resolve, reject) => {
      const finish = (settle, value) => {
        clearTimeout(this.#run.timer);
        this.#run = undefined;
        settle(value);
      };
      this.#run = {
        resolve: value => finish(resolve, value),
        reject: error => finish(reject, error),
        onReport,
        timer: setTimeout(() => {
          const error = new McsimError(`${file} (${params.case ?? ''}) did not finish within ${timeout} ms in mcsim`, this.traces);
          this.#run.reject(error);
          this.kill();
        }, timeout),
      };
      this.#send({ op: 'run', file: scenario, params });
    });
  }

  /** Sends a message to the running case (its onMessage handler). */
  async message(value) {
    this.#send({ op: 'message', value });
  }

  /** The machine dies at once, as a device losing power: its sockets close without a word. */
  async kill() {
    const simulator = this.#simulator;
    this.#simulator = undefined;
    this.#connection?.destroy();
    this.#connection = undefined;
    this.#run?.reject(new McsimError('the machine was killed before the case ended', this.traces));
    // A machine that ended by itself may still have its processes (mcsim
    // itself, when only its debugger link went): they are gone before the
    // next machine starts, never two at once on the same files and client id.
    await Promise.all([simulator?.stop(), this.#stopping]);
  }

  async close() {
    await this.kill();
    await new Promise(resolve => this.#server.close(resolve));
  }

  async #startMachine() {
    await this.#stopping;	// the last machine's processes, if it ended by itself, are gone
    const waiting = new Promise((resolve, reject) => { this.#connected = { resolve, reject }; });
    const simulator = await Simulator.start(this.#so, { onLine: line => this.traces.push(line) });
    this.#simulator = simulator;
    this.starts++;
    simulator.ended.then(reason => this.#machineEnded(simulator, reason));
    const timer = setTimeout(() => this.#connected?.reject(new McsimError('the runner app did not connect to the test within 30 s', simulator.lines)), 30_000);
    try {
      await waiting;
    }
    catch (error) {
      await this.kill();
      throw error;
    }
    finally {
      clearTimeout(timer);
      this.#connected = undefined;
    }
  }

  #machineEnded(simulator, reason) {
    if (reason.kind === 'killed')
      return;
    if (this.#simulator === simulator) {
      this.#simulator = undefined;
      this.#connection?.destroy();
      this.#connection = undefined;
    }
    const error = new McsimError(describeEnd(reason), simulator.lines);
    this.#connected?.reject(error);
    this.#run?.reject(error);
    this.#stopping = simulator.stop();
  }

  #accept(socket) {
    if (!this.#connected || this.#connection) {
      socket.destroy();	// not the machine this host started
      return;
    }
    this.#connection = socket;
    socket.setNoDelay(true);
    socket.on('error', () => {});
    readline.createInterface({ input: socket, crlfDelay: Infinity }).on('line', line => {
      if (this.#connection === socket)
        this.#receive(JSON.parse(line));
    });
  }

  #receive(message) {
    switch (message.op) {
    case 'hello':
      this.#connected?.resolve();
      break;
    case 'report':
      this.#run?.onReport?.(message.value);
      break;
    case 'result':
      this.#run?.resolve(message.value);
      break;
    case 'failed':
      this.#run?.reject(new McsimError(`in mcsim: ${message.message}${message.stack ? `\n${message.stack}` : ''}`, this.traces));
      break;
    }
  }

  #send(message) {
    if (!this.#connection)
      throw new Error('no machine is connected');
    this.#connection.write(JSON.stringify(message) + '\n');
  }
}

function listen(port) {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

/** The control port the runner app is (or will be) built with: kept in PORT_FILE, chosen once. */
export function controlPort() {
  if (existsSync(PORT_FILE)) {
    const port = Number(readFileSync(PORT_FILE, 'utf8').trim());
    if (Number.isInteger(port) && port > 0)
      return port;
  }
  const port = pickPort();
  mkdirSync(buildRoot, { recursive: true });
  writeFileSync(PORT_FILE, `${port}\n`);
  return port;
}

/** A port below the kernel's ephemeral range (where listen(0) picks), at random. */
function pickPort() {
  let low = 32768;
  try {
    low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || low;
  }
  catch {}
  const floor = Math.min(20000, low - 1000);
  return floor + Math.floor(Math.random() * (low - floor));
}
