// Loopback ports for the tests' servers and simulators.
import net from 'node:net';

export const LOOPBACK = '127.0.0.1';

/** A TCP port on loopback that nothing listens on (free when asked). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, LOOPBACK, () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}
