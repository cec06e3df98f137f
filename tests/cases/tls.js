// The cases of tests/scenarios/client/tls.js that both hosts run, each run
// and checked once here. tests/tls.test.js runs them on xsnap (the harness's
// TLS socket, the CA as a resource), tests/mcsim-transfer.test.js in mcsim
// (the SDK's TLS socket, the CA as DER bytes). `host`: `xsnap`
// (tests/helpers/xs.js) or useMcsim() (tests/sim/suite.js).
import assert from 'node:assert/strict';
import { startMosquitto } from '../harness/brokers.js';
import { startTLSFront } from '../harness/tls-front.js';

const TLS = 'tests/scenarios/client/tls.js';

/** Connect, subscribe, publish QoS 0/1/2 and receive over TLS; nothing is left after disconnect. `params`: where and how to connect. */
export async function roundTrip(host, params, options) {
  const result = await host.runCase(TLS, 'roundTrip', params, options);
  assert.equal(result.sessionPresent, 0);
  assert.equal(result.granted, 2);
  assert.deepEqual(result.received, [0, 1, 2].map(qos => [`tls/${qos}`, `secret message ${qos} ✓`]));
  assert.deepEqual(result.after, { timers: 0, sockets: 0 });
}

/** connect rejects, the TLS layer saying `reason` ("alert: 2, 40 (handshake_failure)"); nothing is left. */
export async function refused(host, params, reason, options) {
  const result = await host.runCase(TLS, 'connectOutcome', params, options);
  assert.equal(result.outcome, `Error: could not connect to ${params.host}:${params.port}: TLS: ${reason}`);
  assert.deepEqual(result.after, { timers: 0, sockets: 0 });
}

/**
 * The brokers of the client-certificate tests, on both hosts: mosquitto
 * requiring a client certificate, and a TLS front (as AWS IoT's) before a
 * plain mosquitto. Resolves with { broker, front, close() }.
 */
export async function clientCertificateBrokers(certs) {
  const started = [];	// closed in reverse, also when a later start fails
  const close = async () => { for (const one of started.reverse()) await one.close(); };
  try {
    const broker = await startMosquitto({ tls: { ca: certs.ca.file, cert: certs.localhost.certFile, key: certs.localhost.keyFile, requireCertificate: true } });
    started.push(broker);
    const plain = await startMosquitto();
    started.push(plain);
    const front = await startTLSFront({ upstreamPort: plain.port, key: certs.localhost.key, cert: certs.localhost.cert, ca: certs.ca.pem });
    started.push(front);
    return { broker, front, close };
  }
  catch (error) {
    await close();
    throw error;
  }
}
