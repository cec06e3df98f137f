export declare function checkQoS(qos: unknown, what?: string): asserts qos is 0 | 1 | 2;
export declare function checkPacketId(id: unknown): asserts id is number;
export declare function checkKeepalive(keepalive: unknown): asserts keepalive is number;
/**
 * A subscription filter, as UTF-8 bytes: not empty, no U+0000, `#` only as
 * the whole last level, `+` only as a whole level.
 */
export declare function checkTopicFilter(filter: Uint8Array): void;
export declare function describe(value: unknown): string;
