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
/**
 * By packet type, for a connection that is up, but PUBLISH: the link hands
 * it to delivery itself. The parser lets through only the types a client
 * receives.
 */
export declare const HANDLERS: readonly Handler[];
/**
 * The first packet of a connection: only CONNACK may come [MQTT-3.2.0-1].
 * True when it accepts the connection: the receiver goes on with
 * `established` itself, one frame less deep than from here.
 */
export declare function connackAccepts(receiver: Receiver, packet: Packet): boolean;
export {};
