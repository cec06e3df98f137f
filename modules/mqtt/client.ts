// MQTTClient: the seed's API (MicroPython/OpenMV `mqtt`), asynchronous, on an
// ECMA-419 socket. Every method that blocked in the seed returns a Promise
// that settles when the seed's call would have returned or raised; argument
// errors throw at once, before anything is sent.
//
// This class is the facade: the public API and its argument checks. The
// link (link.ts) runs the connections, the session (session.ts) holds what
// is in flight, delivery (delivery.ts) the messages on their way to the app.
import { type Data, isData, isEmptyData } from "mqtt/bytes";
import { PacketWriter, type Will } from "mqtt/writer";
import type { SocketClass } from "mqtt/connection";
import type { Callback, StoredDelivery } from "mqtt/delivery";
import { Link, IDLE, CONNECTED, type Settings, type SessionStore } from "mqtt/link";
import { reconnectOption, type ReconnectOptions } from "mqtt/backoff";
import { checkQoS, describe } from "mqtt/validate";
import type { TLSOptions } from "mqtt/tls-options";
import { Failover, STRIDE, serverList, checkServer, checkSSL, portOf, type ServerList, type ServerOptions } from "mqtt/endpoints";

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
	// Beyond the seed:
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

// The settings of every client that keeps the defaults: one frozen object for all.
const DEFAULTS: Settings = Object.freeze({
	push: false, maxPacketSize: 65536, outgoingLimit: 32, queueLength: 8, ackTimeout: 30_000,
	reconnect: undefined, onConnect: undefined, onDisconnect: undefined, TLS: undefined
});

// Loaded at the first connect() of a client that asks for MQTT 5, so that an
// app of 3.1.1 carries none of it; typed `string` as link.ts's TLS_MODULE.
const MQTT5_MODULE: string = "mqtt/v5/protocol";

export class MQTTClient {
	readonly #link: Link;

	/** The seed's arguments, in the seed's order; throws on a bad one (nothing is sent before connect()). */
	constructor(clientId: Data, server: string, port?: number, sslParams?: TLSOptions | null, user?: Data, password?: Data, keepalive?: number, callback?: Callback);
	/** The same by name, with the options beyond the seed. */
	constructor(options: ClientOptions);
	constructor(...args: unknown[]) {
		// One rest parameter rather than eight, and the checks in calls of their
		// own: XS gives each parameter and local a stack slot, and construction
		// runs inside the app's frames (an ESP8266 has 256 slots of stack).
		const options = optionsOf(args);
		const servers = serversOf(options);
		const settings = settingsOf(options);
		// CONNECT checks the client id, keepalive, user and password as it will carry them.
		const connect = new PacketWriter().connect({
			clientId: options.clientId, cleanSession: true, keepalive: options.keepalive ?? 0,
			user: options.user ?? undefined, password: options.password ?? undefined
		}).head.buffer as ArrayBuffer;
		const link = this.#link = new Link(servers[0] as string, servers[1] as number, servers[2] as Record<string, unknown> | undefined, connect, options.callback ?? undefined, settings);
		if (servers.length > STRIDE)
			link.failover = new Failover(servers);
		// The store's option is none of the settings: a client without one
		// carries nothing of it. Its session is restored now (a store of
		// another client id throws here).
		const store = options.store;
		if (store !== undefined && store !== null) {
			if (typeof store.session !== "function")
				throw new TypeError(`store must be a Store of mqtt/stored-session, not ${describe(store)}`);
			link.session = store.session(link);
		}
	}

	/** True while a connection to the broker is up (CONNACK received). */
	get connected(): boolean {
		return this.#link.state === CONNECTED;
	}

	/** Sets the function that receives the messages. */
	setCallback(callback: Callback): void {
		if (typeof callback !== "function")
			throw new TypeError(`callback must be a function, not ${describe(callback)}`);
		this.#link.callback = callback;
	}

