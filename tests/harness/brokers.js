// Real brokers for the tests, on loopback only: aedes in this process or in
// a child process (to be killed), and mosquitto (Debian's package) as a child
// process on a free port.
import net from 'node:net';
import tls from 'node:tls';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Aedes } from 'aedes';
import memoryPersistence from 'aedes-persistence';
import { atExit } from './cleanup.js';

import { LOOPBACK, freePort } from './net.js';

export { LOOPBACK, freePort };

/** Ends a broker's child process with `signal`; resolves once it is gone. */
async function stopChild(child, signal) {
  if (child.exitCode === null && child.signalCode === null) {
    child.kill(signal);
    await child.exited;
  }
}

/**
 * aedes on a loopback port. options: port, tls ({key, cert} for a node:tls
 * server), persistence (a store that outlives restarts; by default an
 * in-memory aedes-persistence made here, so that restart() keeps sessions),
 * and any aedes option (authenticate, authorizeSubscribe, ...).
 */
export async function startAedes(options = {}) {
  const { port: wanted = 0, tls: secure, ...aedesOptions } = options;
  let persistence = options.persistence ?? memoryPersistence();
  const connections = new Set();
  let aedes, server, port = wanted;
  const launch = async () => {
    aedes = await Aedes.createBroker({ ...aedesOptions, persistence });
    const handle = connection => {
      connections.add(connection);
      connection.setNoDelay?.(true);
      connection.on('close', () => connections.delete(connection));
      connection.on('error', () => {});
      aedes.handle(connection);
    };
    server = secure ? tls.createServer(secure, handle) : net.createServer(handle);
    server.on('tlsClientError', () => {});
    await new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, LOOPBACK, resolve);
    });
    port = server.address().port;
  };
  /** The broker dies without a word: connections cut, nothing sent; the store remains. */
  const kill = async () => {
    for (const connection of connections)
      connection.destroy();
    await new Promise(resolve => server.close(resolve));
    await new Promise(resolve => aedes.close(resolve));
  };
  await launch();
  return {
    name: 'aedes',
    get port() { return port; },
    get aedes() { return aedes; },
    get server() { return server; },
    /** Cuts every connection without a word; the broker keeps listening. */
    dropConnections() {
      for (const connection of connections)
        connection.destroy();
    },
    kill,
    start: launch,
    /** Kills and starts again on the same port; `forget`: with a new, empty store (sessions lost). */
    async restart({ forget = false } = {}) {
      await kill();
      if (forget)
        persistence = memoryPersistence();
      await launch();
    },
    close: kill,
  };
}

/**
 * aedes in a child process (aedes-child.js), for crash tests: kill() is a
 * SIGKILL, start() brings it back on the same port. store "level": sessions
 * and messages in LevelDB in a temporary directory, which survive the kill;
 * "memory": in the child's memory, lost with it (a crash without
 * persistence). close() kills it and removes the directory.
 */
