// An MQTT.js client on the other side of a broker: what the tests publish
// from and subscribe with, to see what the XS client sent and received.
import mqtt from 'mqtt';

/** Runs `body(peer)` with an MQTT.js client connected to the broker on loopback `port` (`options`: MQTT.js's), ended whatever happens. */
export async function withPeer(port, options, body) {
  if (typeof options === 'function')
    [options, body] = [{}, options];
  const peer = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, options);
  try {
    return await body(peer);
  }
  finally {
    await peer.endAsync();
  }
}
