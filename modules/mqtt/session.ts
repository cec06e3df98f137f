// The client's side of an MQTT session (3.1.1, 3.1.2.4): the QoS 1 and 2
// messages it sent that the broker has not completely acknowledged, the
// QoS 2 messages it received and accepted that wait for PUBREL, and the
// subscribe and unsubscribe requests in flight. It lives as long as the
// session does (clean session 0), not as long as a socket: disconnect() and a
// lost connection keep the publications (their Promises reject, saying so) and
// the QoS 2 ids; the next connect(false) finds them.
//
// Each operation in flight has its own kind (Publication, Subscription,
// Unsubscription, Resubscription), keyed by packet id in the order it was
// made: that order is the order of the resend [MQTT-4.4.0-1, MQTT-4.6.0-1].
//
// No request the app awaits waits forever on a broker that bends MQTT: one
// whose acknowledgement does not come within ackTimeout rejects, naming it
// (AWS IoT sends no SUBACK for a QoS 2 SUBSCRIBE); a QoS 2 PUBLISH answered
// with PUBACK resolves (RabbitMQ took it at QoS 1); and one the broker closes
// the connection on each time (Azure IoT Hub refuses QoS 2 so) is given up
// after QOS2_LOSSES connections.
import Time from "time";
import { PUBACK, PUBREC, PUBREL, PUBCOMP, SUBACK, UNSUBACK, SUBACK_FAILURE, MAX_PACKET_ID } from "mqtt/constants";
import type { Data } from "mqtt/bytes";
import type { Frame, PacketWriter } from "mqtt/writer";
import type { Sendable } from "mqtt/outbox";
import type { StoredDelivery } from "mqtt/delivery";
import { nextPacketId } from "mqtt/packet-ids";
import { MQTTException, ProtocolError } from "mqtt/errors";

/** What a session needs from the link it rides on. */
export interface SessionLink {
	readonly writer: PacketWriter;
	/** Hands a frame of a tracked operation to the socket now, if connected; else it waits for resume(). */
	sendOp(frame: Frame, op: Sendable): void;
	/** Subscriptions are remembered only when a reconnect may need to make them again. */
	readonly resubscribes: boolean;
	/** Clean session 0: the broker keeps the session, and unacknowledged publications stay in it. */
	readonly keepsSession: boolean;
	/**
	 * MQTT 5's (mqtt/v5/protocol): the granted subscriptions in the groups
	 * that each make one SUBSCRIBE again. Absent (3.1.1): one for all.
	 */
	resubscriptions?(subscriptions: Subscriptions): Subscriptions[];
}

/** Granted subscriptions, by filter: each one's filter and QoS (MQTT 5: its options). */
export type Subscriptions = Map<string, { filter: Data; qos: number }>;

// Connections that may end while a QoS 2 PUBLISH awaits its PUBREC before the
// message is given up. A broker that refuses QoS 2 by closing the connection
// (Azure IoT Hub) does so on every resend; a link that merely drops has to
// drop three times within the round trip of the same message.
const QOS2_LOSSES = 3;
const QOS2_REFUSED = " (a broker that refuses QoS 2, as Azure IoT Hub does, closes the connection on a QoS 2 PUBLISH: publish at QoS 1 there)";

// A publication's progress: its PUBLISH not yet handed to a socket; handed
// (a resend carries DUP); PUBREC received and PUBREL sent (QoS 2).
const QUEUED = 0, SENT = 1, RELEASED = 2;

// Each operation's kind, on its class's prototype: a field read costs XS far
// less than instanceof, and costs no memory per operation.
const PUBLICATION = 1, SUBSCRIPTION = 2, UNSUBSCRIPTION = 3, RESUBSCRIPTION = 4;

/** The Promise an app holds for an operation, resolving T; gone once it was told (settled, or rejected at disconnect). */
interface Waiting<T> {
	resolve: ((value: T) => void) | undefined;
	reject: ((error: Error) => void) | undefined;
}

