import { type Data } from "mqtt/bytes";
/** A packet ready for the socket: `head`, then `body` when there is one. */
export interface Frame {
    head: Uint8Array;
    body: Uint8Array | undefined;
}
export interface Will {
    topic: Data;
    message: Data;
    qos: number;
    retain: boolean;
}
export interface ConnectFields {
    clientId: Data;
    cleanSession: boolean;
    keepalive: number;
    will?: Will | undefined;
    user?: Data | undefined;
    password?: Data | undefined;
}
export declare const DEFAULT_INLINE_LIMIT = 256;
export declare class PacketWriter {
    #private;
    /** `inlineLimit`: packets up to this many bytes are assembled whole. */
    constructor(inlineLimit?: number);
    connect(fields: ConnectFields): Frame;
    /**
     * PUBLISH. A string payload is UTF-8; binary payloads are sent from the
     * caller's own memory. Throws, before producing anything, on a bad topic,
     * QoS or packet id, or a packet beyond the seed's size limit.
     */
    publish(topic: Data, payload: Data, qos: number, retain: boolean, dup: boolean, id: number): Frame;
    /** PUBACK, PUBREC, PUBREL or PUBCOMP: a type and a packet id. */
    ack(type: number, id: number): Frame;
    subscribe(id: number, filters: readonly Data[], qos: readonly number[]): Frame;
    unsubscribe(id: number, filters: readonly Data[]): Frame;
    pingreq(): Frame;
    disconnect(): Frame;
}
