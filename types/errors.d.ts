/** The seed's exception: a broker's refusal, with its return code. */
export declare class MQTTException extends Error {
    /** The broker's return code: a CONNACK code (1..5) or 0x80 for a refused subscription. */
    readonly code: number;
    constructor(code: number);
}
/** A broker broke MQTT 3.1.1; the message names the fault. */
export declare class ProtocolError extends Error {
    constructor(message: string);
}
