import type { Data } from "mqtt/bytes";
import type { Frame, PacketWriter } from "mqtt/writer";
import type { Sendable } from "mqtt/outbox";
import type { StoredDelivery } from "mqtt/delivery";
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
export type Subscriptions = Map<string, {
    filter: Data;
    qos: number;
}>;
export declare class Session {
    #private;
    readonly link: SessionLink;
    /** True on a store's session (stored-session.ts, on its prototype): it outlives the client, and takes QoS 1/2 messages in any state. */
    readonly durable: true | undefined;
    protected lastId: number;
    constructor(link: SessionLink);
    /** QoS 1/2 messages the session holds: in flight, or waiting for a connection. */
    get publications(): number;
    /** Something the app awaits waits for the broker. */
    get appWaiting(): boolean;
    /** A QoS 1 or 2 publish: resolves on PUBACK or PUBCOMP. Argument errors throw before anything changes. */
    publish(topic: Data, payload: Data, qos: number, retain: boolean): Promise<void>;
    /** subscribe(): one packet for all the filters; resolves the granted QoS (`single`) or the return codes. */
    subscribe(filters: Data[], qos: number[], single: boolean): Promise<number | number[]>;
    /** unsubscribe(): one packet for all the filters. */
    unsubscribe(filters: Data[]): Promise<void>;
    private start;
    protected nextId(): number;
    /**
     * PUBACK, PUBREC, PUBCOMP, SUBACK or UNSUBACK. One that matches nothing in
     * flight (late, or repeated) is ignored. True when PUBREL is due: after
     * PUBREC (the caller sends it; the session sends it again at resume()).
     */
    acknowledged(type: number, id: number, granted: number[]): boolean;
    /**
     * The operation `id` leaves the session, its packet id free again: what
     * waited for it (a resubscription: nobody), or undefined when nothing in
     * flight has the id. MQTT 5's refusals end one so (mqtt/v5/protocol).
     */
    take(id: number): {
        readonly reject?: ((error: Error) => void) | undefined;
    } | undefined;
    /** Granted subscriptions, for a resubscription after a reconnect that found no session. */
    protected remember(filters: Data[], qos: number[], granted: number[]): void;
    /** A QoS 2 id accepted (its message given to the app, PUBREC due): until PUBREL, a PUBLISH with it is a duplicate. A store's record of it is returned (StoredSession). */
    accept(id: number): StoredDelivery | undefined;
    /** The app's callback has returned for the accepted QoS 2 message `id` (a store marks its record; StoredSession). */
    delivered(id: number): void;
    /** True while a PUBLISH with this id is a duplicate of a message accepted before. */
    accepted(id: number): boolean;
    /** PUBREL: the id is free; a PUBLISH with it is a new message from now on. */
    release(id: number): void;
    /**
     * After CONNACK: what the session holds goes out again, in its order.
     * With the session present, each message with its id: PUBLISH (DUP when
     * it had left) or PUBREL [MQTT-4.4.0-1]. Without it (the broker lost the
     * session), the QoS 2 receive state goes, messages past PUBREC are
     * complete (the broker owns them), and the rest go out as new messages
     * under new ids [MQTT-3.1.2-4]. `reconnected`: the client's own reconnect,
     * which subscribes again to what it had when no session was found.
     */
    resume(sessionPresent: boolean, reconnected: boolean): void;
    /**
     * ackTimeout (ms) after the socket took all of its packet, a request the app
     * waits for and the broker has not acknowledged rejects with an error that
     * names it, and its packet id is free again; the connection stays. A
     * publication with clean session 0 stays in the session with its id (the
     * broker may hold that id for it), its rejection saying so: MQTT allows
     * its resend only on the next connection [MQTT-4.4.0-1]. Returns the ms to
     * the next deadline, or undefined when nothing is awaited.
     */
    expire(timeout: number): number | undefined;
    /**
     * The connection ended, by the broker or the network (`error`). Each QoS 2
     * PUBLISH that awaited PUBREC counts it; one that has now seen QOS2_LOSSES
     * connections end so is given up: it rejects and leaves the session.
     * Returns the reason to report: `error`, saying what awaited PUBREC.
     */
    lost(error: Error): Error;
    /** The connection is gone and a reconnect will follow: everything waits for it, but the client's own resubscription, made again then. */
    suspend(): void;
    /** connect(true): nothing of the old session is sent or kept [MQTT-3.1.2-6]. */
    discard(): void;
    /**
     * The connection is over (disconnect(), or lost without reconnect). What
     * waits for the broker rejects with `error`. With `keep` (clean session
     * 0) the publications stay, their rejection saying so, and the QoS 2
     * ids and the subscriptions too; without it the session is gone. True
     * when the session lives on (kept).
     */
    end(error: Error, keep: boolean): boolean;
}
