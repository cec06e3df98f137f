// The session kept on flash: the same session (session.ts), its state
// written ahead to a LogStore (store.ts) before any packet leaves, so that a
// reboot loses none of it. Only an app that passes a `store` loads this.
//
// What is written, and when:
// - publish() at QoS 1/2: the PUBLISH packet (its id in it), before it is
//   handed to a socket; PUBREC marks it in place (PUBREL due), PUBACK or
//   PUBCOMP marks it dead.
// - a received QoS 2 id with a key, before the app's callback gets its
//   message (and so before its PUBREC goes: 4.3.3, Method B); marked
//   delivered when the callback returns, dead at PUBREL. A record not marked
//   delivered is the one message the power cut off in the app's hands: its
//   resend after a reboot is given to the app again, with the same key and
//   `again` (StoredDelivery), so that the app can tell.
// - the subscriptions granted, as one record, again at each change.
// - the client id the store belongs to, once.
// The packet-id position derives from the newest stored PUBLISH.
//
// RAM does not grow with what waits: only a window of `outgoingLimit`
// messages is held (where each record is, its stage); the rest stays on
// flash and is read back, in order, as the window empties. So publish() does
// not hold a Promise per message: it resolves once the message is on flash,
// and `onComplete` tells the app when the broker has it.
import { Session, type SessionLink } from "mqtt/session";
import { LogStore, type Medium, type Found, PUBLISH_RECORD, RECEIVED_RECORD, SUBSCRIPTIONS_RECORD, CLIENT_RECORD, LIVE, RELEASED, DEAD, StoreFullError } from "mqtt/store";
import { PUBACK, PUBREC, PUBREL, PUBCOMP, SUBACK_FAILURE } from "mqtt/constants";
import { type Data, asUint8Array } from "mqtt/bytes";
import type { Frame } from "mqtt/writer";
import type { Sendable } from "mqtt/outbox";
import Timer from "timer";
import { fromApp, isFromApp, ProtocolError } from "mqtt/errors";
import { CONNECTED } from "mqtt/link";
import type { SubscriptionOptions } from "mqtt/client";
import type { StoredDelivery } from "mqtt/delivery";

/** The store's options. */
export interface StoreOptions {
	/**
	 * Called once for each message stored by publish() (in this boot or an
	 * earlier one) when its fate is known: without `error` when the broker
	 * has it (PUBACK for QoS 1, PUBCOMP for QoS 2, or PUBREC when a new
	 * connection found no session: the broker owns it); with `error` when it
	 * left the store undelivered: a QoS 2 message given up after 3
	 * connections ended while it awaited PUBREC (a broker that refuses QoS 2,
	 * as Azure IoT Hub does), with the error a session in RAM rejects with;
	 * or dropped for a newer message (`whenFull: "dropOldest"`), with a
	 * StoreFullError.
	 */
	onComplete?: (topic: ArrayBuffer, msg: ArrayBuffer, error?: Error) => void;
	/**
	 * What publish() does when the store is full: `"reject"` (the default)
	 * rejects the new message with StoreFullError; `"dropOldest"` (Paho's
	 * deleteOldestMessages) drops the oldest stored messages not in flight,
	 * one by one until the new one fits, each told to onComplete.
	 */
	whenFull?: "reject" | "dropOldest";
}

/** What a stored session needs of its link beyond a session's. */
export interface StoredLink extends SessionLink {
	readonly connectPacket: ArrayBuffer;
	/** Closes the connection for a fault the client found. */
	failed(error: Error): void;
	readonly state: number;
	readonly settings: { readonly outgoingLimit: number };
}

/**
 * The `store` option: a session kept on `medium`. Each client made with it
 * reads the medium again, as after a reboot. One client at a time.
 */
export class Store {
	readonly medium: Medium;
	readonly onComplete: ((topic: ArrayBuffer, msg: ArrayBuffer, error?: Error) => void) | undefined;
	/** A full store drops its oldest messages not in flight (whenFull "dropOldest"), rather than reject the new one. */
	readonly dropsOldest: boolean;
	/** The last session's log: its wear figures. */
	log: LogStore | undefined;

