// "embedded:io/socket/tcp" on the simulator host: the ECMA-419 TCP socket with
// the contract of the Moddable SDK's implementation (modules/io/socket/lin),
// over a real node:net socket on the Node side.
//  - write(): throws "would block" past the write window; the window refills
//    (onWritable) once Node has handed everything written to the kernel.
//  - At most `readSize` bytes are buffered here; Node delivers more only when
//    reads have made room, so unread data stays in the kernel and TCP holds
//    the peer back.
//  - read(), read(n), read(buffer) and format "number" behave as the SDK's,
//    "invalid" included; onError() carries no argument for TCP.
//  - A write after the peer ended the connection fails as the SDK's Linux
//    socket does (mcsim): after a reset (or after the one write a FIN still
//    takes, which the peer answers with a reset) write() traces "write
//    failed" and returns nothing, and the socket falls silent: tcp.c's
//    failed write sets the error that stops its polling task, so neither
//    onError nor onReadable comes again (lwIP does report it; not the host).
//  - Under the host's TLS socket (options.hostTLS), each write() is one TLS
//    record: what it costs the window is the record's size, not the data's.
const host = __xsHost;
const { OP, EVENT } = host;
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

class Socket {
	#id;
	#callbacks;
	#target;
	#format = "buffer";
	#buffer = new Uint8Array(0);	// bytes readable, from #position
	#position = 0;
	#writable = 0;
	#readSize = 0;
	#reported = -1;				// last room reported to Node
	#eof = false;
	#closed = false;
	#peer = 0;				// 1: the peer's FIN came; 2: reset, a write fails
	#silent = false;			// a write failed: no callback comes again
	#record;				// bytes -> what its TLS record costs the window (under the host's TLS socket)
	#report = () => this.#reportRoom();

	constructor(options) {
		const { address, port } = options;
		if (typeof address !== "string" || !IPV4.test(address))
			throw new Error("invalid address");
		if (!Number.isInteger(port) || port < 1 || port > 65535)
			throw new RangeError("invalid port");
		if (options.format !== undefined)
			this.format = options.format;
		this.#callbacks = {
			onReadable: options.onReadable, onWritable: options.onWritable, onError: options.onError
		};
		this.#target = options.target;
		const id = this.#id = host.newId();
		host.on(EVENT.CONNECTED, id, (window, payload) => this.#onConnected(window, new DataView(payload.buffer, payload.byteOffset, 4).getUint32(0)));
		host.on(EVENT.WRITABLE, id, count => this.#onWritable(count));
		host.on(EVENT.DATA, id, (_, bytes) => this.#onData(bytes));
		host.on(EVENT.ERROR, id, (_, message) => this.#onError(host.decode(message)));
		host.on(EVENT.PEER_ENDED, id, reset => { this.#peer = reset ? 2 : Math.max(this.#peer, 1); });
		// hostTLS: set by the host's TLS socket, whose TLS runs on the Node side.
		const link = options.hostTLS;
		let tls;
		if (link) {
			this.#record = link.recordBytes;
			link.peerFails = reason => host.send(OP.PEER_FAILS, id, 0, host.encode(reason));
			const { host: name, verify, certificates, clientCertificates, clientKey, alpn } = link;
			tls = { host: name, verify, certificates, clientCertificates, clientKey, alpn };
		}
		host.send(OP.CONNECT, id, port, host.json({ address, nodelay: !!options.nodelay, tls }));
	}

	get target() { return this.#target; }
	get format() { return this.#format; }
	set format(format) {
		if (format !== "buffer" && format !== "number")
			throw new RangeError("invalid format");
		this.#format = format;
	}

	read(request) {
		const readable = this.#buffer.length - this.#position;
		if (!readable)
			return undefined;
		let result;
		if (this.#format === "number") {
			result = this.#buffer[this.#position++];
		}
		else {
			let count;
			let into;
			if (request === undefined)
				count = readable;
			else if (typeof request === "object") {
				into = ArrayBuffer.isView(request)
					? new Uint8Array(request.buffer, request.byteOffset, request.byteLength)
					: new Uint8Array(request);
				count = into.length;
			}
			else
				count = Math.trunc(Number(request));
			if (count <= 0 || count > readable)
				throw new Error("invalid");
			const bytes = this.#buffer.subarray(this.#position, this.#position + count);
			this.#position += count;
			if (into) {
				into.set(bytes);
				result = count;
			}
			else
				result = bytes.slice().buffer;
		}
		if (this.#position === this.#buffer.length) {
			this.#buffer = new Uint8Array(0);
			this.#position = 0;
		}
		host.roomReporters.add(this.#report);
		return result;
	}

	write(value) {
		if (this.#closed) {
			trace("write to closed socket\n");
			return;
		}
		let bytes;
		if (this.#format === "number")
			bytes = Uint8Array.of(value);
		else if (ArrayBuffer.isView(value))
			bytes = new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
		else if (value instanceof ArrayBuffer)
			bytes = new Uint8Array(value);
		else
			throw new TypeError("write needs an ArrayBuffer or a view");
		const cost = this.#record ? this.#record(bytes.length) : bytes.length;
		if (cost > this.#writable)
			throw new Error("would block");
		this.#writable -= cost;
		if (this.#peer === 2) {
			trace("write failed");
			this.#silent = true;
			return;
		}
		if (this.#peer === 1)
			this.#peer = 2;
		host.send(OP.WRITE, this.#id, cost, bytes.slice());	// the SDK copies at write()
		return this.#writable;
	}

	close() {
		if (this.#closed)
			return;
		this.#release();
		host.send(OP.CLOSE, this.#id, 0);
	}

	#release() {
		this.#closed = true;
		for (const kind of [EVENT.CONNECTED, EVENT.WRITABLE, EVENT.DATA, EVENT.ERROR, EVENT.PEER_ENDED])
			host.off(kind, this.#id);
	}

	#reportRoom() {
		if (this.#closed)
			return;
		const room = this.#readSize - (this.#buffer.length - this.#position);
		if (room !== this.#reported) {
			this.#reported = room;
			host.send(OP.ROOM, this.#id, room);
		}
	}

	#onConnected(window, readSize) {
		this.#readSize = this.#reported = readSize;
		this.#onWritable(window);
	}

	#onWritable(count) {
		if (this.#silent)
			return;
		this.#writable = count;
		this.#callbacks.onWritable?.call(this, count);
	}

	#onData(bytes) {
		if (this.#silent)
			return;
		const readable = this.#buffer.length - this.#position;
		if (readable) {
			const joined = new Uint8Array(readable + bytes.length);
			joined.set(this.#buffer.subarray(this.#position));
			joined.set(bytes, readable);
			this.#buffer = joined;
		}
		else
			this.#buffer = bytes.slice();
		this.#position = 0;
		this.#reported -= bytes.length;
		host.roomReporters.add(this.#report);
		this.#callbacks.onReadable?.call(this, this.#buffer.length);
	}

	// Node sends ERROR only once everything received has been read here, as
	// the SDK reports an error after the last buffered byte is read.
	#onError(message) {
		if (this.#silent)
			return;
		this.#release();
		this.#eof = true;
		// A TCP socket's onError gets no argument, as the SDK's; a TLS failure's reason goes to the host's TLS socket.
		if (message)
			this.#callbacks.onError?.call(this, message);
		else
			this.#callbacks.onError?.call(this);
	}
}

export default Socket;
