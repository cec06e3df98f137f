import type { PacketParser, Packet } from "mqtt/parser";
import type { Frame } from "mqtt/writer";
/** The ECMA-419 socket surface the connection uses (TCP, or the SDK's TLS socket). */
export interface Socket {
    read(): ArrayBuffer | undefined;
    write(buffer: Uint8Array): unknown;
    close(): unknown;
}
export type SocketClass = new (options: Record<string, unknown>) => Socket;
/** Where to connect: an address already resolved, and for TLS its socket class and `secure` options. */
export interface Endpoint {
    address: string;
    TLS?: SocketClass | undefined;
    secure?: Record<string, unknown> | undefined;
}
/** What a connection tells its owner. */
export interface ConnectionOwner {
    /** What the user named, for messages and SNI. */
    readonly server: string;
    readonly port: number;
    /** The socket is connected and writable. */
    onOpen(connection: Connection): void;
    /** A packet arrived. Return false to stop reading until resume(). */
    onPacket(connection: Connection, packet: Packet): boolean;
    /** The connection is over, by the network or by a fault. Not called after close(). */
    onClose(connection: Connection, error: Error): void;
    /** The frame in progress is fully written; the owner may send the next. */
    onDrain(connection: Connection): void;
}
export declare class Connection {
    #private;
    /**
     * True when nothing is being written and the socket is open: a send()
     * would start at once. A field the connection keeps, not a getter: each
     * publish and acknowledgement asks, and a getter is a call.
     */
    idle: boolean;
    /** Time.ticks of the last write and of the last arrival, kept only when the keep-alive reads them. */
    lastSend: number;
    lastReceive: number;
    /**
     * `parser`: a new one, for this connection alone; the caller makes it, so
     * that its construction does not nest inside this constructor's frame
     * (each outer name a function uses is a stack slot of its frame, and this
     * one uses many; an ESP8266 has 256 slots of stack).
     * `clocked`: keep lastSend and lastReceive (a keep-alive reads them); else the hot paths skip the clock.
     */
    constructor(owner: ConnectionOwner, endpoint: Endpoint, parser: PacketParser, clocked: boolean);
    /** Reading stopped at the owner's request. */
    get paused(): boolean;
    /** Unread bytes wait in the socket: the broker is alive, the client is just not reading. */
    get backlog(): boolean;
    /**
     * Writes a frame. True when it was handed to the socket whole; otherwise
     * the rest follows on onWritable, and the owner hears onDrain when it is
     * all written (the frame is kept until then: each is the writer's own).
     * Call only when `idle`: the outbox sees to it.
     */
    send(frame: Frame): boolean;
    /**
     * A four-byte packet (an acknowledgement: `first`, length 2, `id`) from a
     * buffer the connection keeps: a socket write copies what it is given, so
     * one buffer serves every acknowledgement, and a PUBACK allocates nothing.
     * True when it is handled (written whole, or the connection failed);
     * false when the socket is busy or too full for it: then send() a frame.
     */
    sendAck(first: number, id: number): boolean;
    /** Starts reading again after onPacket returned false. */
    resume(): void;
    /** Closes the socket; no callback follows. The frame in progress is abandoned. */
    close(): void;
    /**
     * Writes as much of the frame in progress as the window allows. After
     * each write, what the socket says it takes next is the new window: the
     * TCP socket returns it exactly; the SDK's TLS socket returns its TCP room
     * less 32, while the next record may cost more (TLS_RECORD_RESERVE).
     */
    private continue;
    private onWritable;
    /**
     * `count` bytes are readable (`arrived`: newly, not a resume). Everything
     * read is parsed, then more read, until paused or nothing is left. One
     * method, not two: the receive path is the deepest (an ESP8266 has 256
     * slots of stack).
     */
    private onReadable;
    /**
     * The socket refused a write (the SDK's TLS socket throws once its
     * session failed, or after an alert): the connection is over. The owner
     * hears it in a turn of its own, never from inside the send that was
     * under way; nothing more is written meanwhile.
     */
    private writeFailed;
    /**
     * What a socket callback caught. A protocol error closes the connection
     * with its name; the app's own exception goes on to the host (as any
     * callback's would); anything else is the library's fault, and closes the
     * connection saying so rather than aborting the app.
     */
    private fault;
    /** The TLS layer threw: the handshake failed (a bad certificate, an alert) or a record was bad. */
    private onTLSFault;
    private onError;
    private where;
    private fail;
}
