// One network connection to the broker over an ECMA-419 socket (TCP, or TLS
// when the client was given ssl params).
//
// Writing honours the socket's write window exactly: a frame is written only
// as far as the window allows and continues on onWritable, so the socket never
// throws "would block". A frame that fits goes out at once, with no copy.
//
// Reading is eager: everything readable is read in the onReadable turn that
// announced it, into a buffer of that size made for it (nothing is held while
// idle), and parsed packet by packet until the owner asks to pause (its queue
// of received messages is full); the bytes then stay in the socket and TCP
// holds the broker back.
//
// No exception of the library leaves a socket callback: one that is not the
// app's own closes the connection with an error that names it.
import TCP from "embedded:io/socket/tcp";
import Time from "time";
import Timer from "timer";
import type { PacketParser, Packet } from "mqtt/parser";
import { ProtocolError, isFromApp } from "mqtt/errors";
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

// A TLS record carries at most 16,384 bytes: the SDK's TLS socket throws
// "too large" beyond. TCP takes the same cap at no cost (its window is smaller).
const MAX_WRITE = 16384;
// What a TLS record may cost beyond its data: 5 header bytes, then for
// AES-CBC with SHA-256 a 16-byte IV, a 32-byte MAC and up to 16 bytes of
// padding, 69 in all (AES-GCM, 29). The SDK's TLS socket offers the TCP room
// less 96 at onWritable and less 32 after a write; keeping this reserve more
// per write lets a frame go as two records (head, then body) where the
// window says it fits: 2 x 56 + 32 >= 2 x 69.
const TLS_RECORD_RESERVE = 56;

// A socket's write() returns its room, and nothing when the write failed: a
// reset connection (EPIPE), or a socket already failed. The SDK's Linux
// socket (mcsim) then never calls onError (its polling stops at the error),
// so a write's result is the only word the client gets that the link is gone.
const WRITE_FAILED = "write failed";

// The alerts a broker refuses a handshake with (RFC 5246 7.2, RFC 7301 3.2;
// 116, RFC 8446): the SDK reports only their numbers.
const ALERTS: Readonly<Record<string, string>> = Object.freeze({
	"40": "handshake_failure", "42": "bad_certificate", "45": "certificate_expired",
	"46": "certificate_unknown", "48": "unknown_ca", "49": "access_denied",
	"112": "unrecognized_name", "116": "certificate_required", "120": "no_application_protocol"
});

const OPENED = 1, CLOSED = 2, PAUSED = 4, CLOCKED = 8, TLS = 16;

interface SocketWithTarget {
	target: Connection;
}

