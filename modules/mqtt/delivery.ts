// Received messages on their way to the app: the bounded queue that waits for
// waitMsg/checkMsg, the calls waiting for a packet, and push mode.
//
// A QoS 1 or 2 message is acknowledged (PUBACK, PUBREC) only once the app has
// it: the callback returned. Until then it is not the client's to lose: when
// the connection ends, a message still queued goes unacknowledged and the
// broker sends it again in the same session. The queue is bounded: when it
// is full the client stops reading the socket and TCP holds the broker back.
import Timer from "timer";
import { PUBLISH, PUBACK, PUBREC } from "mqtt/constants";
import type { Packet } from "mqtt/parser";
import type { Settle } from "mqtt/outbox";
import { fromApp } from "mqtt/errors";
import type { ReceivedPublishProperties } from "mqtt/client";

/** `properties`: under MQTT 5, the PUBLISH's. `delivery`: a QoS 2 message's, when the session is on flash (a `store`). */
export type Callback = (topic: ArrayBuffer, msg: ArrayBuffer, properties?: ReceivedPublishProperties, delivery?: StoredDelivery) => void;

/**
 * What the callback's fourth argument tells of a QoS 2 message when the
 * session is on flash: exactly once across a power loss needs the app's
 * part. The client writes the message's id and `key` before the callback
 * runs and marks it delivered when the callback returns; if the power goes
 * in between, the broker's resend after the reboot is given to the app
 * again, with the same `key` and `again` true (only that one message: the
 * others were marked). An app that records each message's key in the same
 * write as its own work on it skips a message given `again` whose key is
 * the last it had recorded when it started: it had it before the power went.
 */
export interface StoredDelivery {
	/** The message's own number in this store, the same when it is given again; larger for each newer message. */
	readonly key: number;
	/** The power went while the app had this message, before or after its work on it: the key the app last recorded before this boot says which. */
	readonly again: boolean;
}

/** What delivery needs from the link it rides on. */
export interface DeliveryLink {
	readonly callback: Callback | undefined;
	/** Sends an acknowledgement now if connected; false when it cannot go (the broker will send again). */
	acknowledge(type: number, id: number): boolean;
	/** QoS 2 ids accepted and not yet released (the session's). */
	accepted(id: number): boolean;
	/** A QoS 2 id accepted, before its message goes to the app: a store's record of it, if any. */
	accept(id: number): StoredDelivery | undefined;
	/** The app's callback has returned for an accepted QoS 2 message that a store records. */
	delivered(id: number): void;
	/** An operation of the app waits for the broker: a full queue must not hold its acknowledgement back. */
	readonly appWaiting: boolean;
	/** The queue has room again: read on, in a turn of its own. */
	resumeReading(): void;
}

/**
 * A message as the parser gives it, or waiting in the queue. `id` is 0 when
 * nothing is to be acknowledged (QoS 0, or a session gone); `carried`: it
 * came on an earlier connection of the session and the broker's resend of
 * it has not come yet on this one.
 */
interface Message {
	readonly topic: ArrayBuffer;
	readonly payload: ArrayBuffer;
	readonly flags: number;	// the QoS is read from them
	id: number;
	carried?: boolean;
	/** MQTT 5: the PUBLISH's properties (the 3.1.1 parser has none). */
	readonly properties?: ReceivedPublishProperties;
}

interface Waiter extends Settle {
	timer: Timer | undefined;
}

const CHECK_MSG_WAIT = 50;	// ms, as the seed's select() in check_msg
const NOTHING = Symbol();	// no exception was thrown (an app may throw undefined)

