// The simulator host, Node side: runs the library on the real XS engine
// (xsnap-worker from @agoric/xsnap, driven over its netstring pipes) with
// Moddable's runtime around it, backed by real sockets, timers and DNS.
//
//   const xs = await XSHost.start({ window: 1536 });
//   const result = await xs.run('tests/scenarios/connect.js', { port }, { onReport });
//   await xs.close();
//
// The protocol between the two sides is in protocol.md.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import dns from 'node:dns';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { libraryConfig, libraryModules, libraryPreloads, root } from '../helpers/library.js';
import { preloadedSource } from './preload.js';
import { workerPath } from './xsnap-path.js';
import { answerStorage } from './storage.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const runtimeDir = path.join(here, 'xs');

// What a Moddable app imports that the host provides, by specifier.
const RUNTIME = {
  'timer': 'timer.js',
  'time': 'time.js',
  'net': 'net.js',
  'harness': 'harness.js',
  'Resource': 'resource.js',
  'embedded:io/socket/tcp': 'tcp.js',
  'embedded:io/socket/tcp/tls': 'tls.js',
  'embedded:storage/flash': 'flash.js',
  'embedded:storage/files': 'files.js',
};

const TLS_SUITES = ['AES128-CBC-SHA256', 'AES128-GCM-SHA256'];
// The cipher suites the SDK's TLS offers (modules/crypt/ssl/ssl_ciphersuites.js),
// by key exchange, as OpenSSL names them: RSA always, DHE-RSA and ECDHE-RSA
// as the app's config.tls says (tls_common.json: both true).
const SDK_SUITES = {
  RSA: ['AES128-SHA', 'AES256-SHA', 'AES128-SHA256', 'AES256-SHA256'],
  DHE_RSA: ['DHE-RSA-AES128-SHA256', 'DHE-RSA-AES256-SHA256', 'DHE-RSA-AES128-GCM-SHA256'],
  ECDHE_RSA: ['ECDHE-RSA-AES128-SHA256', 'ECDHE-RSA-AES128-GCM-SHA256', 'ECDHE-ECDSA-AES128-GCM-SHA256'],
};
const OP = { CONNECT: 1, WRITE: 2, CLOSE: 3, ROOM: 4, TIMER_SET: 5, TIMER_CLEAR: 6, RESOLVE: 7, TRACE: 8, REPORT: 9, DONE: 10, FAIL: 11, PEER_FAILS: 12 };
const EVENT = { TIMER: 1, CONNECTED: 2, WRITABLE: 3, DATA: 4, ERROR: 5, RESOLVED: 6, START: 7, MESSAGE: 8, PEER_ENDED: 9 };

/** An exception raised in XS, with its XS stack. */
export class XSError extends Error {
  constructor({ message, stack, where }) {
    super(where ? `${where}: ${message}` : message);
    this.name = 'XSError';
    this.xsStack = stack;
    if (stack)
      this.stack = `${this.message}\n  in XS:\n${stack}`;
  }
}

export class XSHost {
  /**
   * options: window (write window, bytes), readSize (socket read buffer),
   * manifest (which library manifest maps the modules), trace (print traces),
   * resolve (host name -> IPv4, overriding DNS), config (the app's "mc/config"),
   * tick (ms: socket events wait for the next tick of a polling task, as on
   * the Linux simulator, where it is 20; 0, the default: at once, as lwIP on a
   * device), onTrace (called with each trace), tap ((direction, socket, bytes) for
   * every byte written and received), resources ({name: Buffer}, for the
   * "Resource" module), meteringLimit, storage ({flash, files, power} of
   * ./storage.js: what embedded:storage/flash and embedded:storage/files
   * reach; it outlives the machine; when its power goes, the machine stops
   * in that turn and nothing it asked for in it is done).
   */
  static async start(options = {}) {
    const host = new XSHost(options);
    await host.#boot();
    return host;
  }

