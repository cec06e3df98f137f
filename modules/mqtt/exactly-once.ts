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
	readonly #pending = new Map<number, number>();	// id -> fingerprint, from PUBLISH to PUBREL
	readonly #pendingSince = new Map<number, number>();	// id -> connection that brought it
	readonly #ids = new Uint16Array(REMEMBERED);	// completions, a ring
	readonly #fingerprints = new Uint32Array(REMEMBERED);
	readonly #connections = new Uint32Array(REMEMBERED);
	#next = 0;
	#connection = 1;

	/** A QoS 2 PUBLISH arrived: true when it is one the app has already had. */
	receive(id: number, topic: ArrayBuffer, payload: ArrayBuffer): boolean {
		if (this.#pending.has(id))
			return true;
		const fingerprint = fingerprintOf(topic, payload);
		this.#pending.set(id, fingerprint);
		this.#pendingSince.set(id, this.#connection);
		for (let i = 0; i < REMEMBERED; i++)
			if (this.#ids[i] === id && this.#fingerprints[i] === fingerprint && this.#connections[i] && this.#connections[i] < this.#connection)
				return true;
		return false;
	}

	/** PUBREL: the message is complete. */
	release(id: number): void {
		const fingerprint = this.#pending.get(id);
		if (fingerprint === undefined)
			return;
		const connection = this.#pendingSince.get(id)!;
		this.#pending.delete(id);
		this.#pendingSince.delete(id);
		const slot = this.#next;
		this.#ids[slot] = id;
		this.#fingerprints[slot] = fingerprint;
		this.#connections[slot] = connection;
		this.#next = (slot + 1) % REMEMBERED;
	}

	/** A new connection; without a session, the broker has nothing to resend. */
	connected(sessionPresent: boolean): void {
		this.#connection++;
		if (!sessionPresent)
			this.clear();
	}

	clear(): void {
		this.#pending.clear();
		this.#pendingSince.clear();
		this.#connections.fill(0);
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