export class Delivery {
	readonly #link: DeliveryLink;
	readonly #capacity: number;
	readonly #push: boolean;
	#queue: Message[] | undefined;
	#waiters: Waiter[] | undefined;
	// QoS 1 ids of messages the app already has and the client has not yet
	// acknowledged, because the broker is bound to send them again: delivered
	// while no connection was up, or from the queue of an earlier connection
	// before the broker's resend came [MQTT-4.4.0-1]. The resend gets the
	// PUBACK and is not delivered again. (After a PUBACK, the same id is a
	// new message whatever its DUP flag [MQTT-4.3.2-2]: hence no PUBACK first.)
	#unacknowledged: Set<number> | undefined;

	constructor(link: DeliveryLink, capacity: number, push: boolean) {
		this.#link = link;
		this.#capacity = capacity;
		this.#push = push;
	}

	get full(): boolean { return (this.#queue?.length ?? 0) >= this.#capacity; }

	/**
	 * A PUBLISH arrived. Delivered now to a waiting waitMsg/checkMsg or in push
	 * mode; otherwise queued. A copy of a message the app already accepted
	 * (QoS 2, until PUBREL) or that still waits in the queue is not delivered
	 * again [MQTT-4.3.3-2]. Returns false to stop reading: the queue is full.
	 * When it is full while the app awaits an acknowledgement, the oldest
	 * message goes to the callback instead, as the seed's blocking wait would
	 * have delivered it, so that the acknowledgement can arrive.
	 */
	received(packet: Packet): boolean {
		const qos = (packet.flags >> 1) & 3;	// not the getter: a call less
		// The usual message, QoS 0 in push mode with no waitMsg/checkMsg
		// pending: to the callback here, as deliver() would give it (nothing
		// to acknowledge, no waiter), one call less.
		if (this.#push && qos === 0 && !this.#waiters?.length) {
			const callback = this.#link.callback;
			if (callback) {
				try {
					callback(packet.topic, packet.payload, (packet as Message).properties);
				}
				catch (error) {
					throw fromApp(error);
				}
			}
			return true;
		}
		// A QoS 1 message can be a copy only of one queued or delivered
		// unacknowledged: with neither, again() is not called at all.
		if (qos !== 0 && (qos === 2 || this.#queue !== undefined || this.#unacknowledged !== undefined) && this.again(qos, packet.id))
			return true;
		const waiter = this.#waiters?.shift();
		if (waiter || this.#push) {
			if (waiter?.timer !== undefined)	// checkMsg's; waitMsg has none
				Timer.clear(waiter.timer);
			this.deliver(packet, waiter);
			return true;
		}
		const queue = this.#queue ??= [];
		queue.push({ topic: packet.topic, payload: packet.payload, flags: packet.flags, id: packet.id, properties: (packet as Message).properties });
		if (queue.length < this.#capacity)
			return true;
		if (!this.#link.appWaiting)
			return false;
		this.deliverOldest(undefined);
		return true;
	}

	/** A packet other than PUBLISH arrived: a waiting waitMsg/checkMsg resolves its first byte (PINGRESP: undefined). */
	other(first: number | undefined): void {
		const waiter = this.#waiters?.shift();
		if (waiter) {
			Timer.clear(waiter.timer);
			waiter.resolve(first);
		}
	}

	/** waitMsg (briefly false) and checkMsg (briefly true). `closed`: no packet can come. */
	wait(briefly: boolean, closed: Error | undefined): Promise<number | undefined> {
		if (this.#queue?.length) {
			let waiter!: Settle;
			const delivered = new Promise<number | undefined>((resolve, reject) => { waiter = { resolve, reject }; });
			this.deliverOldest(waiter);	// outside the executor: frames nest less deep (an ESP8266 has 256 slots of stack)
			this.#link.resumeReading();
			return delivered;
		}
		if (closed)
			return Promise.reject(closed);
		return new Promise((resolve, reject) => {
			const waiter: Waiter = { resolve, reject, timer: undefined };
			if (briefly)
				waiter.timer = Timer.set(() => {
					const waiters = this.#waiters!, index = waiters.indexOf(waiter);
					if (index >= 0)
						waiters.splice(index, 1);
					resolve(undefined);
				}, CHECK_MSG_WAIT);
			(this.#waiters ??= []).push(waiter);
		});
	}

	/**
	 * A new connection. With the session present, what waits in the queue is
	 * the broker's to resend: a resend is not delivered twice. Without it,
	 * queued messages are no longer to be acknowledged, and nothing is resent.
	 */
	reconnected(sessionPresent: boolean): void {
		if (!sessionPresent)
			this.#unacknowledged = undefined;
		for (const message of this.#queue ?? []) {
			if (sessionPresent)
				message.carried = true;
			else
				message.id = 0;
		}
	}

	/** The connection is over: what waits rejects; queued messages go unacknowledged (the broker keeps them). */
	end(error: Error): void {
		const waiters = this.#waiters;
		this.#waiters = this.#queue = this.#unacknowledged = undefined;
		for (const waiter of waiters ?? []) {
			Timer.clear(waiter.timer);
			waiter.reject(error);
		}
	}

	/**
	 * A QoS 1 or 2 PUBLISH the app already has, answered here and not
	 * delivered again: a QoS 2 message accepted and not yet released (PUBREC
	 * again); the resend of a queued message (which then no longer awaits
	 * it); the resend of a QoS 1 message delivered unacknowledged (its PUBACK
	 * now). An id not yet acknowledged is still its message's: the broker
	 * may not give it to another [MQTT-2.3.1-4], and only after the PUBACK
	 * is a PUBLISH with it new [MQTT-4.3.2-2] (tests/session.test.js, "still
	 * in the queue").
	 */
	private again(qos: number, id: number): boolean {
		const link = this.#link;
		if (qos === 2 && link.accepted(id)) {
			link.acknowledge(PUBREC, id);
			return true;
		}
		const queue = this.#queue;
		if (queue !== undefined)
			for (let i = 0; i < queue.length; i++)
				if (queue[i].id === id) {
					queue[i].carried = false;
					return true;
				}
		if (qos === 1 && this.#unacknowledged?.delete(id)) {
			link.acknowledge(PUBACK, id);
			return true;
		}
		return false;
	}

	private deliverOldest(waiter: Settle | undefined): void {
		const queue = this.#queue!;
		const message = queue.shift()!;
		if (queue.length === 0)
			this.#queue = undefined;
		this.deliver(message, waiter);
	}

	/**
	 * Calls the callback (a QoS 2 id accepted before, until PUBREL), then
	 * acknowledges (QoS 1: PUBACK; QoS 2: PUBREC), then settles a waiter with
	 * the first byte. The message is acknowledged even when the callback throws: the
	 * app had it, and a client acknowledges whatever it does with a message
	 * [MQTT-4.5.0-2]. The exception then rejects the waiter, or without a
	 * waiter (push mode) goes on to the host, as any callback's would.
	 */
	private deliver(message: Message, waiter: Settle | undefined): void {
		const link = this.#link, callback = link.callback, id = message.id;
		// QoS 2 (from the flags: the parser's qos is a getter, a call) is
		// accepted before the callback runs: a store has the id on flash
		// first, and tells the app what a power loss may give it again.
		const exactly = id !== 0 && (message.flags & 0x06) === 0x04;
		const delivery = exactly ? link.accept(id) : undefined;
		let thrown: unknown = NOTHING;
		if (callback) {
			try {
				callback(message.topic, message.payload, message.properties, delivery);
			}
			catch (error) {
				thrown = error;
			}
		}
		if (exactly) {
			if (delivery)
				link.delivered(id);
			link.acknowledge(PUBREC, id);
		}
		else if (id && (message.carried || !link.acknowledge(PUBACK, id)))
			(this.#unacknowledged ??= new Set()).add(id);
		if (thrown === NOTHING)
			waiter?.resolve((PUBLISH << 4) | message.flags);
		else if (waiter)
			waiter.reject(thrown as Error);
		else
			throw fromApp(thrown);
	}
}
