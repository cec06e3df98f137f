// The packets waiting for the socket, in order. One is handed to the
// connection at a time; a packet that goes out whole at once costs nothing
// here. Each packet's head is its own buffer (the writer makes one per
// packet), and a payload is the caller's memory, as it is.
import type { Connection } from "mqtt/connection";
import type { Frame } from "mqtt/writer";

/** A Promise's two ends. */
export interface Settle {
	resolve(value?: unknown): void;
	reject(error: Error): void;
}

/** An operation the session tracks, told when its packet is handed to the socket, and when the socket has taken all of it. */
export interface Sendable {
	sent(): void;
	written(): void;
}

export interface Outgoing extends Frame {
	settle: Settle | undefined;	// QoS 0 publish, ping, DISCONNECT: settled once written
	op: Sendable | undefined;	// QoS 1/2 publish, (un)subscribe, PUBREL: acknowledged later by the broker
	message: boolean;		// a QoS 0 publish: counts against the client's outgoing limit
}

// The head of a packet the connection is already writing (begun): only its settling is kept here.
const EMPTY = new Uint8Array(0);

export class Outbox {
	readonly #items: Outgoing[] = [];
	#current: Outgoing | undefined;	// written in part; the rest follows on onWritable
	#messages = 0;

	/** QoS 0 publishes not yet handed to a socket. */
	get messages(): number { return this.#messages; }

	/** Nothing waits and nothing is being written: a packet may go straight out. */
	get clear(): boolean { return this.#current === undefined && this.#items.length === 0; }

	/**
	 * Hands `frame` to `connection` when one is given, free, and nothing
	 * waits; otherwise queues it. Returns true when it was written whole at
	 * once (then `settle` is not kept: the caller knows).
	 */
	add(connection: Connection | undefined, frame: Frame, settle: Settle | undefined, op: Sendable | undefined, message: boolean): boolean {
		if (connection && this.clear && connection.idle) {
			op?.sent();
			if (connection.send(frame)) {
				op?.written();
				return true;	// `settle` is the caller's to settle: not from inside this call, which nests deeper
			}
			if (message)
				this.#messages++;
			this.#current = { head: frame.head, body: frame.body, settle, op, message };
			return false;
		}
		if (message)
			this.#messages++;
		this.#items.push({ head: frame.head, body: frame.body, settle, op, message });
		return false;
	}

	/**
	 * A packet the caller began writing itself, with the outbox clear (a QoS 0
	 * publish, a tracked operation's packet, a control packet): the
	 * connection writes the rest; `written` settles it, or tells `op`.
	 */
	begun(settle: Settle | undefined, op: Sendable | undefined, message: boolean): void {
		if (message)
			this.#messages++;
		this.#current = { head: EMPTY, body: undefined, settle, op, message };
	}

	/** The packet in progress is written (the connection's onDrain); then what waits goes out. */
	written(connection: Connection): void {
		const item = this.#current;
		this.#current = undefined;
		if (item)
			this.done(item);
		this.flush(connection);
	}

	/** Sends what waits while the socket takes it. */
	flush(connection: Connection): void {
		while (this.#current === undefined && this.#items.length && connection.idle)
			this.hand(connection, this.#items.shift()!);
	}

	/**
	 * The connection is gone. The packet in progress fails; of what waits, the
	 * QoS 0 publishes stay when `keepMessages` (a reconnect will send them),
	 * the rest fails. Packets of tracked operations are dropped unsettled:
	 * their session sends them again.
	 */
	lose(error: Error, keepMessages: boolean): void {
		const current = this.#current;
		this.#current = undefined;
		if (current)
			this.fail(current, error);
		const items = this.#items.splice(0);
		for (const item of items) {
			if (item.message && keepMessages)
				this.#items.push(item);
			else
				this.fail(item, error);
		}
	}

	/** Takes every waiting item out, in order (to let the session's resend go first after a reconnect). */
	take(): Outgoing[] | undefined {
		if (this.#items.length === 0)
			return undefined;
		for (const item of this.#items)
			if (item.message)
				this.#messages--;
		return this.#items.splice(0);
	}

	/** Queues what take() took, behind what is queued now. */
	restore(items: Outgoing[]): void {
		for (const item of items) {
			if (item.message)
				this.#messages++;
			this.#items.push(item);
		}
	}

	/** Drops the waiting packets of tracked operations, unsettled: their session has them. */
	dropOps(): void {
		const items = this.#items;
		for (let i = items.length - 1; i >= 0; i--)
			if (items[i].op)
				items.splice(i, 1);
	}

	private hand(connection: Connection, item: Outgoing): void {
		item.op?.sent();
		if (connection.send(item))
			this.done(item);
		else
			this.#current = item;
	}

	private done(item: Outgoing): void {
		if (item.message)
			this.#messages--;
		item.op?.written();
		item.settle?.resolve();
	}

	private fail(item: Outgoing, error: Error): void {
		if (item.message)
			this.#messages--;
		item.settle?.reject(error);
	}
}
