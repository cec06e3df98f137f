// The MQTT packets on the XS host's sockets, from its `tap`: captured raw
// while the test runs (cheap, so timing barely changes), parsed after.
import mqttPacket from 'mqtt-packet';

export class PacketLog {
  #raw = [];
  tap = (direction, socket, bytes) => { this.#raw.push([direction, socket, Buffer.from(bytes)]); };

  /** [{direction: 'in' | 'out', socket, cmd, messageId, topic, dup, qos, sessionPresent, returnCode}] in order. */
  packets() {
    const parsers = new Map();
    const packets = [];
    for (const [direction, socket, bytes] of this.#raw) {
      const key = `${direction} ${socket}`;
      if (!parsers.has(key)) {
        const parser = mqttPacket.parser({ protocolVersion: 4 });
        parser.on('packet', ({ cmd, messageId, topic, dup, qos, sessionPresent, returnCode }) =>
          packets.push({ direction, socket, cmd, messageId, topic, dup, qos, sessionPresent, returnCode }));
        parsers.set(key, parser);
      }
      parsers.get(key).parse(bytes);
    }
    return packets;
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
