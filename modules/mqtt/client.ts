// MQTTClient: the seed's API (MicroPython/OpenMV `mqtt`), asynchronous, on an
// ECMA-419 socket. Every method that blocked in the seed returns a Promise
// that settles when the seed's call would have returned or raised; argument
// errors throw at once, before anything is sent.
//
// Beyond the seed: QoS 2 both ways, unsubscribe, automatic keep-alive, push
// delivery, reconnect that keeps messages in flight, and bounded memory (a
// fixed queue of received messages, a limit on messages waiting to be sent).
import Timer from "timer";
import {
	CONNACK, PUBLISH, PUBACK, PUBREC, PUBREL, PUBCOMP, SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK, PINGRESP,
	PACKET_NAMES, SUBACK_FAILURE
} from "mqtt/constants";
import { type Data, isData, isEmptyData } from "mqtt/bytes";
import { PacketWriter, type Frame, type Will } from "mqtt/writer";
import { type Packet } from "mqtt/parser";
import { Connection, type SocketClass, type Endpoint, type ConnectionEvents } from "mqtt/connection";
import { Inbox, type Message } from "mqtt/inbox";
import { PacketIds } from "mqtt/packet-ids";
import { KeepAlive } from "mqtt/keepalive";
import { ExactlyOnce } from "mqtt/exactly-once";
import { Outbox, WAITING, SENT, RELEASED, type Settle } from "mqtt/outbox";
import { Backoff, type ReconnectOptions } from "mqtt/backoff";
import { resolveHost } from "mqtt/resolve";
import { MQTTException, ProtocolError } from "mqtt/errors";
import { checkQoS, describe } from "mqtt/validate";
import { type TLSOptions } from "mqtt/tls-options";

/**
 * Receives each message: its topic and payload as bytes (`String.fromArrayBuffer`
 * makes text). The topic's buffer may be shared with the next message on the
 * same topic: read-only.
 */
export type Callback = (topic: ArrayBuffer, msg: ArrayBuffer) => void;

/** The constructor's options, by name: the seed's arguments and what is beyond the seed. */
export interface ClientOptions {
	/** The client id; empty only with `connect(true)` (MQTT 3.1.1, 3.1.3-7). */
	clientId: Data;
	/** The broker: a host name or an IPv4 address. */
	server: string;
	/** 1883, or 8883 with TLS. */
	port?: number;
	/** TLS when given (`{}` for defaults): the `secure` options of the SDK's TLS socket. */
	ssl?: TLSOptions | null;
	/** User name, sent in CONNECT; needs `password`. */
	user?: Data;
	/** Password, sent in CONNECT; needs `user`. Never appears in an error message. */
	password?: Data;
	/** Seconds; 0 disables. When > 0 the client pings by itself. */
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
	/** Messages that may wait to be handed to the socket (default 32); past it, publish rejects. */
	outgoingLimit?: number;
	/** Called on each CONNACK that accepts the connection (also after a reconnect), with its session-present flag. */
	onConnect?: (sessionPresent: boolean) => void;
	/** Called when a connection that was up is lost, with the reason. */
	onDisconnect?: (reason: Error) => void;
	/** The TLS socket class; by default `embedded:io/socket/tcp/tls`, loaded only when TLS is used. */
	TLS?: SocketClass;
}

const IDLE = 0, CONNECTING = 1, CONNECTED = 2, RECONNECTING = 3, DISCONNECTING = 4;
const CHECK_MSG_WAIT = 50;	// ms, as the seed's select() in check_msg
// Bytes read from the socket at a time, held for the connection's life. A
// packet that fits is parsed where it lies; a larger one is gathered into
// its own payload buffer, which it needs anyway: small costs no copy more.
const READ_BUFFER_SIZE = 256;
// Loaded on first use, so that an app without TLS carries none of it. Typed
// `string` on purpose: the SDK type-checks each build with only the typings
// of the modules in it, and a build without TLS has no declaration for it.
const TLS_MODULE: string = "embedded:io/socket/tcp/tls";

/** An operation waiting for the broker's acknowledgement, by packet id. */
interface Pending extends Settle {
	kind: number;			// PUBLISH, SUBSCRIBE or UNSUBSCRIBE
	state: number;			// WAITING (not yet sent), SENT, RELEASED (QoS 2 past PUBREC)
	topic: Data | undefined;
	payload: Data | undefined;
	qos: number;
	retain: boolean;
	filters: Data[] | undefined;
	grants: number[] | undefined;
	single: boolean;		// subscribe(topic) resolves a number, subscribe([topics]) an array
}

interface Waiter extends Settle {
	timer: Timer | undefined;
}

