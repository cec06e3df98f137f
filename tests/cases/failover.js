// Failover across brokers (the `servers` option, README "Failover"), checked
// once for both hosts: tests/failover.test.js runs them on xsnap,
// tests/mcsim-failover.test.js in mcsim. Two aedes brokers on loopback that
// record which client connected to each and which messages each received.
import assert from 'node:assert/strict';
import { startAedes, freePort } from '../harness/brokers.js';
import { withScripted } from '../harness/scripted-broker.js';
import { until } from '../helpers/xs.js';
import { makeCertificates } from '../harness/certs.js';

const FAILOVER = 'tests/scenarios/client/failover.js';

/** aedes named `name`, recording the client ids that connect and the topics published to it; `tls`: {key, cert}, behind TLS. */
async function recordingBroker(name, tls) {
  const connects = [], topics = [];
  const broker = await startAedes({
    tls,
    preConnect(client, packet, done) { connects.push(packet.clientId); done(null, true); },
    published(packet, client, done) { if (client) topics.push(packet.topic); done(); },
  });
  return Object.assign(broker, { name, connects, topics });
}

/** Runs `body(a, b)` with two recording aedes brokers, closed whatever happens. */
async function withPair(body) {
  const a = await recordingBroker('A');
  try {
    const b = await recordingBroker('B');
    try {
      return await body(a, b);
    }
    finally {
      await b.close();
    }
  }
  finally {
    await a.close();
  }
}

/** The first server is down (nothing listens): connect() goes on to the second, and resolves. */
export function firstDown(host) {
  return withPair(async (a, b) => {
    const closed = await freePort();
    const result = await host.runCase(FAILOVER, 'connectWalk', { ports: [closed, b.port], timeout: 5 });
    assert.equal(result.outcome, 0, 'connect() resolved, session present 0');
    assert.equal(result.connected, true);
    assert.deepEqual(b.connects, ['walker'], 'the second server has the connection');
    assert.deepEqual(result.after, { timers: 0, sockets: 0 });
  });
}

/**
 * No server accepts: one refuses the TCP connection, one answers CONNACK 3
 * (server unavailable, which is worth trying elsewhere), one never answers
 * (the connect timeout, 1 s). connect() rejects once all three were tried,
 * naming each one's failure in order.
 */
export function noneAccepts(host) {
  return withScripted({ connect(session) { session.send({ cmd: 'connack', returnCode: 3, sessionPresent: false }); } }, unavailable =>
    withScripted({ connect() {} }, async silent => {
      const closed = await freePort();
      const result = await host.runCase(FAILOVER, 'connectWalk', { ports: [closed, unavailable.port, silent.port], timeout: 1 });
      assert.equal(result.outcome, `Error: no server accepted the connection (3 tried, in order): ` +
        `could not connect to 127.0.0.1:${closed} (refused, unreachable, or the TLS handshake failed); ` +
        `127.0.0.1:${unavailable.port}: MQTT error 3: server unavailable; ` +
        `no CONNACK from 127.0.0.1:${silent.port} within 1 s`);
      assert.equal(unavailable.sessions.length, 1, 'the server that answered 3 was tried once');
      assert.equal(silent.sessions.length, 1, 'the silent server was tried once, after it');
      assert.ok(result.elapsed >= 900, `the silent server had its connect timeout: ${result.elapsed} ms`);
      assert.equal(result.connected, false);
      assert.deepEqual(result.after, { timers: 0, sockets: 0 }, 'nothing left after the rejection');
    }));
}

/**
 * Each server's TLS options, its own or the client's: the first server's own
 * CA did not sign its certificate, so the handshake fails there (with the
 * client's CA it would pass) and the second, with the client's, accepts;
 * `ssl: null` connects in the clear where the client's `ssl` would not.
 */
