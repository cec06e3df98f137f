// RabbitMQ (Debian's rabbitmq-server, its MQTT plugin) for the tests, on
// loopback only, as brokers.js runs mosquitto: each node has its own folder
// (/tmp/rabbitmq-XXXXXX: config, enabled_plugins, Erlang cookie, Mnesia
// database, logs), its own node name and ports (MQTT, AMQP, Erlang
// distribution), and each broker or cluster its own epmd on a free port
// (ERL_EPMD_PORT), started here and stopped by its pid, so that two test
// processes never share one. As root, nodes run as the package's `rabbitmq`
// user (whose folders these are), as the package itself runs them.
//
//   const broker = await startRabbitMQ();      // broker.port: MQTT
//   const cluster = await startRabbitCluster(2); // cluster.nodes[i].port, .stop(), .start()
//
// Startup takes about 9 s on an idle machine (MQTT answering a CONNECT),
// 25-35 s under the load of parallel builds: start one per test file.
// Whatever a test leaves (a failure before close(), a signal) is killed and
// removed at exit by cleanup.js.
import net from 'node:net';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync, chownSync, readdirSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import mqttPacket from 'mqtt-packet';
import { atExit } from './cleanup.js';
import { LOOPBACK, freePort } from './net.js';

const SCRIPTS = '/usr/lib/rabbitmq/bin';
const STARTUP_LIMIT = 120_000;	// ms for a node to answer MQTT: 4 x the slowest start seen under load
const STOP_LIMIT = 60_000;

/** The package's scripts, or an error that says how to get them. */
function scripts() {
  if (!existsSync(path.join(SCRIPTS, 'rabbitmq-server')))
    throw new Error('RabbitMQ is not installed (apt-get install rabbitmq-server); tests/setup.sh installs it');
  return { server: path.join(SCRIPTS, 'rabbitmq-server'), ctl: path.join(SCRIPTS, 'rabbitmqctl') };
}

/** As root: the `rabbitmq` user's ids (the package's nodes run as it); otherwise the nodes run as we do. */
function account() {
  if (process.getuid?.() !== 0)
    return null;
  const id = flag => Number(execFileSync('id', [flag, 'rabbitmq'], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

function chownTree(dir, owner) {
  if (!owner)
    return;
  chownSync(dir, owner.uid, owner.gid);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory())
      chownTree(file, owner);
    else
      chownSync(file, owner.uid, owner.gid);
  }
}

/**
 * Ends a process group we spawned (detached), by its id; a group already gone
 * is no error. `strays`: also once its leader has exited (right after it, so
 * that the id cannot have been reused), for children that outlived it.
 */
function killGroup(child, { strays = false } = {}) {
  if (!child || (!strays && (child.exitCode !== null || child.signalCode !== null)))
    return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  }
  catch {
    // gone already
  }
}

const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));

/** True when `promise` settles within `ms`; the timer does not outlive it (nor keep the test process alive). */
async function within(promise, ms) {
  let timer;
  const late = new Promise(resolve => { timer = setTimeout(resolve, ms, false); });
  try {
    return await Promise.race([promise.then(() => true), late]);
  }
  finally {
    clearTimeout(timer);
  }
}

function canConnect(port) {
  return new Promise(resolve => {
    const socket = net.connect({ host: LOOPBACK, port }, () => { socket.destroy(); resolve(true); });
    socket.on('error', () => resolve(false));
  });
}

/** True when a CONNECT on `port` gets a CONNACK accepting it (the MQTT plugin is up, not just the socket). */
function mqttAnswers(port) {
  return new Promise(resolve => {
    const socket = net.connect({ host: LOOPBACK, port });
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    const done = ok => { clearTimeout(timer); socket.destroy(); resolve(ok); };
    const timer = setTimeout(() => done(false), 5000);
    socket.on('error', () => done(false));
    socket.on('close', () => done(false));
    parser.on('packet', packet => done(packet.cmd === 'connack' && packet.returnCode === 0));
    parser.on('error', () => done(false));
    socket.on('data', data => parser.parse(data));
    socket.on('connect', () => socket.write(mqttPacket.generate(
      { cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId: 'harness-probe', keepalive: 10 })));
  });
}

/** epmd on a free loopback port, in its own process group (the nodes find it through ERL_EPMD_PORT). */
async function startEpmd() {
  const port = await freePort();
  const child = spawn('epmd', ['-port', String(port), '-address', LOOPBACK], { detached: true, stdio: 'ignore' });
  child.exited = new Promise(resolve => child.once('exit', resolve));
  const failed = new Promise((resolve, reject) => child.once('error', reject));
  for (let attempt = 0; attempt < 400; attempt++) {
    if (child.exitCode !== null)
      throw new Error(`epmd exited (${child.exitCode}) at start`);
    if (await Promise.race([canConnect(port), failed]))
      return { port, child };
    await sleep(25);
  }
  killGroup(child);
  throw new Error(`epmd did not listen on ${port}`);
}

/**
 * One node's folder, files and ports. Its name is `rmqN-XXXX@localhost`.
 * config: extra rabbitmq.conf lines.
 */
