/** The packet just parsed. Reused: read it before parsing on. */
export declare class Packet {
    type: number;
    /** The fixed header's flags (low four bits of the first byte). */
    flags: number;
    /** Packet identifier of acknowledgements, SUBACK, UNSUBACK and PUBLISH with QoS > 0; else 0. */
    id: number;
    /** CONNACK */
    sessionPresent: boolean;
    returnCode: number;
    /** PUBLISH. The topic's ArrayBuffer is shared by consecutive messages on the same topic: read-only. */
    topic: ArrayBuffer;
    payload: ArrayBuffer;
    /** SUBACK: one return code per filter. */
    granted: number[];
    /** PUBLISH: read from the flags, so that the record holds nothing twice. */
    get qos(): number;
    get retain(): boolean;
    get dup(): boolean;
}
/** The parser is its own record of the last packet (one object the less on a small heap): `packet` is itself. */
export declare class PacketParser extends Packet {
    #private;
    /** True when the last `parse` call completed `packet`. */
    ready: boolean;
    readonly maxPacketSize: number;
    lastTopic: DataView | undefined;
    topicView: DataView | undefined;
    viewed: Uint8Array | undefined;
    constructor(maxPacketSize?: number);
    /** The packet just parsed (the parser itself). Reused: read it before parsing on. */
    get packet(): Packet;
    /** Forget any partial packet, for a new connection. */
    reset(): void;
    /** The caller is done with the bytes it gave: nothing here holds on to them. */
    release(): void;
    /**
     * Consumes `bytes[start..end)` up to the end of one packet and returns the
     * offset after what it used. When `ready` is then true, `packet` holds that
     * packet. Throws ProtocolError on a stream no broker may send; the parser is
     * then unusable until `reset`.
     */
    parse(bytes: Uint8Array, start: number, end: number): number;
    /** The state machine, for a packet that comes in pieces. */
    private parsePieces;
    private complete;
    /** The first byte: a type a client may receive, with its flags. */
    private begin;
    /** The remaining length is known: within the limit, and right for the type. */
    private checkLength;
    /** The state machine's body set-up. True when the packet is already whole (no body). */
    private startBody;
    /** After the topic: the packet id for QoS > 0, else the payload. Returns the offset past a whole packet, or -1. */
    private afterTopic;
    /**
     * The payload is what remains. When all of it is in `bytes[start..end)` it
     * is sliced out in one piece; otherwise it is gathered across calls.
     * Returns the offset past a whole packet, or -1.
     */
    private startPayload;
    /** A non-PUBLISH body of `length` bytes at `bytes[offset]`. */
    private decodeBody;
}
/** What topicOf keeps in a parser: the previous topic, and a view of the input last compared with it. */
export interface TopicMemo {
    lastTopic: DataView | undefined;
    /** Over the bytes of `viewed` (its offset 0 is theirs): made once per input, not once per message. */
    topicView: DataView | undefined;
    viewed: Uint8Array | undefined;
}
/**
 * A PUBLISH topic as an ArrayBuffer: the previous one when the bytes repeat it
 * (an app mostly hears the same few topics), else a copy. The bytes are
 * compared eight or four at a time: a call to getFloat64 costs XS about what
 * one byte does in a loop. A new topic is checked (UTF-8, no wildcard
 * [MQTT-3.3.2-2]) before it is kept. Both parsers' (3.1.1 and MQTT 5), a
 * function rather than a method so that each calls it at the same depth.
 */
export declare function topicOf(memo: TopicMemo, bytes: Uint8Array, offset: number, length: number): ArrayBuffer;
