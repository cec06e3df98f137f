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
    settle: Settle | undefined;
    op: Sendable | undefined;
    message: boolean;
}
export declare class Outbox {
    #private;
    /** QoS 0 publishes not yet handed to a socket. */
    get messages(): number;
    /** Nothing waits and nothing is being written: a packet may go straight out. */
    get clear(): boolean;
    /**
     * Hands `frame` to `connection` when one is given, free, and nothing
     * waits; otherwise queues it. Returns true when it was written whole at
     * once (then `settle` is not kept: the caller knows).
     */
    add(connection: Connection | undefined, frame: Frame, settle: Settle | undefined, op: Sendable | undefined, message: boolean): boolean;
    /**
     * A packet the caller began writing itself, with the outbox clear (a QoS 0
     * publish, a tracked operation's packet, a control packet): the
     * connection writes the rest; `written` settles it, or tells `op`.
     */
    begun(settle: Settle | undefined, op: Sendable | undefined, message: boolean): void;
    /** The packet in progress is written (the connection's onDrain); then what waits goes out. */
    written(connection: Connection): void;
    /** Sends what waits while the socket takes it. */
    flush(connection: Connection): void;
    /**
     * The connection is gone. The packet in progress fails; of what waits, the
     * QoS 0 publishes stay when `keepMessages` (a reconnect will send them),
     * the rest fails. Packets of tracked operations are dropped unsettled:
     * their session sends them again.
     */
    lose(error: Error, keepMessages: boolean): void;
    /** Takes every waiting item out, in order (to let the session's resend go first after a reconnect). */
    take(): Outgoing[] | undefined;
    /** Queues what take() took, behind what is queued now. */
    restore(items: Outgoing[]): void;
    /** Drops the waiting packets of tracked operations, unsettled: their session has them. */
    dropOps(): void;
    private hand;
    private done;
    private fail;
}
