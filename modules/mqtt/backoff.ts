// Reconnect delays: exponential from minDelay up to maxDelay, with jitter
// (each delay drawn from the upper half of its step) so that many devices
// cut off together do not come back together.
import { describe } from "mqtt/validate";

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

const MAX_DELAY = 0x7FFFFFFF;	// timers take a signed 32-bit number of ms

/** The `reconnect` option, checked: undefined for false. */
export function reconnectOption(value: unknown): Reconnect | undefined {
	if (value === undefined || value === null || value === false)
		return undefined;
	if (value !== true && (typeof value !== "object" || Array.isArray(value)))
		throw new TypeError(`reconnect must be true, false or {minDelay, maxDelay}, not ${describe(value)}`);
	const { minDelay = 1000, maxDelay = 30000 } = value === true ? {} : value as ReconnectOptions;
	if (!Number.isInteger(minDelay) || minDelay < 1)
		throw new RangeError("reconnect.minDelay must be an integer >= 1 (ms)");
	if (!Number.isInteger(maxDelay) || maxDelay < minDelay)
		throw new RangeError("reconnect.maxDelay must be an integer >= minDelay (ms)");
	if (maxDelay > MAX_DELAY)
		throw new RangeError(`reconnect.maxDelay must be at most ${MAX_DELAY} ms, what a timer takes`);
	return Object.freeze({ minDelay, maxDelay });
}

/** The delay before reconnection attempt number `attempt` (0 first). */
export function backoffDelay(reconnect: Reconnect, attempt: number): number {
	const step = Math.min(reconnect.maxDelay, reconnect.minDelay * 2 ** Math.min(attempt, 30));
	return Math.round(step / 2 + Math.random() * step / 2);
}
