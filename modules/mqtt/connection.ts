// One network connection to the broker over an ECMA-419 socket (TCP, or TLS
// when the client was given ssl params).
//
// Writing honours the socket's write window exactly: a frame is written only
// as far as the window allows and continues on onWritable, so the socket never
// throws "would block". A frame that fits goes out at once, with no copy.
//
// Reading is eager: everything readable is parsed in the onReadable turn that
// announced it, packet by packet, until the owner asks to pause (its queue of
// received messages is full); the bytes then stay in the socket and TCP holds
// the broker back.
import TCP from "embedded:io/socket/tcp";
import Time from "time";
import { PacketParser, type Packet } from "mqtt/parser";
import { ProtocolError } from "mqtt/errors";
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

// A TLS record carries at most 16,384 bytes: the SDK's TLS socket throws
// "too large" beyond. TCP takes the same cap at no cost (its window is smaller).
const MAX_WRITE = 16384;
// What a TLS record may cost beyond its data: 5 header bytes, then for
// AES-CBC with SHA-256 a 16-byte IV, a 32-byte MAC and up to 16 bytes of
// padding, 69 in all (AES-GCM: 29). The SDK's TLS socket offers the TCP room
// less 96 at onWritable and less 32 after a write; keeping this reserve more
// per write lets a frame go as two records (head, then body) where the
// window says it fits: 2 x 56 + 32 >= 2 x 69.
const TLS_RECORD_RESERVE = 56;

interface SocketWithTarget {
	target: Connection;
}