async function prepareNode({ cookie, epmd, owner, config = [], index = 0 }) {
  const dir = mkdtempSync(path.join(tmpdir(), 'rabbitmq-'));
  const [mqtt, amqp, dist] = [await freePort(), await freePort(), await freePort()];
  const nodename = `rmq${index}-${path.basename(dir).slice('rabbitmq-'.length).toLowerCase()}@localhost`;
  writeFileSync(path.join(dir, 'enabled_plugins'), '[rabbitmq_mqtt].\n');
  writeFileSync(path.join(dir, 'rabbitmq.conf'), [
    `listeners.tcp.default = ${LOOPBACK}:${amqp}`,
    `mqtt.listeners.tcp.default = ${LOOPBACK}:${mqtt}`,
    // Connections without a user name log in as guest, whom RabbitMQ admits over loopback only.
    'mqtt.allow_anonymous = true',
    'loopback_users.guest = true',
    'log.file.level = info',
    'log.console = false',
    ...config,
  ].join('\n') + '\n');
  writeFileSync(path.join(dir, '.erlang.cookie'), cookie, { mode: 0o400 });
  chownTree(dir, owner);
  // A fresh environment: no RABBITMQ_* of the caller's, nor the machine's rabbitmq-env.conf.
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8',
    HOME: dir,	// the Erlang cookie's folder, for the node and for rabbitmqctl
    ERL_EPMD_PORT: String(epmd.port),
    RABBITMQ_CONF_ENV_FILE: '/dev/null',
    RABBITMQ_NODENAME: nodename,
    RABBITMQ_NODE_IP_ADDRESS: LOOPBACK,
    RABBITMQ_NODE_PORT: String(amqp),
    RABBITMQ_DIST_PORT: String(dist),
    RABBITMQ_CONFIG_FILE: path.join(dir, 'rabbitmq.conf'),
    RABBITMQ_ADVANCED_CONFIG_FILE: path.join(dir, 'advanced.config'),
    RABBITMQ_ENABLED_PLUGINS_FILE: path.join(dir, 'enabled_plugins'),
    RABBITMQ_MNESIA_BASE: path.join(dir, 'mnesia'),
    RABBITMQ_LOG_BASE: path.join(dir, 'log'),
    // The Erlang distribution listens on loopback only.
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: '-kernel inet_dist_use_interface {127,0,0,1}',
  };
  return { dir, nodename, ports: { mqtt, amqp, dist }, env };
}

/**
 * A node made by prepareNode: start() launches it and waits until MQTT
 * answers; stop() is `rabbitmqctl stop` (graceful: durable queues and
 * sessions are kept on disk); kill() is a SIGKILL of the node's processes;
 * ctl(...args) runs rabbitmqctl against it.
 */
function makeNode(prepared, { owner, scriptPaths }) {
  const { dir, nodename, ports, env } = prepared;
  let child = null;
  let output = '';
  const ids = owner ? { uid: owner.uid, gid: owner.gid } : {};
  const log = () => {
    let file = '';
    try {
      file = readFileSync(path.join(dir, 'log', `${nodename}.log`), 'utf8');
    }
    catch {
      // not written yet
    }
    return `${output}\n${file}`.slice(-4000);
  };
  const ctl = (...args) => new Promise((resolve, reject) => {
    const run = spawn(scriptPaths.ctl, ['-n', nodename, ...args], { env, cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], ...ids });
    let out = '';
    run.stdout.on('data', data => { out += data; });
    run.stderr.on('data', data => { out += data; });
    run.once('error', reject);
    run.once('exit', code => code === 0 ? resolve(out) : reject(new Error(`rabbitmqctl ${args.join(' ')} (${nodename}) exited ${code}:\n${out}`)));
  });
  const node = {
    name: 'rabbitmq', nodename, dir,
    /** The MQTT port. */
    port: ports.mqtt,
    ports,
    get log() { return log(); },
    get running() { return child !== null && child.exitCode === null && child.signalCode === null; },
    ctl,
    /** Launches the node (same folder, ports and name as before) and waits until MQTT answers a CONNECT. */
    async start() {
      const began = Date.now();
      output = '';
      // Detached: its own process group (the script, beam.smp, erl_child_setup), killed as one.
      child = spawn(scriptPaths.server, [], { env, cwd: dir, detached: true, stdio: ['ignore', 'pipe', 'pipe'], ...ids });
      child.stdout.on('data', data => { output = (output + data).slice(-4000); });
      child.stderr.on('data', data => { output = (output + data).slice(-4000); });
      child.exited = new Promise(resolve => child.once('exit', resolve));
      await node.waitForMqtt(began);
      node.startupMs = Date.now() - began;
      return node.startupMs;
    },
    /** Resolves when MQTT answers a CONNECT; throws when the node died or STARTUP_LIMIT ms passed since `began`. */
    async waitForMqtt(began = Date.now()) {
      while (!await mqttAnswers(ports.mqtt)) {
        if (!node.running)
          throw new Error(`RabbitMQ node ${nodename} exited at start:\n${log()}`);
        if (Date.now() - began > STARTUP_LIMIT) {
          killGroup(child);
          throw new Error(`RabbitMQ node ${nodename}: MQTT did not answer on ${ports.mqtt} within ${STARTUP_LIMIT} ms:\n${log()}`);
        }
        await sleep(100);
      }
    },
    /** `rabbitmqctl stop`: the node shuts down cleanly; resolves once its processes are gone. */
    async stop() {
      if (!node.running)
        return;
      const current = child;
      try {
        await ctl('stop');
      }
      catch {
        // a node that cannot be asked is killed below
      }
      if (!await within(current.exited, STOP_LIMIT)) {
        killGroup(current);
        await current.exited;
      }
      // The script's children (erl_child_setup, inet_gethost) go with it; a stray one is killed.
      killGroup(current, { strays: true });
    },
    /** The node dies without a word (SIGKILL to its processes); its folder remains for start(). */
    async kill() {
      if (!node.running)
        return;
      const current = child;
      killGroup(current);
      await current.exited;
    },
    /** Synchronous, for cleanup at exit. */
    killNow() { killGroup(child); },
  };
  return node;
}