/** A QoS 1 or 2 PUBLISH, until PUBACK or PUBCOMP. */
class Publication implements Sendable, Waiting<void> {
	declare readonly kind: typeof PUBLICATION;
	// Declared, and set by the constructor: XS runs a class's field
	// initializers as a function of their own (about 40 steps a publish).
	declare readonly topic: Data;
	declare readonly payload: Data;
	declare readonly qos: number;
	declare readonly retain: boolean;
	declare resolve: ((value: void) => void) | undefined;
	declare reject: ((error: Error) => void) | undefined;
	declare stage: number;
	declare sentAt: number | undefined;	// Time.ticks when the socket took all of its last packet, for ackTimeout
	declare losses: number;			// connections that ended while it awaited PUBREC (QoS 2)
	constructor(topic: Data, payload: Data, qos: number, retain: boolean) {
		this.topic = topic;
		this.payload = payload;
		this.qos = qos;
		this.retain = retain;
		this.resolve = this.reject = this.sentAt = undefined;
		this.stage = QUEUED;
		this.losses = 0;
	}
	sent(): void {
		if (this.stage === QUEUED)
			this.stage = SENT;
	}
	written(): void { this.sentAt = Time.ticks; }
	frame(session: Session, id: number): Frame {
		const writer = session.link.writer;
		return this.stage === RELEASED ? writer.ack(PUBREL, id) : writer.publish(this.topic, this.payload, this.qos, this.retain, this.stage === SENT, id);
	}
}

/** subscribe(): resolves the granted QoS (one topic) or the return codes (an array of topics). */
class Subscription implements Sendable, Waiting<number | number[]> {
	declare readonly kind: typeof SUBSCRIPTION;
	resolve: ((value: number | number[]) => void) | undefined;
	reject: ((error: Error) => void) | undefined;
	sentAt: number | undefined;
	constructor(readonly filters: Data[], readonly qos: number[], readonly single: boolean) {}
	sent(): void {}
	written(): void { this.sentAt = Time.ticks; }
	frame(session: Session, id: number): Frame {
		return session.link.writer.subscribe(id, this.filters, this.qos);
	}
}

/** unsubscribe(): resolves on UNSUBACK. */
class Unsubscription implements Sendable, Waiting<void> {
	declare readonly kind: typeof UNSUBSCRIPTION;
	resolve: ((value: void) => void) | undefined;
	reject: ((error: Error) => void) | undefined;
	sentAt: number | undefined;
	constructor(readonly filters: Data[]) {}
	sent(): void {}
	written(): void { this.sentAt = Time.ticks; }
	frame(session: Session, id: number): Frame {
		return session.link.writer.unsubscribe(id, this.filters);
	}
}

/** The client's own SUBSCRIBE after a reconnect found no session: nobody waits for it. */
class Resubscription implements Sendable {
	declare readonly kind: typeof RESUBSCRIPTION;
	constructor(readonly filters: Data[], readonly qos: number[]) {}
	sent(): void {}
	written(): void {}
	frame(session: Session, id: number): Frame {
		return session.link.writer.subscribe(id, this.filters, this.qos);
	}
}

/** The SUBSCRIBE that makes a group of granted subscriptions again. */
function resubscriptionOf(subscriptions: Subscriptions): Resubscription {
	const made = new Resubscription([], []);
	for (const subscription of subscriptions.values()) {
		made.filters.push(subscription.filter);
		made.qos.push(subscription.qos);
	}
	return made;
}

type Operation = Publication | Subscription | Unsubscription | Resubscription;

for (const [Kind, kind] of [[Publication, PUBLICATION], [Subscription, SUBSCRIPTION], [Unsubscription, UNSUBSCRIPTION], [Resubscription, RESUBSCRIPTION]] as const)
	Object.defineProperty(Kind.prototype, "kind", { value: kind });

