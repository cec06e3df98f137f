// Size and bursts through both of the SDK's sockets, and TLS as the SDK does
// it, on the real Moddable runtime (the runner app in mcsim) against
// mosquitto on loopback: plain, and its TLS listener with certificates made
// here. The SDK's TCP socket offers a 1,536-byte write window on Linux; its
// TLS socket turns every write into a record, offers 1536 - 96 = 1,440 bytes
// and refuses a record over 16,384 bytes (shared/docs/platform.md): the
// payload sizes below sit on each side of those edges.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startMosquitto } from './harness/brokers.js';
import { makeCertificates } from './harness/certs.js';
import { mcsimEnabled, useMcsim } from './sim/suite.js';
import * as interop from './cases/interop.js';
import * as tls from './cases/tls.js';

const INTEROP = 'tests/scenarios/client/interop.js';
const TLS = 'tests/scenarios/client/tls.js';

// A QoS 1 PUBLISH to "echo/size" is 16 bytes + payload (17 once the remaining length takes 3 bytes).
const EDGES = [
  1368, 1369,		// 1,384 and 1,385 bytes: the client's own TLS limit for one write (1,440 less its 56-byte record reserve)
  1423, 1424, 1425,	// 1,439, 1,440, 1,441 bytes: the TLS socket's write window
  1519, 1520, 1521,	// 1,535, 1,536, 1,537 bytes: the TCP socket's write window
  16367, 16368, 16369,	// 16,383, 16,384, 16,385 bytes: the largest TLS record
  16400,		// a remaining length of 3 bytes, over one record
];

