// Reconnect delays: exponential from minDelay up to maxDelay, with jitter
// (each delay drawn from the upper half of its step) so that many devices
// cut off together do not come back together.

export interface ReconnectOptions {
	/** First delay, ms (default 1000). */
	minDelay?: number;
	/** Largest delay, ms (default 30000). */
	maxDelay?: number;
}

const MAX_DELAY = 0x7FFFFFFF;	// timers take a signed 32-bit number of ms

export class Backoff {
	readonly #min: number;
	readonly #max: number;
	#attempt = 0;

	constructor({ minDelay = 1000, maxDelay = 30000 }: ReconnectOptions) {
		if (!Number.isInteger(minDelay) || minDelay < 1)
			throw new RangeError("reconnect.minDelay must be an integer >= 1 (ms)");
		if (!Number.isInteger(maxDelay) || maxDelay < minDelay)
			throw new RangeError("reconnect.maxDelay must be an integer >= minDelay (ms)");
		if (maxDelay > MAX_DELAY)
			throw new RangeError(`reconnect.maxDelay must be at most ${MAX_DELAY} ms, what a timer takes`);
		this.#min = minDelay;
		this.#max = maxDelay;
	}

	next(): number {
		const step = Math.min(this.#max, this.#min * 2 ** Math.min(this.#attempt, 30));
		this.#attempt++;
		return Math.round(step / 2 + Math.random() * step / 2);
	}

	reset(): void {
		this.#attempt = 0;
	}
}
