// Runs one app built by `mcconfig -d -m -p lin -t build` in the SDK's mcsim,
// without a screen: Xvfb (which picks its own free display), the SDK's
// tools/xsbug-log (the debugger that receives the traces; it starts mcsim),
// and mcsim. Every line the app traces goes to `onLine`; the run ends with a reason:
//   { kind: 'abort', line }   XS aborted (an unhandled exception, a stack overflow, memory)
//   { kind: 'dead', line }    the app's machine is gone (a crash, memory exhausted) or mcsim exited
//                             (mcsim-exit.js says how: "mcsim killed by SIGPIPE", "mcsim ended (signal SIGSEGV)")
//   { kind: 'killed' }        stop() ended it
// Every process started here ends with stop() or this process, and
// Xvfb is ended with SIGTERM so that it removes its lock file and socket.
import { spawn } from 'node:child_process';
import { existsSync, rmSync, rmdirSync } from 'node:fs';
import readline from 'node:readline';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sdk } from './sdk.js';
import { atExit } from '../harness/cleanup.js';
import { freePort } from '../harness/net.js';

const live = new Set();
let guarded = false;
// Xvfb makes /tmp/.X11-unix for its socket when there is none: a folder this
// process then leaves, empty, unless it removes it.
const X11_SOCKETS = '/tmp/.X11-unix';
const x11SocketsExisted = existsSync(X11_SOCKETS);

/**
 * Removes /tmp/.X11-unix if it was not there when this module loaded and is
 * empty now: for this process's simulators, and for tests that run the SDK's
 * mcsim-run.mjs, whose Xvfb makes it too.
 */
export function removeX11Sockets() {
  if (x11SocketsExisted)
    return;
  try {
    rmdirSync(X11_SOCKETS);	// only if empty: another X server's socket keeps it
  }
  catch {
    // not empty, or gone already
  }
}

/**
 * Once a simulator runs: stop every one when this process ends, however it
 * ends (a test runner's timeout, ^C), then remove the folder their Xvfb made.
 */
function guardProcess() {
  if (guarded)
    return;
  guarded = true;
  atExit(() => {
    for (const simulator of live)
      simulator.forceStop();
    removeX11Sockets();
  });
}

const MCSIM_EXIT = fileURLToPath(new URL('./mcsim-exit.js', import.meta.url));
/** mcsim-exit.js's line: how mcsim ended. */
const MCSIM_ENDED = /^#mcsim ended: (.*)$/;
/** How long after the debug connection closed mcsim-exit.js has to say mcsim ended. */
const ENDED_WAIT = 2000;
const SIGPIPE_WHY = 'a write to a socket its peer had closed: the SDK\'s Linux tcp.c writes without MSG_NOSIGNAL and SIGPIPE is at its default once the debugger is connected; a device\'s write fails instead';

/** Traced lines that mean the machine aborted. */
const ABORT = /^XS abort|^# Break: /;
/** The debugger's own notes ("path (line) # Exception: throw!"): not the app's traces. */
const DEBUGGER_NOTE = /^\S.* \(\d+\) # /;

/** What an end other than stop() means, for an error message. */
export function describeEnd(reason) {
  return `mcsim: ${reason.kind === 'abort' ? `the app aborted: ${reason.line}` : `the app's machine died: ${reason.line}`}`;
}

export class Simulator {
  /** Starts the app; resolves once mcsim runs (its traces may not have begun). */
  static async start(so, { onLine } = {}) {
    guardProcess();
    const simulator = new Simulator(so, onLine);
    live.add(simulator);
    try {
      await simulator.#launch();
    }
    catch (error) {
      await simulator.stop();
      throw error;
    }
    return simulator;
  }

  #so;
  #onLine;
  #xvfb;
  #display;
  #debugger;		// xsbug-log, leader of a process group with mcsim
  #ending;
  #disconnected;	// the timer started when the debug connection closed
  #end;			// resolves `ended`
  /** Resolves with the reason the run ended. */
  ended;
  /** Every traced line, in order. */
  lines = [];