export class Session {
	readonly link: SessionLink;
	/** True on a store's session (stored-session.ts, on its prototype): it outlives the client, and takes QoS 1/2 messages in any state. */
	declare readonly durable: true | undefined;
	#operations: Map<number, Operation> | undefined;	// by packet id, in the order made
	protected lastId = 0;			// the last packet id taken
	#publications = 0;				// Publications among the operations
	#awaitingRelease: Set<number> | undefined;	// received QoS 2 ids: PUBREC sent, PUBREL not yet come
	#subscriptions: Subscriptions | undefined;	// granted, for a resubscription
	#resubscribeLost = false;			// a resubscription was in flight when the connection went

	constructor(link: SessionLink) {
		this.link = link;
	}

	/** QoS 1/2 messages the session holds: in flight, or waiting for a connection. */
	get publications(): number { return this.#publications; }

	/** Something the app awaits waits for the broker. */
	get appWaiting(): boolean {
		for (const operation of this.#operations?.values() ?? [])
			if (operation.kind !== RESUBSCRIPTION && operation.reject)
				return true;
		return false;
	}

	/** A QoS 1 or 2 publish: resolves on PUBACK or PUBCOMP. Argument errors throw before anything changes. */
	publish(topic: Data, payload: Data, qos: number, retain: boolean): Promise<void> {
		const id = this.nextId();
		const frame = this.link.writer.publish(topic, payload, qos, retain, false, id);
		const publication = new Publication(topic, payload, qos, retain);
		this.#publications++;
		return this.start(id, publication, frame);
	}

	/** subscribe(): one packet for all the filters; resolves the granted QoS (`single`) or the return codes. */
	subscribe(filters: Data[], qos: number[], single: boolean): Promise<number | number[]> {
		const id = this.nextId();
		const frame = this.link.writer.subscribe(id, filters, qos);
		return this.start(id, new Subscription(filters, qos, single), frame);
	}

	/** unsubscribe(): one packet for all the filters. */
	unsubscribe(filters: Data[]): Promise<void> {
		const id = this.nextId();
		const frame = this.link.writer.unsubscribe(id, filters);
		return this.start(id, new Unsubscription(filters), frame);
	}

	private start<T>(id: number, operation: Operation & Waiting<T>, frame: Frame): Promise<T> {
		(this.#operations ??= new Map()).set(id, operation);
		const promise = new Promise<T>((resolve, reject) => {
			operation.resolve = resolve;
			operation.reject = reject;
		});
		this.link.sendOp(frame, operation);	// here, not in the executor: frames nest less deep
		return promise;
	}

	protected nextId(): number {
		// Nothing in flight (one operation at a time, the usual case): the id after the last, without nextPacketId's call.
		const last = this.lastId, operations = this.#operations;
		return this.lastId = operations === undefined && last < MAX_PACKET_ID ? last + 1 : nextPacketId(last, operations);
	}

	/**
	 * PUBACK, PUBREC, PUBCOMP, SUBACK or UNSUBACK. One that matches nothing in
	 * flight (late, or repeated) is ignored. True when PUBREL is due: after
	 * PUBREC (the caller sends it; the session sends it again at resume()).
	 */
	acknowledged(type: number, id: number, granted: number[]): boolean {
		const operations = this.#operations;
		const operation = operations?.get(id);
		if (operation === undefined)
			return false;
		switch (operation.kind) {
		case PUBLICATION:
			if (type === PUBREC && operation.qos === 2) {
				operation.stage = RELEASED;
				operation.sentAt = Time.ticks;	// PUBREL goes out now; PUBCOMP is awaited from here
				return true;
			}
			// PUBACK for a QoS 2 PUBLISH not yet past PUBREC: the broker took it at
			// QoS 1 (RabbitMQ's downgrade). It is delivered; nothing is resent.
			if ((type === PUBACK && operation.stage === SENT) || (type === PUBCOMP && operation.stage === RELEASED)) {
				operations!.delete(id);
				this.#publications--;
				operation.resolve?.();
			}
			break;
		case SUBSCRIPTION:
		case RESUBSCRIPTION:
			if (type !== SUBACK)
				break;
			if (granted.length !== operation.filters.length)
				throw new ProtocolError(`SUBACK carries ${granted.length} return codes for ${operation.filters.length} topics`);
			operations!.delete(id);
			this.remember(operation.filters, operation.qos, granted);
			if (operation.kind === SUBSCRIPTION) {
				if (operation.single && granted[0] === SUBACK_FAILURE)
					operation.reject!(new MQTTException(SUBACK_FAILURE));
				else
					operation.resolve!(operation.single ? granted[0] : granted);
			}
			break;
		case UNSUBSCRIPTION:
			if (type !== UNSUBACK)
				break;
			operations!.delete(id);
			for (const filter of operation.filters)
				this.#subscriptions?.delete(keyOf(filter));
			operation.resolve!();
		}
		if (operations!.size === 0)	// nothing in flight: an idle client keeps no empty map (the next operation makes one)
			this.#operations = undefined;
		return false;
	}

	/**
	 * The operation `id` leaves the session, its packet id free again: what
	 * waited for it (a resubscription: nobody), or undefined when nothing in
	 * flight has the id. MQTT 5's refusals end one so (mqtt/v5/protocol).
	 */
	take(id: number): { readonly reject?: ((error: Error) => void) | undefined } | undefined {
		const operation = this.#operations?.get(id);
		if (this.#operations?.delete(id) && operation!.kind === PUBLICATION)
			this.#publications--;
		return operation as Publication | undefined;	// the others, as far as `reject` goes (a resubscription has none)
	}

	/** Granted subscriptions, for a resubscription after a reconnect that found no session. */
	protected remember(filters: Data[], qos: number[], granted: number[]): void {
		if (!this.link.resubscribes && !this.durable)
			return;		// a durable session's may be made again after a reboot
		for (let i = 0; i < filters.length; i++)
			if (granted[i] < SUBACK_FAILURE)	// 3.1.1's failure, and every MQTT 5 failure code (0x80 and up)
				(this.#subscriptions ??= new Map()).set(keyOf(filters[i]), { filter: filters[i], qos: qos[i] });
	}

	// ---- the receiving side of QoS 2 [MQTT-4.3.3-2] ----

	/** A QoS 2 id accepted (its message given to the app, PUBREC due): until PUBREL, a PUBLISH with it is a duplicate. A store's record of it is returned (StoredSession). */
	accept(id: number): StoredDelivery | undefined {
		(this.#awaitingRelease ??= new Set()).add(id);
		return undefined;
	}

	/** The app's callback has returned for the accepted QoS 2 message `id` (a store marks its record; StoredSession). */
	delivered(id: number): void {}

	/** True while a PUBLISH with this id is a duplicate of a message accepted before. */
	accepted(id: number): boolean {
		return this.#awaitingRelease?.has(id) ?? false;
	}

	/** PUBREL: the id is free; a PUBLISH with it is a new message from now on. */
	release(id: number): void {
		const ids = this.#awaitingRelease;
		if (ids?.delete(id) && ids.size === 0)
			this.#awaitingRelease = undefined;
	}

	// ---- across connections ----

	/**
	 * After CONNACK: what the session holds goes out again, in its order.
	 * With the session present, each message with its id: PUBLISH (DUP when
	 * it had left) or PUBREL [MQTT-4.4.0-1]. Without it (the broker lost the
	 * session), the QoS 2 receive state goes, messages past PUBREC are
	 * complete (the broker owns them), and the rest go out as new messages
	 * under new ids [MQTT-3.1.2-4]. `reconnected`: the client's own reconnect,
	 * which subscribes again to what it had when no session was found.
	 */
	resume(sessionPresent: boolean, reconnected: boolean): void {
		// Frames are made here and handed on, not nested in calls: this runs
		// inside CONNACK's socket callback, the deepest path of a reconnect.
		const previous = this.#operations, link = this.link;
		this.#operations = undefined;
		if (!sessionPresent)
			this.#awaitingRelease = undefined;
		if (reconnected && (!sessionPresent || this.#resubscribeLost) && this.#subscriptions?.size) {
			// One SUBSCRIBE for all; under MQTT 5, one per group its link makes
			// (by Subscription Identifier). Each made in a call of its own,
			// before its frame: this frame keeps no more locals than with one
			// SUBSCRIBE (built inline here, the device's work under MQTT 5 no
			// longer ran on 192 slots: tests/mcsim-esp8266.test.js). An index,
			// not an iterator: less bytecode.
			const groups = link.resubscriptions?.(this.#subscriptions) ?? [this.#subscriptions];
			for (let i = 0; i < groups.length; i++) {
				const resubscription = resubscriptionOf(groups[i]), id = this.nextId();
				const frame = link.writer.subscribe(id, resubscription.filters, resubscription.qos);
				(this.#operations ??= new Map()).set(id, resubscription);
				link.sendOp(frame, resubscription);
			}
		}
		this.#resubscribeLost = false;
		if (!previous)
			return;
		for (let id of previous.keys()) {
			const operation = previous.get(id)!;
			if (!sessionPresent) {
				if (operation.kind === PUBLICATION) {
					if (operation.stage === RELEASED) {	// complete: the broker owns it
						this.#publications--;
						operation.resolve?.();
						continue;
					}
					operation.stage = QUEUED;
				}
				id = this.nextId();
			}
			if (operation.kind !== RESUBSCRIPTION)
				operation.sentAt = undefined;	// the deadline runs from its resend
			const frame = operation.frame(this, id);
			(this.#operations ??= new Map()).set(id, operation);
			link.sendOp(frame, operation);
		}
	}

	/**
	 * ackTimeout (ms) after the socket took all of its packet, a request the app
	 * waits for and the broker has not acknowledged rejects with an error that
	 * names it, and its packet id is free again; the connection stays. A
	 * publication with clean session 0 stays in the session with its id (the
	 * broker may hold that id for it), its rejection saying so: MQTT allows
	 * its resend only on the next connection [MQTT-4.4.0-1]. Returns the ms to
	 * the next deadline, or undefined when nothing is awaited.
	 */
	expire(timeout: number): number | undefined {
		const operations = this.#operations;
		const now = Time.ticks;
		let next: number | undefined;
		for (const [id, operation] of operations ?? []) {
			if (operation.kind === RESUBSCRIPTION || !operation.reject)
				continue;	// nobody waits for it
			const sentAt = operation.sentAt;
			const left = sentAt === undefined ? timeout : timeout - Time.delta(sentAt, now);	// not yet written whole: a full period
			if (left > 0) {
				if (next === undefined || left < next)
					next = left;
				continue;
			}
			const reject = operation.reject;
			operation.resolve = operation.reject = undefined;
			const error = `no ${awaited(operation)} for ${describeOperation(operation, id)} within ${timeout / 1000} s`;
			if (operation.kind === PUBLICATION && this.link.keepsSession) {
				reject(new Error(error + KEPT));
				continue;
			}
			this.take(id);
			reject(new Error(error));
		}
		return next;
	}

	/**
	 * The connection ended, by the broker or the network (`error`). Each QoS 2
	 * PUBLISH that awaited PUBREC counts it; one that has now seen QOS2_LOSSES
	 * connections end so is given up: it rejects and leaves the session.
	 * Returns the reason to report: `error`, saying what awaited PUBREC.
	 */
	lost(error: Error): Error {
		if (error instanceof ProtocolError)
			return error;	// the broker's fault has its own name
		const operations = this.#operations;
		let pending: string | undefined;
		for (const [id, operation] of operations ?? []) {
			if (operation.kind !== PUBLICATION || operation.qos !== 2 || operation.stage !== SENT)
				continue;
			const what = describeOperation(operation, id);
			pending ??= what;
			if (++operation.losses < QOS2_LOSSES)
				continue;
			this.take(id);
			const reject = operation.reject;
			operation.resolve = operation.reject = undefined;
			reject?.(new Error(`${what} given up: ${QOS2_LOSSES} connections ended while it awaited PUBREC${QOS2_REFUSED}`));
		}
		return pending === undefined ? error : new Error(`${error.message}, while ${pending} awaited PUBREC${QOS2_REFUSED}`);
	}

	/** The connection is gone and a reconnect will follow: everything waits for it, but the client's own resubscription, made again then. */
	suspend(): void {
		for (const [id, operation] of this.#operations ?? []) {
			if (operation.kind === RESUBSCRIPTION) {
				this.#operations!.delete(id);
				this.#resubscribeLost = true;
			}
		}
	}

	/** connect(true): nothing of the old session is sent or kept [MQTT-3.1.2-6]. */
	discard(): void {
		this.#operations = this.#awaitingRelease = this.#subscriptions = undefined;
		this.#publications = 0;
		this.#resubscribeLost = false;
	}

	/**
	 * The connection is over (disconnect(), or lost without reconnect). What
	 * waits for the broker rejects with `error`. With `keep` (clean session
	 * 0) the publications stay, their rejection saying so, and the QoS 2
	 * ids and the subscriptions too; without it the session is gone. True
	 * when the session lives on (kept).
	 */
	end(error: Error, keep: boolean): boolean {
		const operations = this.#operations;
		if (!keep)
			this.discard();
		if (!operations)
			return keep;
		const kept = keep ? keptError(error) : error;
		for (const [id, operation] of operations) {
			if (keep && operation.kind !== PUBLICATION)
				operations.delete(id);
			if (operation.kind === RESUBSCRIPTION)
				continue;
			const reject = operation.reject;
			operation.resolve = operation.reject = undefined;
			reject?.(operation.kind === PUBLICATION ? kept : error);
		}
		return keep;
	}
}

const KEPT = "; the message stays in the session and goes out again on the next connect(false) (connect(true) gives it up)";

/** The rejection of a publication that stays in the session: of the same class as `error`, saying so. */
function keptError(error: Error): Error {
	return error instanceof MQTTException ? new MQTTException(error.code, KEPT) : new Error(error.message + KEPT);
}

/** The acknowledgement an operation waits for. */
function awaited(operation: Publication | Subscription | Unsubscription): string {
	if (operation.kind === SUBSCRIPTION)
		return "SUBACK";
	if (operation.kind === UNSUBSCRIPTION)
		return "UNSUBACK";
	return operation.stage === RELEASED ? "PUBCOMP" : operation.qos === 1 ? "PUBACK" : "PUBREC";
}

/** What a request was, for an error: packet type, topic or filters, packet id. */
function describeOperation(operation: Publication | Subscription | Unsubscription, id: number): string {
	if (operation.kind === PUBLICATION)
		return `${operation.stage === RELEASED ? "PUBREL of " : ""}PUBLISH to ${quoted(operation.topic)} at QoS ${operation.qos} (packet id ${id})`;
	const filters = operation.filters.map(quoted).join(", ");
	return operation.kind === SUBSCRIPTION ? `SUBSCRIBE to ${filters} (packet id ${id})` : `UNSUBSCRIBE from ${filters} (packet id ${id})`;
}

function quoted(topic: Data): string {
	return JSON.stringify(keyOf(topic));
}

function keyOf(filter: Data): string {
	if (typeof filter === "string")
		return filter;
	const bytes = ArrayBuffer.isView(filter) ? new Uint8Array(filter.buffer, filter.byteOffset, filter.byteLength) : new Uint8Array(filter);
	return String.fromArrayBuffer(bytes.slice().buffer);
}

