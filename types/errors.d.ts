/** The seed's exception: a broker's refusal, with its return code. */
export declare class MQTTException extends Error {
    /** The broker's return code: a CONNACK code (1..5) or 0x80 for a refused subscription. */
    readonly code: number;
    /** `detail`: said after the code's meaning (what the refusal did to a message, say). */
    constructor(code: number, detail?: string);
}
/** A broker broke MQTT 3.1.1; the message names the fault. */
export declare class ProtocolError extends Error {
    constructor(message: string);
}
/** Records an exception of the app's own code; returns it, to be thrown on. */
export declare function fromApp(error: unknown): unknown;
export declare function isFromApp(error: unknown): boolean;
