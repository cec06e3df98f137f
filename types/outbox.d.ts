import type { Connection } from "mqtt/connection";
import type { Frame } from "mqtt/writer";
/** A Promise's two ends. */
export interface Settle {
    resolve(value?: any): void;
    reject(error: Error): void;
}
export declare const WAITING = 0, SENT = 1, RELEASED = 2;
export interface Tracked {
    state: number;
}
export interface Outgoing {
    head: Uint8Array;
    body: Uint8Array | undefined;
    settle: Settle | undefined;
    tracked: Tracked | undefined;
    message: boolean;
}
export declare class Outbox {
    #private;
    /** Publishes not yet handed to a socket. */
    get messages(): number;
    /** Nothing waits and nothing is being written: a packet may go straight out. */
    get clear(): boolean;
    /**
     * Hands `frame` to `connection` when it is given, free, and nothing waits;
     * otherwise queues it. Returns true when it was written whole at once (then
     * `settle` is not kept: the caller knows).
     */
    add(connection: Connection | undefined, frame: Frame, settle: Settle | undefined, tracked: Tracked | undefined, message: boolean): boolean;
    /**
     * A publish the caller began writing itself (the hot path, with the outbox
     * clear): the connection writes the rest; `written` settles it.
     */
    begun(settle: Settle): void;
    /** Queues an item made elsewhere (its head already a copy), at the end. */
    push(item: Outgoing): void;
    /** The packet in progress is written (the connection's onDrain); then what waits goes out. */
    written(connection: Connection): void;
    /** Sends what waits while the socket takes it. */
    flush(connection: Connection): void;
    /**
     * The connection is gone. The packet in progress fails. What waits is
     * taken out: the items `keep` accepts stay, in order; the others fail.
     */
    lose(error: Error, keep: (item: Outgoing) => boolean): void;
    /** Removes the waiting items `match` picks, unsettled (tracked operations, settled by their owner). */
    remove(match: (item: Outgoing) => boolean): void;
    /** Takes every waiting item out (to rebuild the queue after a reconnect). */
    take(): Outgoing[];
}