export class MQTTClient {
	readonly #clientId: Data;
	readonly #server: string;
	readonly #port: number;
	readonly #ssl: TLSOptions | undefined;
	readonly #user: Data | undefined;
	readonly #password: Data | undefined;
	readonly #keepaliveSeconds: number;
	readonly #push: boolean;
	readonly #maxPacketSize: number;
	readonly #outgoingLimit: number;
	readonly #backoff: Backoff | undefined;
	readonly #onConnect: ((sessionPresent: boolean) => void) | undefined;
	readonly #onDisconnect: ((reason: Error) => void) | undefined;
	#TLS: SocketClass | undefined;
	#callback: Callback | undefined;
	#will: Will | undefined;

	readonly #writer = new PacketWriter();
	// What a QoS 0 publish written at once returns: one settled Promise serves them all.
	#resolved: Promise<void> | undefined;
	readonly #ids = new PacketIds();
	readonly #inbox: Inbox;
	#message: Message | undefined;	// reused by #deliverQueued

	#state = IDLE;
	#connection: Connection | undefined;
	#cleanSession = true;
	#timeout = 5000;
	#connecting: Settle | undefined;	// the app's connect(), while it is pending
	#connectTimer: Timer | undefined;
	#attempt: object | undefined;		// identifies the connection attempt a late callback belongs to
	#keepAlive: KeepAlive | undefined;
	#retry: Timer | undefined;
	#resumePending: Timer | undefined;

	readonly #pending = new Map<number, Pending>();
	readonly #outbox = new Outbox();
	#offline = 0;				// QoS 1/2 publishes waiting in #pending for a connection
	readonly #waiters: Waiter[] = [];
	#exactlyOnce: ExactlyOnce | undefined;	// received QoS 2: delivered once; made on the first
	#subscriptions: Map<string, { filter: Data; qos: number }> | undefined;	// made on the first SUBACK

	/** The seed's arguments, in the seed's order; throws on a bad one (nothing is sent before connect()). */
	constructor(clientId: Data, server: string, port?: number, sslParams?: TLSOptions | null, user?: Data, password?: Data, keepalive?: number, callback?: Callback);
	/** The same by name, with the options beyond the seed. */
	constructor(options: ClientOptions);
	constructor(...args: unknown[]) {
		const options = (args.length === 1 && typeof args[0] === "object" && args[0] !== null && !isData(args[0]))
			? args[0] as ClientOptions
			: {
				clientId: args[0], server: args[1], port: args[2], ssl: args[3], user: args[4],
				password: args[5], keepalive: args[6], callback: args[7]
			} as ClientOptions;
		const { clientId, server, ssl, user, password, callback } = options;
		if (!isData(clientId))
			throw new TypeError(`clientId must be a string or binary data, not ${describe(clientId)}`);
		if (typeof server !== "string" || !server)
			throw new TypeError(`server must be a host name or IPv4 address, not ${describe(server)}`);
		if (ssl !== undefined && ssl !== null && (typeof ssl !== "object" || Array.isArray(ssl)))
			throw new TypeError(`sslParams must be an object ({} for defaults), not ${describe(ssl)}`);
		const port = options.port ?? (ssl ? 8883 : 1883);
		if (!Number.isInteger(port) || port < 1 || port > 65535)
			throw new RangeError(`port must be an integer 1..65535, not ${describe(port)}`);
		if (user !== undefined && user !== null && !isData(user))
			throw new TypeError(`user must be a string or binary data, not ${describe(user)}`);
		if (password !== undefined && password !== null && !isData(password))
			throw new TypeError("password must be a string or binary data");
		if (callback !== undefined && callback !== null && typeof callback !== "function")
			throw new TypeError(`callback must be a function, not ${describe(callback)}`);
		this.#clientId = clientId;
		this.#server = server;
		this.#port = port;
		this.#ssl = ssl ?? undefined;
		this.#user = user ?? undefined;
		this.#password = password ?? undefined;
		this.#keepaliveSeconds = options.keepalive ?? 0;
		this.#callback = callback ?? undefined;
		const push = options.push ?? false;
		checkBoolean(push, "push");
		this.#push = push;
		// A CONNACK is 4 bytes; MQTT's largest packet is 268,435,460.
		this.#maxPacketSize = integerIn(options.maxPacketSize, 65536, 4, 268_435_460, "maxPacketSize");
		this.#outgoingLimit = integerIn(options.outgoingLimit, 32, 1, 65_535, "outgoingLimit");
		this.#inbox = new Inbox(integerIn(options.queueLength, 8, 1, 65_535, "queueLength"));
		const reconnect = options.reconnect ?? false;
		if (reconnect !== true && reconnect !== false && (typeof reconnect !== "object" || Array.isArray(reconnect)))
			throw new TypeError(`reconnect must be true, false or {minDelay, maxDelay}, not ${describe(reconnect)}`);
		this.#backoff = reconnect ? new Backoff(reconnect === true ? {} : reconnect) : undefined;
		this.#onConnect = optionalFunction(options.onConnect, "onConnect");
		this.#onDisconnect = optionalFunction(options.onDisconnect, "onDisconnect");
		this.#TLS = options.TLS;
		this.#connectFrame();	// validates keepalive, client id, user and password as CONNECT would carry them
	}

