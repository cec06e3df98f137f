// One handler per packet type a client receives, as the connection parsed it.
// Each returns false to stop reading the socket (the receive queue is full);
// a ProtocolError thrown here closes the connection with its name.
import { CONNACK, PUBREL, PUBCOMP, PACKET_NAMES } from "mqtt/constants";
import { ProtocolError } from "mqtt/errors";
import type { Packet } from "mqtt/parser";
import type { Session } from "mqtt/session";
import type { Delivery } from "mqtt/delivery";

/** What the handlers reach through: the link's parts and its connection's life. */
export interface Receiver {
	readonly session: Session | undefined;
	readonly delivery: Delivery;
	/** CONNACK with a refusal (`final`: trying again cannot pass). */
	refused(code: number, error?: Error, final?: boolean): void;
	/** Sends an acknowledgement now if connected. */
	acknowledge(type: number, id: number): boolean;
	/** A packet other than PUBLISH: a waiting waitMsg/checkMsg resolves its first byte (PINGRESP: undefined). */
	answer(first: number | undefined): void;
}

type Handler = (receiver: Receiver, packet: Packet) => boolean;

/** PUBACK, PUBREC, PUBCOMP, SUBACK, UNSUBACK: the session settles what they acknowledge. */
function acknowledgement(receiver: Receiver, packet: Packet): boolean {
	if (receiver.session?.acknowledged(packet.type, packet.id, packet.granted))
		receiver.acknowledge(PUBREL, packet.id);
	receiver.answer((packet.type << 4) | packet.flags);
	return true;
}

/** PUBREL: the QoS 2 message is complete; PUBCOMP answers it whatever the state [MQTT-4.3.3-2]. */
function pubrel(receiver: Receiver, packet: Packet): boolean {
	receiver.session?.release(packet.id);
	receiver.acknowledge(PUBCOMP, packet.id);
	receiver.answer((packet.type << 4) | packet.flags);
	return true;
}

function pingresp(receiver: Receiver, packet: Packet): boolean {
	receiver.answer(undefined);
	return true;
}

function unexpected(receiver: Receiver, packet: Packet): boolean {
	throw new ProtocolError(`unexpected ${PACKET_NAMES[packet.type]}`);
}

/**
 * By packet type, for a connection that is up, but PUBLISH: the link hands
 * it to delivery itself. The parser lets through only the types a client
 * receives.
 */
export const HANDLERS: readonly Handler[] = Object.freeze([
	unexpected, unexpected, unexpected, unexpected, acknowledgement, acknowledgement, pubrel, acknowledgement,
	unexpected, acknowledgement, unexpected, acknowledgement, unexpected, pingresp, unexpected, unexpected
]);

/**
 * The first packet of a connection: only CONNACK may come [MQTT-3.2.0-1].
 * True when it accepts the connection: the receiver goes on with
 * `established` itself, one frame less deep than from here.
 */
export function connackAccepts(receiver: Receiver, packet: Packet): boolean {
	if (packet.type !== CONNACK)
		throw new ProtocolError(`expected CONNACK, received ${PACKET_NAMES[packet.type]}`);
	if (packet.returnCode === 0)
		return true;
	receiver.refused(packet.returnCode);
	return false;
}
