export interface ReconnectOptions {
    /** First delay, ms (default 1000). */
    minDelay?: number;
    /** Largest delay, ms (default 30000). */
    maxDelay?: number;
}
export interface Reconnect {
    readonly minDelay: number;
    readonly maxDelay: number;
}
/** The `reconnect` option, checked: undefined for false. */
export declare function reconnectOption(value: unknown): Reconnect | undefined;
/** The delay before reconnection attempt number `attempt` (0 first). */
export declare function backoffDelay(reconnect: Reconnect, attempt: number): number;