export class Connection {
	// The socket's callbacks, one set for every TCP connection: the socket
	// calls them with itself as `this`, and its `target` is the connection.
	static readonly #callbacks = Object.freeze({
		onReadable(this: SocketWithTarget, count: number) { this.target.#onReadable(count); },
		onWritable(this: SocketWithTarget, count: number) { this.target.#onWritable(count); },
		onError(this: SocketWithTarget, error?: Error) { this.target.#onError(error); }
	});

	readonly #events: ConnectionEvents<any>;
	readonly #owner: unknown;
	readonly #endpoint: Endpoint;
	readonly #parser: PacketParser;
	readonly #socket: Socket;
	readonly #input: Uint8Array;
	#inputStart = 0;
	#inputEnd = 0;
	#readable = 0;		// bytes buffered in the socket, unread
	#writable = 0;		// bytes the socket takes now
	readonly #reserve: number;	// bytes a write costs beyond its own (TLS records)
	#opened = false;
	#closed = false;
	#paused = false;
	// The frame being written across onWritable calls.
	#head: Uint8Array | undefined;
	#body: Uint8Array | undefined;
	#offset = 0;
	#ownError: unknown;
	/** Time.ticks of the last write and of the last arrival, kept only for the keep-alive, which reads them. */
	lastSend = 0;
	lastReceive = 0;
	readonly #clocked: boolean;

	/** `clocked`: keep lastSend and lastReceive (a keep-alive reads them); else the hot paths skip the clock. */
	constructor(endpoint: Endpoint, events: ConnectionEvents<any>, owner: unknown, maxPacketSize: number, readBufferSize: number, clocked: boolean) {
		this.#clocked = clocked;
		this.#reserve = endpoint.TLS ? TLS_RECORD_RESERVE : 0;
		this.#events = events;
		this.#owner = owner;
		this.#endpoint = endpoint;
		this.#parser = new PacketParser(maxPacketSize);
		this.#input = new Uint8Array(readBufferSize);
		this.lastSend = this.lastReceive = Time.ticks;
		const options: Record<string, unknown> = {
			address: endpoint.address,
			port: endpoint.port,
			nodelay: true,	// MQTT packets are small and latency-bound
			target: this,
			...Connection.#callbacks
		};
		if (endpoint.TLS) {
			// The SDK's TLS socket calls back without itself as `this`: closures here.
			const connection = this;
			options.onReadable = (count: number) => connection.#onReadable(count);
			options.onWritable = (count: number) => connection.#onWritable(count);
			options.onError = (error?: Error) => connection.#onError(error);
			options.host = endpoint.host;
			options.secure = endpoint.secure ?? {};
			options.TCP = { io: guardedTCP(error => connection.#onTLSFault(error)) };
			this.#socket = new endpoint.TLS(options);
		}
		else
			this.#socket = new TCP(options as ConstructorParameters<typeof TCP>[0]) as unknown as Socket;
	}

	/** True when nothing is being written: a send() would start at once. */
	get idle(): boolean { return this.#head === undefined && this.#opened && !this.#closed; }
	/** Reading stopped at the owner's request. */
	get paused(): boolean { return this.#paused; }
	/** Unread bytes wait in the socket. */
	get backlog(): boolean { return this.#readable > 0 || this.#inputStart < this.#inputEnd; }

	/**
	 * Writes a frame (the writer's, consumed before this returns). True when it
	 * was handed to the socket whole; otherwise the rest follows on onWritable,
	 * and the owner hears onDrain when it is all written. Call only when
	 * `idle`: the outbox sees to it, so it is not checked again here.
	 */
	send(frame: Frame): boolean {
		const { head, body } = frame;
		if (head.length + (body ? body.length + this.#reserve : 0) <= this.#writable) {
			this.#write(head);
			if (body && body.length)
				this.#write(body);
			if (this.#clocked)
				this.lastSend = Time.ticks;
			return true;
		}
		this.#head = head.slice();	// the writer reuses its buffer
		this.#body = body && body.length ? body : undefined;
		this.#offset = 0;
		this.#continue();
		return this.#head === undefined;
	}

	/** Starts reading again after onPacket returned false. */
	resume(): void {
		if (!this.#paused)
			return;
		this.#paused = false;
		this.#pump();
	}

	/** Closes the socket; no callback follows. The frame in progress is abandoned. */
	close(): void {
		if (this.#closed)
			return;
		this.#closed = true;
		try {
			this.#socket.close();
		}
		catch {
			// already closed by the host
		}
		this.#head = this.#body = undefined;
	}

	/**
	 * One write; what the socket says it takes next is the new window. The
	 * TCP socket returns it exactly; the SDK's TLS socket returns its TCP
	 * room less 32, while the next record may cost up to 69 bytes more than
	 * its data, so a TLS write keeps a reserve.
	 */
	#write(bytes: Uint8Array): void {
		const left = this.#socket.write(bytes);
		this.#writable = typeof left === "number" ? left - this.#reserve : this.#writable - bytes.length - this.#reserve;
	}

	/** Writes as much of the frame in progress as the window allows. */
	#continue(): void {
		while (this.#head !== undefined) {
			const part = this.#offset < this.#head.length ? this.#head : this.#body!;
			const start = part === this.#head ? this.#offset : this.#offset - this.#head.length;
			const count = Math.min(part.length - start, this.#writable, MAX_WRITE);
			if (count <= 0)
				return;
			this.#write(start === 0 && count === part.length ? part : part.subarray(start, start + count));
			if (this.#clocked)
				this.lastSend = Time.ticks;
			this.#offset += count;
			if (this.#offset === this.#head.length + (this.#body ? this.#body.length : 0))
				this.#head = this.#body = undefined;
		}
	}

	#onWritable(count: number): void {
		if (this.#closed)
			return;
		this.#writable = count;
		if (!this.#opened) {
			this.#opened = true;
			this.#events.onOpen(this.#owner, this);
			return;
		}
		if (this.#head === undefined)
			return;
		this.#continue();
		if (this.#head === undefined && !this.#closed)
			this.#events.onDrain(this.#owner, this);
	}

	#onReadable(count: number): void {
		if (this.#closed)
			return;
		this.#readable = count;
		if (this.#clocked)
			this.lastReceive = Time.ticks;
		try {
			this.#pump();
		}
		catch (error) {
			this.#ownError = error;	// an exception of the app's callback (push mode): let it reach the host
			throw error;
		}
	}

	/** Parses what is buffered here, then reads more, until paused or nothing is left. */
	#pump(): void {
		const input = this.#input, parser = this.#parser, events = this.#events, owner = this.#owner;
		try {
			while (!this.#paused && !this.#closed) {
				const start = this.#inputStart, end = this.#inputEnd;
				if (start < end) {
					this.#inputStart = parser.parse(input, start, end);
					if (parser.ready && !events.onPacket(owner, this, parser.packet))
						this.#paused = true;
					continue;
				}
				const count = Math.min(this.#readable, input.length);
				if (count === 0)
					return;
				this.#socket.read(count === input.length ? input : input.subarray(0, count));
				this.#readable -= count;
				this.#inputStart = 0;
				this.#inputEnd = count;
			}
		}
		catch (error) {
			if (!(error instanceof ProtocolError))
				throw error;	// the owner's (an app callback in push mode): not a fault of the stream
			this.#fail(error);
		}
	}

	/** The TLS layer threw: the handshake failed (a bad certificate, an alert) or a record was bad. */
	#onTLSFault(error: unknown): void {
		if (error === this.#ownError)
			throw error;	// not the TLS layer's: it came from this connection's owner, through the TLS socket
		const { host, port } = this.#endpoint;
		const reason = `TLS: ${error instanceof Error ? error.message : String(error)}`;
		this.#fail(new Error(this.#opened ? `connection to ${host}:${port} failed: ${reason}` : `could not connect to ${host}:${port}: ${reason}`));
	}

	#onError(error?: Error): void {
		if (this.#closed)
			return;
		const { host, port } = this.#endpoint;
		const reason = error && error.message ? `: ${error.message}` : "";
		this.#failOwn(new Error(this.#opened
			? `connection to ${host}:${port} closed by the broker or lost${reason}`
			: `could not connect to ${host}:${port}${reason || " (refused, unreachable, or the TLS handshake failed)"}`));
	}

	/** As #fail, from a socket callback: an exception of the owner's (an app hook) is not the TLS layer's. */
	#failOwn(error: Error): void {
		try {
			this.#fail(error);
		}
		catch (thrown) {
			this.#ownError = thrown;
			throw thrown;
		}
	}

	#fail(error: Error): void {
		if (this.#closed)
			return;
		this.close();
		this.#events.onClose(this.#owner, this, error);
	}
}

/**
 * The TCP class given to the SDK's TLS socket. That socket runs its
 * handshake inside its TCP callbacks and throws from there when it fails (a
 * certificate not trusted, for another host or expired: "certificate: auth
 * err"); uncaught, the exception aborts the whole app. Wrapping those
 * callbacks turns it into a failed connection that says why.
 */
function guardedTCP(onFault: (error: unknown) => void): unknown {
	const guard = (callback: unknown) => typeof callback !== "function" ? callback : function (this: unknown, ...args: unknown[]) {
		try {
			return (callback as (...args: unknown[]) => unknown).apply(this, args);
		}
		catch (error) {
			onFault(error);
		}
	};
	return function GuardedTCP(options: Record<string, unknown>) {
		return new TCP({
			...options,
			onReadable: guard(options.onReadable),
			onWritable: guard(options.onWritable),
			onError: guard(options.onError)
		} as ConstructorParameters<typeof TCP>[0]);
	};
}
