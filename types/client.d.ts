import { type Data } from "mqtt/bytes";
import { type SocketClass } from "mqtt/connection";
import { type ReconnectOptions } from "mqtt/backoff";
export type Callback = (topic: ArrayBuffer, msg: ArrayBuffer) => void;
export interface ClientOptions {
    clientId: Data;
    server: string;
    /** 1883, or 8883 with TLS. */
    port?: number;
    /** TLS when given (`{}` for defaults): the `secure` options of the SDK's TLS socket. */
    ssl?: Record<string, unknown> | null;
    user?: Data;
    password?: Data;
    /** Seconds; 0 disables. When > 0 the client pings by itself. */
    keepalive?: number;
    callback?: Callback;
    /** Received messages held for waitMsg/checkMsg (default 8). When full, reading stops. */
    queueLength?: number;
    /** Largest packet accepted from the broker, in bytes (default 65,536). */
    maxPacketSize?: number;
    /** Deliver each message to the callback as it arrives (default false: on waitMsg/checkMsg). */
    push?: boolean;
    /** Reconnect after a lost connection (default false), with jittered exponential backoff. */
    reconnect?: boolean | ReconnectOptions;
    /** Messages that may wait to be handed to the socket (default 32); past it, publish rejects. */
    outgoingLimit?: number;
    onConnect?: (sessionPresent: boolean) => void;
    onDisconnect?: (reason: Error) => void;
    /** The TLS socket class; by default `embedded:io/socket/tcp/tls`, loaded only when TLS is used. */
    TLS?: SocketClass;
}
export declare class MQTTClient {
    #private;
    constructor(clientId: Data, server: string, port?: number, sslParams?: Record<string, unknown> | null, user?: Data, password?: Data, keepalive?: number, callback?: Callback);
    constructor(options: ClientOptions);
    /** True while a connection to the broker is up (CONNACK received). */
    get connected(): boolean;
    setCallback(callback: Callback): void;
    setLastWill(topic: Data, msg: Data, retain?: boolean, qos?: number): void;
    /** Resolves the session-present flag (0 or 1) once the broker accepts the connection. */
    connect(cleanSession?: boolean, timeout?: number): Promise<0 | 1>;
    /** Writes DISCONNECT after what is already queued, closes the socket; what waited for the broker rejects. */
    disconnect(): Promise<void>;
    /** Resolves once PINGREQ is handed to the socket. */
    ping(): Promise<void>;
    /**
     * QoS 0 resolves once the packet is handed to the socket, QoS 1 on PUBACK,
     * QoS 2 on PUBCOMP. The payload's memory is sent as it is: do not change it
     * before the Promise settles.
     */
    publish(topic: Data, msg: Data, retain?: boolean, qos?: number): Promise<void>;
    /**
     * Resolves the granted QoS, or rejects MQTTException(0x80) when the broker
     * refuses. Given an array of topics (and of QoS), one SUBSCRIBE carries them
     * all and it resolves the array of return codes.
     */
    subscribe(topic: Data | Data[], qos?: number | number[]): Promise<number | number[]>;
    /** Resolves on UNSUBACK. An array unsubscribes from several topics in one packet. */
    unsubscribe(topic: Data | Data[]): Promise<void>;
    /**
     * Processes one incoming packet: a PUBLISH goes to the callback and resolves
     * its first byte; PINGRESP resolves undefined; any other packet resolves its
     * first byte. Messages already queued come first.
     */
    waitMsg(): Promise<number | undefined>;
    /** As waitMsg, but waits at most about 50 ms; undefined when nothing came. */
    checkMsg(): Promise<number | undefined>;
}
