import type { Packet } from "mqtt/parser";
import type { Session } from "mqtt/session";
import type { Delivery } from "mqtt/delivery";
/** What the handlers reach through: the link's parts and its connection's life. */
export interface Receiver {
    /** CONNACK has not come yet on this connection. */
    readonly awaitingConnack: boolean;
    readonly session: Session | undefined;
    readonly delivery: Delivery;
    /** CONNACK 0: the connection is up. Returns false when reading must wait (the queue is full). */
    established(sessionPresent: boolean): boolean;
    /** CONNACK with a refusal. */
    refused(code: number): void;
    /** Sends an acknowledgement now if connected. */
    acknowledge(type: number, id: number): boolean;
    /** A packet other than PUBLISH: a waiting waitMsg/checkMsg resolves its first byte (PINGRESP: undefined). */
    answer(first: number | undefined): void;
}
type Handler = (receiver: Receiver, packet: Packet) => boolean;
/** By packet type, for a connection that is up. The parser lets through only the types a client receives. */
export declare const HANDLERS: readonly Handler[];
/** The first packet of a connection: only CONNACK may come [MQTT-3.2.0-1]. */
export declare function handleFirst(receiver: Receiver, packet: Packet): boolean;
export {};
