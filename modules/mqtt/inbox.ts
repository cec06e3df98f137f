// Received PUBLISH messages waiting for waitMsg/checkMsg: a fixed ring, so its
// memory is bounded by its capacity. When it is full the client stops reading
// the socket and TCP holds the broker back.

export interface Message {
	topic: ArrayBuffer;
	payload: ArrayBuffer;
	/** First byte of the PUBLISH: what waitMsg resolves with. */
	first: number;
	/** Packet id to acknowledge once delivered (QoS 1), else 0. */
	ackId: number;
}

export class Inbox {
	readonly #topics: (ArrayBuffer | undefined)[];
	readonly #payloads: (ArrayBuffer | undefined)[];
	readonly #meta: Uint32Array;	// first byte << 16 | ack id
	#head = 0;
	#length = 0;

	constructor(capacity: number) {
		if (!Number.isInteger(capacity) || capacity < 1)
			throw new RangeError("queue length must be an integer >= 1");
		this.#topics = new Array(capacity).fill(undefined);
		this.#payloads = new Array(capacity).fill(undefined);
		this.#meta = new Uint32Array(capacity);
	}

	get length(): number { return this.#length; }
	get full(): boolean { return this.#length === this.#topics.length; }

	push(topic: ArrayBuffer, payload: ArrayBuffer, first: number, ackId: number): void {
		const capacity = this.#topics.length;
		if (this.#length === capacity)
			throw new Error("inbox full");
		const index = (this.#head + this.#length) % capacity;
		this.#topics[index] = topic;
		this.#payloads[index] = payload;
		this.#meta[index] = (first << 16) | ackId;
		this.#length++;
	}

	/** Messages stay, but none will be acknowledged: their packet ids belonged to a connection now gone. */
	forgetAcks(): void {
		const meta = this.#meta;
		for (let i = 0; i < meta.length; i++)
			meta[i] &= 0xFFFF0000;
	}

	clear(): void {
		this.#topics.fill(undefined);
		this.#payloads.fill(undefined);
		this.#head = this.#length = 0;
	}

	/** Removes the oldest message into `into` (reused by the caller). False when empty. */
	shift(into: Message): boolean {
		if (!this.#length)
			return false;
		const index = this.#head;
		into.topic = this.#topics[index]!;
		into.payload = this.#payloads[index]!;
		into.first = this.#meta[index] >>> 16;
		into.ackId = this.#meta[index] & 0xFFFF;
		this.#topics[index] = this.#payloads[index] = undefined;
		this.#head = (index + 1) % this.#topics.length;
		this.#length--;
		return true;
	}
}
