import { type Data } from "mqtt/bytes";
import type { SocketClass } from "mqtt/connection";
import type { Callback, StoredDelivery } from "mqtt/delivery";
import { type SessionStore } from "mqtt/link";
import { type ReconnectOptions } from "mqtt/backoff";
import type { TLSOptions } from "mqtt/tls-options";
import { type ServerOptions } from "mqtt/endpoints";
export type { Callback, StoredDelivery, ServerOptions };
/** The constructor's options, by name: the seed's arguments and what is beyond the seed. */
export interface ClientOptions {
    /** The client id; empty only with `connect(true)` (MQTT 3.1.1, 3.1.3-7). */
    clientId: Data;
    /** The broker: a host name or an IPv4 address. Or give `servers`. */
    server?: string;
    /**
     * Instead of `server`: brokers in the order of preference (the nodes of a
     * cluster), for failover. connect() and each reconnection try them in
     * order from the first; the first that accepts is kept until its
     * connection is lost. Each server's `port` and `ssl` default to the
     * client's.
     */
    servers?: ServerOptions[];
    /** 1883, or 8883 with TLS. */
    port?: number;
    /** TLS when given (`{}` for defaults): the `secure` options of the SDK's TLS socket. */
    ssl?: TLSOptions | null;
    /** User name, sent in CONNECT; needs `password`. */
    user?: Data;
    /** Password, sent in CONNECT; needs `user`. Never appears in an error message. */
    password?: Data;
    /** Seconds; 0 disables. When > 0 the client pings by itself, and finds a silent link within 1.25 intervals. */
    keepalive?: number;
    /** Receives the messages of the subscriptions; `setCallback` sets it too. */
    callback?: Callback;
    /** Received messages held for waitMsg/checkMsg (default 8). When full, reading stops. */
    queueLength?: number;
    /** Largest packet accepted from the broker, in bytes (default 65,536). */
    maxPacketSize?: number;
    /** Deliver each message to the callback as it arrives (default false: on waitMsg/checkMsg). */
    push?: boolean;
    /** Reconnect after a lost connection (default false), with jittered exponential backoff. */
    reconnect?: boolean | ReconnectOptions;
    /** Messages held for sending (default 32): QoS 0 waiting for the socket, QoS 1/2 until acknowledged. Past it, publish rejects. */
    outgoingLimit?: number;
    /**
     * Milliseconds a QoS 1/2 publish, subscribe or unsubscribe waits for its
     * acknowledgement once the socket took all of its packet (default 30,000; 0:
     * as long as the connection lasts). Then it rejects, naming what was not
     * acknowledged, and the connection stays.
     */
    ackTimeout?: number;
    /** Called on each CONNACK that accepts the connection (also after a reconnect), with its session-present flag. */
    onConnect?: (sessionPresent: boolean) => void;
    /** Called when a connection that was up is lost (or a reconnection is refused), with the reason. */
    onDisconnect?: (reason: Error) => void;
    /** The TLS socket class; by default `embedded:io/socket/tcp/tls`, loaded only when TLS is used. */
    TLS?: SocketClass;
    /** Where the session lives: a `Store` of mqtt/stored-session (manifest_store.json). Default: RAM. */
    store?: SessionStore;
    /**
     * The MQTT version: 4 (3.1.1, the default), 5, or "negotiate": 5, and
     * 3.1.1 when the server refuses 5 (a 3.1.1 CONNACK, Unsupported Protocol
     * Version, or the connection closed before CONNACK). 5 and "negotiate"
     * need manifest_mqtt5.json; its code is loaded at connect().
     */
    protocolVersion?: 4 | 5 | "negotiate";
    /** MQTT 5: CONNECT's properties (ignored under 3.1.1). Checked at connect(), which rejects on a bad one before anything is sent. */
    properties?: ConnectProperties;
    /**
     * MQTT 5: outgoing topic aliases, at most this many (0..65535; default 0:
     * none), within the server's Topic Alias Maximum. The first PUBLISH of a
     * topic on a connection carries the topic and an alias, the later ones the
     * alias alone; the first topics published keep the aliases, others go by
     * name; mappings end with the connection. Only a PUBLISH of a string topic
     * handed to the socket at once carries one. Checked at connect();
     * ignored under 3.1.1.
     */
    topicAliases?: number;
    /**
     * MQTT 5, enhanced authentication (4.12), with
     * `properties.authenticationMethod`: called with the method, the
     * server's Authentication Data and a reason code. 0x18 (Continue
     * authentication): the server's AUTH, before CONNACK or during
     * reauthenticate(); what it returns (data, or undefined) goes back in
     * AUTH 0x18. 0 (Success): the exchange is complete (the CONNACK that
     * accepts, or the AUTH that ends a re-authentication), with the server's
     * last data; connect() resolves (or reauthenticate()) once it returns.
     * It may return a Promise. A throw or a rejection ends the exchange:
     * connect() rejects with it (or the connection closes), and the
     * connection is closed. Checked at connect(); ignored under 3.1.1.
     */
    onAuthenticate?: (method: string, data: ArrayBuffer | undefined, reasonCode: number) => Data | undefined | void | Promise<Data | undefined | void>;
}
/** PUBLISH's MQTT 5 properties (section 3.3.2.3), given to publish(). */
export interface PublishProperties {
    /** 0: unspecified bytes; 1: UTF-8 text. */
    payloadFormatIndicator?: number;
    /** Seconds the server keeps the message for subscribers. */
    messageExpiryInterval?: number;
    contentType?: Data;
    /** Request/response: the topic to answer on, and what the answer carries back. */
    responseTopic?: Data;
    correlationData?: Data;
    /** [name, value] pairs, in order. */
    userProperties?: readonly (readonly [Data, Data])[];
}
/** A received PUBLISH's MQTT 5 properties: the callback's third argument (undefined under 3.1.1). */
export interface ReceivedPublishProperties {
    readonly payloadFormatIndicator?: number;
    readonly messageExpiryInterval?: number;
    readonly contentType?: string;
    readonly responseTopic?: string;
    readonly correlationData?: ArrayBuffer;
    /** The identifiers of the subscriptions the message matched. */
    readonly subscriptionIdentifiers?: readonly number[];
    readonly userProperties?: readonly (readonly [string, string])[];
}
/** MQTT 5: a subscription's options (3.8.3.1), instead of a QoS; under 3.1.1 a QoS only. */
export interface SubscriptionOptions {
    qos: number;
    /** Not the messages this client publishes itself. */
    noLocal?: boolean;
    /** The RETAIN flag as published, not cleared. */
    retainAsPublished?: boolean;
    /** 0: retained messages at subscribe; 1: only for a new subscription; 2: none. */
    retainHandling?: number;
    /**
     * 1..268,435,455: the messages this subscription brings carry it (the
     * callback's `subscriptionIdentifiers`). One per SUBSCRIBE: the filters
     * of one subscribe() give the same one, or none.
     */
    subscriptionIdentifier?: number;
}
/** CONNECT's MQTT 5 properties (section 3.1.2.11); Maximum Packet Size is `maxPacketSize`. */
export interface ConnectProperties {
    /** Seconds the session outlives the connection (0: it ends with it; 0xFFFFFFFF: never). */
    sessionExpiryInterval?: number;
    /** QoS 1/2 messages the client takes in flight at once (1..65535). */
    receiveMaximum?: number;
    /** Topic aliases the client accepts from the server (0: none). */
    topicAliasMaximum?: number;
    /** 1: ask the server for Response Information in CONNACK. */
    requestResponseInformation?: number;
    /** 0: the server sends reason strings and user properties only on PUBLISH, CONNACK and DISCONNECT. */
    requestProblemInformation?: number;
    /** [name, value] pairs, in order. */
    userProperties?: readonly (readonly [Data, Data])[];
    authenticationMethod?: Data;
    authenticationData?: Data;
}
export declare class MQTTClient {
    #private;
    /** The seed's arguments, in the seed's order; throws on a bad one (nothing is sent before connect()). */
    constructor(clientId: Data, server: string, port?: number, sslParams?: TLSOptions | null, user?: Data, password?: Data, keepalive?: number, callback?: Callback);
    /** The same by name, with the options beyond the seed. */
    constructor(options: ClientOptions);
    /** True while a connection to the broker is up (CONNACK received). */
    get connected(): boolean;
    /** Sets the function that receives the messages. */
    setCallback(callback: Callback): void;
    /** The message the broker publishes if the connection is lost without disconnect(). Before connect() only. */
    setLastWill(topic: Data, msg: Data, retain?: boolean, qos?: number): void;
    /** Resolves the session-present flag (0 or 1) once the broker accepts the connection. */
    connect(cleanSession?: boolean, timeout?: number): Promise<0 | 1>;
    /**
     * MQTT 5: re-authentication (4.12.1), AUTH 0x19 with the CONNECT's
     * Authentication Method and `data`; the server's AUTH 0x18 go to
     * onAuthenticate. Resolves on the server's AUTH 0 (Success); rejects
     * when the connection ends first (a server's DISCONNECT: its
     * MQTTException). Throws without MQTT 5's connect() or an
     * authenticationMethod.
     */
    reauthenticate(data?: Data): Promise<void>;
    /** Writes DISCONNECT after what is already queued, closes the socket; what waited for the broker rejects. */
    disconnect(): Promise<void>;
    /** Resolves once PINGREQ is handed to the socket. */
    ping(): Promise<void>;
    /**
     * QoS 0 resolves once the packet is handed to the socket, QoS 1 on PUBACK,
     * QoS 2 on PUBCOMP. The payload's memory is sent as it is: do not change it
     * before the Promise settles. `properties`: MQTT 5's (ignored under 3.1.1).
     */
    publish(topic: Data, msg: Data, retain?: boolean, qos?: number, properties?: PublishProperties): Promise<void>;
    /**
     * Resolves the granted QoS, or rejects MQTTException(0x80) when the broker
     * refuses. Throws when no callback is set.
     */
    subscribe(topic: Data, qos?: number | SubscriptionOptions): Promise<number>;
    /**
     * One SUBSCRIBE for several topics (`qos`: one for all, or one per topic):
     * resolves the broker's return codes, in order (0x80 where refused).
     */
    subscribe(topics: Data[], qos?: number | SubscriptionOptions | (number | SubscriptionOptions)[]): Promise<number[]>;
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