if (mcsimEnabled) describe('in mcsim: sizes and bursts over TCP and TLS; TLS refusals', () => {
  const mcsim = useMcsim();
  const certs = makeCertificates();
  const caHex = certs.ca.der.toString('hex');
  const brokers = {};
  before(async () => {
    brokers.tcp = await startMosquitto();
    brokers.tls = await startMosquitto({ tls: { ca: certs.ca.file, cert: certs.localhost.certFile, key: certs.localhost.keyFile } });
  });
  after(async () => {
    for (const broker of Object.values(brokers))
      await broker.close();
  });
  // The TLS cases name the server "localhost" (the certificate's name) and pass the CA as DER bytes.
  const through = socket => socket === 'tls'
    ? { tls: true, host: 'localhost', port: brokers.tls.port, caHex }
    : { port: brokers.tcp.port };

  for (const socket of ['tcp', 'tls']) {
    const name = socket === 'tls' ? 'the SDK\'s TLS socket' : 'TCP';

    test(`20 KB published at QoS 1 through ${name} comes back intact`, () =>
      interop.bigEcho(mcsim, { ...through(socket), size: 20 * 1024, qos: 1 }));

    test(`1 MB published at QoS 1 through ${name} comes back intact`, { timeout: 180_000 }, () =>
      interop.bigEcho(mcsim, { ...through(socket), size: 1 << 20, qos: 1 }, { timeout: 170_000 }));

    test(`100 publishes of 1 KB issued at once through ${name} (outgoingLimit 100): every Promise resolves, every message comes back intact [MQTT-4.3.2-1]`, () =>
      interop.burst(mcsim, { ...through(socket), count: 100, size: 1024, qos: 1 }, { timeout: 90_000 }));

    test(`payloads on each side of the TCP and TLS write windows and of the 16,384-byte TLS record, through ${name}, each come back intact`, async () => {
      const result = await mcsim.runCase(INTEROP, 'echoSizes', { ...through(socket), sizes: EDGES, qos: 1 }, { timeout: 90_000 });
      assert.deepEqual(result, EDGES.map(size => ({ size, published: 'ok', length: size, mismatch: -1 })));
    });
  }

  test('over TLS: connect, subscribe, publish QoS 0/1/2 and receive; nothing is left after disconnect', () => tls.roundTrip(mcsim, through('tls')));

  describe('TLS refusals: a rejection the app catches, never an abort', () => {
    const refusing = {};
    before(async () => {
      refusing.untrusted = await startMosquitto({ tls: { ca: certs.ca.file, cert: certs.untrusted.certFile, key: certs.untrusted.keyFile } });
      refusing.wrongHost = await startMosquitto({ tls: { ca: certs.ca.file, cert: certs.wrongHost.certFile, key: certs.wrongHost.keyFile } });
      refusing.password = await startMosquitto({ users: { device: 's3cr3t-pa55' }, tls: { ca: certs.ca.file, cert: certs.localhost.certFile, key: certs.localhost.keyFile } });
      refusing.certificate = await startMosquitto({ tls: { ca: certs.ca.file, cert: certs.localhost.certFile, key: certs.localhost.keyFile, requireCertificate: true } });
    });
    after(async () => {
      for (const broker of Object.values(refusing))
        await broker.close();
    });

    for (const [kind, what] of [['untrusted', 'signed by a CA the app does not trust'], ['wrongHost', 'for another host']])
      test(`a server certificate ${what} makes connect reject; the app runs on and connects to a good server`, () => mcsim.onOneMachine(async () => {
        const refused = await mcsim.runCase(TLS, 'connectOutcome', { host: 'localhost', port: refusing[kind].port, caHex });
        assert.match(refused.outcome, new RegExp(`^Error: could not connect to localhost:${refusing[kind].port}`));
        assert.deepEqual(refused.after, { timers: 0, sockets: 0 });
        const accepted = await mcsim.runCase(TLS, 'connectOutcome', { host: 'localhost', port: brokers.tls.port, caHex });
        assert.equal(accepted.outcome, 0);
      }));

    // A broker that requires a client certificate and gets none sends its
    // alert and closes while the SDK's client still writes its handshake
    // flight: written record by record, the next write raised SIGPIPE and
    // killed mcsim. The library sends the flight whole (connection.ts, guardedTCP).
    test('a broker that requires a client certificate and gets none: connect rejects with its alert, the machine lives on', () => mcsim.onOneMachine(async () => {
      await tls.refused(mcsim, { host: 'localhost', port: refusing.certificate.port, caHex, cache: false }, 'alert: 2, 40 (handshake_failure)');
      const accepted = await mcsim.runCase(TLS, 'connectOutcome', { host: 'localhost', port: brokers.tls.port, caHex });
      assert.equal(accepted.outcome, 0);
    }));

    // With manifest_tls.json the SDK offers DHE-RSA, which mosquitto picks,
    // and cannot sign CertificateVerify under it: manifest_tls_client.json
    // leaves DHE-RSA out (tests/mcsim-client-tls.test.js).
    test('a client certificate under manifest_tls.json (DHE-RSA chosen): connect rejects with "certificateVerify: unimplemented", the machine lives on', () => mcsim.onOneMachine(async () => {
      const device = { clientCertHex: certs.device.der.toString('hex'), clientKeyHex: certs.device.keyDer.toString('hex') };
      await tls.refused(mcsim, { host: 'localhost', port: refusing.certificate.port, caHex, cache: false, ...device }, 'certificateVerify: unimplemented');
    }));

    test('a wrong password over TLS rejects MQTTException(5) [MQTT-3.2.2-5], and no credential shows', async () => {
      const refused = await mcsim.runCase(TLS, 'connectOutcome', { host: 'localhost', port: refusing.password.port, caHex, user: 'device', password: 'wrong-pa55' });
      assert.equal(refused.outcome, 'MQTTException: MQTT error 5: not authorized');
      assert.equal(mcsim.traces.filter(line => /pa55/.test(line)).length, 0, 'no credential traced');
      const accepted = await mcsim.runCase(TLS, 'connectOutcome', { host: 'localhost', port: refusing.password.port, caHex, user: 'device', password: 's3cr3t-pa55' });
      assert.equal(accepted.outcome, 0);
    });
  });
});
