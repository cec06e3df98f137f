// Client certificates in mcsim, on the SDK's TLS as the library ships it for
// them: the runner app built with manifest_tls_client.json (the SDK's TLS
// without the DHE-RSA key exchange, under which it cannot sign
// CertificateVerify: see the README, "Client certificates"). Against
// mosquitto with require_certificate, with certificates made here.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startMosquitto } from './harness/brokers.js';
import { makeCertificates } from './harness/certs.js';
import { mcsimEnabled, useMcsim } from './sim/suite.js';
import * as tls from './cases/tls.js';

const TLS = 'tests/scenarios/client/tls.js';

if (mcsimEnabled) describe('in mcsim, built with manifest_tls_client.json: client certificates', () => {
  const mcsim = useMcsim({ app: 'runner-client-tls' });
  const certs = makeCertificates();
  const caHex = certs.ca.der.toString('hex');
  const device = { clientCertHex: certs.device.der.toString('hex'), clientKeyHex: certs.device.keyDer.toString('hex') };
  let broker;
  before(async () => {
    broker = await startMosquitto({ tls: { ca: certs.ca.file, cert: certs.localhost.certFile, key: certs.localhost.keyFile, requireCertificate: true } });
  });
  after(() => broker?.close());

  test('with clientCertificates and clientKey, mosquitto (require_certificate) accepts the device: connect, subscribe, publish QoS 0/1/2 and receive', () =>
    tls.roundTrip(mcsim, { host: 'localhost', port: broker.port, caHex, ...device }));

  // cache: false, a full handshake: a session resumed from an earlier case
  // would be accepted without a certificate (mosquitto resumes it).
  test('without a client certificate, connect rejects with the broker\'s alert; the app runs on and connects with one', () => mcsim.onOneMachine(async () => {
    const refused = await mcsim.runCase(TLS, 'connectOutcome', { host: 'localhost', port: broker.port, caHex, cache: false });
    assert.equal(refused.outcome, `Error: could not connect to localhost:${broker.port}: TLS: alert: 2, 40`);
    assert.deepEqual(refused.after, { timers: 0, sockets: 0 });
    const accepted = await mcsim.runCase(TLS, 'connectOutcome', { host: 'localhost', port: broker.port, caHex, ...device });
    assert.equal(accepted.outcome, 0);
  }));
});
