// The client's link to its broker: the life of its connections (name
// resolution, socket, CONNECT, CONNACK, keep-alive, loss, reconnect,
// DISCONNECT) and what rides on them: the send queue, the session, the
// delivery of received messages. Received packets go to their handlers
// (handlers.ts); the public API is the facade's (client.ts).
//
// The library's internal classes keep their helper methods TypeScript-private
// rather than #private: XS gives every instance a slot of its own (32 bytes
// on a 64-bit build) for each #method of its class, and a device's heap is
// small. Their state stays in #fields.
import Timer from "timer";
import { PUBLISH, PUBREL } from "mqtt/constants";
import type { Data } from "mqtt/bytes";
import { PacketWriter, type Frame, CLEAN_SESSION, flagsAt } from "mqtt/writer";
import { PacketParser, type Packet } from "mqtt/parser";
import { Connection, type ConnectionOwner, type Endpoint, type SocketClass } from "mqtt/connection";
import { Outbox, type Settle, type Sendable } from "mqtt/outbox";
import { Session } from "mqtt/session";
import { Delivery, type Callback, type StoredDelivery } from "mqtt/delivery";
import { HANDLERS, connackAccepts, type Receiver } from "mqtt/handlers";
import { KeepAlive } from "mqtt/keepalive";
import { backoffDelay, type Reconnect } from "mqtt/backoff";
import { literalAddress, resolveHost } from "mqtt/resolve";
import { STRIDE, type Failover } from "mqtt/endpoints";
import { MQTTException, fromApp } from "mqtt/errors";

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

/** The acknowledgement timer, carrying its link. */
interface AckTimer extends Timer {
	link: Link;
}

export const IDLE = 0, CONNECTING = 1, CONNECTED = 2, RECONNECTING = 3, DISCONNECTING = 4;

// CONNACK return codes after which trying again cannot succeed: the broker
// refuses this client (1 protocol, 2 identifier, 4 credentials, 5 not
// authorized). 3, server unavailable, may pass.
const RETRY_REFUSED = 3;

// Loaded on first use, so that an app without TLS carries none of it. Typed
// `string` on purpose: the SDK type-checks each build with only the typings
// of the modules in it, and a build without TLS has no declaration for it.
const TLS_MODULE: string = "embedded:io/socket/tcp/tls";
let loadedTLS: SocketClass | undefined;		// one for every client of the app

// What a QoS 0 publish written at once returns: one settled Promise for every
// publish of every client (a new one per publish makes XS 27 slots of
// garbage). Made as the module loads: a preloaded module's is in ROM on a
// device, and no client holds it, so QoS 0 traffic leaves no Promise behind.
const RESOLVED: Promise<void> = Promise.resolve();

export class Link implements ConnectionOwner, Receiver {
	// The server in use or being tried: the client's only one, or one of its failover list's.
	server: string;
	port: number;
	#ssl: Record<string, unknown> | undefined;
	/** The `servers` list, when it names more than one (endpoints.ts). */
	failover: Failover | undefined;
	readonly settings: Settings;
	/** The writer of the connection's version: MQTT 5's while one is tried or up (mqtt/v5/protocol sets it). */
	writer = new PacketWriter();
	/**
	 * MQTT 5, when the app asked for it (set by the facade at connect()).
	 * Declared, not a field: a 3.1.1 client's link has no slot for it.
	 */
	declare v5: VersionHooks | undefined;
	/**
	 * CONNECT, encoded and checked when the client was made (and at
	 * setLastWill): the client's only copy of its id, keep-alive, will and
	 * credentials. connect() sets its clean-session flag.
	 */
	connectPacket: ArrayBuffer;
	callback: Callback | undefined;

	state = IDLE;
	connection: Connection | undefined;
	#outbox: Outbox | undefined;
	#session: Session | undefined;
	#delivery: Delivery | undefined;
	#keepAlive: KeepAlive | undefined;
	#ackTimer: AckTimer | undefined;		// the next acknowledgement deadline (ackTimeout), while one is awaited
	#timer: Timer | undefined;		// the connection attempt's deadline, the next retry, or disconnect()'s
	#connecting: Settle | undefined;	// the app's connect(), while it is pending
	#timeout = 5000;
	#retries = 0;				// failed reconnection attempts in a row

