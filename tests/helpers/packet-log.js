// The MQTT packets on the XS host's sockets, from its `tap`: captured raw
// while the test runs (cheap, so timing barely changes), parsed after. Each
// carries `time`: performance.now() when the host's socket wrote or read it
// (the tap runs in Node, at the socket), the clock the tests' other records
// (a broker's kill, a peer's packets: PacketLog.ofClient) use too.
import { performance } from 'node:perf_hooks';
import mqttPacket from 'mqtt-packet';

/** The fields of a parsed packet the tests read. */
const fields = ({ cmd, messageId, topic, dup, qos, sessionPresent, returnCode, granted, subscriptions, clean }) =>
  ({ cmd, messageId, topic, dup, qos, sessionPresent, returnCode, granted, subscriptions: subscriptions?.map(s => s.topic), clean });

export class PacketLog {
  #raw = [];
  #peer;
  tap = (direction, socket, bytes) => { this.#raw.push([direction, socket, Buffer.from(bytes), performance.now()]); };

  /**
   * The packets an MQTT.js client sends and receives (its packetsend and
   * packetreceive events), in the shape packets() gives, with `time`.
   */
  static ofClient(client) {
    const log = new PacketLog();
    log.#peer = [];
    client.on('packetsend', packet => log.#peer.push({ direction: 'out', socket: 0, ...fields(packet), time: performance.now() }));
    client.on('packetreceive', packet => log.#peer.push({ direction: 'in', socket: 0, ...fields(packet), time: performance.now() }));
    return log;
  }

  /** [{direction: 'in' | 'out', socket, time, cmd, messageId, topic, dup, qos, sessionPresent, returnCode, granted, subscriptions, clean}] in order. */
  packets() {
    if (this.#peer)
      return this.#peer.map(packet => ({ ...packet }));
    const parsers = new Map();
    const packets = [];
    for (const [direction, socket, bytes, time] of this.#raw) {
      const key = `${direction} ${socket}`;
      if (!parsers.has(key)) {
        const parser = mqttPacket.parser({ protocolVersion: 4 });
        parser.on('packet', packet => packets.push({ direction, socket, time: parser.time, ...fields(packet) }));
        parsers.set(key, parser);
      }
      const parser = parsers.get(key);
      parser.time = time;	// a packet is complete in the chunk that ends it: its time
      parser.parse(bytes);
    }
    return packets;
  }

  /**
   * The time (ms, rounded) between each two packets the client wrote on
   * `socket` (by default the first), from the tap: the measure of keep-alive
   * [MQTT-3.1.2-23] on the wire, not at a broker's arrival under load.
   */
  sendGaps(socket) {
    const sent = this.packets().filter(packet => packet.direction === 'out');
    const on = sent.filter(packet => packet.socket === (socket ?? sent[0]?.socket));
    return on.slice(1).map((packet, i) => Math.round(packet.time - on[i].time));
  }

  /**
   * Per topic, how many times the broker sent a QoS 2 PUBLISH again after it
   * had already sent PUBREL for it: a breach of MQTT 3.1.1 4.3.3.
   */
  publishesResentAfterPubrel() {
    const released = new Map();	// message id -> topic, once the broker sent PUBREL
    const topicOf = new Map();
    const faults = new Map();
    for (const packet of this.packets()) {
      if (packet.direction !== 'in')
        continue;
      if (packet.cmd === 'publish' && packet.qos === 2) {
        if (released.get(packet.messageId) === packet.topic)
          faults.set(packet.topic, (faults.get(packet.topic) ?? 0) + 1);
        topicOf.set(packet.messageId, packet.topic);
      }
      else if (packet.cmd === 'pubrel')
        released.set(packet.messageId, topicOf.get(packet.messageId));
    }
    return faults;
  }
}