export async function tlsPerServer(host) {
  const certs = makeCertificates();
  // The chain, not the certificate alone: the SDK's TLS (ssl_cert.js, 8.2.3)
  // matches the server name only while walking a chain, and so refuses a
  // server that sends its own certificate alone (as node:tls does when given
  // only that), whoever signed it.
  const key = { key: certs.localhost.key, cert: Buffer.concat([certs.localhost.cert, certs.ca.pem]) };
  const first = await recordingBroker('first', key);
  try {
    const second = await recordingBroker('second', key);
    try {
      const plain = await recordingBroker('plain');
      try {
        const result = await host.runCase(FAILOVER, 'tlsEach', {
          host: 'localhost', ports: [first.port, second.port], plainPort: plain.port,
          caHex: certs.ca.der.toString('hex'), untrustedHex: certs.untrustedCA.der.toString('hex'),
        }, { host: { manifest: 'manifest_tls.json' } });
        assert.deepEqual(result, { walked: 0, plain: 0, after: { timers: 0, sockets: 0 } });
        assert.deepEqual([first.connects, second.connects], [[], ['tls-walker']], 'the first server\'s own TLS options failed its handshake; the second, with the client\'s, accepted');
        assert.deepEqual(plain.connects, ['plain'], 'ssl: null: no TLS for that server');
      }
      finally {
        await plain.close();
      }
    }
    finally {
      await second.close();
    }
  }
  finally {
    await first.close();
  }
}

/** CONNACK 5 (not authorized) from the first server refuses this client: connect() rejects with it, the second is not tried. */
export function refusalEndsWalk(host) {
  return withScripted({ connect(session) { session.send({ cmd: 'connack', returnCode: 5, sessionPresent: false }); } }, refusing =>
    withPair(async (a, b) => {
      const result = await host.runCase(FAILOVER, 'connectWalk', { ports: [refusing.port, b.port], timeout: 5 });
      assert.equal(result.outcome, 'MQTTException: MQTT error 5: not authorized');
      assert.deepEqual(b.connects, [], 'the second server was not tried');
      assert.deepEqual(result.after, { timers: 0, sockets: 0 });
    }));
}

/**
 * On A, A killed: on B within 2 x maxDelay (the backoff first: at least half
 * of minDelay). A back: the client stays on B, whose connection is healthy,
 * for 3 x maxDelay. B's connection lost (B still up): the next connection is
 * A's, the first server, preferred again.
 */
export function failover(host) {
  const minDelay = 200, maxDelay = 1000;
  return withPair(async (a, b) => {
    const reports = [];
    let ended = false;
    const done = host.runCase(FAILOVER, 'failover', { ports: [a.port, b.port], minDelay, maxDelay }, {
      timeout: 30_000, onReport: value => reports.push(value),
    });
    try {
      await until(() => reports.length === 1, 'the first connection');
      assert.deepEqual(reports[0], { connected: 1 });
      assert.deepEqual([a.topics, b.topics], [['failover/1'], []], 'the first connection is A\'s, the first server');
      await a.kill();

      await until(() => reports.length === 2, 'the connection after A was killed', 10_000);
      assert.deepEqual(b.topics, ['failover/2'], 'the second connection is B\'s');
      const { gap } = reports[1];
      assert.ok(gap <= 2 * maxDelay, `on B ${gap} ms after the loss: within 2 x maxDelay (${2 * maxDelay} ms)`);
      assert.ok(gap >= minDelay / 2, `not before the backoff's first delay (at least minDelay / 2): ${gap} ms`);

      await a.start();
      await new Promise(resolve => setTimeout(resolve, 3 * maxDelay));
      assert.deepEqual(a.connects, ['failover'], 'A back: the healthy connection to B is kept, A is not tried');
      assert.equal(reports.length, 2, 'no reconnection while B\'s connection is up');

      b.dropConnections();
      await until(() => reports.length === 3, 'the connection after B\'s was lost', 10_000);
      assert.deepEqual(a.topics, ['failover/1', 'failover/3'], 'the next connection is A\'s: the first server, preferred again');
      assert.deepEqual(b.connects, ['failover'], 'B was not tried again: A accepted first');
      assert.ok(reports[2].gap <= 2 * maxDelay, `on A ${reports[2].gap} ms after the loss`);
      ended = true;
      await host.message({ step: 'end' });
      const result = await done;
      assert.equal(result.connections, 3);
      assert.deepEqual(result.after, { timers: 0, sockets: 0 });
    }
    finally {
      if (!ended)	// a check failed: the case still waits for its end
        await host.message({ step: 'end' }).catch(() => {});
      await done.catch(() => {});
    }
  });
}