	/** True while a connection to the broker is up (CONNACK received). */
	get connected(): boolean {
		return this.#state === CONNECTED;
	}

	/** Sets the function that receives the messages. */
	setCallback(callback: Callback): void {
		if (typeof callback !== "function")
			throw new TypeError(`callback must be a function, not ${describe(callback)}`);
		this.#callback = callback;
	}

	/** The message the broker publishes if the connection is lost without disconnect(). Before connect() only. */
	setLastWill(topic: Data, msg: Data, retain = false, qos = 0): void {
		if (this.#state !== IDLE)
			throw new Error("setLastWill must be called before connect()");
		checkBoolean(retain, "retain");
		checkQoS(qos);
		const previous = this.#will;
		this.#will = { topic, message: msg, qos, retain };
		try {
			this.#connectFrame();	// the will's topic and message, checked as CONNECT will carry them
		}
		catch (error) {
			this.#will = previous;
			throw error;
		}
	}

	/** Resolves the session-present flag (0 or 1) once the broker accepts the connection. */
	connect(cleanSession = true, timeout = 5.0): Promise<0 | 1> {
		checkBoolean(cleanSession, "cleanSession");
		if (typeof timeout !== "number" || !(timeout > 0) || timeout > 2_000_000)
			throw new RangeError(`timeout must be a number of seconds > 0, not ${describe(timeout)}`);
		if (!cleanSession && isEmptyData(this.#clientId))
			throw new TypeError("an empty client id needs a clean session (MQTT 3.1.1, 3.1.3-7)");
		if (this.#state !== IDLE)
			return Promise.reject(new Error(this.#state === CONNECTED ? "already connected" : this.#state === DISCONNECTING ? "disconnect() in progress" : "already connecting"));
		this.#cleanSession = cleanSession;
		this.#timeout = Math.max(1, Math.round(timeout * 1000));
		return new Promise((resolve, reject) => {
			this.#state = CONNECTING;
			this.#connecting = { resolve, reject };
			this.#open();
		});
	}

	/** Writes DISCONNECT after what is already queued, closes the socket; what waited for the broker rejects. */
	disconnect(): Promise<void> {
		const error = new Error("disconnected by the application");
		const connection = this.#connection;
		if (this.#state !== CONNECTED || !connection) {
			if (this.#state === CONNECTING)
				this.#failConnecting(error);
			if (this.#state !== DISCONNECTING)
				this.#shutdown(error);
			return Promise.resolve();
		}
		this.#state = DISCONNECTING;
		this.#stopKeepAlive();
		this.#rejectAwaitingBroker(error);
		return new Promise(resolve => {
			let finished = false;
			const finish = () => {
				if (finished)
					return;
				finished = true;
				Timer.clear(timer);
				connection.close();
				if (this.#connection === connection)
					this.#shutdown(error);
				resolve();
			};
			const timer = Timer.set(finish, this.#timeout);	// a dead broker must not hold disconnect() forever
			this.#send(this.#writer.disconnect(), { resolve: finish, reject: finish });
		});
	}

	/** Resolves once PINGREQ is handed to the socket. */
	ping(): Promise<void> {
		if (this.#state !== CONNECTED)
			return Promise.reject(this.#notConnected());
		return new Promise((resolve, reject) => this.#send(this.#writer.pingreq(), { resolve, reject }));
	}

	/**
	 * QoS 0 resolves once the packet is handed to the socket, QoS 1 on PUBACK,
	 * QoS 2 on PUBCOMP. The payload's memory is sent as it is: do not change it
	 * before the Promise settles.
	 */
	publish(topic: Data, msg: Data, retain = false, qos = 0): Promise<void> {
		if (retain !== false && retain !== true)
			checkBoolean(retain, "retain");
		// QoS, topic and message: the writer checks them, before anything is produced.
		if (!this.#accepting()) {
			this.#writer.publish(topic, msg, qos, retain, false, 1);	// argument errors first
			return Promise.reject(this.#notConnected());
		}
		const waiting = this.#outbox.messages + this.#offline;
		if (waiting >= this.#outgoingLimit) {
			this.#writer.publish(topic, msg, qos, retain, false, 1);
			return Promise.reject(new Error(`outgoing queue full: ${waiting} messages wait for the ${this.#state === CONNECTED ? "socket" : "connection"} (outgoingLimit ${this.#outgoingLimit})`));
		}
		if (qos === 0) {
			const frame = this.#writer.publish(topic, msg, 0, retain, false, 0);
			const connection = this.#sendsNow();
			if (connection) {
				if (connection.send(frame))
					return this.#resolved ??= Promise.resolve();	// the hot path: written whole, nothing allocated
				return new Promise((resolve, reject) => this.#outbox.begun({ resolve, reject }));
			}
			return new Promise((resolve, reject) => this.#outbox.add(undefined, frame, { resolve, reject }, undefined, true));
		}
		const id = this.#ids.next(this.#pending);
		const frame = this.#writer.publish(topic, msg, qos, retain, false, id);	// argument errors throw here, not in the Promise
		return new Promise((resolve, reject) => {
			const pending = this.#newPending(PUBLISH, id, resolve, reject);
			pending.topic = topic;
			pending.payload = msg;
			pending.qos = qos;
			pending.retain = retain;
			this.#pending.set(pending.id, pending);
			this.#sendPending(pending, frame);
		});
	}

	/**
	 * Resolves the granted QoS, or rejects MQTTException(0x80) when the broker
	 * refuses. Throws when no callback is set.
	 */
	subscribe(topic: Data, qos?: number): Promise<number>;
	/**
	 * One SUBSCRIBE for several topics (`qos`: one for all, or one per topic):
	 * resolves the broker's return codes, in order (0x80 where refused).
	 */
	subscribe(topics: Data[], qos?: number | number[]): Promise<number[]>;
	subscribe(topic: Data | Data[], qos: number | number[] = 0): Promise<number | number[]> {
		if (!this.#callback)
			throw new Error("subscribe needs a callback: pass one to the constructor or call setCallback() first");
		const single = !Array.isArray(topic);
		const filters = single ? [topic as Data] : (topic as Data[]).slice();
		const grants = Array.isArray(qos) ? qos.slice() : Array.from(filters, () => qos as number);
		return this.#request(SUBSCRIBE, filters, grants, single);
	}

	/** Resolves on UNSUBACK. An array unsubscribes from several topics in one packet. */
	unsubscribe(topic: Data | Data[]): Promise<void> {
		const filters = Array.isArray(topic) ? topic.slice() : [topic];
		return this.#request(UNSUBSCRIBE, filters, undefined, true);
	}

	/**
	 * Processes one incoming packet: a PUBLISH goes to the callback and resolves
	 * its first byte; PINGRESP resolves undefined; any other packet resolves its
	 * first byte. Messages already queued come first.
	 */
	waitMsg(): Promise<number | undefined> {
		return this.#wait(false);
	}

	/** As waitMsg, but waits at most about 50 ms; undefined when nothing came. */
	checkMsg(): Promise<number | undefined> {
		return this.#wait(true);
	}

	// ---- connecting ----

	#connectFrame(): Frame {
		return this.#writer.connect({
			clientId: this.#clientId, cleanSession: this.#cleanSession, keepalive: this.#keepaliveSeconds,
			will: this.#will, user: this.#user, password: this.#password
		});
	}

	/** Resolves the name, opens the socket; CONNECT goes out in onOpen. Bounded by the connect timeout. */
	#open(): void {
		this.#connectTimer = Timer.set(() => {
			this.#connectTimer = undefined;
			this.#connectFailed(new Error(`no CONNACK from ${this.#server}:${this.#port} within ${this.#timeout / 1000} s`));
		}, this.#timeout);
		const attempt = this.#attempt = {};
		resolveHost(this.#server, address => {
			if (this.#attempt !== attempt)
				return;
			if (address === undefined)
				return this.#connectFailed(new Error(`cannot resolve host name ${this.#server}`));
			const endpoint: Endpoint = { host: this.#server, address, port: this.#port };
			if (!this.#ssl)
				return this.#dial(endpoint);
			endpoint.secure = this.#ssl;
			this.#loadTLS().then(TLS => {
				if (this.#attempt !== attempt)
					return;
				endpoint.TLS = TLS;
				this.#dial(endpoint);
			}, error => this.#attempt === attempt && this.#connectFailed(error));
		});
	}
	async #loadTLS(): Promise<SocketClass> {
		if (!this.#TLS) {
			try {
				this.#TLS = (await import(TLS_MODULE)).default as SocketClass;
			}
			catch {
				throw new Error("TLS is not in this build: include the library's manifest_tls.json");
			}
		}
		return this.#TLS;
	}

	// What every connection reports to its client: one frozen object, no closure per connection.
	static readonly #events: ConnectionEvents<MQTTClient> = Object.freeze({
		onOpen(client: MQTTClient, connection: Connection) { client.#onOpen(connection); },
		onPacket(client: MQTTClient, connection: Connection, packet: Packet) { return client.#onPacket(connection, packet); },
		onClose(client: MQTTClient, connection: Connection, error: Error) { client.#onClose(connection, error); },
		onDrain(client: MQTTClient, connection: Connection) { client.#onDrain(connection); }
	});

	#dial(endpoint: Endpoint): void {
		try {
			this.#connection = new Connection(endpoint, MQTTClient.#events, this, this.#maxPacketSize, READ_BUFFER_SIZE, this.#keepaliveSeconds > 0);
		}
		catch (error) {
			this.#connectFailed(error as Error);
		}
	}

	#onOpen(connection: Connection): void {
		if (connection !== this.#connection)
			return;
		connection.send(this.#connectFrame());
	}

	/** CONNACK 0: the session is up. Resends what was in flight, resubscribes after a reconnect to a new session. */
	#established(connection: Connection, sessionPresent: boolean): void {
		const reconnected = this.#state === RECONNECTING;
		const connecting = this.#connecting;
		this.#clearConnecting();
		this.#state = CONNECTED;
		this.#backoff?.reset();
		this.#exactlyOnce?.connected(sessionPresent);
		this.#requeue(reconnected && !sessionPresent);
		if (this.#keepaliveSeconds)
			this.#keepAlive = new KeepAlive(this.#keepaliveSeconds, {
				get lastSend() { return connection.lastSend; },
				get lastReceive() { return connection.lastReceive; },
				get backlog() { return connection.backlog; },
				sendPing: () => this.#send(this.#writer.pingreq(), undefined),
				dead: silence => this.#fail(connection, new Error(`the broker did not answer PINGREQ within ${silence} ms (keep-alive ${this.#keepaliveSeconds} s): connection dead`))
			});
		connecting?.resolve(sessionPresent ? 1 : 0);
		this.#onConnect?.(sessionPresent);
		this.#outbox.flush(connection);
	}

	/** A connection attempt failed: the app's connect() rejects, or the next reconnect is scheduled. */
	#connectFailed(error: Error): void {
		Timer.clear(this.#connectTimer);
		this.#connectTimer = undefined;
		this.#attempt = undefined;
		if (this.#connection) {
			this.#connection.close();
			this.#connection = undefined;
		}
		if (this.#state === RECONNECTING)
			return this.#scheduleReconnect();
		if (this.#state === CONNECTING)
			this.#failConnecting(error);
	}

	#failConnecting(error: Error): void {
		const connecting = this.#connecting;
		this.#clearConnecting();
		this.#state = IDLE;
		if (this.#connection) {
			this.#connection.close();
			this.#connection = undefined;
		}
		connecting?.reject(error);
	}

	#clearConnecting(): void {
		Timer.clear(this.#connectTimer);
		this.#connectTimer = this.#connecting = this.#attempt = undefined;
	}

	#scheduleReconnect(): void {
		Timer.clear(this.#retry);
		this.#retry = Timer.set(() => {
			this.#retry = undefined;
			this.#open();
		}, this.#backoff!.next());
	}

	// ---- losing the connection ----

	#onClose(connection: Connection, error: Error): void {
		if (connection !== this.#connection)
			return;
		if (this.#state === CONNECTED)
			this.#lost(error);
		else if (this.#state === DISCONNECTING)
			this.#shutdown(error);
		else
			this.#connectFailed(error);
	}

	/** Closes a connection for a fault the client found (protocol error, dead keep-alive). */
	#fail(connection: Connection, error: Error): void {
		if (connection !== this.#connection)
			return;
		connection.close();
		this.#onClose(connection, error);
	}

	/** The connection was up and is gone. With reconnect, what is in flight waits; else everything rejects. */
	#lost(error: Error): void {
		this.#connection = undefined;
		this.#stopKeepAlive();
		if (this.#backoff) {
			this.#inbox.forgetAcks();	// their packet ids belonged to this connection; the broker resends them
			// QoS 0 messages wait for the next connection; QoS 1/2 and (un)subscribes
			// are rebuilt from #pending then; acknowledgements and pings are void.
			this.#outbox.lose(error, item => item.message && !item.tracked);
			this.#state = RECONNECTING;
			this.#onDisconnect?.(error);
			this.#scheduleReconnect();
			return;
		}
		this.#state = IDLE;
		this.#shutdown(error);
		this.#onDisconnect?.(error);
	}

	/** Back to IDLE: every Promise still pending rejects with `error`; no timer or socket is left. */
	#shutdown(error: Error): void {
		this.#state = IDLE;
		this.#stopKeepAlive();
		Timer.clear(this.#retry);
		Timer.clear(this.#resumePending);
		this.#retry = this.#resumePending = undefined;
		const connecting = this.#connecting;
		this.#clearConnecting();
		connecting?.reject(error);
		if (this.#connection) {
			this.#connection.close();
			this.#connection = undefined;
		}
		this.#rejectAwaitingBroker(error);
		this.#outbox.lose(error, () => false);
		for (const waiter of this.#waiters.splice(0)) {
			Timer.clear(waiter.timer);
			waiter.reject(error);
		}
		this.#subscriptions = undefined;
		this.#exactlyOnce?.clear();
		this.#inbox.clear();	// like the seed: what was not read is gone with the connection
	}

	/** Rejects what waits for an acknowledgement (and the frames that would carry it). */
	#rejectAwaitingBroker(error: Error): void {
		const pending = [...this.#pending.values()];
		this.#pending.clear();
		this.#offline = 0;
		this.#outbox.remove(item => item.tracked !== undefined);
		for (const operation of pending)
			operation.reject(error);
	}

	#stopKeepAlive(): void {
		this.#keepAlive?.stop();
		this.#keepAlive = undefined;
	}

	/** publish, subscribe and unsubscribe are taken now, or kept for the reconnect. */
	#accepting(): boolean {
		return this.#state === CONNECTED || this.#state === RECONNECTING;
	}

	#notConnected(): Error {
		return new Error(this.#state === CONNECTING ? "not connected yet: wait for connect()" : "not connected: call connect() first");
	}

	// ---- sending ----

	/** The connection, when a packet may go straight out: sending allowed, nothing queued, the socket free. */
	#sendsNow(): Connection | undefined {
		const connection = this.#connection, state = this.#state;
		return (state === CONNECTED || state === DISCONNECTING) && this.#outbox.clear && connection!.idle ? connection : undefined;
	}

	#sending(): boolean {
		return this.#state === CONNECTED || this.#state === DISCONNECTING;
	}

	/** A control packet (ack, ping, DISCONNECT): out now if it can go, else behind what waits. */
	#send(frame: Frame, settle: Settle | undefined): void {
		this.#outbox.add(this.#sending() ? this.#connection : undefined, frame, settle, undefined, false);
	}

	/** The connection finished a packet it wrote in pieces (CONNECT, before CONNACK, is not the outbox's). */
	#onDrain(connection: Connection): void {
		if (connection === this.#connection && this.#sending())
			this.#outbox.written(connection);
	}

	#newPending(kind: number, id: number, resolve: (value?: any) => void, reject: (error: Error) => void): Pending & { id: number } {
		return {
			kind, resolve, reject, state: WAITING, id,
			topic: undefined, payload: undefined, qos: 0, retain: false, filters: undefined, grants: undefined, single: true
		};
	}

	/** A QoS 1/2 publish or (un)subscribe: out now when connected, else it waits for the reconnect in #pending. */
	#sendPending(pending: Pending & { id: number }, frame: Frame): void {
		if (this.#state === CONNECTED)
			this.#outbox.add(this.#connection, frame, undefined, pending, pending.kind === PUBLISH);
		else if (pending.kind === PUBLISH)
			this.#offline++;
	}

	#request(kind: number, filters: Data[], grants: number[] | undefined, single: boolean): Promise<any> {
		if (filters.length === 0)
			throw new TypeError(`${PACKET_NAMES[kind]} needs at least one topic`);
		const id = this.#ids.next(this.#pending);
		const frame = kind === SUBSCRIBE ? this.#writer.subscribe(id, filters, grants!) : this.#writer.unsubscribe(id, filters);
		if (!this.#accepting())
			return Promise.reject(this.#notConnected());
		return new Promise((resolve, reject) => {
			const pending = this.#newPending(kind, id, resolve, reject);
			pending.filters = filters;
			pending.grants = grants;
			pending.single = single;
			this.#pending.set(id, pending);
			this.#sendPending(pending, frame);
		});
	}

	/**
	 * After CONNACK: rebuilds the queue. First a resubscription when a reconnect
	 * found no session; then every operation still in flight, in its original
	 * order (publishes already sent again with DUP, PUBREL for QoS 2 past
	 * PUBREC); then the QoS 0 messages that waited.
	 */
	#requeue(resubscribe: boolean): void {
		const kept = this.#outbox.take();	// QoS 0 messages, kept by #lost
		this.#offline = 0;
		if (resubscribe && this.#subscriptions?.size) {
			const filters: Data[] = [], grants: number[] = [];
			for (const { filter, qos } of this.#subscriptions!.values()) {
				filters.push(filter);
				grants.push(qos);
			}
			const pending = this.#newPending(SUBSCRIBE, this.#ids.next(this.#pending), noop, noop);
			pending.filters = filters;
			pending.grants = grants;
			pending.single = false;
			this.#pending.set(pending.id, pending);
			this.#queue(this.#writer.subscribe(pending.id, filters, grants), pending, false);
		}
		for (const [id, pending] of this.#pending) {
			let frame: Frame;
			if (pending.kind === PUBLISH) {
				frame = pending.state === RELEASED
					? this.#writer.ack(PUBREL, id)
					: this.#writer.publish(pending.topic!, pending.payload!, pending.qos, pending.retain, pending.state === SENT, id);
			}
			else if (pending.kind === SUBSCRIBE) {
				if (pending.resolve === noop && resubscribe)
					continue;
				frame = this.#writer.subscribe(id, pending.filters!, pending.grants!);
			}
			else
				frame = this.#writer.unsubscribe(id, pending.filters!);
			this.#queue(frame, pending, pending.kind === PUBLISH);
		}
		for (const item of kept)
			this.#outbox.push(item);
	}

	#queue(frame: Frame, pending: Pending, message: boolean): void {
		this.#outbox.push({ head: frame.head.slice(), body: frame.body, settle: undefined, tracked: pending, message });
	}

	// ---- receiving ----

	/** Every packet, in order. Returns false to stop reading (the queue of messages is full). */
	#onPacket(connection: Connection, packet: Packet): boolean {
		if (connection !== this.#connection)
			return false;
		const type = packet.type;
		if (this.#state === DISCONNECTING)
			return true;	// nothing waits for the broker any more
		if (this.#state !== CONNECTED) {
			if (type !== CONNACK) {
				this.#fail(connection, new ProtocolError(`expected CONNACK, received ${PACKET_NAMES[type]}`));
				return false;
			}
			if (packet.returnCode !== 0) {
				this.#connectFailed(new MQTTException(packet.returnCode));
				return false;
			}
			this.#established(connection, packet.sessionPresent);
			return true;
		}
		switch (type) {
		case PUBLISH:
			return this.#onPublish(connection, packet);
		case PUBACK:
		case PUBCOMP:
			this.#acknowledged(connection, packet, type === PUBACK ? 1 : 2, type === PUBACK ? SENT : RELEASED);
			break;
		case PUBREC: {
			const pending = this.#pending.get(packet.id);
			if (pending && pending.kind === PUBLISH && pending.qos === 2 && pending.state === SENT)
				pending.state = RELEASED;
			if (!pending || pending.kind !== PUBLISH || pending.qos !== 2)
				break;
			this.#send(this.#writer.ack(PUBREL, packet.id), undefined);
			break;
		}
		case PUBREL:
			this.#exactlyOnce?.release(packet.id);
			this.#send(this.#writer.ack(PUBCOMP, packet.id), undefined);
			break;
		case SUBACK:
		case UNSUBACK: {
			const pending = this.#pending.get(packet.id);
			if (!pending || pending.kind !== (type === SUBACK ? SUBSCRIBE : UNSUBSCRIBE))
				break;
			if (type === SUBACK && packet.granted.length !== pending.filters!.length) {
				this.#fail(connection, new ProtocolError(`SUBACK carries ${packet.granted.length} return codes for ${pending.filters!.length} topics`));
				return false;
			}
			this.#pending.delete(packet.id);
			this.#settleRequest(pending, type === SUBACK ? packet.granted : undefined);
			break;
		}
		case PINGRESP:
			break;
		default:
			this.#fail(connection, new ProtocolError(`unexpected ${PACKET_NAMES[type]}`));
			return false;
		}
		const waiter = this.#waiters.shift();
		if (waiter) {
			Timer.clear(waiter.timer);
			waiter.resolve(type === PINGRESP ? undefined : (type << 4) | packet.flags);
		}
		return true;
	}

	#acknowledged(connection: Connection, packet: Packet, qos: number, state: number): void {
		const pending = this.#pending.get(packet.id);
		if (!pending || pending.kind !== PUBLISH || pending.qos !== qos || pending.state !== state)
			return;	// a late or duplicate acknowledgement: nothing waits for it
		this.#pending.delete(packet.id);
		pending.resolve();
	}

	#settleRequest(pending: Pending, granted: number[] | undefined): void {
		const filters = pending.filters!;
		if (granted) {
			for (let i = 0; i < filters.length; i++)
				if (granted[i] !== SUBACK_FAILURE)
					(this.#subscriptions ??= new Map()).set(keyOf(filters[i]), { filter: filters[i], qos: pending.grants![i] });
			if (pending.single && granted[0] === SUBACK_FAILURE)
				return pending.reject(new MQTTException(SUBACK_FAILURE));
			return pending.resolve(pending.single ? granted[0] : granted);
		}
		for (const filter of filters)
			this.#subscriptions?.delete(keyOf(filter));
		pending.resolve();
	}

	/**
	 * A message. QoS 2: PUBREC at once, and a PUBLISH the broker resends is
	 * not delivered again (see exactly-once.ts). Delivered now to a waiting
	 * waitMsg/checkMsg or in push mode; otherwise queued, and when the queue is
	 * full the client stops reading, unless something waits for an
	 * acknowledgement: then the oldest message goes to the callback, as the
	 * seed's blocking wait would have delivered it, so that the ack can arrive.
	 */
	#onPublish(connection: Connection, packet: Packet): boolean {
		const first = (PUBLISH << 4) | packet.flags;
		if (packet.qos === 2) {
			const duplicate = (this.#exactlyOnce ??= new ExactlyOnce()).receive(packet.id, packet.topic, packet.payload);
			this.#send(this.#writer.ack(PUBREC, packet.id), undefined);
			if (duplicate)
				return true;
		}
		const ackId = packet.qos === 1 ? packet.id : 0;
		const waiter = this.#waiters.shift();
		if (waiter || this.#push) {
			if (waiter)
				Timer.clear(waiter.timer);
			this.#deliver(packet.topic, packet.payload, ackId, first, waiter);
			return connection === this.#connection;
		}
		this.#inbox.push(packet.topic, packet.payload, first, ackId);
		if (!this.#inbox.full)
			return true;
		if (this.#pending.size) {
			this.#deliverQueued(undefined);
			return true;
		}
		return false;
	}

	/** Calls the callback; acknowledges QoS 1 after it returns; settles a waiter with the first byte. */
	#deliver(topic: ArrayBuffer, payload: ArrayBuffer, ackId: number, first: number, waiter: Settle | undefined): void {
		const callback = this.#callback;
		if (callback) {
			try {
				callback(topic, payload);
			}
			catch (error) {
				if (!waiter)
					throw error;	// push mode: the exception reaches the host, as any callback's would
				return waiter.reject(error as Error);
			}
		}
		if (ackId && this.#state === CONNECTED)
			this.#send(this.#writer.ack(PUBACK, ackId), undefined);
		waiter?.resolve(first);
	}

	#deliverQueued(waiter: Settle | undefined): void {
		const message = this.#message ??= { topic: EMPTY, payload: EMPTY, first: 0, ackId: 0 };
		this.#inbox.shift(message);
		const { topic, payload, first, ackId } = message;
		message.topic = message.payload = EMPTY;
		this.#deliver(topic, payload, ackId, first, waiter);
	}

	#wait(briefly: boolean): Promise<number | undefined> {
		if (this.#inbox.length) {
			return new Promise((resolve, reject) => {
				this.#deliverQueued({ resolve, reject });
				this.#resumeReading();
			});
		}
		if (this.#state === IDLE)
			return Promise.reject(this.#notConnected());
		return new Promise((resolve, reject) => {
			const waiter: Waiter = { resolve, reject, timer: undefined };
			if (briefly)
				waiter.timer = Timer.set(() => {
					const index = this.#waiters.indexOf(waiter);
					if (index >= 0)
						this.#waiters.splice(index, 1);
					resolve(undefined);
				}, CHECK_MSG_WAIT);
			this.#waiters.push(waiter);
		});
	}

	/** The queue has room again: read on, in a turn of its own (never inside the app's call). */
	#resumeReading(): void {
		if (this.#resumePending || !this.#connection?.paused)
			return;
		this.#resumePending = Timer.set(() => {
			this.#resumePending = undefined;
			this.#connection?.resume();
		}, 0);
	}
}

const EMPTY = new ArrayBuffer(0);

function noop(): void {}

function keyOf(filter: Data): string {
	if (typeof filter === "string")
		return filter;
	const bytes = ArrayBuffer.isView(filter) ? new Uint8Array(filter.buffer, filter.byteOffset, filter.byteLength) : new Uint8Array(filter);
	return String.fromArrayBuffer(bytes.slice().buffer);
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
	if (value !== undefined && value !== null && typeof value !== "function")
		throw new TypeError(`${what} must be a function`);
	return value ?? undefined;
}
