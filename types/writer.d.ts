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
export declare const CLEAN_SESSION = 2;
/**
 * The length-prefixed fields of a CONNECT `packet` of this writer (client
 * id, will topic and message, user name, password, as its flags say), as
 * views of it, its flags byte at `at`: the client keeps its CONNECT as its
 * only copy of them. withWill and MQTT 5's CONNECT (mqtt/v5/protocol) read
 * them back.
 */
export declare function connectFields(packet: Uint8Array, at: number): Uint8Array[];
/** Where a CONNECT packet's flags byte is: after the fixed header (its length bytes end without bit 7) and the protocol name and level. */
export declare function flagsAt(packet: Uint8Array): number;
export declare class PacketWriter {
    #private;
    /** `inlineLimit`: packets whose remaining length is up to this are assembled whole. */
    constructor(inlineLimit?: number);
    connect(fields: ConnectFields): Frame;
    /** CONNECT's bytes: the fixed header, the protocol name and level, the flags, the keep-alive, then the fields. */
    private connectPacket;
    /**
     * The CONNECT `packet` (one this writer made) again, with `will` (or none):
     * its client id, keep-alive, user name and password are read back from it,
     * so that a client keeps its CONNECT as its only copy of them.
     */
    withWill(packet: Uint8Array, will: Will | undefined): Frame;
    /** The CONNECT `packet` carries an empty client id. */
    emptyClientId(packet: Uint8Array): boolean;
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
    /** SUBSCRIBE or UNSUBSCRIBE: the id, then each filter (and its QoS byte). */
    private withFilters;
    /**
     * A packet's buffer, `written` bytes after its fixed header, with the
     * fixed header (type byte and remaining length) already in place.
     */
    private begin;
    /** Drops the topic cache (the client is no longer connected). */
    forget(): void;
}
/**
 * A publish topic given as a string, and its field, checked: the newest of
 * the two a writer keeps (the 3.1.1 and the MQTT 5 writers alike), so that a
 * topic published again is neither encoded nor scanned again.
 */
export declare function rememberTopic(cache: TopicCache | undefined, topic: string, field: Uint8Array): TopicCache;
export interface TopicCache {
    text0: string | undefined;
    field0: Uint8Array | undefined;
    text1: string | undefined;
    field1: Uint8Array | undefined;
}
/** A length-prefixed field: strings as UTF-8, bytes as they are (binary data: the will message, the password). */
export declare function stringField(value: Data, what: string): Uint8Array;