	constructor(medium: Medium, options: StoreOptions = {}) {
		if (typeof medium !== "object" || medium === null || typeof medium.read !== "function" || typeof medium.write !== "function" || typeof medium.eraseBlock !== "function")
			throw new TypeError("store: the medium must have read, write and eraseBlock");
		if (options.onComplete !== undefined && typeof options.onComplete !== "function")
			throw new TypeError("store: onComplete must be a function");
		const whenFull = options.whenFull ?? "reject";
		if (whenFull !== "reject" && whenFull !== "dropOldest")
			throw new TypeError(`store: whenFull must be "reject" or "dropOldest", not ${JSON.stringify(whenFull)}`);
		this.medium = medium;
		this.onComplete = options.onComplete;
		this.dropsOldest = whenFull === "dropOldest";
	}

	/** The client's session, restored from the medium. Throws when the store holds another client id's session. */
	session(link: StoredLink): Session {
		const log = this.log = new LogStore(this.medium), session = new StoredSession(link, this, log);
		// The restore in steps called from here, not from the session's
		// constructor: a frame less under the app's new MQTTClient() (an
		// ESP8266 has 256 slots of stack).
		log.open(found => session.restored(found));
		session.opened(log);
		return session;
	}
}

// A stored message's progress, in the window.
const QUEUED = 0, SENT = 1, RELEASED_STAGE = 2;
const NONE = -1;
// A received QoS 2 record's body: its key, 48 bits.
const KEY_BYTES = 6;
// Packet ids of stored messages run in order from the oldest to the newest:
// below this many, the next id is never one of theirs.
const MAX_STORED = 60_000;
// A stored QoS 2 message is given up as session.ts gives up one in RAM, in
// the same words (the tests hold both to them). Not imported from there:
// exports would make session.ts, which every client loads, larger.
const QOS2_LOSSES = 3;
const QOS2_REFUSED = " (a broker that refuses QoS 2, as Azure IoT Hub does, closes the connection on a QoS 2 PUBLISH: publish at QoS 1 there)";

/** A stored message in the window: where its record is, nothing of its bytes. */
class Stored implements Sendable {
	stage: number;
	losses = 0;	// connections that ended while it awaited PUBREC (QoS 2)
	constructor(readonly at: number, readonly qos: number, stage: number, readonly carried: boolean) {
		this.stage = stage;
	}
	sent(): void {
		if (this.stage === QUEUED)
			this.stage = SENT;
	}
	/** No app's Promise waits for a stored message's acknowledgement (publish() resolved on flash): no ackTimeout deadline. */
	written(): void {}
}

export class StoredSession extends Session {
	declare readonly link: StoredLink;
	readonly #store: Store;
	readonly #log: LogStore;
	readonly #found: Found = { at: 0, kind: 0, id: 0, state: 0, length: 0 };
	#window: Map<number, Stored> | undefined;	// by packet id, in the order stored
	#cursor = NONE;		// the last PUBLISH record taken into the window
	#count = 0;		// live PUBLISH records
	#carried = 0;		// of those taken next, how many an earlier boot stored
	#subscriptions: Map<string, Uint8Array> | undefined;	// filter -> its record entry
	#resubscribe = false;	// subscriptions were restored: made again when the broker has no session
	#resolved: Promise<void> | undefined;
	#told: (Uint8Array | undefined)[] = [];	// completed, the app not yet told (onComplete)
	#failed: [Uint8Array, Error][] | undefined;	// left the store undelivered, the app not yet told
	#later: Timer | undefined;	// the turn that fills the window and tells the app
	#subscriptionsChanged = false;	// granted since last written
	#ownerAt = NONE;	// the client id's record, as restored
	#subscriptionsAt = NONE;	// the subscriptions' record, as restored
	#present = false;	// the last CONNACK's session present
	#forgot = false;	// a CONNACK since the store opened found no session: what was past PUBREC before is the broker's
	#unsure: Map<number, number> | undefined;	// restored received QoS 2 ids not marked delivered -> their keys

	constructor(link: StoredLink, store: Store, log: LogStore) {
		super(link);
		this.#store = store;
		this.#log = log;
	}

