// TLS: the seed's ssl_params over the harness's ECMA-419 TLS socket (node:tls
// underneath, the SDK's constructor shape), against aedes behind a node:tls
// server and mosquitto with a TLS listener, with certificates made here.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { startAedes, startMosquitto, LOOPBACK } from './harness/brokers.js';
import { makeCertificates } from './harness/certs.js';
import { AWS_ALPN, ALERT_NAMES } from './harness/tls-front.js';
import { runScenario, xsnap } from './helpers/xs.js';
import * as tls from './cases/tls.js';
import * as interop from './cases/interop.js';

const TLS = 'tests/scenarios/client/tls.js';
const certs = makeCertificates();
const host = { manifest: 'manifest_tls.json', resources: { 'ca.der': certs.ca.der, 'untrusted-ca.der': certs.untrustedCA.der } };
// The suite the SDK's TLS socket negotiates with each broker (measured in
// mcsim), whose record overhead the host's TLS socket takes from the window.
const SUITES = { aedes: 'AES128-GCM-SHA256', mosquitto: 'AES128-CBC-SHA256' };

async function tlsCase(name, params, hostOptions = {}) {
  const { result, xs } = await runScenario(TLS, { ...params, case: name }, { host: { ...host, ...hostOptions } });
  return { ...result, traces: xs.traces };
}

const USERS = { device: 's3cr3t-pa55' };
const brokers = {
  aedes: certificate => startAedes({
    tls: { key: certificate.key, cert: certificate.cert },
    authenticate(client, user, password, done) {
      if (user === undefined || (user === 'device' && password?.toString() === USERS.device))
        return done(null, true);
      const error = new Error('refused');
      error.returnCode = 4;
      done(error, null);
    },
  }),
  mosquitto: certificate => startMosquitto({
    tls: { ca: certs.ca.file, cert: certificate.certFile, key: certificate.keyFile },
    config: ['allow_anonymous true', `password_file ${passwordFile()}`],
  }),
};
const passwordFile = () => `${certs.dir}/passwords`;

for (const [name, start] of Object.entries(brokers)) {
  describe(`TLS with ${name}`, () => {
    let good;
    const bad = {};
    before(async () => {
      if (name === 'mosquitto') {
        writeFileSync(passwordFile(), '');
        execFileSync('mosquitto_passwd', ['-b', passwordFile(), 'device', USERS.device]);
      }
      good = await start(certs.localhost);
      for (const kind of ['expired', 'wrongHost', 'untrusted'])
        bad[kind] = await start(certs[kind]);
    });
    after(async () => {
      await good.close();
      for (const broker of Object.values(bad))
        await broker.close();
    });

    test('connect, subscribe, publish QoS 0/1/2 and receive over TLS (server name localhost, CA as a resource)', () =>
      tls.roundTrip(xsnap, { host: 'localhost', port: good.port, ca: 'ca.der' }, { host }));

    // The SDK's TLS socket: each write one record costing the TCP window its
    // overhead, write() returning the room less 32 (shared/docs/platform.md).
    // The cases mcsim-transfer.test.js runs through the SDK's TLS socket.
    const accounted = { host: { ...host, tlsSuite: SUITES[name] } };
    test(`a 20 KB QoS 1 publish over the SDK's TLS record accounting (${SUITES[name]}) is acknowledged and delivered intact`, () =>
      interop.bigEcho(xsnap, { tls: true, host: 'localhost', port: good.port, ca: 'ca.der', size: 20 * 1024, qos: 1 }, accounted));

    test(`100 x 1 KB QoS 1 publishes at once over the SDK's TLS record accounting (${SUITES[name]}): each acknowledged and delivered intact`, () =>
      interop.burst(xsnap, { tls: true, host: 'localhost', port: good.port, ca: 'ca.der', count: 100, size: 1024, qos: 1 }, accounted));

    test('an IP address as server name is checked against the certificate\'s IP SAN', async () => {
      const result = await tlsCase('connectOutcome', { host: '127.0.0.1', port: good.port, ca: 'ca.der' });
      assert.equal(result.outcome, 0);
    });

    test('the positional form with sslParams, user and password over TLS', async () => {
      const accepted = await tlsCase('connectOutcome', { positional: true, host: 'localhost', port: good.port, ca: 'ca.der', user: 'device', password: USERS.device });
      assert.equal(accepted.outcome, 0);
    });

    test('a wrong password over TLS is refused with the broker\'s code, and no credential shows', async () => {
      const refused = await tlsCase('connectOutcome', { host: 'localhost', port: good.port, ca: 'ca.der', user: 'device', password: 'wrong-pa55' });
      assert.equal(refused.outcome, name === 'aedes' ? 'MQTTException: MQTT error 4: bad user name or password' : 'MQTTException: MQTT error 5: not authorized');
      assert.deepEqual(refused.traces, [], 'nothing traced');
    });

    for (const [kind, what, reason] of [
      ['untrusted', 'signed by an untrusted CA', 'the server certificate is not signed by a trusted CA'],
      ['wrongHost', 'for another host', 'the server certificate is for another host'],
      ['expired', 'that expired', 'the server certificate has expired'],
    ]) {
      test(`a certificate ${what} makes connect reject, saying why; no credential shows`, async () => {
        const result = await tlsCase('connectOutcome', { host: 'localhost', port: bad[kind].port, ca: 'ca.der', user: 'device', password: USERS.device });
        assert.equal(result.outcome, `Error: could not connect to localhost:${bad[kind].port}: TLS: ${reason}`);
        assert.doesNotMatch(result.outcome, new RegExp(USERS.device));
        assert.deepEqual(result.traces, []);
        assert.deepEqual(result.after, { timers: 0, sockets: 0 });
      });
    }

    test('with no CA given, the default trust store applies: a private CA is refused', async () => {
      const result = await tlsCase('connectOutcome', { host: 'localhost', port: good.port });
      assert.match(result.outcome, /TLS: the server certificate (chain ends in an untrusted CA|is not signed by a trusted CA)/);
    });

    test('verification is on unless the app turns it off with verify: false', async () => {
      const result = await tlsCase('connectOutcome', { host: 'localhost', port: bad.expired.port, verify: false });
      assert.equal(result.outcome, 0);
    });
  });
}