export class Connection {
	// The TCP socket's callbacks, one set for every connection: the socket
	// calls them with itself as `this`, and its `target` is the connection.
	static readonly #callbacks = Object.freeze({
		onReadable(this: SocketWithTarget, count: number) { this.target.onReadable(count); },
		onWritable(this: SocketWithTarget, count: number) { this.target.onWritable(count); },
		onError(this: SocketWithTarget) { this.target.onError(); }
	});

	readonly #owner: ConnectionOwner;
	readonly #parser: PacketParser;
	readonly #socket: Socket;
	#flags = 0;
	#writable = 0;			// bytes the socket takes now
	#readable = 0;			// bytes buffered in the socket, unread
	#input: Uint8Array | undefined;	// bytes read and not yet parsed (reading paused)
	#inputStart = 0;
	#frame: Frame | undefined;	// being written across onWritable calls
	#offset = 0;
	#ack: Uint8Array | undefined;	// sendAck's four bytes, written over for each acknowledgement
	/**
	 * True when nothing is being written and the socket is open: a send()
	 * would start at once. A field the connection keeps, not a getter: each
	 * publish and acknowledgement asks, and a getter is a call.
	 */
	idle = false;
	/** Time.ticks of the last write and of the last arrival, kept only when the keep-alive reads them. */
	lastSend = 0;
	lastReceive = 0;

	/**
	 * `parser`: a new one, for this connection alone; the caller makes it, so
	 * that its construction does not nest inside this constructor's frame
	 * (each outer name a function uses is a stack slot of its frame, and this
	 * one uses many; an ESP8266 has 256 slots of stack).
	 * `clocked`: keep lastSend and lastReceive (a keep-alive reads them); else the hot paths skip the clock.
	 */
	constructor(owner: ConnectionOwner, endpoint: Endpoint, parser: PacketParser, clocked: boolean) {
		this.#owner = owner;
		this.#parser = parser;
		if (clocked) {
			this.#flags = CLOCKED;
			this.lastSend = this.lastReceive = Time.ticks;
		}
		if (endpoint.TLS)
			this.#flags |= TLS;
		const callbacks = Connection.#callbacks;
		const options: Record<string, unknown> = {
			address: endpoint.address,
			port: owner.port,
			nodelay: true,	// MQTT packets are small and latency-bound
			target: this,
			onReadable: callbacks.onReadable,
			onWritable: callbacks.onWritable,
			onError: callbacks.onError
		};
		if (endpoint.TLS) {
			// The SDK's TLS socket calls back without itself as `this`: closures here.
			options.onReadable = (count: number) => this.onReadable(count);
			options.onWritable = (count: number) => this.onWritable(count);
			options.onError = () => this.onError();
			options.host = owner.server;
			options.secure = endpoint.secure ?? {};
			options.TCP = { io: guardedTCP(error => this.onTLSFault(error), () => !(this.#flags & OPENED)) };
			this.#socket = new endpoint.TLS(options);
		}
		else
			this.#socket = new TCP(options as ConstructorParameters<typeof TCP>[0]) as unknown as Socket;
	}

	/** Reading stopped at the owner's request. */
	get paused(): boolean { return (this.#flags & PAUSED) !== 0; }
	/** Unread bytes wait in the socket: the broker is alive, the client is just not reading. */
	get backlog(): boolean { return this.#readable > 0 || this.#input !== undefined; }

	/**
	 * Writes a frame. True when it was handed to the socket whole; otherwise
	 * the rest follows on onWritable, and the owner hears onDrain when it is
	 * all written (the frame is kept until then: each is the writer's own).
	 * Call only when `idle`: the outbox sees to it.
	 */
	send(frame: Frame): boolean {
		const head = frame.head, body = frame.body, reserve = this.#flags & TLS ? TLS_RECORD_RESERVE : 0;
		if (head.length + (body ? body.length + reserve : 0) <= this.#writable) {
			// Written here rather than through a helper: one frame less on the
			// deepest paths (an ESP8266 has 256 slots of stack in all).
			const socket = this.#socket;
			try {
				let left = socket.write(head);
				if (typeof left !== "number")
					throw new Error(WRITE_FAILED);
				this.#writable = left - reserve;
				if (body && body.length) {
					left = socket.write(body);
					if (typeof left !== "number")
						throw new Error(WRITE_FAILED);
					this.#writable = left - reserve;
				}
			}
			catch (error) {
				this.writeFailed(error);
				return false;
			}
			if (this.#flags & CLOCKED)
				this.lastSend = Time.ticks;
			return true;
		}
		this.#frame = frame;
		this.idle = false;
		this.#offset = 0;
		this.continue();
		return this.#frame === undefined;
	}

	/**
	 * A four-byte packet (an acknowledgement: `first`, length 2, `id`) from a
	 * buffer the connection keeps: a socket write copies what it is given, so
	 * one buffer serves every acknowledgement, and a PUBACK allocates nothing.
	 * True when it is handled (written whole, or the connection failed);
	 * false when the socket is busy or too full for it: then send() a frame.
	 */
	sendAck(first: number, id: number): boolean {
		if (!this.idle || this.#writable < 4)
			return false;
		const flags = this.#flags;
		const ack = this.#ack ??= new Uint8Array(4), reserve = flags & TLS ? TLS_RECORD_RESERVE : 0;
		ack[0] = first;
		ack[1] = 2;
		ack[2] = id >> 8;
		ack[3] = id & 0xFF;
		try {
			const left = this.#socket.write(ack);
			if (typeof left !== "number")
				throw new Error(WRITE_FAILED);
			this.#writable = left - reserve;
		}
		catch (error) {
			this.writeFailed(error);
			return true;
		}
		if (flags & CLOCKED)
			this.lastSend = Time.ticks;
		return true;
	}

	/** Starts reading again after onPacket returned false. */
	resume(): void {
		if (!(this.#flags & PAUSED))
			return;
		this.#flags &= ~PAUSED;
		this.onReadable(this.#readable, false);
	}

	/** Closes the socket; no callback follows. The frame in progress is abandoned. */
	close(): void {
		if (this.#flags & CLOSED)
			return;
		this.#flags |= CLOSED;
		this.idle = false;
		this.#frame = this.#input = this.#ack = undefined;
		this.#parser.release();
		try {
			this.#socket.close();
		}
		catch {
			// already closed by the host
		}
	}

	/**
	 * Writes as much of the frame in progress as the window allows. After
	 * each write, what the socket says it takes next is the new window: the
	 * TCP socket returns it exactly; the SDK's TLS socket returns its TCP room
	 * less 32, while the next record may cost more (TLS_RECORD_RESERVE).
	 */
	private continue(): void {
		const reserve = this.#flags & TLS ? TLS_RECORD_RESERVE : 0;
		for (let frame = this.#frame; frame !== undefined; frame = this.#frame) {
			const head = frame.head, body = frame.body;
			const inHead = this.#offset < head.length;
			const part = inHead ? head : body!;
			const start = inHead ? this.#offset : this.#offset - head.length;
			const count = Math.min(part.length - start, this.#writable, MAX_WRITE);
			if (count <= 0)
				return;
			try {
				const left = this.#socket.write(start === 0 && count === part.length ? part : part.subarray(start, start + count));
				if (typeof left !== "number")
					throw new Error(WRITE_FAILED);
				this.#writable = left - reserve;
			}
			catch (error) {
				return this.writeFailed(error);
			}
			if (this.#flags & CLOCKED)
				this.lastSend = Time.ticks;
			this.#offset += count;
			if (this.#offset === head.length + (body ? body.length : 0)) {
				this.#frame = undefined;
				this.idle = true;
			}
		}
	}

	private onWritable(count: number): void {
		if (this.#flags & CLOSED)
			return;
		this.#writable = count;
		try {
			if (!(this.#flags & OPENED)) {
				this.#flags |= OPENED;
				this.idle = true;
				this.#owner.onOpen(this);
			}
			else if (this.#frame !== undefined) {
				this.continue();
				if (this.#frame === undefined && !(this.#flags & CLOSED))
					this.#owner.onDrain(this);
			}
		}
		catch (error) {
			this.fault(error);
		}
	}

	/**
	 * `count` bytes are readable (`arrived`: newly, not a resume). Everything
	 * read is parsed, then more read, until paused or nothing is left. One
	 * method, not two: the receive path is the deepest (an ESP8266 has 256
	 * slots of stack).
	 */
	private onReadable(count: number, arrived = true): void {
		if (this.#flags & CLOSED)
			return;
		this.#readable = count;
		if (arrived && (this.#flags & CLOCKED))
			this.lastReceive = Time.ticks;
		try {
			const parser = this.#parser;
			while (!(this.#flags & (PAUSED | CLOSED))) {
				let input = this.#input;
				if (input === undefined) {
					if (this.#readable === 0)
						return;
					const bytes = this.#socket.read();
					this.#readable = 0;
					if (bytes === undefined)
						return;
					input = this.#input = new Uint8Array(bytes);
					this.#inputStart = 0;
				}
				const end = input.length;
				this.#inputStart = parser.parse(input, this.#inputStart, end);
				if (this.#inputStart === end) {
					this.#input = undefined;
					parser.release();
				}
				if (parser.ready && !this.#owner.onPacket(this, parser))	// the parser is its own packet record
					this.#flags |= PAUSED;
			}
		}
		catch (error) {
			this.fault(error);
		}
	}

	/**
	 * The socket refused a write (the SDK's TLS socket throws once its
	 * session failed, or after an alert): the connection is over. The owner
	 * hears it in a turn of its own, never from inside the send that was
	 * under way; nothing more is written meanwhile.
	 */
	private writeFailed(error: unknown): void {
		const failure = new Error(`connection to ${this.where()} failed: ${error instanceof Error ? error.message : String(error)}`);
		this.close();
		Timer.set(() => this.#owner.onClose(this, failure), 0);
	}

	/**
	 * What a socket callback caught. A protocol error closes the connection
	 * with its name; the app's own exception goes on to the host (as any
	 * callback's would); anything else is the library's fault, and closes the
	 * connection saying so rather than aborting the app.
	 */
	private fault(error: unknown): void {
		if (isFromApp(error))
			throw error;
		this.fail(error instanceof ProtocolError ? error : new Error(`internal error: ${error instanceof Error ? error.message : String(error)}`));
	}

	/** The TLS layer threw: the handshake failed (a bad certificate, an alert) or a record was bad. */
	private onTLSFault(error: unknown): void {
		if (isFromApp(error))
			throw error;	// not the TLS layer's: it came from the app, through the TLS socket
		const message = error instanceof Error ? error.message : String(error);
		// The SDK reports a peer's alert as "alert: level, description": named here.
		const alert = message.startsWith("alert: ") ? ALERTS[message.slice(message.lastIndexOf(" ") + 1)] : undefined;
		const reason = `TLS: ${message}${alert ? ` (${alert})` : ""}`;
		this.fail(new Error(this.#flags & OPENED ? `connection to ${this.where()} failed: ${reason}` : `could not connect to ${this.where()}: ${reason}`));
	}

	private onError(): void {
		if (this.#flags & CLOSED)
			return;
		this.fail(new Error(this.#flags & OPENED
			? `connection to ${this.where()} closed by the broker or lost`
			: `could not connect to ${this.where()} (refused, unreachable, or the TLS handshake failed)`));
	}

	private where(): string {
		return `${this.#owner.server}:${this.#owner.port}`;
	}

	private fail(error: Error): void {
		if (this.#flags & CLOSED)
			return;
		this.close();
		this.#owner.onClose(this, error);
	}
}

/**
 * The TCP class given to the SDK's TLS socket. That socket runs its
 * handshake inside its TCP callbacks and throws from there when it fails (a
 * certificate not trusted, for another host or expired: "certificate: auth
 * err"; the broker's alert: "alert: 2, 40"); uncaught, the exception aborts
 * the whole app. Wrapping those callbacks turns it into a failed connection
 * that says why.
 *
 * Until the handshake is over (`handshaking()`), the writes made in one
 * callback are held and leave as one write when it returns. The SDK's client
 * writes its flight as separate records (Certificate, ClientKeyExchange,
 * ChangeCipherSpec, Finished: modules/crypt/ssl/session_419.js, handshake()),
 * with the key exchange's arithmetic in between. A broker that requires a
 * client certificate and gets an empty Certificate sends its alert and closes
 * at once, and the next records hit a reset connection: on Linux that
 * write() raises SIGPIPE, which kills mcsim (modules/io/socket/lin/tcp.c,
 * xs_tcp_write: no MSG_NOSIGNAL, and Linux has no SO_NOSIGPIPE). Written
 * whole, the flight is in before the broker closes, and the client reads
 * the alert instead. What a write returns is the TCP socket's: its room,
 * less what is held; "would block" past it.
 */
function guardedTCP(onFault: (error: unknown) => void, handshaking: () => boolean): unknown {
	let tcp: TCP;
	let held: Uint8Array[] | undefined;	// writes of this callback, not yet written
	let heldBytes = 0, room = 0, depth = 0;
	const release = () => {
		const pieces = held!;
		let bytes = pieces[0];
		if (pieces.length > 1) {
			bytes = new Uint8Array(heldBytes);
			for (let i = 0, at = 0; i < pieces.length; at += pieces[i++].length)
				bytes.set(pieces[i], at);
		}
		held = undefined;
		heldBytes = 0;
		written(tcp.write(bytes as unknown as ArrayBuffer) as unknown);
	};
	// The TCP socket returns its room after a write; nothing when the write
	// failed, and the TLS socket would go on with NaN: fail it here.
	const written = (left: unknown): number => {
		if (typeof left !== "number")
			throw new Error(WRITE_FAILED);
		return room = left;
	};
	const guard = (callback: unknown, isWritable?: boolean) => typeof callback !== "function" ? callback : function (this: unknown, ...args: unknown[]) {
		if (isWritable)
			room = args[0] as number;
		depth++;
		try {
			return (callback as (...args: unknown[]) => unknown).apply(this, args);
		}
		catch (error) {
			held = undefined;
			heldBytes = 0;
			onFault(error);
		}
		finally {
			if (--depth === 0 && held) {
				try {
					release();
				}
				catch (error) {
					onFault(error);
				}
			}
		}
	};
	return function GuardedTCP(options: Record<string, unknown>) {
		tcp = new TCP({
			...options,
			onReadable: guard(options.onReadable),
			onWritable: guard(options.onWritable, true),
			onError: guard(options.onError)
		} as ConstructorParameters<typeof TCP>[0]);
		return {
			read: (buffer?: unknown) => (tcp.read as (buffer?: unknown) => unknown)(buffer),
			write(buffer: ArrayBufferLike | ArrayBufferView): number {
				if (!depth || !(held || handshaking()))
					return written(tcp.write(buffer as ArrayBuffer) as unknown);
				const bytes = ArrayBuffer.isView(buffer)
					? new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength).slice()
					: new Uint8Array(buffer).slice();
				if (heldBytes + bytes.length > room)
					throw new Error("would block");
				(held ??= []).push(bytes);
				heldBytes += bytes.length;
				return room - heldBytes;
			},
			close: () => tcp.close()
		};
	};
}
