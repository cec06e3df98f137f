// The receiving side of QoS 2: each message reaches the app once.
//
// Within a session, a PUBLISH whose packet id is between PUBREC and PUBREL is
// a resend (MQTT 3.1.1, 4.3.3). Across a broker restart that is not enough:
// aedes 1.2.0 and mosquitto 2.0.11 (measured) restore a message the client
// already completed (PUBREL received, PUBCOMP sent as the broker died) as a
// PUBLISH again, the same id, where the protocol says PUBREL; aedes even sends
// the PUBREL and then the PUBLISH. So the last few completions are remembered
// by a fingerprint of their topic and payload and the connection that brought
// them; on a later connection of the same session, a PUBLISH with such an id
// and fingerprint is that resend. Never on the connection that brought the
// original: there, the broker may reuse the id for a new message.

const REMEMBERED = 32;	// completions kept: more than a connection has in flight when it dies

export class ExactlyOnce {
	// id -> fingerprint + 2**32 * the connection that brought it, from PUBLISH to PUBREL
	readonly #pending = new Map<number, number>();
	// The completions, a ring of pairs: fingerprint, then connection << 16 | id.
	readonly #completed = new Uint32Array(2 * REMEMBERED);
	#next = 0;
	#connection = 1;

	/** A QoS 2 PUBLISH arrived: true when it is one the app has already had. */
	receive(id: number, topic: ArrayBuffer, payload: ArrayBuffer): boolean {
		if (this.#pending.has(id))
			return true;
		const fingerprint = fingerprintOf(topic, payload);
		this.#pending.set(id, fingerprint + 2 ** 32 * this.#connection);
		const completed = this.#completed, connection = this.#connection;
		for (let i = 0; i < completed.length; i += 2) {
			const tag = completed[i + 1];
			if (completed[i] === fingerprint && (tag & 0xFFFF) === id && tag >>> 16 !== 0 && tag >>> 16 < connection)
				return true;
		}
		return false;
	}

	/** PUBREL: the message is complete. */
	release(id: number): void {
		const entry = this.#pending.get(id);
		if (entry === undefined)
			return;
		this.#pending.delete(id);
		const slot = this.#next;
		this.#completed[slot] = entry % 2 ** 32;
		this.#completed[slot + 1] = ((Math.floor(entry / 2 ** 32) & 0xFFFF) << 16 | id) >>> 0;
		this.#next = (slot + 2) % this.#completed.length;
	}

	/** A new connection; without a session, the broker has nothing to resend. */
	connected(sessionPresent: boolean): void {
		if (++this.#connection > 0xFFFF) {	// connection numbers live in 16 bits: start again, forgetting
			this.#connection = 1;
			this.clear();
		}
		if (!sessionPresent)
			this.clear();
	}

	clear(): void {
		this.#pending.clear();
		this.#completed.fill(0);
	}
}

/** FNV-1a over the topic and the payload. */
function fingerprintOf(topic: ArrayBuffer, payload: ArrayBuffer): number {
	let hash = 0x811C9DC5;
	for (const buffer of [topic, payload]) {
		const bytes = new Uint8Array(buffer);
		for (let i = 0, length = bytes.length; i < length; i++)
			hash = Math.imul(hash ^ bytes[i], 0x01000193);
		hash = Math.imul(hash ^ 0xFF, 0x01000193);	// separates topic from payload
	}
	return hash >>> 0;
}