	/** A record the restore found (in the order written). */
	restored(found: Found): void {
		const kind = found.kind;
		if (kind === PUBLISH_RECORD) {
			this.#count++;
			this.lastId = found.id;
		}
		else if (kind === RECEIVED_RECORD)
			this.restoredReceived(found);
		else if (kind === SUBSCRIPTIONS_RECORD)
			this.#subscriptionsAt = found.at;
		else if (kind === CLIENT_RECORD)
			this.#ownerAt = found.at;
	}

	/**
	 * A received QoS 2 id. Marked delivered (or written before keys were: no
	 * body), its resend is a duplicate; not marked, the app may not have had
	 * it: the resend is given again, with its key.
	 */
	private restoredReceived(found: Found): void {
		if (found.state === LIVE && found.length === KEY_BYTES)
			(this.#unsure ??= new Map()).set(found.id, keyOf(this.#log.read(found.at)));
		else
			super.accept(found.id);
	}

	/**
	 * The medium read: a new store is claimed for this client, one of another
	 * client id refused; the subscriptions restored.
	 */
	opened(log: LogStore): void {
		this.#carried = this.#count;
		if (this.#ownerAt === NONE)	// here, not in claim(): a frame less under new MQTTClient()
			log.append(CLIENT_RECORD, 0, [clientIdOf(this.link.connectPacket)]);
		else
			this.claim(log);
		if (this.#subscriptionsAt !== NONE)
			this.restoreSubscriptions(log.read(this.#subscriptionsAt));
	}

	/** The store is this client's: refused when it holds another client id's session. */
	private claim(log: LogStore): void {
		const clientId = clientIdOf(this.link.connectPacket);
		const stored = log.read(this.#ownerAt);
		if (!sameBytes(stored, clientId))
			throw new Error(`store: it holds the session of client id "${String.fromArrayBuffer(stored.slice().buffer)}", not of "${String.fromArrayBuffer(clientId.slice().buffer)}": give each client a store of its own`);
	}

	/** Stored messages are not counted against outgoingLimit: the store bounds them. */
	override get publications(): number { return 0; }

	/** Stored messages the broker has not completely acknowledged. */
	get stored(): number { return this.#count; }

	/** A QoS 1/2 publish: resolves once the message is on flash; onComplete tells when the broker has it. */
	override publish(topic: Data, payload: Data, qos: number, retain: boolean): Promise<void> {
		const id = this.nextId();
		const frame = this.link.writer.publish(topic, payload, qos, retain, false, id);	// argument errors throw first
		let at: number;
		try {
			at = this.append(id, frame);
		}
		catch (error) {
			return Promise.reject(error);
		}
		const window = this.#window ??= new Map();
		if (this.link.state === CONNECTED && window.size === this.#count && window.size < this.link.settings.outgoingLimit) {
			// Nothing waits on flash before it: into the window, with the frame in hand (no read back).
			const entry = new Stored(at, qos, QUEUED, false);
			this.#cursor = at;
			window.set(id, entry);
			this.#count++;
			this.link.sendOp(frame, entry);
		}
		else {
			this.#count++;
			this.fill();
		}
		return this.#resolved ??= Promise.resolve();
	}

	/**
	 * The PUBLISH's record, written. A full store throws StoreFullError,
	 * having changed nothing; with whenFull "dropOldest" it drops its oldest
	 * messages not in flight until the record fits (not for a record larger
	 * than a block: nothing dropped would make room for it).
	 */
	private append(id: number, frame: Frame): number {
		const log = this.#log, fits = frame.head.byteLength + (frame.body?.byteLength ?? 0) <= log.maxBody;
		for (;;) {
			try {
				if (this.#count >= MAX_STORED)
					throw new StoreFullError(`store full: ${this.#count} messages wait (${MAX_STORED} at most)`);
				return log.append(PUBLISH_RECORD, id, [frame.head, frame.body]);
			}
			catch (error) {
				if (!(error instanceof StoreFullError) || !this.#store.dropsOldest || !fits || !this.dropOldest())
					throw error;
			}
		}
	}

	/**
	 * The oldest stored message not in the window (in flight, or about to be)
	 * is dead on flash, and the app told (onComplete, with a StoreFullError).
	 * False when every stored message is in the window.
	 */
	private dropOldest(): boolean {
		const log = this.#log, found: Found = { at: 0, kind: 0, id: 0, state: 0, length: 0 };
		for (let at = log.next(NONE, PUBLISH_RECORD, found); at !== NONE; at = log.next(at, PUBLISH_RECORD, found)) {
			if (this.#window && this.inWindow(at))
				continue;
			if (this.#carried > 0)
				this.#carried--;	// one of an earlier boot's, which come first
			const packet = log.read(at);
			this.finish(at);
			(this.#failed ??= []).push([packet, new StoreFullError(`store full: ${publishName(packet, found.id)} dropped, the oldest stored, for a newer message (whenFull "dropOldest")`)]);
			this.later();
			return true;
		}
		return false;
	}

	protected override nextId(): number {
		let id: number;
		do
			id = super.nextId();
		while (this.#window?.has(id));
		return id;
	}

	/**
	 * Takes stored messages into the window, in order, while it has room, and
	 * hands them on. One past PUBREC in a session the broker has since lost
	 * is complete (the broker owns it): the app is told, after the loop.
	 */
	private fill(): void {
		if (this.link.state !== CONNECTED)
			return;		// RAM holds nothing of what waits: the window fills at resume()
		const window = this.#window ??= new Map(), limit = this.link.settings.outgoingLimit, found = this.#found;
		while (window.size < limit && window.size < this.#count) {
			const at = this.#log.next(this.#cursor, PUBLISH_RECORD, found);
			if (at === NONE)
				break;
			this.#cursor = at;
			if (this.inWindow(at))
				continue;
			const carried = this.#carried > 0;
			if (carried)
				this.#carried--;
			if (found.state === RELEASED && this.#forgot) {
				this.#told.push(this.finish(at));
				continue;
			}
			const qos = (this.#log.first(at) >> 1) & 3;
			const entry = new Stored(at, qos, found.state === RELEASED ? RELEASED_STAGE : QUEUED, carried);
			const id = found.id;
			window.set(id, entry);
			this.link.sendOp(this.frameOf(entry, id, carried && this.#present), entry);
		}
	}

	/**
	 * The window is filled and the app told of what completed in a turn of
	 * their own, not inside the socket callback that brought the
	 * acknowledgement or CONNACK: reading flash and the app's onComplete (which
	 * may publish, and so write and erase) nest no deeper than a timer's
	 * callback (an ESP8266 has 256 slots of stack).
	 */
	private later(subscriptions = false): void {
		if (subscriptions)
			this.#subscriptionsChanged = true;
		this.#later ??= Timer.set(() => {
			this.#later = undefined;
			try {	// a timer's callback: no exception of the library leaves it
				if (this.#subscriptionsChanged) {
					this.#subscriptionsChanged = false;
					this.saveSubscriptions();
				}
				this.fill();
				const told = this.#told, failed = this.#failed;
				while (told.length)
					this.tell(told.shift());
				this.#failed = undefined;
				for (const [packet, error] of failed ?? [])
					this.tell(packet, error);
			}
			catch (error) {
				if (isFromApp(error))
					throw error;
				this.link.failed(error as Error);
			}
		}, 0);
	}

	private inWindow(at: number): boolean {
		for (const entry of this.#window!.values())
			if (entry.at === at)
				return true;
		return false;
	}

	/** PUBREL past PUBREC; else the PUBLISH read back from flash, DUP set when it is a resend. */
	private frameOf(entry: Stored, id: number, dup: boolean): Frame {
		if (entry.stage === RELEASED_STAGE)
			return this.link.writer.ack(PUBREL, id);
		const packet = this.#log.read(entry.at);
		if (dup)
			packet[0] |= 0x08;
		return { head: packet, body: undefined };
	}

	override acknowledged(type: number, id: number, granted: number[]): boolean {
		const entry = this.#window?.get(id);
		if (!entry)
			return super.acknowledged(type, id, granted);
		if (type === PUBREC && entry.qos === 2) {
			if (entry.stage !== RELEASED_STAGE) {
				this.#log.mark(entry.at, RELEASED);	// before PUBREL goes
				entry.stage = RELEASED_STAGE;
			}
			return true;
		}
		// PUBACK for a QoS 2 message not yet past PUBREC: the broker took it at
		// QoS 1 (RabbitMQ's downgrade), as in the RAM session: complete.
		if ((type === PUBACK && entry.stage === SENT) || (type === PUBCOMP && entry.stage === RELEASED_STAGE)) {
			this.#window!.delete(id);
			this.#told.push(this.finish(entry.at));
			this.later();	// the next comes in, the app is told
		}
		return false;
	}

	/** The broker has the message: dead on flash, no longer counted; its packet when the app is to be told (tell()). */
	private finish(at: number): Uint8Array | undefined {
		const packet = this.#store.onComplete ? this.#log.read(at) : undefined;
		this.#log.mark(at, DEAD);
		this.#count--;
		return packet;
	}

	/** onComplete, with the message's topic and payload (and `error`, when it was not delivered). */
	private tell(packet: Uint8Array | undefined, error?: Error): void {
		if (!packet || !this.#store.onComplete)
			return;
		const { topic, payload } = parsePublish(packet);
		try {
			this.#store.onComplete(topic, payload, error);
		}
		catch (error) {
			throw fromApp(error);
		}
	}

	/**
	 * After CONNACK. With the session present, the window goes out again with
	 * its ids (DUP 1 for what had left, and for what an earlier boot stored:
	 * it may have left) and PUBREL past PUBREC [MQTT-4.4.0-1]. Without it,
	 * messages past PUBREC are complete, the others go out as new messages
	 * (DUP 0; their ids, which a new session does not know), the stored
	 * subscriptions are made again and the received QoS 2 ids are forgotten.
	 */
	override resume(sessionPresent: boolean, reconnected: boolean): void {
		super.resume(sessionPresent, reconnected || this.#resubscribe);
		this.#resubscribe = false;
		this.#present = sessionPresent;
		if (!sessionPresent) {
			this.#forgot = true;
			this.#unsure = undefined;
			this.#log.removeAll(RECEIVED_RECORD);
		}
		const window = this.#window;
		if (window) {
			for (const [id, entry] of [...window]) {	// a copy: what completes leaves the map
				if (!sessionPresent && entry.stage === RELEASED_STAGE) {
					window.delete(id);
					this.#told.push(this.finish(entry.at));
					continue;
				}
				const dup = sessionPresent && (entry.stage === SENT || entry.carried);
				if (!sessionPresent)
					entry.stage = QUEUED;
				this.link.sendOp(this.frameOf(entry, id, dup), entry);
			}
		}
		this.later();
	}

	/**
	 * The connection ended, by the broker or the network: as in the RAM
	 * session, each stored QoS 2 message in flight that awaited PUBREC counts
	 * it, and one that has seen QOS2_LOSSES connections end so is given up:
	 * dead on flash, and the app told (onComplete, with the error). Returns
	 * the reason to report, naming what awaited PUBREC.
	 */
	override lost(error: Error): Error {
		const reason = super.lost(error), window = this.#window;
		if (reason !== error || error instanceof ProtocolError || !window)
			return reason;
		let pending: string | undefined;
		for (const [id, entry] of [...window]) {	// a copy: what is given up leaves the map
			if (entry.qos !== 2 || entry.stage !== SENT)
				continue;
			const packet = this.#log.read(entry.at), what = publishName(packet, id);
			pending ??= what;
			if (++entry.losses < QOS2_LOSSES)
				continue;
			window.delete(id);
			this.finish(entry.at);
			(this.#failed ??= []).push([packet, new Error(`${what} given up: ${QOS2_LOSSES} connections ended while it awaited PUBREC${QOS2_REFUSED}`)]);
			this.later();	// the next comes in, the app is told
		}
		return pending === undefined ? error : new Error(`${error.message}, while ${pending} awaited PUBREC${QOS2_REFUSED}`);
	}

	/**
	 * A received QoS 2 message is given to the app: its id and key on flash
	 * first, or, for the resend of one a reboot left unsure, its key as
	 * written.
	 */
	override accept(id: number): StoredDelivery {
		// On flash before the id is accepted in RAM: a write that fails
		// (closing the connection) leaves the broker's resend to be delivered.
		const log = this.#log, unsure = this.#unsure?.get(id);
		let delivery: StoredDelivery;
		if (unsure === undefined) {
			const key = log.stamp;
			log.append(RECEIVED_RECORD, id, [keyBody(key)]);
			delivery = { key, again: false };
		}
		else {
			this.#unsure!.delete(id);
			delivery = { key: unsure, again: true };
		}
		super.accept(id);
		return delivery;
	}

	/**
	 * The app's callback has returned for a received QoS 2 message: marked so
	 * on flash at once (by id: a copy forward moves a record), so that at most
	 * one message, the one in the app's hands when the power went, is unsure.
	 */
	override delivered(id: number): void {
		const at = this.#log.sticky(RECEIVED_RECORD, id);
		if (at !== NONE)
			this.#log.mark(at, RELEASED);
	}

	override release(id: number): void {
		super.release(id);
		this.#unsure?.delete(id);
		this.#log.remove(RECEIVED_RECORD, id);
	}

	/** connect(true): the store is emptied [MQTT-3.1.2-6]; it still belongs to this client. */
	override discard(): void {
		super.discard();
		this.#window = this.#subscriptions = undefined;
		this.#cursor = NONE;
		this.#count = this.#carried = 0;
		this.#resubscribe = this.#forgot = false;
		this.#unsure = undefined;
		this.#log.clear();
		this.#log.append(CLIENT_RECORD, 0, [clientIdOf(this.link.connectPacket)]);
	}

	/** The connection is over: what waits stays on flash, whatever the session's kind, until acknowledged or connect(true). */
	override end(error: Error, keep: boolean): boolean {
		return super.end(error, true);
	}

	// ---- subscriptions ----

	/** Granted subscriptions: kept for a resubscription, and on flash. */
	protected override remember(filters: Data[], qos: number[], granted: number[]): void {
		super.remember(filters, qos, granted);
		let changed = false;
		for (let i = 0; i < filters.length; i++) {
			if (granted[i] >= SUBACK_FAILURE)	// refused (MQTT 5: any reason code from 0x80)
				continue;
			const filter = bytesOf(filters[i]), key = String.fromArrayBuffer(filter.slice().buffer);
			const options = qos[i] as number | SubscriptionOptions, id = typeof options === "number" ? 0 : options.subscriptionIdentifier ?? 0;
			const entry = new Uint8Array(3 + filter.length + (id ? 4 : 0));
			entry[0] = optionsByte(options) | (id ? WITH_IDENTIFIER : 0);
			entry[1] = filter.length >> 8;
			entry[2] = filter.length & 0xFF;
			entry.set(filter, 3);
			if (id)
				new DataView(entry.buffer).setUint32(3 + filter.length, id);
			const before = this.#subscriptions?.get(key);
			if (!before || !sameBytes(before, entry)) {
				(this.#subscriptions ??= new Map()).set(key, entry);
				changed = true;
			}
		}
		if (changed)
			this.later(true);	// written in a turn of its own: SUBACK's callback nests deep enough
	}

	override unsubscribe(filters: Data[]): Promise<void> {
		const done = super.unsubscribe(filters);
		const keys = filters.map(filter => String.fromArrayBuffer(bytesOf(filter).slice().buffer));
		done.then(() => {
			let changed = false;
			for (const key of keys)
				changed = this.#subscriptions?.delete(key) || changed;
			if (changed)
				this.later(true);	// written in a turn of its own, where a failure closes the connection
		}, () => {});
		return done;
	}

	private saveSubscriptions(): void {
		const entries = [...(this.#subscriptions?.values() ?? [])];
		if (entries.length)
			this.#log.append(SUBSCRIPTIONS_RECORD, 0, entries);	// the older record is marked dead
		else
			this.#log.remove(SUBSCRIPTIONS_RECORD, 0);
	}

	/**
	 * The subscriptions' record: its entries as they are, and the session's
	 * for a resubscription (super.remember(), not this one's: a frame less
	 * under new MQTTClient(), and nothing to write).
	 */
	private restoreSubscriptions(record: Uint8Array): void {
		const filters: Data[] = [], qos: number[] = [], granted: number[] = [], entries = this.#subscriptions = new Map();
		for (let at = 0; at + 3 <= record.length;) {
			const first = record[at], filterEnd = at + 3 + ((record[at + 1] << 8) | record[at + 2]);
			const end = filterEnd + (first & WITH_IDENTIFIER ? 4 : 0), filter = record.slice(at + 3, filterEnd).buffer;
			qos.push(first > 3 ? subscriptionOptions(first, record, filterEnd) as unknown as number : first);
			granted.push(first & 3);
			filters.push(filter);
			entries.set(String.fromArrayBuffer(filter), record.slice(at, end));
			at = end;
		}
		super.remember(filters, qos, granted);
		this.#resubscribe = filters.length > 0;
	}
}

// On the prototype: a session without a store carries no field for it.
Object.defineProperty(StoredSession.prototype, "durable", { value: true });

// A subscription's entry on flash starts with its options as MQTT 5's
// SUBSCRIBE carries them (3.8.3.1: QoS in bits 0-1, No Local 2, Retain As
// Published 3, Retain Handling 4-5); a QoS alone under 3.1.1. Bit 6, reserved
// there, says a Subscription Identifier (4 bytes) follows the filter.
const NO_LOCAL = 4, RETAIN_AS_PUBLISHED = 8, WITH_IDENTIFIER = 0x40;

function optionsByte(options: number | SubscriptionOptions): number {
	if (typeof options === "number")
		return options;
	return options.qos | (options.noLocal ? NO_LOCAL : 0) | (options.retainAsPublished ? RETAIN_AS_PUBLISHED : 0) | ((options.retainHandling ?? 0) << 4);
}

/** The options an entry's first byte (above a plain QoS) and its identifier, if any, give back. */
function subscriptionOptions(first: number, record: Uint8Array, at: number): SubscriptionOptions {
	const options: SubscriptionOptions = {
		qos: first & 3, noLocal: (first & NO_LOCAL) !== 0, retainAsPublished: (first & RETAIN_AS_PUBLISHED) !== 0, retainHandling: (first >> 4) & 3
	};
	if (first & WITH_IDENTIFIER)
		options.subscriptionIdentifier = new DataView(record.buffer, record.byteOffset).getUint32(at);
	return options;
}

function bytesOf(data: Data): Uint8Array {
	return typeof data === "string" ? new Uint8Array(ArrayBuffer.fromString(data)) : asUint8Array(data);
}

/** The client id CONNECT carries: after the flags byte and the keep-alive. */
function clientIdOf(connect: ArrayBuffer): Uint8Array {
	const packet = new Uint8Array(connect);
	let at = 1;
	while (packet[at] & 0x80)
		at++;
	at += 1 + 6 + 1 + 1 + 2;	// past the remaining length: the protocol name (6), level, flags, keep-alive (2)
	const length = (packet[at] << 8) | packet[at + 1];
	return packet.slice(at + 2, at + 2 + length);
}

/** A stored PUBLISH, for an error, as session.ts names one: its topic, QoS and packet id. */
function publishName(packet: Uint8Array, id: number): string {
	return `PUBLISH to ${JSON.stringify(String.fromArrayBuffer(parsePublish(packet).topic))} at QoS ${(packet[0] >> 1) & 3} (packet id ${id})`;
}

/** A received QoS 2 record's body: its key, 48 bits (keyOf reads it back). */
function keyBody(key: number): Uint8Array {
	const body = new Uint8Array(KEY_BYTES), view = new DataView(body.buffer);
	view.setUint16(0, key / 0x1_0000_0000);
	view.setUint32(2, key >>> 0);
	return body;
}

/** A received QoS 2 record's key, from its body (keyBody's). */
function keyOf(body: Uint8Array): number {
	const view = new DataView(body.buffer, body.byteOffset);
	return view.getUint16(0) * 0x1_0000_0000 + view.getUint32(2);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
	if (a.length !== b.length)
		return false;
	for (let i = 0; i < a.length; i++)
		if (a[i] !== b[i])
			return false;
	return true;
}

/** A stored PUBLISH packet's topic and payload. */
function parsePublish(packet: Uint8Array): { topic: ArrayBuffer; payload: ArrayBuffer } {
	let at = 1;
	while (packet[at] & 0x80)
		at++;
	at++;
	const length = (packet[at] << 8) | packet[at + 1];
	const topic = packet.slice(at + 2, at + 2 + length).buffer;
	at += 2 + length + ((packet[0] & 0x06) ? 2 : 0);
	return { topic, payload: packet.slice(at).buffer };
}