// Client certificates, as mcsim-client-tls.test.js and mcsim-transfer.test.js
// run them in mcsim. The host's TLS handshakes as the SDK's does (TLS 1.2,
// its suites; DHE-RSA offered unless the manifest's config.tls says not) and
// fails where it fails: under DHE-RSA it cannot sign CertificateVerify.
describe('client certificates (the host handshaking as the SDK does)', () => {
  const device = { clientCertHex: certs.device.der.toString('hex'), clientKeyHex: certs.device.keyDer.toString('hex') };
  const clientHost = { host: { ...host, manifest: 'manifest_tls_client.json' } };
  let brokers, broker, front;
  before(async () => {
    brokers = await tls.clientCertificateBrokers(certs);
    ({ broker, front } = brokers);
  });
  after(() => brokers?.close());

  test('built with manifest_tls_client.json, clientCertificates and clientKey: mosquitto (require_certificate) accepts the device; connect, subscribe, publish QoS 0/1/2 and receive', () =>
    tls.roundTrip(xsnap, { host: 'localhost', port: broker.port, ca: 'ca.der', ...device }, clientHost));

  test('built with manifest_tls.json, mosquitto picks DHE-RSA: connect rejects with the SDK\'s "certificateVerify: unimplemented"', () =>
    tls.refused(xsnap, { host: 'localhost', port: broker.port, ca: 'ca.der', ...device }, 'certificateVerify: unimplemented', { host }));

  for (const [manifest, options] of [['manifest_tls.json', { host }], ['manifest_tls_client.json', clientHost]])
    test(`built with ${manifest}, without a client certificate: connect rejects with the broker's alert (handshake_failure)`, () =>
      tls.refused(xsnap, { host: 'localhost', port: broker.port, ca: 'ca.der' }, 'alert: 2, 40 (handshake_failure)', options));

  describe('an AWS-IoT-like endpoint: SNI, ALPN x-amzn-mqtt-ca, a client certificate', () => {
    test('with applicationLayerProtocolNegotiation "x-amzn-mqtt-ca", SNI and the certificate: connect, subscribe, publish QoS 0/1/2 and receive through the front', () =>
      tls.roundTrip(xsnap, { host: 'localhost', port: front.port, ca: 'ca.der', ...device, alpn: AWS_ALPN }, clientHost));

    for (const [what, params, alert] of [
      ['without ALPN', { host: 'localhost' }, 120],
      ['to an IP address (no SNI)', { host: '127.0.0.1', alpn: AWS_ALPN }, 112],
      ['with another ALPN protocol', { host: 'localhost', alpn: 'mqtt' }, 120],
    ])
      test(`${what}: connect rejects with the front's alert ${alert}, which refused the ClientHello`, async () => {
        const refused = front.refusals.length;
        await tls.refused(xsnap, { ...params, port: front.port, ca: 'ca.der', ...device }, `alert: 2, ${alert} (${ALERT_NAMES[alert]})`, clientHost);
        assert.equal(front.refusals.length, refused + 1);
        assert.equal(front.refusals.at(-1).alert, alert);
      });

    test('without the client certificate: connect rejects with the front\'s handshake_failure alert (40)', () =>
      tls.refused(xsnap, { host: 'localhost', port: front.port, ca: 'ca.der', alpn: AWS_ALPN }, 'alert: 2, 40 (handshake_failure)', clientHost));
  });
});

test('with sslParams nothing is sent in the clear: a plain TCP server sees a TLS ClientHello, never CONNECT, and no plaintext retry', async () => {
  const firstBytes = [];
  const server = net.createServer(socket => {
    socket.on('error', () => {});
    socket.once('data', data => { firstBytes.push(data[0]); socket.destroy(); });
  });
  await new Promise(resolve => server.listen(0, LOOPBACK, resolve));
  try {
    const result = await tlsCase('connectOutcome', { host: 'localhost', port: server.address().port, ca: 'ca.der', user: 'device', password: USERS.device });
    assert.match(result.outcome, /^Error: could not connect to localhost:\d+/);
    assert.deepEqual(firstBytes, [0x16], 'one connection, whose first byte is a TLS handshake record');
  }
  finally {
    server.close();
  }
});
