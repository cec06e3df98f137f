// A broker whose every answer the test writes: a node:net server on loopback
// speaking MQTT through mqtt-packet. For what real brokers will not do on
// demand: withhold an acknowledgement, break the protocol, stay silent,
// answer out of order.
//
//   const broker = await startScripted({
//     connect(session, packet) { session.send({ cmd: 'connack', returnCode: 0, sessionPresent: false }); },
//     publish(session, packet) { ... },
//   });
import net from 'node:net';
import mqttPacket from 'mqtt-packet';
import { LOOPBACK } from './brokers.js';

/** The usual answers, which a script overrides packet type by packet type. */
export const polite = {
  connect(session) { session.send({ cmd: 'connack', returnCode: 0, reasonCode: 0, sessionPresent: false }); },
  publish(session, packet) {
    if (packet.qos === 1)
      session.send({ cmd: 'puback', messageId: packet.messageId });
    else if (packet.qos === 2)
      session.send({ cmd: 'pubrec', messageId: packet.messageId });
  },
  pubrel(session, packet) { session.send({ cmd: 'pubcomp', messageId: packet.messageId }); },
  subscribe(session, packet) {
    session.send({ cmd: 'suback', messageId: packet.messageId, granted: packet.subscriptions.map(s => s.qos) });
  },
  unsubscribe(session, packet) { session.send({ cmd: 'unsuback', messageId: packet.messageId, granted: packet.unsubscriptions.map(() => 0) }); },
  pingreq(session) { session.send({ cmd: 'pingresp' }); },
};

export async function startScripted(script = {}) {
  const handlers = { ...polite, ...script };
  const sessions = [];
  const received = [];	// every packet from every client, in order
  const server = net.createServer(socket => {
    let parser;
    const session = {
      socket, index: sessions.length, packets: [],
      /** The MQTT version of the client's CONNECT (its protocol level: 4 or 5), which the session then speaks. */
      version: 4,
      send(packet) {
        if (!socket.destroyed)
          socket.write(mqttPacket.generate(packet, { protocolVersion: session.version }));
      },
      /** Raw bytes, for what mqtt-packet would refuse to generate. */
      sendRaw(bytes) {
        if (!socket.destroyed)
          socket.write(Buffer.from(bytes));
      },
      close() { socket.end(); },
      reset() { socket.resetAndDestroy(); },
    };
    sessions.push(session);
    socket.setNoDelay(true);	// each answer leaves at once, as a test expects
    socket.on('error', () => {});
    socket.on('data', data => {
      // mqtt-packet parses one version: the one the first CONNECT names.
      // Its level byte follows the fixed header and the protocol name (6 bytes).
      if (!parser) {
        let at = 1;
        while (data[at] & 0x80)
          at++;
        session.version = data[at + 7] === 5 ? 5 : 4;
        parser = mqttPacket.parser({ protocolVersion: session.version });
        parser.on('packet', packet => {
          packet.at = Date.now();	// when it arrived, for tests of timing (keep-alive)
          session.packets.push(packet);
          received.push(packet);
          handlers[packet.cmd]?.(session, packet);
        });
        parser.on('error', error => { session.parseError = error; socket.destroy(); });
      }
      parser.parse(data);
    });
    handlers.connection?.(session);
  });
  await new Promise(resolve => server.listen(0, LOOPBACK, resolve));
  return {
    port: server.address().port,
    sessions, received,
    async close() {
      for (const session of sessions)
        session.socket.destroy();
      await new Promise(resolve => server.close(resolve));
    },
  };
}

/**
 * Runs `body(broker)` with a scripted broker, closed whatever happens. A
 * packet of the client the broker could not parse fails the test (after the
 * body, whose own failure comes first): the client wrote a malformed packet.
 */
export async function withScripted(script, body) {
  const broker = await startScripted(script);
  try {
    const result = await body(broker);
    const broken = broker.sessions.filter(session => session.parseError);
    if (broken.length)
      throw new Error(`the scripted broker could not parse what the client sent: ${broken.map(session => `connection ${session.index}: ${session.parseError.message}`).join('; ')}`);
    return result;
  }
  finally {
    await broker.close();
  }
}