  #options;
  #worker;
  #input = Buffer.alloc(0);
  #waiting = [];		// replies awaited, in order
  #busy = false;		// a command is in flight
  #queue = [];			// events waiting for their turn: () => Buffer | undefined
  #sockets = new Map();
  #timers = new Map();
  #modules;
  #preloads;			// specifiers the manifest preloads
  #tlsSuites;			// the cipher suites the SDK's TLS offers, under the manifest's config (OpenSSL's list)
  #run;				// { resolve, reject, onReport }
  #aborted;			// the exception that escaped a callback and stopped the machine
  #abortUnreported = false;	// it came when no scenario was running
  #exited;
  #closing = false;
  /** Meters of the last reply, and totals. */
  meters = { compute: 0, currentHeapCount: 0, allocate: 0 };
  totals = { compute: 0, commands: 0 };
  traces = [];

  constructor(options) {
    this.#options = { window: 1536, readSize: 1536, tick: 0, manifest: 'manifest.json', trace: !!process.env.XS_TRACE, ...options };
    this.#modules = libraryModules(this.#options.manifest);
    this.#preloads = libraryPreloads(this.#options.manifest);
    const { DHE_RSA = true, ECDHE_RSA = true } = libraryConfig(this.#options.manifest).tls ?? {};
    this.#tlsSuites = [...SDK_SUITES.RSA, ...(DHE_RSA ? SDK_SUITES.DHE_RSA : []), ...(ECDHE_RSA ? SDK_SUITES.ECDHE_RSA : [])].join(':');
  }

  async #boot() {
    const args = [];
    if (this.#options.meteringLimit)
      args.push('-l', String(this.#options.meteringLimit));
    this.#worker = spawn(workerPath(), args, { stdio: ['ignore', 'inherit', 'inherit', 'pipe', 'pipe'] });
    this.#exited = new Promise(resolve => this.#worker.on('exit', (code, signal) => resolve({ code, signal })));
    this.#exited.then(({ code, signal }) => {
      const error = new Error(`xsnap-worker exited (code ${code}, signal ${signal})`);
      for (const waiter of this.#waiting.splice(0))
        waiter.reject(error);
      if (!this.#closing)
        this.#run?.reject(error);
    });
    this.#worker.stdio[4].on('data', data => this.#receive(data));
    this.#worker.stdio[3].on('error', () => {});
    const { ticksStart, tlsSuite = 'AES128-CBC-SHA256' } = this.#options;
    if (!TLS_SUITES.includes(tlsSuite))
      throw new Error(`tlsSuite: one of ${TLS_SUITES.join(', ')}`);
    // The kernel's options, on its first line: its line numbers stay its own.
    const options = `globalThis.__xsHostOptions = ${JSON.stringify({ ticksStart, tlsSuite })}; `;
    await this.#command('e', Buffer.from(options + readFileSync(path.join(runtimeDir, 'kernel.js'), 'utf8')));
  }

  /** Runs a scenario module: resolves with what its default export returns. */
  run(file, params = {}, { onReport, timeout = 60_000 } = {}) {
    if (this.#run)
      throw new Error('a scenario is already running');
    if (this.#aborted)
      return Promise.reject(this.#stopped());
    const specifier = path.resolve(root, file);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => finish(reject, new Error(`scenario ${file} did not finish within ${timeout} ms`)), timeout);
      const finish = (settle, value) => {
        clearTimeout(timer);
        this.#run = undefined;
        settle(value);
      };
      this.#run = {
        resolve: value => finish(resolve, value),
        reject: error => finish(reject, error),
        onReport,
        timer,
      };
      this.#enqueue(() => event(EVENT.START, 0, 0, Buffer.from(JSON.stringify({ specifier, params }))));
    });
  }

  /** Sends a message to the running scenario (its onMessage handler), as one turn; resolves with that turn's meters. */
  message(value) {
    if (this.#aborted)
      return Promise.reject(this.#stopped());
    return new Promise((resolve, reject) => {
      this.#enqueue(() => event(EVENT.MESSAGE, 0, 0, Buffer.from(JSON.stringify(value))), { resolve, reject });
    });
  }

  /** Evaluates a script in XS outside any turn of the app; resolves with its meters. */
  async evaluate(source) {
    await this.#idle();
    return this.#command('e', Buffer.from(source));
  }

  /** Sockets and timers the XS side still holds on the Node side. */
  get resources() {
    return { sockets: this.#sockets.size, timers: this.#timers.size };
  }

  /** Per open socket: bytes the Node side holds for XS, the XS buffer's fill, whether TCP reading is paused. */
  socketStats() {
    return [...this.#sockets.values()].map(socket => ({
      inboundBytes: socket.inboundBytes,
      xsBuffered: this.#options.readSize - socket.room,
      paused: socket.stream.isPaused(),
    }));
  }

  /**
   * Ends the machine and what it holds. Rejects with the exception that
   * escaped a callback while no scenario was running, if one did: on a
   * device it would have aborted the app.
   */
  async close() {
    this.#closing = true;
    clearInterval(this.#ticker);
    if (this.#run)
      clearTimeout(this.#run.timer);	// a scenario left running is abandoned, not failed
    this.#run = undefined;
    for (const timer of this.#timers.values())
      clearTimeout(timer.handle);
    this.#timers.clear();
    for (const socket of this.#sockets.values())
      socket.stream.destroy();
    this.#sockets.clear();
    this.#queue.length = 0;
    if (this.#worker.exitCode === null && this.#worker.signalCode === null) {
      this.#worker.kill();
      await this.#exited;
    }
    if (this.#abortUnreported) {
      this.#abortUnreported = false;
      throw this.#aborted;
    }
  }

  // The power went in this turn: nothing the turn asked for is done (no byte
  // leaves, no timer is set), but the app's reports before the cut stand (what
  // its callbacks did before a device's power went happened); the sockets
  // drop as a device's link does.
  #powerLost() {
    for (const socket of this.#sockets.values())
      socket.stream.destroy();
    this.#sockets.clear();
    for (const timer of this.#timers.values())
      clearTimeout(timer.handle);
    this.#timers.clear();
    this.#options.storage.files?.closeAll();
    this.#aborted = new Error('power lost');
    this.#abortUnreported = false;
    this.#run?.reject(this.#aborted);
    for (const { waiter } of this.#queue.splice(0))
      waiter?.reject(this.#stopped());
  }

  /** The exception that stopped the machine, if one did. */
  get aborted() {
    return this.#aborted;
  }

  #stopped() {
    this.#abortUnreported = false;
    return new XSError({ message: `the XS machine stopped: ${this.#aborted.message}`, stack: this.#aborted.xsStack });
  }

  // An exception escaped a callback: the machine stops, as a device aborts.
  #abort(error) {
    this.#aborted = error;
    this.#abortUnreported = !this.#run;
    this.#run?.reject(error);
    for (const { waiter } of this.#queue.splice(0))
      waiter?.reject(this.#stopped());
    this.#ticked.length = 0;
  }

  // ---- the command channel ----

  #receive(data) {
    this.#input = this.#input.length ? Buffer.concat([this.#input, data]) : data;
    for (;;) {
      const colon = this.#input.indexOf(58);
      if (colon < 0)
        return;
      const length = Number(this.#input.subarray(0, colon).toString('latin1'));
      const end = colon + 1 + length;
      if (this.#input.length < end + 1)
        return;
      const message = this.#input.subarray(colon + 1, end);
      this.#input = this.#input.subarray(end + 1);
      if (message[0] === 0x3F && message[1] === 0x01)	// '?' 1: a storage request
        this.#write(Buffer.concat([Buffer.from('/'), answerStorage(this.#options.storage, message.subarray(1))]));
      else if (message[0] === 0x3F)	// '?': XS asks synchronously (module sources)
        this.#write(Buffer.concat([Buffer.from('/'), this.#answer(message.subarray(1))]));
      else
        this.#waiting.shift()?.settle(message);
    }
  }

  #write(bytes) {
    this.#worker.stdio[3].write(Buffer.concat([Buffer.from(`${bytes.length}:`), bytes, Buffer.from(',')]));
  }

  #command(kind, bytes) {
    return new Promise((resolve, reject) => {
      this.#waiting.push({
        reject,
        settle: message => {
          if (message[0] === 0x21)	// '!'
            return reject(new XSError({ message: message.subarray(1).toString() }));
          const separator = message.indexOf(1);
          const meters = JSON.parse(message.subarray(1, separator).toString());
          this.meters = meters;
          this.totals.compute += meters.compute;
          this.totals.commands++;
          resolve({ meters, result: message.subarray(separator + 1) });
        },
      });
      this.#write(Buffer.concat([Buffer.from(kind), bytes]));
    });
  }

  #answer(request) {
    const { load, resource } = JSON.parse(request.toString());
    if (resource !== undefined) {
      const data = this.#options.resources?.[resource];
      return data ? Buffer.concat([Buffer.from('.'), data]) : Buffer.from(`!resource ${resource} not found`);
    }
    try {
      const source = this.#sourceOf(load);
      if (source.text !== undefined)
        return Buffer.from(source.text);
      return Buffer.from(this.#preloads.has(load) && this.#modules[load] ? preloadedSource(source) : readFileSync(source));
    }
    catch (error) {
      return Buffer.from(`!cannot load module ${load}: ${error.message}`);
    }
  }

  #sourceOf(specifier) {
    if (specifier === 'mc/config')
      return { text: `export default Object.freeze(${JSON.stringify({ file: { root: '/' }, ...this.#options.config })});` };
    if (this.#modules[specifier])
      return this.#modules[specifier];
    if (RUNTIME[specifier])
      return path.join(runtimeDir, RUNTIME[specifier]);
    if (path.isAbsolute(specifier))
      return specifier.endsWith('.js') ? specifier : specifier + '.js';
    throw new Error('not a module of the library, of the host, or a file');
  }

  // ---- turns ----

  #enqueue(make, waiter) {
    if (this.#aborted)
      return void waiter?.reject(this.#stopped());
    this.#queue.push({ make, waiter });
    this.#pump();
  }

  async #pump() {
    if (this.#busy || this.#closing)
      return;
    this.#busy = true;
    try {
      while (this.#queue.length && !this.#closing && !this.#aborted) {
        const { make, waiter } = this.#queue.shift();
        const bytes = make();
        if (!bytes) {
          waiter?.resolve(undefined);
          continue;
        }
        let reply;
        try {
          reply = await this.#command('?', bytes);
        }
        catch (error) {
          waiter?.reject(error);
          this.#run?.reject(error);
          continue;
        }
        if (this.#options.storage?.power?.lost) {
          // What the app was told before the cut happened, as on a device (the outbox ends at the cut).
          this.#handleOutbox(reply.result, [OP.REPORT]);
          this.#powerLost();
          waiter?.reject(this.#stopped());
          break;
        }
        this.#handleOutbox(reply.result);
        waiter?.resolve(reply.meters);
      }
    }
    finally {
      this.#busy = false;
      for (const resolve of this.#idleWaiters.splice(0))
        resolve();
    }
  }

  // Socket events: at once, or at the next tick of the polling task.
  #ticked = [];
  #ticker;
  #socketEvent(make) {
    if (!this.#options.tick)
      return this.#enqueue(make);
    this.#ticked.push(make);
    this.#ticker ??= setInterval(() => {
      for (const ticked of this.#ticked.splice(0))
        this.#enqueue(ticked);
    }, this.#options.tick);
  }

  #idleWaiters = [];
  #idle() {
    if (!this.#busy)
      return Promise.resolve();
    return new Promise(resolve => this.#idleWaiters.push(resolve));
  }

  /** What the turn asked for, in order; only the `only` ops when given. */
  #handleOutbox(buffer, only) {
    let position = 0;
    while (position < buffer.length) {
      const op = buffer.readUInt8(position);
      const id = buffer.readUInt32BE(position + 1);
      const arg = buffer.readUInt32BE(position + 5);
      const length = buffer.readUInt32BE(position + 9);
      const bytes = buffer.subarray(position + 13, position + 13 + length);
      position += 13 + length;
      if (only && !only.includes(op))
        continue;
      switch (op) {
      case OP.CONNECT: this.#connect(id, arg, JSON.parse(bytes.toString())); break;
      case OP.WRITE: this.#socketWrite(id, bytes, arg); break;
      case OP.CLOSE: this.#socketClose(id); break;
      case OP.PEER_FAILS: this.#socketPeerFails(id, bytes.toString()); break;
      case OP.ROOM: this.#socketRoom(id, arg); break;
      case OP.TIMER_SET: this.#timerSet(id, arg, bytes.readUInt32BE(0)); break;
      case OP.TIMER_CLEAR: this.#timerClear(id); break;
      case OP.RESOLVE: this.#resolveName(id, bytes.toString()); break;
      case OP.TRACE: this.#trace(bytes.toString()); break;
      case OP.REPORT: this.#run?.onReport?.(JSON.parse(bytes.toString())); break;
      case OP.DONE: this.#run?.resolve(JSON.parse(bytes.toString())); break;
      case OP.FAIL: {
        const failure = JSON.parse(bytes.toString());
        if (failure.where)
          this.#abort(new XSError(failure));
        else
          this.#run?.reject(new XSError(failure));
        break;
      }
      default: throw new Error(`unknown outbox op ${op}`);
      }
    }
  }

  #trace(text) {
    this.traces.push(text);
    this.#options.onTrace?.(text);
    if (this.#options.trace)
      process.stderr.write(`[xs] ${text}${text.endsWith('\n') ? '' : '\n'}`);
  }

  // ---- timers ----

  #timerSet(id, delay, repeat) {
    this.#timerClear(id);
    const timer = { handle: undefined };
    const fire = () => {
      if (repeat)
        timer.handle = setTimeout(fire, repeat);
      else
        this.#timers.delete(id);
      this.#enqueue(() => event(EVENT.TIMER, id, 0));
    };
    timer.handle = setTimeout(fire, delay);
    this.#timers.set(id, timer);
  }

  #timerClear(id) {
    const timer = this.#timers.get(id);
    if (timer) {
      clearTimeout(timer.handle);
      this.#timers.delete(id);
    }
  }

  // ---- names ----

  #resolveName(id, name) {
    const answer = address => this.#enqueue(() => event(EVENT.RESOLVED, id, 0, Buffer.from(address ?? '')));
    const override = this.#options.resolve?.[name];
    if (override !== undefined)
      return void setImmediate(() => answer(override));
    dns.lookup(name, { family: 4 }, (error, address) => answer(error ? undefined : address));
  }

  // ---- sockets ----

  #connect(id, port, { address, nodelay, tls: secure }) {
    const window = this.#options.window;
    const socket = {
      stream: undefined, window, writable: 0, pendingWrites: 0,
      inbound: [], inboundBytes: 0, room: 0, deliveryQueued: false,
      ended: false, errorMessage: '', errorSent: false, connected: false, peerEnded: 0,
    };
    this.#sockets.set(id, socket);
    let stream;
    if (secure) {
      const ca = secure.certificates.map(base64 => pem('CERTIFICATE', base64));
      const clientCertificates = secure.clientCertificates ?? [];
      stream = tls.connect({
        host: address, port,
        servername: net.isIP(secure.host) ? undefined : secure.host,
        ca: ca.length ? ca : undefined,
        rejectUnauthorized: secure.verify !== false,
        checkServerIdentity: (_, certificate) => tls.checkServerIdentity(secure.host, certificate),
        // As the SDK's TLS: version 1.2 only, its suites, the client's certificate and ALPN as given.
        minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2', ciphers: this.#tlsSuites,
        cert: clientCertificates.length ? clientCertificates.map(base64 => pem('CERTIFICATE', base64)).join('') : undefined,
        key: secure.clientKey ? pem('PRIVATE KEY', secure.clientKey) : undefined,
        ALPNProtocols: secure.alpn,
      });
    }
    else
      stream = net.connect({ host: address, port });
    socket.stream = stream;
    if (nodelay)
      stream.setNoDelay(true);
    stream.on(secure ? 'secureConnect' : 'connect', () => {
      // The SDK signs CertificateVerify only under RSA and ECDHE-RSA
      // (modules/crypt/ssl/ssl_handshake.js): asked for its certificate
      // (a CertificateRequest, whose signature algorithms OpenSSL keeps)
      // under DHE-RSA, its handshake fails.
      if (secure?.clientCertificates?.length && stream.getCipher().name.startsWith('DHE-') && stream.getSharedSigalgs().length) {
        socket.errorMessage = 'certificateVerify: unimplemented';
        return void stream.destroy();
      }
      socket.connected = true;
      socket.writable = window;
      socket.room = this.#options.readSize;
      const readSize = Buffer.alloc(4);
      readSize.writeUInt32BE(this.#options.readSize);
      this.#socketEvent(() => this.#sockets.has(id) ? event(EVENT.CONNECTED, id, window, readSize) : undefined);
    });
    stream.on('data', data => {
      this.#options.tap?.('in', id, data);
      socket.inbound.push(data);
      socket.inboundBytes += data.length;
      if (socket.inboundBytes >= 65536)
        stream.pause();		// let TCP flow control hold the peer back
      this.#scheduleDelivery(id, socket);
    });
    stream.on('error', error => {
      socket.errorMessage ||= describeSocketError(error, secure, socket.connected);
      this.#peerEnded(id, socket, 1);
    });
    stream.on('end', () => this.#peerEnded(id, socket, 0));
    stream.on('close', () => {
      socket.ended = true;
      this.#scheduleDelivery(id, socket);
    });
  }

  // The peer ended the connection (reset: 1, a reset or a failed write;
  // else its FIN): XS hears it at once, ahead of what is still to be read,
  // so that its socket's writes fail from then as the kernel's do (tcp.js).
  #peerEnded(id, socket, reset) {
    if (!socket.connected || socket.peerEnded > reset)
      return;
    socket.peerEnded = reset + 1;
    // Not through a polling tick: it is the kernel's state, which a write meets at once.
    this.#enqueue(() => this.#sockets.get(id) === socket ? event(EVENT.PEER_ENDED, id, reset) : undefined);
  }

  #scheduleDelivery(id, socket) {
    if (socket.deliveryQueued)
      return;
    const hasData = socket.inbound.length && socket.room > 0 && socket.connected;
    const mustFail = socket.ended && !socket.errorSent && !socket.inbound.length && socket.room === this.#options.readSize;
    const failsEarly = socket.ended && !socket.connected && !socket.errorSent;
    if (!hasData && !mustFail && !failsEarly)
      return;
    socket.deliveryQueued = true;
    this.#socketEvent(() => {
      socket.deliveryQueued = false;
      if (this.#sockets.get(id) !== socket)
        return undefined;
      if (socket.inbound.length && socket.room > 0 && socket.connected)
        return this.#takeData(id, socket);
      if (socket.ended && !socket.errorSent && (!socket.connected || (!socket.inbound.length && socket.room === this.#options.readSize))) {
        socket.errorSent = true;
        this.#sockets.delete(id);
        return event(EVENT.ERROR, id, 0, Buffer.from(socket.errorMessage));
      }
      return undefined;
    });
  }

  #takeData(id, socket) {
    const count = Math.min(socket.room, socket.inboundBytes);
    const pieces = [];
    let taken = 0;
    while (taken < count) {
      const head = socket.inbound[0];
      const part = Math.min(head.length, count - taken);
      pieces.push(head.subarray(0, part));
      taken += part;
      if (part === head.length)
        socket.inbound.shift();
      else
        socket.inbound[0] = head.subarray(part);
    }
    socket.inboundBytes -= count;
    socket.room -= count;
    if (socket.inboundBytes < 65536 && socket.stream.isPaused())
      socket.stream.resume();
    this.#scheduleDelivery(id, socket);
    return event(EVENT.DATA, id, 0, pieces.length === 1 ? pieces[0] : Buffer.concat(pieces));
  }

  #socketRoom(id, room) {
    const socket = this.#sockets.get(id);
    if (!socket)
      return;
    socket.room = room;
    this.#scheduleDelivery(id, socket);
  }

  // cost: what the write takes from the window (a TLS record's size), else its length.
  #socketWrite(id, bytes, cost) {
    const socket = this.#sockets.get(id);
    if (!socket || socket.ended)
      return;
    this.#options.tap?.('out', id, bytes);
    socket.writable -= cost || bytes.length;
    socket.pendingWrites++;
    socket.stream.write(Buffer.from(bytes), () => {
      // The window refills once the kernel has taken everything written.
      if (--socket.pendingWrites || this.#sockets.get(id) !== socket || socket.ended || socket.writable === socket.window)
        return;
      socket.writable = socket.window;
      this.#socketEvent(() => this.#sockets.get(id) === socket ? event(EVENT.WRITABLE, id, socket.window) : undefined);
    });
  }

  // The peer ends the connection, for the reason given (a TLS alert): XS
  // hears it as ERROR with that reason once what was received has been read.
  #socketPeerFails(id, reason) {
    const socket = this.#sockets.get(id);
    if (!socket || socket.ended)
      return;
    socket.errorMessage = reason;
    socket.stream.destroy();
  }

  #socketClose(id) {
    const socket = this.#sockets.get(id);
    if (!socket)
      return;
    this.#sockets.delete(id);
    socket.stream.end();
    socket.stream.on('finish', () => socket.stream.destroy());
    setTimeout(() => socket.stream.destroy(), 1000).unref();
  }
}

function event(kind, id, arg, payload) {
  const header = Buffer.alloc(9);
  header.writeUInt8(kind, 0);
  header.writeUInt32BE(id, 1);
  header.writeUInt32BE(arg, 5);
  return payload && payload.length ? Buffer.concat([header, payload]) : header;
}

// The reason a TLS socket hears with ERROR: why the handshake failed, or
// the alert the peer sent; none for TCP, nor for a TLS connection that was
// reset or closed (the SDK's TLS socket then calls onError with nothing).
function describeSocketError(error, secure, connected) {
  if (!secure || (connected && !error.code?.startsWith('ERR_SSL')))
    return '';
  // An alert from the peer reads as the SDK's TLSError says it: "alert: level, description".
  const alert = ALERTS[error.code?.replace(/^ERR_SSL_(SSLV3|TLSV1|TLSV13)_(ALERT_)?/, '')];
  if (alert)
    return `alert: 2, ${alert}`;
  const reasons = {
    CERT_HAS_EXPIRED: 'the server certificate has expired',
    DEPTH_ZERO_SELF_SIGNED_CERT: 'the server certificate is self-signed and not trusted',
    SELF_SIGNED_CERT_IN_CHAIN: 'the server certificate chain ends in an untrusted CA',
    UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'the server certificate is not signed by a trusted CA',
    UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'the server certificate is not signed by a trusted CA',
    ERR_TLS_CERT_ALTNAME_INVALID: 'the server certificate is for another host',
  };
  return reasons[error.code] ?? error.message;
}

// The alerts a broker sends on refusing a handshake (RFC 5246, 7301), by OpenSSL's name.
const ALERTS = {
  HANDSHAKE_FAILURE: 40, BAD_CERTIFICATE: 42, UNKNOWN_CA: 48, ACCESS_DENIED: 49,
  UNRECOGNIZED_NAME: 112, CERTIFICATE_REQUIRED: 116, NO_APPLICATION_PROTOCOL: 120,
};

function pem(label, base64) {
  return `-----BEGIN ${label}-----\n${base64.match(/.{1,64}/g).join('\n')}\n-----END ${label}-----\n`;
}
