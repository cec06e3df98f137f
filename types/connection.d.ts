import { type Packet } from "mqtt/parser";
import type { Frame } from "mqtt/writer";
/** The ECMA-419 socket surface the connection uses (TCP, or the SDK's TLS socket). */
export interface Socket {
    read(buffer: Uint8Array): unknown;
    write(buffer: Uint8Array): unknown;
    close(): unknown;
}
export type SocketClass = new (options: Record<string, unknown>) => Socket;
export interface Endpoint {
    /** What the user named (for messages and SNI) and where it resolved to. */
    host: string;
    address: string;
    port: number;
    /** The TLS socket class and its `secure` options; absent for plain TCP. */
    TLS?: SocketClass | undefined;
    secure?: Record<string, unknown> | undefined;
}
/**
 * What a connection tells its owner, as one object of functions shared by
 * every connection (no closure per connection), each called with the owner.
 */
export interface ConnectionEvents<Owner> {
    /** The socket is connected and writable. */
    onOpen(owner: Owner, connection: Connection): void;
    /** A packet arrived. Return false to stop reading until resume(). */
    onPacket(owner: Owner, connection: Connection, packet: Packet): boolean;
    /** The connection is over, by the network or by a protocol error. Not called after close(). */
    onClose(owner: Owner, connection: Connection, error: Error): void;
    /** The frame in progress is fully written; the owner may send the next. */
    onDrain(owner: Owner, connection: Connection): void;
}
export declare class Connection {
    #private;
    /** Time.ticks of the last write and of the last arrival, kept only for the keep-alive, which reads them. */
    lastSend: number;
    lastReceive: number;
    /** `clocked`: keep lastSend and lastReceive (a keep-alive reads them); else the hot paths skip the clock. */
    constructor(endpoint: Endpoint, events: ConnectionEvents<any>, owner: unknown, maxPacketSize: number, readBufferSize: number, clocked: boolean);
    /** True when nothing is being written: a send() would start at once. */
    get idle(): boolean;
    /** Reading stopped at the owner's request. */
    get paused(): boolean;
    /** Unread bytes wait in the socket. */
    get backlog(): boolean;
    /**
     * Writes a frame (the writer's, consumed before this returns). True when it
     * was handed to the socket whole; otherwise the rest follows on onWritable,
     * and the owner hears onDrain when it is all written. Call only when
     * `idle`: the outbox sees to it, so it is not checked again here.
     */
    send(frame: Frame): boolean;
    /** Starts reading again after onPacket returned false. */
    resume(): void;
    /** Closes the socket; no callback follows. The frame in progress is abandoned. */
    close(): void;
}
