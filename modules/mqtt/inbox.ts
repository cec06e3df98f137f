// Received PUBLISH messages waiting for waitMsg/checkMsg: a fixed ring, so its
// memory is bounded by its capacity (and taken only once a message waits).
// When it is full the client stops reading the socket and TCP holds the
// broker back.

export interface Message {
	topic: ArrayBuffer;
	payload: ArrayBuffer;
	/** First byte of the PUBLISH: what waitMsg resolves with. */
	first: number;
	/** Packet id to acknowledge once delivered (QoS 1), else 0. */
	ackId: number;
}

export class Inbox {
	readonly #capacity: number;
	#ring: (ArrayBuffer | number | undefined)[] | undefined;	// topic, payload, first byte << 16 | ack id; per message
	#head = 0;
	#length = 0;

	constructor(capacity: number) {
		if (!Number.isInteger(capacity) || capacity < 1)
			throw new RangeError("queue length must be an integer >= 1");
		this.#capacity = capacity;
	}

	get length(): number { return this.#length; }
	get full(): boolean { return this.#length === this.#capacity; }

	push(topic: ArrayBuffer, payload: ArrayBuffer, first: number, ackId: number): void {
		if (this.#length === this.#capacity)
			throw new Error("inbox full");
		const ring = this.#ring ??= new Array(3 * this.#capacity).fill(undefined);
		const index = 3 * ((this.#head + this.#length) % this.#capacity);
		ring[index] = topic;
		ring[index + 1] = payload;
		ring[index + 2] = (first << 16) | ackId;
		this.#length++;
	}

	/** Removes the oldest message into `into` (reused by the caller). False when empty. */
	shift(into: Message): boolean {
		if (!this.#length)
			return false;
		const ring = this.#ring!, index = 3 * this.#head;
		const meta = ring[index + 2] as number;
		into.topic = ring[index] as ArrayBuffer;
		into.payload = ring[index + 1] as ArrayBuffer;
		into.first = meta >>> 16;
		into.ackId = meta & 0xFFFF;
		ring[index] = ring[index + 1] = undefined;
		this.#head = (this.#head + 1) % this.#capacity;
		this.#length--;
		return true;
	}

	/** Messages stay, but none will be acknowledged: their packet ids belonged to a connection now gone. */
	forgetAcks(): void {
		const ring = this.#ring;
		if (ring)
			for (let i = 2; i < ring.length; i += 3)
				ring[i] = (ring[i] as number) & 0xFFFF0000;
	}

	clear(): void {
		this.#ring = undefined;
		this.#head = this.#length = 0;
	}
}
