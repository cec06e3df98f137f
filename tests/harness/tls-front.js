// An AWS-IoT-like endpoint on loopback: a TLS front that demands what AWS IoT
// Core demands of a device on port 443, and pipes what it lets through to a
// broker (mosquitto, plain TCP) behind it:
//  - SNI naming the endpoint (`serverName`): AWS routes by it. Without it, or
//    with another name, the front answers the ClientHello with a fatal
//    unrecognized_name alert (112). (The SDK's TLS always sends the name it
//    was given, an IP address included; Node's sends none for an IP.)
//  - ALPN offering `protocol` ("x-amzn-mqtt-ca": MQTT with an X.509 client
//    certificate on 443). Without it: a fatal no_application_protocol alert
//    (120), where AWS would take the connection for HTTPS.
//  - a client certificate signed by `ca`: without one the handshake fails
//    (OpenSSL's handshake_failure, 40).
// The ClientHello is read before TLS starts, so that a refusal is an alert
// in answer to it: a rejection the client reads, never a reset.
//
//   const front = await startTLSFront({ upstreamPort: broker.port, key, cert, ca });
//   ... client connects to 127.0.0.1:front.port, SNI "localhost", ALPN "x-amzn-mqtt-ca" ...
//   front.refusals    // [{serverName, protocols, alert}], one per refused ClientHello
//   await front.close();
import net from 'node:net';
import tls from 'node:tls';
import { LOOPBACK } from './net.js';

export const AWS_ALPN = 'x-amzn-mqtt-ca';
const UNRECOGNIZED_NAME = 112, NO_APPLICATION_PROTOCOL = 120;
/** The front's refusals by alert number, as RFC 6066 and 7301 name them. */
export const ALERT_NAMES = { [UNRECOGNIZED_NAME]: 'unrecognized_name', [NO_APPLICATION_PROTOCOL]: 'no_application_protocol' };

export async function startTLSFront({ upstreamPort, key, cert, ca, serverName = 'localhost', protocol = AWS_ALPN }) {
  const sockets = new Set();
  const refusals = [];
  const track = socket => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    return socket;
  };
  const secure = tls.createServer({
    key, cert, ca, requestCert: true, rejectUnauthorized: true,
    ALPNProtocols: [protocol], minVersion: 'TLSv1.2',
  }, client => {
    track(client);
    const broker = track(net.connect({ host: LOOPBACK, port: upstreamPort }));
    client.pipe(broker).pipe(client);
    client.on('close', () => broker.destroy());
    broker.on('close', () => client.destroy());
  });
  secure.on('tlsClientError', () => {});
  const server = net.createServer(raw => {
    track(raw);
    let received = Buffer.alloc(0);
    const onData = chunk => {
      received = Buffer.concat([received, chunk]);
      const hello = readClientHello(received);
      if (hello === undefined)
        return;		// more to come
      raw.off('data', onData);
      const alert = hello === null || hello.serverName !== serverName ? UNRECOGNIZED_NAME
        : !hello.protocols.includes(protocol) ? NO_APPLICATION_PROTOCOL : 0;
      if (alert) {
        refusals.push({ serverName: hello?.serverName, protocols: hello?.protocols ?? [], alert });
        raw.end(Buffer.from([0x15, 0x03, 0x03, 0x00, 0x02, 2, alert]));	// a fatal alert record
        return;
      }
      raw.pause();
      raw.unshift(received);
      secure.emit('connection', raw);
    };
    raw.on('data', onData);
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, LOOPBACK, resolve);
  });
  return {
    port: server.address().port,
    refusals,
    async close() {
      for (const socket of sockets)
        socket.destroy();
      await new Promise(resolve => server.close(resolve));
    },
  };
}

/**
 * The SNI name and ALPN protocols of a TLS ClientHello at the start of
 * `bytes`; undefined while the record is incomplete, null if it is not one.
 */
function readClientHello(bytes) {
  if (bytes.length < 5)
    return undefined;
  if (bytes[0] !== 0x16)
    return null;
  const end = 5 + bytes.readUInt16BE(3);
  if (bytes.length < end)
    return undefined;
  if (bytes[5] !== 1)
    return null;
  let at = 5 + 4 + 2 + 32;		// handshake header, client_version, random
  at += 1 + bytes[at];			// session_id
  at += 2 + bytes.readUInt16BE(at);	// cipher_suites
  at += 1 + bytes[at];			// compression_methods
  const hello = { serverName: undefined, protocols: [] };
  if (at + 2 > end)
    return hello;
  const extensionsEnd = at + 2 + bytes.readUInt16BE(at);
  for (at += 2; at + 4 <= extensionsEnd;) {
    const type = bytes.readUInt16BE(at), length = bytes.readUInt16BE(at + 2);
    const data = bytes.subarray(at + 4, at + 4 + length);
    at += 4 + length;
    if (type === 0 && data.length >= 5 && data[2] === 0)		// server_name: list length, host_name, its length, the name
      hello.serverName = data.subarray(5, 5 + data.readUInt16BE(3)).toString('latin1');
    else if (type === 16)		// application_layer_protocol_negotiation: list length, then length-prefixed names
      for (let i = 2; i < data.length; i += 1 + data[i])
        hello.protocols.push(data.subarray(i + 1, i + 1 + data[i]).toString('latin1'));
  }
  return hello;
}
