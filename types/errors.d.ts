/** The seed's exception: a broker's refusal, with its return code. */
export declare class MQTTException extends Error {
    /** The broker's return code: a CONNACK code (1..5) or 0x80 for a refused subscription. */
    readonly code: number;
    /** MQTT 5: the server's reason string, when it gave one (set by mqtt/v5/protocol). */
    readonly reason?: string;
    /** MQTT 5: the server's Server Reference, with 0x9C (use another server) or 0x9D (server moved). */
    readonly serverReference?: string;
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