export async function startAedesProcess({ store = 'level' } = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), 'aedes-'));
  let child, port = 0;
  // A test that fails before close() must not leave the broker running or its folder behind.
  const cancelCleanup = atExit(() => {
    child?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
  const entry = path.join(path.dirname(fileURLToPath(import.meta.url)), 'aedes-child.js');
  const launch = async () => {
    child = spawn(process.execPath, [entry, JSON.stringify({ port, store, dir: path.join(dir, 'db') })],
      { stdio: ['pipe', 'pipe', 'inherit'] });
    child.exited = new Promise(resolve => child.once('exit', resolve));
    port = await new Promise((resolve, reject) => {
      let out = '';
      child.stdout.on('data', data => {
        out += data;
        if (out.includes('\n'))
          resolve(JSON.parse(out.slice(0, out.indexOf('\n'))).port);
      });
      child.exited.then(code => reject(new Error(`aedes child exited (${code}) before listening`)));
    });
  };
  const kill = () => stopChild(child, 'SIGKILL');
  await launch();
  return {
    name: 'aedes', store,
    get port() { return port; },
    /** SIGKILL: the broker dies without a word; only what LevelDB holds remains. */
    kill,
    /** SIGSTOP: the broker stops where it is (reads, answers and saves nothing) until kill(). */
    freeze: () => { child.kill('SIGSTOP'); },
    async start() { await launch(); },
    async close() {
      await kill();
      rmSync(dir, { recursive: true, force: true });
      cancelCleanup();
    },
  };
}

export function mosquittoBinary() {
  const candidates = ['/usr/sbin/mosquitto', '/usr/bin/mosquitto'];
  for (const candidate of candidates) {
    try {
      execFileSync(candidate, ['-h'], { stdio: 'ignore' });
    }
    catch (error) {
      if (error.code === 'ENOENT')
        continue;
    }
    return candidate;
  }
  throw new Error('mosquitto is not installed (apt-get install mosquitto); .ci/run installs it');
}

/**
 * mosquitto on a free loopback port. options: users ({name: password}),
 * acl (acl_file text), tls ({ca, cert, key} file paths; requireCertificate:
 * clients must show a certificate signed by ca), persistence
 * (true: a directory kept across restarts, saved on every change; or
 * {autosaveInterval: seconds}: saved only that often, so that a SIGKILL
 * leaves a snapshot up to that old), config (extra lines).
 */
export async function startMosquitto(options = {}) {
  const binary = mosquittoBinary();
  const dir = mkdtempSync(path.join(tmpdir(), 'mosquitto-'));
  // A test that fails before close() must not leave the broker running or its folder behind.
  let child;
  const cancelCleanup = atExit(() => {
    child?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
  const port = options.port ?? await freePort();
  const lines = [
    `listener ${port} ${LOOPBACK}`,
    `allow_anonymous ${options.users ? 'false' : 'true'}`,
    'log_dest stderr',
    'log_type error',
    'log_type warning',
    'max_queued_messages 100000',
    'max_inflight_messages 0',
  ];
  // As root, mosquitto would switch to its own user, who cannot read our temporary files.
  if (process.getuid?.() === 0)
    lines.push('user root');
  if (options.users) {
    const file = path.join(dir, 'passwords');
    writeFileSync(file, '');
    for (const [user, password] of Object.entries(options.users))
      execFileSync('mosquitto_passwd', ['-b', file, user, password]);
    lines.push(`password_file ${file}`);
  }
  if (options.acl) {
    const file = path.join(dir, 'acl');
    writeFileSync(file, options.acl);
    lines.push(`acl_file ${file}`);
  }
  if (options.tls) {
    lines.push(`cafile ${options.tls.ca}`, `certfile ${options.tls.cert}`, `keyfile ${options.tls.key}`);
    if (options.tls.requireCertificate)
      lines.push('require_certificate true');
  }
  if (options.persistence) {
    // autosave_on_changes with an interval of 0 saves as soon as anything
    // changes; autosave_on_changes false makes the interval a period in seconds.
    const interval = options.persistence.autosaveInterval;
    lines.push('persistence true', `persistence_location ${dir}/`,
      ...(interval ? [`autosave_interval ${interval}`, 'autosave_on_changes false'] : ['autosave_interval 0', 'autosave_on_changes true']));
  }
  lines.push(...(options.config ?? []));
  const configFile = path.join(dir, 'mosquitto.conf');
  writeFileSync(configFile, lines.join('\n') + '\n');

  let log = '';
  const launch = async () => {
    child = spawn(binary, ['-c', configFile], { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr.on('data', data => { log += data; });
    const exited = new Promise(resolve => child.once('exit', resolve));
    child.exited = exited;
    await waitForPort(port, exited, () => log);
  };
  await launch();
  const stop = signal => stopChild(child, signal);
  return {
    name: 'mosquitto', port, dir,
    get log() { return log; },
    /** SIGKILL: the broker dies without a word. */
    kill: () => stop('SIGKILL'),
    /** SIGSTOP: the broker stops where it is (reads, answers and saves nothing) until kill(). */
    freeze: () => { child.kill('SIGSTOP'); },
    /** SIGTERM (mosquitto saves its persistence file) and start again on the same port. */
    async restart() {
      await stop('SIGTERM');
      await launch();
    },
    async start() { await launch(); },
    async close() {
      await stop('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
      cancelCleanup();
    },
  };
}

async function waitForPort(port, exited, log) {
  let gone = false;
  exited.then(() => { gone = true; });
  for (let attempt = 0; attempt < 200; attempt++) {
    if (gone)
      throw new Error(`mosquitto exited at start:\n${log()}`);
    const ok = await new Promise(resolve => {
      const socket = net.connect({ host: LOOPBACK, port }, () => { socket.destroy(); resolve(true); });
      socket.on('error', () => resolve(false));
    });
    if (ok)
      return;
    await new Promise(resolve => setTimeout(resolve, 25));
  }
  throw new Error(`mosquitto did not listen on ${port}:\n${log()}`);
}

/** Both brokers, for suites that run against each. */
export const BROKERS = {
  aedes: startAedes,
  mosquitto: startMosquitto,
};
