/** The packet just parsed. Reused: read it before parsing on. */
export interface Packet {
    type: number;
    flags: number;
    /** Packet identifier of acknowledgements, SUBACK, UNSUBACK and PUBLISH with QoS > 0; else 0. */
    id: number;
    /** CONNACK */
    sessionPresent: boolean;
    returnCode: number;
    /** PUBLISH. The topic's ArrayBuffer is shared by consecutive messages on the same topic: read-only. */
    qos: number;
    retain: boolean;
    dup: boolean;
    topic: ArrayBuffer;
    payload: ArrayBuffer;
    /** SUBACK: one return code per filter. */
    granted: number[];
}
export declare class PacketParser {
    #private;
    readonly packet: Packet;
    /** True when the last `parse` call completed `packet`. */
    ready: boolean;
    readonly maxPacketSize: number;
    constructor(maxPacketSize?: number);
    /** Forget any partial packet, for a new connection. */
    reset(): void;
    /**
     * Consumes `bytes[start..end)` up to the end of one packet and returns the
     * offset after what it used. When `ready` is then true, `packet` holds that
     * packet. Throws ProtocolError on a stream no broker may send; the parser is
     * then unusable until `reset`.
     */
    parse(bytes: Uint8Array, start: number, end: number): number;
}
