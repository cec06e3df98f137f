// A TCP proxy on loopback between the XS client and a real broker, for faults
// a broker will not make on demand:
//  - silence(): the connections open now stop forwarding in both directions
//    and their sockets stay open, as a link that died without a word (a
//    half-open connection). What arrives is read and dropped; a close from
//    the broker's side is not passed on. Connections made later are forwarded
//    as usual: a healthy path for a reconnect.
//  - cut(): the connections open now are closed on both sides at once, as a
//    lost connection.
//
//   const proxy = await startProxy(broker.port);
//   ... client connects to proxy.port ...
//   const at = proxy.silence();	// performance.now() of the moment
//
// With `tap` (PacketLog's: tap(direction, socket, bytes)), the proxy records
// what it passes on: 'out' from the client, 'in' to it, each connection a
// socket number of its own. It is the packet log of a client whose host has
// no tap (mcsim): what the client wrote, at the moment it reached the proxy,
// and what it was sent, at the moment it was handed to its socket.
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { LOOPBACK } from './brokers.js';

export async function startProxy(targetPort, { tap } = {}) {
  const pairs = new Set();
  let connections = 0;
  const server = net.createServer(client => {
    const broker = net.connect({ host: LOOPBACK, port: targetPort });
    const pair = { client, broker, silent: false };
    const socket = ++connections;
    pairs.add(pair);
    client.setNoDelay(true);
    broker.setNoDelay(true);
    const forward = (from, to, direction) => {
      from.on('data', data => {
        if (pair.silent || to.destroyed)
          return;
        tap?.(direction, socket, data);
        to.write(data);
      });
      from.on('error', () => {});
      from.on('close', () => {
        if (!pair.silent) {
          to.destroy();
          pairs.delete(pair);
        }
      });
    };
    forward(client, broker, 'out');
    forward(broker, client, 'in');
  });
  await new Promise(resolve => server.listen(0, LOOPBACK, resolve));
  return {
    port: server.address().port,
    /** Connections made so far that are still open. */
    get connections() { return pairs.size; },
    /** Stops forwarding on every open connection, sockets left open; returns the moment (performance.now()). */
    silence() {
      for (const pair of pairs)
        pair.silent = true;
      return performance.now();
    },
    /** Closes every open connection, both sides. */
    cut() {
      for (const pair of pairs) {
        pair.silent = true;
        pair.client.destroy();
        pair.broker.destroy();
      }
      pairs.clear();
    },
    async close() {
      this.cut();
      await new Promise(resolve => server.close(resolve));
    },
  };
}
