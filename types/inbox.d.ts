export interface Message {
    topic: ArrayBuffer;
    payload: ArrayBuffer;
    /** First byte of the PUBLISH: what waitMsg resolves with. */
    first: number;
    /** Packet id to acknowledge once delivered (QoS 1), else 0. */
    ackId: number;
}
export declare class Inbox {
    #private;
    constructor(capacity: number);
    get length(): number;
    get full(): boolean;
    push(topic: ArrayBuffer, payload: ArrayBuffer, first: number, ackId: number): void;
    /** Removes the oldest message into `into` (reused by the caller). False when empty. */
    shift(into: Message): boolean;
    /** Messages stay, but none will be acknowledged: their packet ids belonged to a connection now gone. */
    forgetAcks(): void;
    clear(): void;
}
