import type { Packet } from "mqtt/parser";
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
export declare class Delivery {
    #private;
    constructor(link: DeliveryLink, capacity: number, push: boolean);
    get full(): boolean;
    /**
     * A PUBLISH arrived. Delivered now to a waiting waitMsg/checkMsg or in push
     * mode; otherwise queued. A copy of a message the app already accepted
     * (QoS 2, until PUBREL) or that still waits in the queue is not delivered
     * again [MQTT-4.3.3-2]. Returns false to stop reading: the queue is full.
     * When it is full while the app awaits an acknowledgement, the oldest
     * message goes to the callback instead, as the seed's blocking wait would
     * have delivered it, so that the acknowledgement can arrive.
     */
    received(packet: Packet): boolean;
    /** A packet other than PUBLISH arrived: a waiting waitMsg/checkMsg resolves its first byte (PINGRESP: undefined). */
    other(first: number | undefined): void;
    /** waitMsg (briefly false) and checkMsg (briefly true). `closed`: no packet can come. */
    wait(briefly: boolean, closed: Error | undefined): Promise<number | undefined>;
    /**
     * A new connection. With the session present, what waits in the queue is
     * the broker's to resend: a resend is not delivered twice. Without it,
     * queued messages are no longer to be acknowledged, and nothing is resent.
     */
    reconnected(sessionPresent: boolean): void;
    /** The connection is over: what waits rejects; queued messages go unacknowledged (the broker keeps them). */
    end(error: Error): void;
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
    private again;
    private deliverOldest;
    /**
     * Calls the callback (a QoS 2 id accepted before, until PUBREL), then
     * acknowledges (QoS 1: PUBACK; QoS 2: PUBREC), then settles a waiter with
     * the first byte. The message is acknowledged even when the callback throws: the
     * app had it, and a client acknowledges whatever it does with a message
     * [MQTT-4.5.0-2]. The exception then rejects the waiter, or without a
     * waiter (push mode) goes on to the host, as any callback's would.
     */
    private deliver;
}
