// Runs mcsim (argv[2], its arguments after it) and says on stderr how it ended:
// `#mcsim ended: signal SIGPIPE` or `#mcsim ended: exit 0`. xsbug-log starts
// this in mcsim's place (tests/sim/simulator.js): xsbug-log itself only sees
// the debug connection close, which a crash, a signal and a dropped connection
// all look like. The line lets the harness tell apart the one death a device
// does not have (SIGPIPE: on Linux the SDK's tcp.c writes with write(), no
// MSG_NOSIGNAL, after lin_xs.c set SIGPIPE back to its default; a device's
// write to a closed connection fails instead) from every other.
//
// It also starts mcsim with tests/sim/nosigpipe.c preloaded, so that SIGPIPE
// stays ignored: a write to a closed connection then fails as on a device
// (tcp.c's kTCPError) instead of killing the simulator.
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildRoot } from './sdk.js';

/** The preload's shared object, compiled when missing or older than its source. */
function noSigpipe() {
  const source = path.join(path.dirname(fileURLToPath(import.meta.url)), 'nosigpipe.c');
  const object = path.join(buildRoot, 'nosigpipe.so');
  if (!existsSync(object) || statSync(object).mtimeMs < statSync(source).mtimeMs) {
    mkdirSync(buildRoot, { recursive: true });
    const scratch = `${object}.${process.pid}`;	// machines may start at once: each compiles its own, then renames
    execFileSync('cc', ['-shared', '-fPIC', '-O2', '-o', scratch, source, '-ldl']);
    renameSync(scratch, object);
  }
  return object;
}

const [bin, ...args] = process.argv.slice(2);
const mcsim = spawn(bin, args, { stdio: 'inherit', env: { ...process.env, LD_PRELOAD: noSigpipe() } });
// xsbug-log ends its child with SIGTERM: pass it on, mcsim must not outlive this.
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'])
  process.on(signal, () => mcsim.kill(signal));
mcsim.once('error', error => {
  process.stderr.write(`#mcsim ended: not started (${error.message})\n`);
  process.exitCode = 1;
});
mcsim.once('exit', (code, signal) => {
  process.stderr.write(`#mcsim ended: ${signal ? `signal ${signal}` : `exit ${code}`}\n`);
  process.exitCode = code ?? 1;
});