	constructor(server: string, port: number, ssl: Record<string, unknown> | undefined, connectPacket: ArrayBuffer, callback: Callback | undefined, settings: Settings) {
		this.server = server;
		this.port = port;
		this.#ssl = ssl;
		this.connectPacket = connectPacket;
		this.callback = callback;
		this.settings = settings;
	}

	get session(): Session | undefined { return this.#session; }
	/** A store's session, made by the client with the link. */
	set session(session: Session | undefined) { this.#session = session; }
	/** The session, made when it first holds something. */
	get openSession(): Session { return this.#session ??= new Session(this); }
	get delivery(): Delivery { return this.#delivery ??= new Delivery(this, this.settings.queueLength, this.settings.push); }
	private get queue(): Outbox { return this.#outbox ??= new Outbox(); }
	get resubscribes(): boolean { return this.settings.reconnect !== undefined; }
	get keepsSession(): boolean { return !this.cleanSession; }
	get appWaiting(): boolean { return this.#session?.appWaiting ?? false; }
	/** publish, subscribe and unsubscribe are taken now, or kept for the reconnect. */
	get accepting(): boolean { return this.state === CONNECTED || this.state === RECONNECTING; }
	/** Messages held for sending: QoS 0 waiting for the socket, QoS 1/2 not completely acknowledged. */
	get outgoing(): number { return (this.#outbox?.messages ?? 0) + (this.#session?.publications ?? 0); }

	queueFull(): Error {
		const limit = this.settings.outgoingLimit;
		return new Error(`outgoing queue full: ${this.outgoing} messages wait for the ${this.state === CONNECTED ? "socket or the broker's acknowledgement" : "connection"} (outgoingLimit ${limit})`);
	}

	notConnected(): Error {
		return new Error(this.state === CONNECTING ? "not connected yet: wait for connect()" : "not connected: call connect() first");
	}

	// ---- connecting ----

	connect(cleanSession: boolean, timeout: number): Promise<0 | 1> {
		if (this.state !== IDLE)
			return Promise.reject(new Error(this.state === CONNECTED ? "already connected" : this.state === DISCONNECTING ? "disconnect() in progress" : "already connecting"));
		this.setCleanSession(cleanSession);
		if (cleanSession)
			this.#session?.discard();	// nothing of the old session is sent or kept [MQTT-3.1.2-6]
		this.#timeout = timeout;
		this.beginWalk();
		const connecting = new Promise<0 | 1>((resolve, reject) => { this.#connecting = { resolve, reject }; });
		this.state = CONNECTING;
		this.open();	// called here, not in the executor: frames nest less deep (an ESP8266 has 256 slots of stack)
		return connecting;
	}

	private get cleanSession(): boolean {
		const packet = new Uint8Array(this.connectPacket);
		return (packet[flagsAt(packet)] & CLEAN_SESSION) !== 0;
	}

	private setCleanSession(clean: boolean): void {
		const packet = new Uint8Array(this.connectPacket), at = flagsAt(packet);
		packet[at] = clean ? packet[at] | CLEAN_SESSION : packet[at] & ~CLEAN_SESSION;
	}

	/** The keep-alive interval in seconds, as CONNECT carries it (after the flags). */
	protected get keepalive(): number {
		const packet = new Uint8Array(this.connectPacket), at = flagsAt(packet);
		return (packet[at + 1] << 8) | packet[at + 2];
	}

	/** Resolves the name, opens the socket; CONNECT goes out in onOpen. Bounded by the connect timeout. */
	private open(): void {
		const timer = this.#timer = Timer.set(() => {
			this.#timer = undefined;
			this.attemptFailed(new Error(`no CONNACK from ${this.server}:${this.port} within ${this.#timeout / 1000} s`));
		}, this.#timeout);
		const address = literalAddress(this.server);
		if (address !== undefined)
			return this.reach(address, timer);
		resolveHost(this.server, resolved => {
			if (this.#timer !== timer)
				return;		// this attempt was given up
			try {	// a resolver's callback: no exception of the library leaves it
				if (resolved === undefined)
					return this.attemptFailed(new Error(`cannot resolve host name ${this.server}`));
				this.reach(resolved, timer);
			}
			catch (error) {
				this.attemptFailed(error as Error);
			}
		});
	}

	/** The address is known: the socket opens, through TLS when asked (the TLS socket class is loaded first). */
	private reach(address: string, timer: Timer): void {
		if (!this.#ssl)
			return this.dial({ address });
		this.loadTLS().then(TLS => {
			if (this.#timer === timer)
				this.dial({ address, TLS, secure: this.#ssl });
		}, error => this.#timer === timer && this.attemptFailed(error));
	}

	private async loadTLS(): Promise<SocketClass> {
		const given = this.settings.TLS ?? loadedTLS;
		if (given)
			return given;
		try {
			return loadedTLS = (await import(TLS_MODULE)).default as SocketClass;
		}
		catch {
			throw new Error("TLS is not in this build: include the library's manifest_tls.json");
		}
	}

	private dial(endpoint: Endpoint): void {
		try {
			this.connection = new Connection(this, endpoint, this.v5?.parser(this.settings.maxPacketSize) ?? new PacketParser(this.settings.maxPacketSize), this.keepalive > 0);
		}
		catch (error) {
			this.attemptFailed(error as Error);
		}
	}

	onOpen(connection: Connection): void {
		if (connection === this.connection)
			connection.send({ head: new Uint8Array(this.connectPacket), body: undefined });
	}

	/** CONNACK 0: the session is up. What the session holds goes out again; then what waited. False: the queue is full, reading waits. */
	private established(sessionPresent: boolean): boolean {
		const connection = this.connection!;
		const reconnected = this.state === RECONNECTING;
		const connecting = this.#connecting;
		Timer.clear(this.#timer);
		this.#timer = this.#connecting = undefined;
		this.state = CONNECTED;
		this.#retries = 0;
		if (this.failover)
			this.failover.failures = undefined;
		this.#delivery?.reconnected(sessionPresent);
		const kept = this.#outbox?.take();	// QoS 0 messages that waited for this connection
		this.#session?.resume(sessionPresent, reconnected);
		if (kept)
			this.queue.restore(kept);
		const keepalive = this.keepalive;
		if (keepalive)
			this.#keepAlive = new KeepAlive(keepalive, connection, this);
		this.#outbox?.flush(connection);
		connecting?.resolve(sessionPresent ? 1 : 0);
		this.hook(this.settings.onConnect, sessionPresent);
		return !this.#delivery?.full;	// a queue still full from before waits for the app
	}

	/**
	 * CONNACK with a refusal: connect() rejects with it; a reconnect stops,
	 * unless the broker is only unavailable for now (then, with a failover
	 * list, the next server is tried: a refusal of this client would be the
	 * cluster's, not one node's).
	 */
	refused(code: number, error = new MQTTException(code), final = code !== RETRY_REFUSED): void {
		if (this.state === RECONNECTING && final) {
			this.shutdown(error);
			this.hook(this.settings.onDisconnect, error);
			return;
		}
		this.attemptFailed(error, final);
	}

	/**
	 * A connection attempt failed: the next server of the failover list is
	 * tried (unless `final`), else the app's connect() rejects, or the next
	 * reconnect is scheduled.
	 */
	private attemptFailed(error: Error, final = false): void {
		Timer.clear(this.#timer);
		this.#timer = undefined;
		this.connection?.close();
		this.connection = undefined;
		const failover = this.failover;
		if (this.state === RECONNECTING)
			return this.scheduleReconnect(failover !== undefined && this.walkOn());
		if (this.state === CONNECTING) {
			if (failover && !final) {
				failover.record(`${this.server}:${this.port}`, error.message);
				if (this.walkOn())
					return this.scheduleReconnect(true);
				error = failover.error();
			}
			const connecting = this.#connecting;
			this.#connecting = undefined;
			this.state = IDLE;
			connecting?.reject(error);
		}
	}

	/** A walk of the failover list begins: its first server is tried first. */
	private beginWalk(): void {
		const failover = this.failover;
		if (failover) {
			failover.begin();
			this.useServer(0);
		}
	}

	/** The attempt at a server of the list failed: true when the walk has another, which is now the one tried. */
	private walkOn(): boolean {
		const failover = this.failover!, more = failover.next();
		this.useServer(failover.index);
		return more;
	}

	private useServer(index: number): void {
		const list = this.failover!.list, at = index * STRIDE;
		this.server = list[at] as string;
		this.port = list[at + 1] as number;
		this.#ssl = list[at + 2] as Record<string, unknown> | undefined;
	}

	/**
	 * The next attempt, in a timer's turn of its own (never nested in the
	 * callback that saw the last one fail: an ESP8266 has 256 slots of stack):
	 * at once for the next server of a walk, else after the backoff.
	 */
	private scheduleReconnect(walking = false): void {
		Timer.clear(this.#timer);
		this.#timer = Timer.set(() => {
			this.#timer = undefined;
			try {	// a timer's callback: no exception of the library leaves it
				this.open();
			}
			catch (error) {
				this.attemptFailed(error as Error);
			}
		}, walking ? 0 : backoffDelay(this.settings.reconnect!, this.#retries++));
	}

	// ---- the connection at work ----

	onPacket(connection: Connection, packet: Packet): boolean {
		if (connection !== this.connection)
			return false;
		const state = this.state;
		if (state === CONNECTED)	// a PUBLISH straight to delivery (not through its getter, once made): calls less on the receive path
			return packet.type === PUBLISH ? (this.#delivery ?? this.delivery).received(packet) : (this.v5?.handlers ?? HANDLERS)[packet.type](this, packet);
		if (state === DISCONNECTING)
			return true;	// nothing waits for the broker any more
		return (this.v5?.connack ?? connackAccepts)(this, packet) && this.established(packet.sessionPresent);
	}

	onDrain(connection: Connection): void {
		const outbox = this.#outbox;
		if (outbox !== undefined && connection === this.connection && this.sending) {
			outbox.written(connection);
			if (outbox.clear && this.#outbox === outbox)
				this.#outbox = undefined;	// emptied: a client whose traffic has ended keeps no send queue (the next packet that must wait makes one)
		}
	}

	private get sending(): boolean {
		return this.state === CONNECTED || this.state === DISCONNECTING;
	}

	/**
	 * The connection, when a packet may go straight out: sending allowed,
	 * nothing queued, the socket free. A call of its own, not inline in
	 * publish(): inlined (25 steps less a publish), the device's work no
	 * longer ran with a stack of 192 slots (tests/mcsim-esp8266.test.js).
	 */
	private sendsNow(): Connection | undefined {
		const connection = this.connection, state = this.state;	// `sending`, without its call
		return (state === CONNECTED || state === DISCONNECTING) && (this.#outbox?.clear ?? true) && connection!.idle ? connection : undefined;
	}

	/** A control packet (ack, ping): out now if it can go, else behind what waits. */
	send(frame: Frame): void {
		this.hand(frame, undefined);
	}

	/** A tracked operation's packet: out when connected; otherwise the session sends it again at resume(). */
	sendOp(frame: Frame, op: Sendable): void {
		if (this.state !== CONNECTED)
			return;
		this.hand(frame, op);
		if (this.#ackTimer === undefined && this.settings.ackTimeout)
			this.awaitAcks(this.settings.ackTimeout);
	}

	/**
	 * A packet nobody awaits the writing of: to the socket now when it can go
	 * (nothing waits, the socket free) without making a send queue, so that
	 * traffic written at once leaves none behind; else behind what waits.
	 */
	private hand(frame: Frame, op: Sendable | undefined): void {
		const connection = this.sendsNow();
		if (connection === undefined) {
			this.queue.add(this.sending ? this.connection : undefined, frame, undefined, op, false);
			return;
		}
		op?.sent();
		if (connection.send(frame))
			op?.written();
		else
			this.queue.begun(undefined, op, false);
	}

	/**
	 * The acknowledgement deadlines: the session rejects what is overdue; the
	 * timer runs while anything is awaited. It carries its link instead of a
	 * closure: what it holds until its deadline is the timer alone.
	 */
	private awaitAcks(delay: number): void {
		(this.#ackTimer = Timer.set(Link.#acksDue, delay) as AckTimer).link = this;
	}

	/** The acknowledgement timer's callback: no exception of the library leaves it. */
	static #acksDue(timer: Timer): void {
		const link = (timer as AckTimer).link;
		link.#ackTimer = undefined;
		try {
			const next = link.#session?.expire(link.settings.ackTimeout);
			if (next !== undefined && link.state === CONNECTED)
				link.awaitAcks(next);
		}
		catch (error) {
			link.failed(new Error(`internal error: ${error instanceof Error ? error.message : String(error)}`));
		}
	}

	/** PUBACK, PUBREC, PUBREL or PUBCOMP, when connected. */
	acknowledge(type: number, id: number): boolean {
		if (this.state !== CONNECTED)
			return false;
		// Straight to the socket, from the connection's own four bytes, when
		// nothing waits and the window takes it; else a frame of its own,
		// behind what waits (an acknowledgement has nothing to settle).
		const connection = this.connection!;
		if (!((this.#outbox?.clear ?? true) && connection.sendAck((type << 4) | (type === PUBREL ? 0x02 : 0), id)))
			this.queue.add(connection, this.writer.ack(type, id), undefined, undefined, false);
		return true;
	}

	/** A packet other than PUBLISH: a waiting waitMsg/checkMsg resolves its first byte (PINGRESP: undefined). */
	answer(first: number | undefined): void {
		this.#delivery?.other(first);
	}

	accepted(id: number): boolean {
		return this.#session?.accepted(id) ?? false;
	}

	accept(id: number): StoredDelivery | undefined {
		return this.openSession.accept(id);
	}

	delivered(id: number): void {
		this.openSession.delivered(id);
	}

	sendPing(): void {
		this.send(this.writer.pingreq());
	}

	dead(silence: number): void {
		this.failed(new Error(`the broker did not answer PINGREQ within ${silence} ms (keep-alive ${this.keepalive} s): connection dead`));
	}

	failed(error: Error): void {
		const connection = this.connection;
		if (connection)
			this.fail(connection, error);
	}

	/**
	 * A QoS 0 publish: resolves once handed to the socket. The hot path: a
	 * packet that goes out at once allocates nothing more. One that must wait
	 * counts against outgoingLimit.
	 */
	publish(topic: Data, msg: Data, retain: boolean): Promise<void> {
		const frame = this.writer.publish(topic, msg, 0, retain, false, 0);
		const connection = this.sendsNow();
		if (connection) {
			if (connection.send(frame))
				return RESOLVED;
			return new Promise((resolve, reject) => this.queue.begun({ resolve, reject }, undefined, true));
		}
		if (this.outgoing >= this.settings.outgoingLimit)
			return Promise.reject(this.queueFull());
		return new Promise((resolve, reject) => {
			if (this.queue.add(this.sending ? this.connection : undefined, frame, { resolve, reject }, undefined, true))
				resolve();
		});
	}

	/** Resolves once PINGREQ is handed to the socket. */
	ping(): Promise<void> {
		let settle!: Settle;
		const pinged = new Promise<void>((resolve, reject) => { settle = { resolve, reject }; });
		if (this.queue.add(this.sending ? this.connection : undefined, this.writer.pingreq(), settle, undefined, false))
			settle.resolve();
		return pinged;
	}

	/** The queue has room again: read on, in a turn of its own (never inside the app's call). */
	resumeReading(): void {
		const connection = this.connection;
		if (connection?.paused)
			Timer.set(() => {
				if (this.connection === connection)
					connection.resume();
			}, 0);
	}

	// ---- the end of a connection ----

	onClose(connection: Connection, error: Error): void {
		if (connection !== this.connection)
			return;
		if (this.state === CONNECTED)
			this.lost(error);
		else if (this.state === DISCONNECTING)
			this.shutdown(error);
		else
			this.attemptFailed(error);
	}

	/** Closes a connection for a fault the client found (a dead keep-alive). */
	private fail(connection: Connection, error: Error): void {
		connection.close();
		this.onClose(connection, error);
	}

	/** The connection was up and is gone. With reconnect, what is in flight waits; else everything rejects. */
	private lost(error: Error): void {
		error = this.#session?.lost(error) ?? error;	// told what awaited PUBREC, if anything did
		this.connection = undefined;
		this.stopKeepAlive();
		if (this.settings.reconnect) {
			// QoS 0 messages wait for the next connection; tracked operations are
			// sent again by the session then; acknowledgements and pings are void.
			this.#outbox?.lose(error, true);
			this.#session?.suspend();
			this.state = RECONNECTING;
			this.beginWalk();	// back to the first server, the preferred one: only now, never by dropping a healthy connection
			this.scheduleReconnect();
		}
		else
			this.shutdown(error);
		this.hook(this.settings.onDisconnect, error);
	}

	/** Writes DISCONNECT after what is already queued, closes the socket; what waited for the broker rejects. */
	disconnect(): Promise<void> {
		const error = new Error("disconnected by the application");
		const connection = this.connection;
		if (this.state !== CONNECTED || !connection) {
			if (this.state === CONNECTING)
				this.attemptFailed(error, true);
			else if (this.state === RECONNECTING)
				this.shutdown(error);
			return Promise.resolve();
		}
		this.state = DISCONNECTING;
		this.stopKeepAlive();
		this.#outbox?.dropOps();	// packets of tracked operations not yet written stay unwritten: their session has them
		this.#session?.end(error, !this.cleanSession);
		this.#delivery?.end(error);
		let done!: () => void;
		const disconnected = new Promise<void>(resolve => { done = resolve; });
		const finish = () => {
			if (this.#timer === timer) {
				Timer.clear(timer);
				this.#timer = undefined;
			}
			connection.close();
			if (this.connection === connection)
				this.shutdown(error);
			done();
		};
		const timer = this.#timer = Timer.set(finish, this.#timeout);	// a dead broker must not hold disconnect() forever
		// Written outside the Promise's executor, and finished at once when it
		// went whole: frames nest less deep (an ESP8266 has 256 slots of stack).
		if (this.queue.add(connection, this.writer.disconnect(), { resolve: finish, reject: finish }, undefined, false))
			finish();
		return disconnected;
	}

	/** Back to IDLE: every Promise still pending rejects with `error`; no timer or socket is left. */
	private shutdown(error: Error): void {
		this.state = IDLE;
		this.stopKeepAlive();
		Timer.clear(this.#timer);
		this.#timer = undefined;
		const connecting = this.#connecting;
		this.#connecting = undefined;
		this.connection?.close();
		this.connection = undefined;
		this.#retries = 0;
		this.#outbox?.lose(error, false);
		const kept = this.#session?.end(error, !this.cleanSession);
		this.#delivery?.end(error);
		// What only a connection used goes, so that a client no longer
		// connected holds what it held before connect(): the emptied send
		// queue and delivery, the topic cache, and a session that ended clean
		// (connect() would discard it).
		this.#outbox = this.#delivery = undefined;
		if (!kept)
			this.#session = undefined;
		this.writer.forget();
		connecting?.reject(error);
	}

	/** What only the connection that was up had stops: keep-alive, the acknowledgement deadline. */
	protected stopKeepAlive(): void {
		this.#keepAlive?.stop();
		this.#keepAlive = undefined;
		Timer.clear(this.#ackTimer);
		this.#ackTimer = undefined;
	}

	/** An app hook; its exception goes on to the host, as any callback's would. */
	private hook<T>(hook: ((value: T) => void) | undefined, value: T): void {
		if (!hook)
			return;
		try {
			hook(value);
		}
		catch (error) {
			throw fromApp(error);
		}
	}
}

