import type { Data } from "mqtt/bytes";
import { PacketWriter, type Frame } from "mqtt/writer";
import { PacketParser, type Packet } from "mqtt/parser";
import { Connection, type ConnectionOwner, type SocketClass } from "mqtt/connection";
import { type Sendable } from "mqtt/outbox";
import { Session } from "mqtt/session";
import { Delivery, type Callback, type StoredDelivery } from "mqtt/delivery";
import { HANDLERS, connackAccepts, type Receiver } from "mqtt/handlers";
import { type Reconnect } from "mqtt/backoff";
import { type Failover } from "mqtt/endpoints";
import { MQTTException } from "mqtt/errors";
/** The options beyond the seed, checked; one frozen object, shared by every client that keeps the defaults. */
export interface Settings {
    readonly push: boolean;
    readonly queueLength: number;
    readonly maxPacketSize: number;
    readonly outgoingLimit: number;
    readonly ackTimeout: number;
    readonly reconnect: Reconnect | undefined;
    readonly onConnect: ((sessionPresent: boolean) => void) | undefined;
    readonly onDisconnect: ((reason: Error) => void) | undefined;
    readonly TLS: SocketClass | undefined;
    /** The client's options when they ask for MQTT 5 (`protocolVersion` 5 or "negotiate"): mqtt/v5/protocol reads them. */
    readonly mqtt5?: object;
}
/**
 * MQTT 5 as the link sees it: mqtt/v5/protocol's Protocol5, set once loaded
 * (the facade's connect()). Declared here, not imported: a 3.1.1 build has no
 * typings of mqtt/v5 (as with TLS_MODULE). Each member answers for the
 * attempt in progress, which negotiation may make a 3.1.1 one. Its other
 * hooks are overrides of a subclass of Link in mqtt/v5/protocol, which the
 * link of a client under 5 takes as its prototype: a 3.1.1 link carries none.
 */
