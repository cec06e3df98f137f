import { Session, type SessionLink } from "mqtt/session";
import { LogStore, type Medium, type Found } from "mqtt/store";
import { type Data } from "mqtt/bytes";
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
    readonly settings: {
        readonly outgoingLimit: number;
    };
}
/**
 * The `store` option: a session kept on `medium`. Each client made with it
 * reads the medium again, as after a reboot. One client at a time.
 */
export declare class Store {
    readonly medium: Medium;
    readonly onComplete: ((topic: ArrayBuffer, msg: ArrayBuffer, error?: Error) => void) | undefined;
    /** A full store drops its oldest messages not in flight (whenFull "dropOldest"), rather than reject the new one. */
    readonly dropsOldest: boolean;
    /** The last session's log: its wear figures. */
    log: LogStore | undefined;
    constructor(medium: Medium, options?: StoreOptions);
    /** The client's session, restored from the medium. Throws when the store holds another client id's session. */
    session(link: StoredLink): Session;
}
export declare class StoredSession extends Session {
    #private;
    readonly link: StoredLink;
    constructor(link: StoredLink, store: Store, log: LogStore);
    /** A record the restore found (in the order written). */
    restored(found: Found): void;
    /**
     * A received QoS 2 id. Marked delivered (or written before keys were: no
     * body), its resend is a duplicate; not marked, the app may not have had
     * it: the resend is given again, with its key.
     */
    private restoredReceived;
    /**
     * The medium read: a new store is claimed for this client, one of another
     * client id refused; the subscriptions restored.
     */
    opened(log: LogStore): void;
    /** The store is this client's: refused when it holds another client id's session. */
    private claim;
    /** Stored messages are not counted against outgoingLimit: the store bounds them. */
    get publications(): number;
    /** Stored messages the broker has not completely acknowledged. */
    get stored(): number;
    /** A QoS 1/2 publish: resolves once the message is on flash; onComplete tells when the broker has it. */
    publish(topic: Data, payload: Data, qos: number, retain: boolean): Promise<void>;
    /**
     * The PUBLISH's record, written. A full store throws StoreFullError,
     * having changed nothing; with whenFull "dropOldest" it drops its oldest
     * messages not in flight until the record fits (not for a record larger
     * than a block: nothing dropped would make room for it).
     */
    private append;
    /**
     * The oldest stored message not in the window (in flight, or about to be)
     * is dead on flash, and the app told (onComplete, with a StoreFullError).
     * False when every stored message is in the window.
     */
    private dropOldest;
    protected nextId(): number;
    /**
     * Takes stored messages into the window, in order, while it has room, and
     * hands them on. One past PUBREC in a session the broker has since lost
     * is complete (the broker owns it): the app is told, after the loop.
     */
    private fill;
    /**
     * The window is filled and the app told of what completed in a turn of
     * their own, not inside the socket callback that brought the
     * acknowledgement or CONNACK: reading flash and the app's onComplete (which
     * may publish, and so write and erase) nest no deeper than a timer's
     * callback (an ESP8266 has 256 slots of stack).
     */
    private later;
    private inWindow;
    /** PUBREL past PUBREC; else the PUBLISH read back from flash, DUP set when it is a resend. */
    private frameOf;
    acknowledged(type: number, id: number, granted: number[]): boolean;
    /** The broker has the message: dead on flash, no longer counted; its packet when the app is to be told (tell()). */
    private finish;
    /** onComplete, with the message's topic and payload (and `error`, when it was not delivered). */
    private tell;
    /**
     * After CONNACK. With the session present, the window goes out again with
     * its ids (DUP 1 for what had left, and for what an earlier boot stored:
     * it may have left) and PUBREL past PUBREC [MQTT-4.4.0-1]. Without it,
     * messages past PUBREC are complete, the others go out as new messages
     * (DUP 0; their ids, which a new session does not know), the stored
     * subscriptions are made again and the received QoS 2 ids are forgotten.
     */
    resume(sessionPresent: boolean, reconnected: boolean): void;
    /**
     * The connection ended, by the broker or the network: as in the RAM
     * session, each stored QoS 2 message in flight that awaited PUBREC counts
     * it, and one that has seen QOS2_LOSSES connections end so is given up:
     * dead on flash, and the app told (onComplete, with the error). Returns
     * the reason to report, naming what awaited PUBREC.
     */
    lost(error: Error): Error;
    /**
     * A received QoS 2 message is given to the app: its id and key on flash
     * first, or, for the resend of one a reboot left unsure, its key as
     * written.
     */
    accept(id: number): StoredDelivery;
    /**
     * The app's callback has returned for a received QoS 2 message: marked so
     * on flash at once (by id: a copy forward moves a record), so that at most
     * one message, the one in the app's hands when the power went, is unsure.
     */
    delivered(id: number): void;
    release(id: number): void;
    /** connect(true): the store is emptied [MQTT-3.1.2-6]; it still belongs to this client. */
    discard(): void;
    /** The connection is over: what waits stays on flash, whatever the session's kind, until acknowledged or connect(true). */
    end(error: Error, keep: boolean): boolean;
    /** Granted subscriptions: kept for a resubscription, and on flash. */
    protected remember(filters: Data[], qos: number[], granted: number[]): void;
    unsubscribe(filters: Data[]): Promise<void>;
    private saveSubscriptions;
    /**
     * The subscriptions' record: its entries as they are, and the session's
     * for a resubscription (super.remember(), not this one's: a frame less
     * under new MQTTClient(), and nothing to write).
     */
    private restoreSubscriptions;
}
