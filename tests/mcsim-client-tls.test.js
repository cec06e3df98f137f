// Client certificates in mcsim, on the SDK's TLS as the library ships it for
// them: the runner app built with manifest_tls_client.json (the SDK's TLS
// without the DHE-RSA key exchange, under which it cannot sign
// CertificateVerify: see the README, "Client certificates"). Against
// mosquitto with require_certificate, and an AWS-IoT-like endpoint (SNI, ALPN
// x-amzn-mqtt-ca and a client certificate, tests/harness/tls-front.js) in
// front of mosquitto, with certificates made here. The tests/cases/tls.js
// cases tls.test.js runs on xsnap.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { makeCertificates } from './harness/certs.js';
import { AWS_ALPN, ALERT_NAMES } from './harness/tls-front.js';
import { mcsimEnabled, useMcsim } from './sim/suite.js';
import * as tls from './cases/tls.js';

const TLS = 'tests/scenarios/client/tls.js';

if (mcsimEnabled) describe('in mcsim, built with manifest_tls_client.json: client certificates', () => {
  const mcsim = useMcsim({ app: 'runner-client-tls' });
  const certs = makeCertificates();
  const caHex = certs.ca.der.toString('hex');
  const device = { clientCertHex: certs.device.der.toString('hex'), clientKeyHex: certs.device.keyDer.toString('hex') };
  let brokers, broker, front;
  before(async () => {
    brokers = await tls.clientCertificateBrokers(certs);
    ({ broker, front } = brokers);
  });
  after(() => brokers?.close());

  test('with clientCertificates and clientKey, mosquitto (require_certificate) accepts the device: connect, subscribe, publish QoS 0/1/2 and receive', () =>
    tls.roundTrip(mcsim, { host: 'localhost', port: broker.port, caHex, ...device }));

  // cache: false, a full handshake: a session resumed from an earlier case
  // would be accepted without a certificate (mosquitto resumes it).
  test('without a client certificate, connect rejects with the broker\'s alert; the app runs on and connects with one', () => mcsim.onOneMachine(async () => {
    await tls.refused(mcsim, { host: 'localhost', port: broker.port, caHex, cache: false }, 'alert: 2, 40 (handshake_failure)');
    const accepted = await mcsim.runCase(TLS, 'connectOutcome', { host: 'localhost', port: broker.port, caHex, ...device });
    assert.equal(accepted.outcome, 0);
  }));

  describe('an AWS-IoT-like endpoint: SNI, ALPN x-amzn-mqtt-ca, a client certificate', () => {
    test('with applicationLayerProtocolNegotiation "x-amzn-mqtt-ca", SNI and the certificate: connect, subscribe, publish QoS 0/1/2 and receive through the front', () =>
      tls.roundTrip(mcsim, { host: 'localhost', port: front.port, caHex, ...device, alpn: AWS_ALPN }));

    for (const [what, params, alert] of [
      ['without ALPN', { host: 'localhost' }, 120],
      ['with SNI naming an IP address, not the endpoint', { host: '127.0.0.1' }, 112],
    ])
      test(`${what}: connect rejects with the front's alert ${alert}, which refused the ClientHello; the machine lives on`, () => mcsim.onOneMachine(async () => {
        const port = front.port, refused = front.refusals.length;
        await tls.refused(mcsim, { ...params, port, caHex, ...device, ...(alert === 120 ? {} : { alpn: AWS_ALPN }), cache: false }, `alert: 2, ${alert} (${ALERT_NAMES[alert]})`);
        assert.equal(front.refusals.length, refused + 1);
        assert.equal(front.refusals.at(-1).alert, alert);
      }));

    test('without the client certificate: connect rejects with the front\'s handshake_failure alert (40); the machine lives on', () => mcsim.onOneMachine(async () => {
      await tls.refused(mcsim, { host: 'localhost', port: front.port, caHex, alpn: AWS_ALPN, cache: false }, 'alert: 2, 40 (handshake_failure)');
    }));
  });
});