function makeCookie() {
  return randomBytes(15).toString('hex').toUpperCase();
}

/**
 * One RabbitMQ node with the MQTT plugin, on free loopback ports. options:
 * config (extra rabbitmq.conf lines, e.g. 'mqtt.prefetch = 5'). Returns the
 * node ({port, start, stop, kill, restart, ctl, log, startupMs}) with
 * close(), which stops it and its epmd and removes its folder.
 */
export async function startRabbitMQ(options = {}) {
  const { nodes: [node], epmdPort, close } = await startNodes(1, options);
  return {
    ...node,
    epmdPort,
    get log() { return node.log; },
    get running() { return node.running; },
    get startupMs() { return node.startupMs; },
    start: () => node.start(), stop: () => node.stop(), kill: () => node.kill(),
    /** `rabbitmqctl stop` and start again on the same port, with its database (sessions, durable queues). */
    async restart() {
      await node.stop();
      await node.start();
    },
    close,
  };
}

/**
 * `nodes` RabbitMQ nodes joined into one cluster (same Erlang cookie, one
 * epmd; each node after the first runs `rabbitmqctl join_cluster` with the
 * first), each with its own MQTT port. Returns {nodes, close}; each node has
 * stop() and start() (with its folder and ports), kill() and ctl().
 * options.config: extra rabbitmq.conf lines for every node.
 *
 * Measured with RabbitMQ 3.10.8 (README, "Brokers as measured here"):
 * - With 2 nodes, a stopped node takes 110-120 s to answer MQTT again (the
 *   MQTT plugin's client-id tracker is a Raft cluster, which needs a
 *   majority); with 3, 12-24 s. Use 3 for stop/start tests.
 * - A clean-session-0 client's session is its subscription queue, by
 *   default a classic queue on the node where it subscribed. While that
 *   node is down, the client on another node gets session present 0 and its
 *   SUBSCRIBE closes the connection; a QoS 1 message published meanwhile is
 *   acknowledged to its publisher and lost. Back up, the node has the
 *   session and what was queued before the stop.
 * - With config 'mqtt.durable_queue_type = quorum' (3 nodes), the session
 *   survives the stop: session present 1 on another node, and the messages
 *   queued before and during the stop arrive there.
 * - Retained messages are kept per node: one retained on a node does not
 *   reach a subscriber on another.
 */
export async function startRabbitCluster(nodes = 2, options = {}) {
  const cluster = await startNodes(nodes, options);
  try {
    const [first, ...others] = cluster.nodes;
    for (const node of others) {
      await node.ctl('stop_app');
      await node.ctl('join_cluster', first.nodename);
      await node.ctl('start_app');
      await node.waitForMqtt();
    }
  }
  catch (error) {
    await cluster.close();
    throw error;
  }
  return cluster;
}

/** `count` nodes sharing one epmd and one cookie, started in parallel (not yet clustered). */
async function startNodes(count, options) {
  const scriptPaths = scripts();
  const owner = account();
  const cookie = makeCookie();
  const epmd = await startEpmd();
  const prepared = [];
  let nodes = [];
  // A test that fails before close() must leave no node, epmd or folder behind.
  const removeAll = () => {
    for (const node of nodes)
      node.killNow();
    killGroup(epmd.child);
    for (const { dir } of prepared)
      rmSync(dir, { recursive: true, force: true });
  };
  const cancelCleanup = atExit(removeAll);
  const close = async () => {
    await Promise.all(nodes.map(node => node.stop()));
    killGroup(epmd.child);
    await epmd.child.exited;
    removeAll();
    cancelCleanup();
  };
  try {
    for (let index = 0; index < count; index++)
      prepared.push(await prepareNode({ cookie, epmd, owner, config: options.config, index }));
    nodes = prepared.map(item => makeNode(item, { owner, scriptPaths }));
    await Promise.all(nodes.map(node => node.start()));
  }
  catch (error) {
    await close();
    throw error;
  }
  return { nodes, epmdPort: epmd.port, close };
}