  constructor(so, onLine) {
    this.#so = so;
    this.#onLine = onLine;
    this.ended = new Promise(resolve => { this.#end = resolve; });
  }

  async #launch() {
    const tools = sdk();
    if (tools.missing)
      throw new Error(`mcsim cannot run: ${tools.missing}`);
    if (!existsSync(this.#so))
      throw new Error(`${this.#so} is missing: build the app first`);
    this.#display = await this.#startXvfb();
    const port = await freePort();
    // mcsim through tests/sim/mcsim-exit.js, which says how it ended (see #line).
    this.#debugger = spawn(process.execPath, [tools.xsbugLog, process.execPath, MCSIM_EXIT, tools.mcsim, this.#so], {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env, DISPLAY: `:${this.#display}`,
        XSBUG_PORT: String(port), XSBUG_LOG_PORT: String(port), XSBUG_PROJECT: path.dirname(this.#so),
      },
    });
    for (const stream of [this.#debugger.stdout, this.#debugger.stderr])
      readline.createInterface({ input: stream }).on('line', raw => this.#line(raw));
    this.#debugger.once('exit', code => this.#finish({ kind: 'dead', line: `mcsim ended (exit ${code})` }));
  }

  #startXvfb() {
    return new Promise((resolve, reject) => {
      // -displayfd: Xvfb chooses a free display and writes its number once it accepts clients.
      const xvfb = spawn('Xvfb', ['-displayfd', '3', '-screen', '0', '1024x768x24', '-nolisten', 'tcp'], {
        stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
      });
      this.#xvfb = xvfb;
      let said = '', log = '';
      xvfb.stderr.on('data', data => { log += data; });
      xvfb.stdio[3].on('data', data => {
        said += data;
        if (said.includes('\n'))
          resolve(Number(said.trim()));
      });
      xvfb.once('error', reject);
      xvfb.once('exit', code => reject(new Error(`Xvfb exited (${code}) before it was ready: ${log.trim().split('\n').pop()}`)));
    });
  }

  #line(raw) {
    const line = raw.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '').replace(/^(\(xsdb\)\s*)+/, '').replace(/^\[Thread \d+\]\s*/, '');
    if (this.#ending || !line.trim() || /^xsdb listening|^Connected to "/.test(line))
      return;
    this.lines.push(line);
    if (ABORT.test(line))
      return void this.#finish({ kind: 'abort', line });
    const ended = MCSIM_ENDED.exec(line);
    if (ended)
      return void this.#finish(ended[1] === 'signal SIGPIPE'
        ? { kind: 'dead', line: `mcsim killed by SIGPIPE (${SIGPIPE_WHY})` }
        : { kind: 'dead', line: `mcsim ended (${ended[1]})` });
    // The debug connection closes before mcsim-exit.js can say how mcsim ended: wait for its line.
    if (/^#xsbug-log disconnected/.test(line))
      return void (this.#disconnected ??= setTimeout(() => this.#finish({ kind: 'dead',
        line: `the app's machine is gone (a crash, or memory exhausted), mcsim still running ${ENDED_WAIT} ms later` }), ENDED_WAIT));
    if (!DEBUGGER_NOTE.test(line))	// kept in `lines` as context, not the app's traces
      this.#onLine?.(line);
  }

  #finish(reason) {
    if (this.#ending)
      return;
    this.#ending = true;
    clearTimeout(this.#disconnected);
    this.#end(reason);
    this.#stopProcesses();
  }

  /** Ends the run at once (the machine gets no warning); resolves when every process is gone. */
  async stop() {
    this.#finish({ kind: 'killed' });
    await this.#waitGone();
  }

  /** mcsim dies at once (SIGKILL), as a device losing power: the OS closes its sockets, nothing is sent. Xvfb gets SIGTERM, to remove its files. */
  #stopProcesses() {
    this.#killDebugger();
    try { this.#xvfb?.kill('SIGTERM'); } catch {}
  }

  /** The debugger and mcsim, its child, in one process group. */
  #killDebugger() {
    try { process.kill(-this.#debugger.pid, 'SIGKILL'); } catch {}
  }

  async #waitGone() {
    const exited = child => !child || child.exitCode !== null || child.signalCode !== null
      ? Promise.resolve()
      : new Promise(resolve => child.once('exit', resolve));
    const timeout = new Promise(resolve => setTimeout(resolve, 3000).unref());
    await Promise.race([Promise.all([exited(this.#debugger), exited(this.#xvfb)]), timeout]);
    this.forceStop();
    live.delete(this);
  }

  /** Synchronous last resort (process exit): kill what is left; a killed Xvfb leaves its files, remove them. */
  forceStop() {
    this.#ending = true;
    this.#killDebugger();
    const xvfb = this.#xvfb;
    if (xvfb && xvfb.exitCode === null && xvfb.signalCode === null) {
      try { xvfb.kill('SIGKILL'); } catch {}
      if (this.#display !== undefined)
        for (const file of [`/tmp/.X${this.#display}-lock`, `/tmp/.X11-unix/X${this.#display}`])
          rmSync(file, { force: true });
    }
  }
}
