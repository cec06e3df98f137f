export declare function checkQoS(qos: unknown, what?: string): asserts qos is 0 | 1 | 2;
export declare function checkPacketId(id: unknown): asserts id is number;
export declare function checkKeepalive(keepalive: unknown): asserts keepalive is number;
/**
 * A subscription filter, as UTF-8 bytes: not empty, no U+0000, `#` only as
 * the whole last level, `+` only as a whole level.
 */
export declare function checkTopicFilter(filter: Uint8Array): void;
/**
 * What is wrong with the bytes of a UTF-8 string field, or undefined: MQTT
 * 3.1.1 wants well-formed UTF-8 without surrogate code points
 * [MQTT-1.5.3-1] and without U+0000 [MQTT-1.5.3-2]. The check runs on
 * bytes, so that it holds for binary arguments and for XS's encoder alike
 * (ArrayBuffer.fromString turns a lone surrogate into ED A0 80). ASCII, the
 * usual topic, takes a loop of two locals: XS gives each local a stack slot.
 */
export declare function utf8Fault(bytes: Uint8Array, start: number, end: number): string | undefined;
export declare function describe(value: unknown): string;