export interface VersionHooks {
    /** A parser for a new connection. */
    parser(maxPacketSize: number): PacketParser;
    /** The first packet of a connection (connackAccepts' part). */
    readonly connack: typeof connackAccepts;
    /** The packet handlers of a connection that is up. */
    readonly handlers: typeof HANDLERS;
    /** publish() with MQTT 5 properties: the next PUBLISH written carries them (ignored under 3.1.1). */
    publishing(properties: object | undefined): void;
}
/** The `store` option (mqtt/stored-session's Store, over a medium): it makes the session that lives there. */
export interface SessionStore {
    session(link: Link): Session;
}
export declare const IDLE = 0, CONNECTING = 1, CONNECTED = 2, RECONNECTING = 3, DISCONNECTING = 4;
export declare class Link implements ConnectionOwner, Receiver {
    #private;
    server: string;
    port: number;
    /** The `servers` list, when it names more than one (endpoints.ts). */
    failover: Failover | undefined;
    readonly settings: Settings;
    /** The writer of the connection's version: MQTT 5's while one is tried or up (mqtt/v5/protocol sets it). */
    writer: PacketWriter;
    /**
     * MQTT 5, when the app asked for it (set by the facade at connect()).
     * Declared, not a field: a 3.1.1 client's link has no slot for it.
     */
    v5: VersionHooks | undefined;
    /**
     * CONNECT, encoded and checked when the client was made (and at
     * setLastWill): the client's only copy of its id, keep-alive, will and
     * credentials. connect() sets its clean-session flag.
     */
    connectPacket: ArrayBuffer;
    callback: Callback | undefined;
    state: number;
    connection: Connection | undefined;
    constructor(server: string, port: number, ssl: Record<string, unknown> | undefined, connectPacket: ArrayBuffer, callback: Callback | undefined, settings: Settings);
    get session(): Session | undefined;
    /** A store's session, made by the client with the link. */
    set session(session: Session | undefined);
    /** The session, made when it first holds something. */
    get openSession(): Session;
    get delivery(): Delivery;
    private get queue();
    get resubscribes(): boolean;
    get keepsSession(): boolean;
    get appWaiting(): boolean;
    /** publish, subscribe and unsubscribe are taken now, or kept for the reconnect. */
    get accepting(): boolean;
    /** Messages held for sending: QoS 0 waiting for the socket, QoS 1/2 not completely acknowledged. */
    get outgoing(): number;
    queueFull(): Error;
    notConnected(): Error;
    connect(cleanSession: boolean, timeout: number): Promise<0 | 1>;
    private get cleanSession();
    private setCleanSession;
    /** The keep-alive interval in seconds, as CONNECT carries it (after the flags). */
    protected get keepalive(): number;
    /** Resolves the name, opens the socket; CONNECT goes out in onOpen. Bounded by the connect timeout. */
    private open;
    /** The address is known: the socket opens, through TLS when asked (the TLS socket class is loaded first). */
    private reach;
    private loadTLS;
    private dial;
    onOpen(connection: Connection): void;
    /** CONNACK 0: the session is up. What the session holds goes out again; then what waited. False: the queue is full, reading waits. */
    private established;
    /**
     * CONNACK with a refusal: connect() rejects with it; a reconnect stops,
     * unless the broker is only unavailable for now (then, with a failover
     * list, the next server is tried: a refusal of this client would be the
     * cluster's, not one node's).
     */
    refused(code: number, error?: MQTTException, final?: boolean): void;
    /**
     * A connection attempt failed: the next server of the failover list is
     * tried (unless `final`), else the app's connect() rejects, or the next
     * reconnect is scheduled.
     */
    private attemptFailed;
    /** A walk of the failover list begins: its first server is tried first. */
    private beginWalk;
    /** The attempt at a server of the list failed: true when the walk has another, which is now the one tried. */
    private walkOn;
    private useServer;
    /**
     * The next attempt, in a timer's turn of its own (never nested in the
     * callback that saw the last one fail: an ESP8266 has 256 slots of stack):
     * at once for the next server of a walk, else after the backoff.
     */
    private scheduleReconnect;
    onPacket(connection: Connection, packet: Packet): boolean;
    onDrain(connection: Connection): void;
    private get sending();
    /**
     * The connection, when a packet may go straight out: sending allowed,
     * nothing queued, the socket free. A call of its own, not inline in
     * publish(): inlined (25 steps less a publish), the device's work no
     * longer ran with a stack of 192 slots (tests/mcsim-esp8266.test.js).
     */
    private sendsNow;
    /** A control packet (ack, ping): out now if it can go, else behind what waits. */
    send(frame: Frame): void;
    /** A tracked operation's packet: out when connected; otherwise the session sends it again at resume(). */
    sendOp(frame: Frame, op: Sendable): void;
    /**
     * A packet nobody awaits the writing of: to the socket now when it can go
     * (nothing waits, the socket free) without making a send queue, so that
     * traffic written at once leaves none behind; else behind what waits.
     */
    private hand;
    /**
     * The acknowledgement deadlines: the session rejects what is overdue; the
     * timer runs while anything is awaited. It carries its link instead of a
     * closure: what it holds until its deadline is the timer alone.
     */
    private awaitAcks;
    /** PUBACK, PUBREC, PUBREL or PUBCOMP, when connected. */
    acknowledge(type: number, id: number): boolean;
    /** A packet other than PUBLISH: a waiting waitMsg/checkMsg resolves its first byte (PINGRESP: undefined). */
    answer(first: number | undefined): void;
    accepted(id: number): boolean;
    accept(id: number): StoredDelivery | undefined;
    delivered(id: number): void;
    sendPing(): void;
    dead(silence: number): void;
    failed(error: Error): void;
    /**
     * A QoS 0 publish: resolves once handed to the socket. The hot path: a
     * packet that goes out at once allocates nothing more. One that must wait
     * counts against outgoingLimit.
     */
    publish(topic: Data, msg: Data, retain: boolean): Promise<void>;
    /** Resolves once PINGREQ is handed to the socket. */
    ping(): Promise<void>;
    /** The queue has room again: read on, in a turn of its own (never inside the app's call). */
    resumeReading(): void;
    onClose(connection: Connection, error: Error): void;
    /** Closes a connection for a fault the client found (a dead keep-alive). */
    private fail;
    /** The connection was up and is gone. With reconnect, what is in flight waits; else everything rejects. */
    private lost;
    /** Writes DISCONNECT after what is already queued, closes the socket; what waited for the broker rejects. */
    disconnect(): Promise<void>;
    /** Back to IDLE: every Promise still pending rejects with `error`; no timer or socket is left. */
    private shutdown;
    /** What only the connection that was up had stops: keep-alive, the acknowledgement deadline. */
    protected stopKeepAlive(): void;
    /** An app hook; its exception goes on to the host, as any callback's would. */
    private hook;
}
