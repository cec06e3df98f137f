// The packets waiting for the socket, in order. One is handed to the
// connection at a time; a packet that goes out whole at once costs nothing
// here. A packet that must wait keeps a copy of its head (the writer reuses
// its buffer) and the caller's payload as it is.
import type { Connection } from "mqtt/connection";
import type { Frame } from "mqtt/writer";

/** A Promise's two ends. */
export interface Settle {
	resolve(value?: any): void;
	reject(error: Error): void;
}

// An operation's progress with the broker; the outbox moves it from WAITING
// to SENT when its packet starts out.
export const WAITING = 0, SENT = 1, RELEASED = 2;

export interface Tracked {
	state: number;
}

export interface Outgoing {
	head: Uint8Array;
	body: Uint8Array | undefined;
	settle: Settle | undefined;	// QoS 0 publish, ping, disconnect: settled once written
	tracked: Tracked | undefined;	// QoS 1/2 publish, (un)subscribe: acknowledged later, rebuilt after a reconnect
	message: boolean;		// a publish: counts against the client's outgoing limit
}

const EMPTY_HEAD = new Uint8Array(0);

export class Outbox {
	readonly #items: Outgoing[] = [];
	#current: Outgoing | undefined;	// written in part; the rest follows on onWritable
	#messages = 0;

	/** Publishes not yet handed to a socket. */
	get messages(): number { return this.#messages; }

	/** Nothing waits and nothing is being written: a packet may go straight out. */
	get clear(): boolean { return this.#current === undefined && this.#items.length === 0; }

	/**
	 * Hands `frame` to `connection` when it is given, free, and nothing waits;
	 * otherwise queues it. Returns true when it was written whole at once (then
	 * `settle` is not kept: the caller knows).
	 */
	add(connection: Connection | undefined, frame: Frame, settle: Settle | undefined, tracked: Tracked | undefined, message: boolean): boolean {
		const item: Outgoing = { head: frame.head, body: frame.body, settle, tracked, message };
		if (message)
			this.#messages++;
		if (connection && this.clear && connection.idle)
			return this.#hand(connection, item);
		item.head = frame.head.slice();
		this.#items.push(item);
		return false;
	}

	/**
	 * A publish the caller began writing itself (the hot path, with the outbox
	 * clear): the connection writes the rest; `written` settles it.
	 */
	begun(settle: Settle): void {
		this.#messages++;
		this.#current = { head: EMPTY_HEAD, body: undefined, settle, tracked: undefined, message: true };
	}

	/** Queues an item made elsewhere (its head already a copy), at the end. */
	push(item: Outgoing): void {
		if (item.message)
			this.#messages++;
		this.#items.push(item);
	}

	/** The packet in progress is written (the connection's onDrain); then what waits goes out. */
	written(connection: Connection): void {
		const item = this.#current;
		this.#current = undefined;
		if (item)
			this.#done(item);
		this.flush(connection);
	}

	/** Sends what waits while the socket takes it. */
	flush(connection: Connection): void {
		while (this.#current === undefined && this.#items.length && connection.idle)
			this.#hand(connection, this.#items.shift()!);
	}

	/**
	 * The connection is gone. The packet in progress fails. What waits is
	 * taken out: the items `keep` accepts stay, in order; the others fail.
	 */
	lose(error: Error, keep: (item: Outgoing) => boolean): void {
		const current = this.#current;
		this.#current = undefined;
		if (current)
			this.#fail(current, error);
		const items = this.#items.splice(0);
		for (const item of items) {
			if (keep(item))
				this.#items.push(item);
			else
				this.#fail(item, error);
		}
	}

	/** Removes the waiting items `match` picks, unsettled (tracked operations, settled by their owner). */
	remove(match: (item: Outgoing) => boolean): void {
		const items = this.#items;
		for (let i = items.length - 1; i >= 0; i--)
			if (match(items[i])) {
				if (items[i].message)
					this.#messages--;
				items.splice(i, 1);
			}
	}

	/** Takes every waiting item out (to rebuild the queue after a reconnect). */
	take(): Outgoing[] {
		for (const item of this.#items)
			if (item.message)
				this.#messages--;
		return this.#items.splice(0);
	}

	#hand(connection: Connection, item: Outgoing): boolean {
		const tracked = item.tracked;
		if (tracked && tracked.state === WAITING)
			tracked.state = SENT;
		if (connection.send(item)) {
			this.#done(item);
			return true;
		}
		this.#current = item;
		return false;
	}

	#done(item: Outgoing): void {
		if (item.message)
			this.#messages--;
		item.settle?.resolve();
	}

	#fail(item: Outgoing, error: Error): void {
		if (item.message)
			this.#messages--;
		item.settle?.reject(error);
	}
}