	/** The message the broker publishes if the connection is lost without disconnect(). Before connect() only. */
	setLastWill(topic: Data, msg: Data, retain = false, qos = 0): void {
		if (this.#link.state !== IDLE)
			throw new Error("setLastWill must be called before connect()");
		checkBoolean(retain, "retain");
		checkQoS(qos);
		const will: Will = { topic, message: msg, qos, retain };
		const link = this.#link;
		link.connectPacket = link.writer.withWill(new Uint8Array(link.connectPacket), will).head.buffer as ArrayBuffer;
	}

	/** Resolves the session-present flag (0 or 1) once the broker accepts the connection. */
	connect(cleanSession = true, timeout = 5.0): Promise<0 | 1> {
		checkBoolean(cleanSession, "cleanSession");
		if (typeof timeout !== "number" || !(timeout > 0) || timeout > 2_000_000)
			throw new RangeError(`timeout must be a number of seconds > 0, not ${describe(timeout)}`);
		const link = this.#link;
		if (!cleanSession && link.writer.emptyClientId(new Uint8Array(link.connectPacket)))
			throw new TypeError("an empty client id needs a clean session (MQTT 3.1.1, 3.1.3-7)");
		if (link.settings.mqtt5 && !link.v5)	// MQTT 5's code, loaded now: it checks CONNECT's properties (connect() rejects on a bad one), then connects
			return import(MQTT5_MODULE).then(module => module.connect(this, link, cleanSession, timeout), () => {
				throw new Error("MQTT 5 is not in this build: include manifest_mqtt5.json");
			});
		return link.connect(cleanSession, Math.max(1, Math.round(timeout * 1000)));
	}

	/**
	 * MQTT 5: re-authentication (4.12.1), AUTH 0x19 with the CONNECT's
	 * Authentication Method and `data`; the server's AUTH 0x18 go to
	 * onAuthenticate. Resolves on the server's AUTH 0 (Success); rejects
	 * when the connection ends first (a server's DISCONNECT: its
	 * MQTTException). Throws without MQTT 5's connect() or an
	 * authenticationMethod.
	 */
	reauthenticate(data?: Data): Promise<void> {
		// MQTT 5's first connect() gives its client an own reauthenticate
		// (mqtt/v5/protocol), so that a 3.1.1 client carries only this refusal.
		throw new TypeError("reauthenticate needs MQTT 5, after connect()");
	}

	/** Writes DISCONNECT after what is already queued, closes the socket; what waited for the broker rejects. */
	disconnect(): Promise<void> {
		return this.#link.disconnect();
	}

	/** Resolves once PINGREQ is handed to the socket. */
	ping(): Promise<void> {
		const link = this.#link;
		return link.state === CONNECTED ? link.ping() : Promise.reject(link.notConnected());
	}

	/**
	 * QoS 0 resolves once the packet is handed to the socket, QoS 1 on PUBACK,
	 * QoS 2 on PUBCOMP. The payload's memory is sent as it is: do not change it
	 * before the Promise settles. `properties`: MQTT 5's (ignored under 3.1.1).
	 */
	publish(topic: Data, msg: Data, retain = false, qos = 0, properties?: PublishProperties): Promise<void> {
		if (retain !== false && retain !== true)
			checkBoolean(retain, "retain");
		const link = this.#link;
		link.v5?.publishing(properties);	// MQTT 5: for the PUBLISH written next (none: none)
		if (qos === 0 && link.state === CONNECTED)
			return link.publish(topic, msg, retain);	// the hot path: the link checks the limit when the packet must wait
		// A store's session takes QoS 1/2 messages in any state: the store bounds them, not outgoingLimit.
		if ((!link.accepting || (qos !== 0 && link.outgoing >= link.settings.outgoingLimit)) && (qos === 0 || !link.session?.durable)) {
			link.writer.publish(topic, msg, qos, retain, false, 1);	// argument errors first
			return Promise.reject(link.accepting ? link.queueFull() : link.notConnected());
		}
		if (qos === 0)
			return link.publish(topic, msg, retain);
		return link.openSession.publish(topic, msg, qos, retain);
	}

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
	subscribe(topic: Data | Data[], qos: number | SubscriptionOptions | (number | SubscriptionOptions)[] = 0): Promise<number | number[]> {
		if (!this.#link.callback)
			throw new Error("subscribe needs a callback: pass one to the constructor or call setCallback() first");
		const single = !Array.isArray(topic);
		const filters = single ? [topic as Data] : (topic as Data[]).slice();
		// Typed as QoS numbers: MQTT 5's options objects go through to mqtt/v5's
		// writer as they are; 3.1.1's refuses them (its QoS is a number).
		const grants = (Array.isArray(qos) ? qos.slice() : Array.from(filters, () => qos)) as number[];
		const link = this.#link;
		if (!accepting(link, filters, "SUBSCRIBE")) {
			link.writer.subscribe(1, filters, grants);	// argument errors first
			return Promise.reject(link.notConnected());
		}
		return link.openSession.subscribe(filters, grants, single);
	}

	/** Resolves on UNSUBACK. An array unsubscribes from several topics in one packet. */
	unsubscribe(topic: Data | Data[]): Promise<void> {
		const filters = Array.isArray(topic) ? topic.slice() : [topic];
		const link = this.#link;
		if (!accepting(link, filters, "UNSUBSCRIBE")) {
			link.writer.unsubscribe(1, filters);	// argument errors first
			return Promise.reject(link.notConnected());
		}
		return link.openSession.unsubscribe(filters);
	}

	/**
	 * Processes one incoming packet: a PUBLISH goes to the callback and resolves
	 * its first byte; PINGRESP resolves undefined; any other packet resolves its
	 * first byte. Messages already queued come first.
	 */
	waitMsg(): Promise<number | undefined> {
		const link = this.#link;
		return link.delivery.wait(false, link.state === IDLE ? link.notConnected() : undefined);
	}

	/** As waitMsg, but waits at most about 50 ms; undefined when nothing came. */
	checkMsg(): Promise<number | undefined> {
		const link = this.#link;
		return link.delivery.wait(true, link.state === IDLE ? link.notConnected() : undefined);
	}
}

// The facade's helpers are functions, not private methods: XS gives every
// instance a slot of its own for each #method of its class.

/** subscribe() and unsubscribe() may go now, or be kept for the reconnect: the link is taking requests. Throws on no topic at all. */
function accepting(link: Link, filters: Data[], name: string): boolean {
	if (filters.length === 0)
		throw new TypeError(`${name} needs at least one topic`);
	return link.accepting;
}

/** The constructor's arguments, positional or by name, as options; the seed's checked. */
function optionsOf(args: unknown[]): ClientOptions {
	const first = args[0];
	const options = (args.length === 1 && typeof first === "object" && first !== null && !isData(first))
		? first as ClientOptions
		: { clientId: first, server: args[1], port: args[2], ssl: args[3], user: args[4], password: args[5], keepalive: args[6], callback: args[7] } as ClientOptions;
	if (!isData(options.clientId))
		throw new TypeError(`clientId must be a string or binary data, not ${describe(options.clientId)}`);
	checkOptional(options.user, isData, "user must be a string or binary data", true);
	checkOptional(options.password, isData, "password must be a string or binary data", false);
	checkOptional(options.callback, isFunction, "callback must be a function", true);
	return options;
}

/**
 * The broker or brokers, checked, as a ServerList: `server`, `port` and
 * `ssl`, or the `servers` list (each one's port and TLS options its own, or
 * the client's).
 */
function serversOf(options: ClientOptions): ServerList {
	const ssl = options.ssl;
	checkSSL(ssl, "sslParams");
	if (options.servers === undefined || options.servers === null) {
		checkServer(options.server, "server");
		return [options.server, portOf(options.port, ssl, "port"), ssl ?? undefined];
	}
	if (options.server !== undefined && options.server !== null)
		throw new TypeError("give server or servers, not both");
	portOf(options.port, ssl, "port");
	return serverList(options.servers, options.port, ssl);
}

/**
 * The options beyond the seed, checked: an object that holds only those
 * that differ from the defaults and finds the others on its prototype, the
 * shared defaults (in ROM on a device), so that an option costs the heap a
 * slot only when it is given.
 */
function settingsOf(options: ClientOptions): Settings {
	const push = options.push ?? false, version = options.protocolVersion ?? 4;
	checkBoolean(push, "push");
	if (version !== 4 && version !== 5 && version !== "negotiate")
		throw new RangeError(`protocolVersion must be 4, 5 or "negotiate", not ${describe(version)}`);
	const given: Record<string, unknown> = {
		push,
		// A CONNACK is 4 bytes; MQTT's largest packet is 268,435,460.
		maxPacketSize: integerIn(options.maxPacketSize, DEFAULTS.maxPacketSize, 4, 268_435_460, "maxPacketSize"),
		outgoingLimit: integerIn(options.outgoingLimit, DEFAULTS.outgoingLimit, 1, 65_535, "outgoingLimit"),
		queueLength: integerIn(options.queueLength, DEFAULTS.queueLength, 1, 65_535, "queueLength"),
		ackTimeout: integerIn(options.ackTimeout, DEFAULTS.ackTimeout, 0, 86_400_000, "ackTimeout"),
		reconnect: reconnectOption(options.reconnect),
		onConnect: optionalFunction(options.onConnect, "onConnect"),
		onDisconnect: optionalFunction(options.onDisconnect, "onDisconnect"),
		TLS: options.TLS ?? undefined,
		// The options, when they ask for MQTT 5: mqtt/v5/protocol reads them at connect().
		mqtt5: version === 4 ? undefined : options
	};
	let settings: object | undefined;
	for (const key in given)	// defined, not assigned: DEFAULTS is frozen, and assigning a name it has would throw (the override mistake)
		if (given[key] !== DEFAULTS[key as keyof Settings])
			Object.defineProperty(settings ??= Object.create(DEFAULTS), key, { value: given[key], enumerable: true });
	return settings ? Object.freeze(settings) as Settings : DEFAULTS;
}

function isFunction(value: unknown): boolean {
	return typeof value === "function";
}

/** An optional argument (undefined or null: absent) of the right kind. */
function checkOptional(value: unknown, is: (value: unknown) => boolean, message: string, shown: boolean): void {
	if (value !== undefined && value !== null && !is(value))
		throw new TypeError(shown ? `${message}, not ${describe(value)}` : message);
}

function checkBoolean(value: unknown, what: string): void {
	if (typeof value !== "boolean")
		throw new TypeError(`${what} must be true or false, not ${describe(value)}`);
}

/** An optional integer option (null or undefined: the default). */
function integerIn(value: unknown, fallback: number, min: number, max: number, what: string): number {
	if (value === undefined || value === null)
		return fallback;
	if (!Number.isInteger(value) || (value as number) < min || (value as number) > max)
		throw new RangeError(`${what} must be an integer ${min}..${max}, not ${describe(value)}`);
	return value as number;
}

function optionalFunction<T>(value: T | undefined | null, what: string): T | undefined {
	checkOptional(value, isFunction, `${what} must be a function`, true);
	return value ?? undefined;
}
