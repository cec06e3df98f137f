export interface ReconnectOptions {
    /** First delay, ms (default 1000). */
    minDelay?: number;
    /** Largest delay, ms (default 30000). */
    maxDelay?: number;
}
export declare class Backoff {
    #private;
    constructor({ minDelay, maxDelay }: ReconnectOptions);
    next(): number;
    reset(): void;
}
