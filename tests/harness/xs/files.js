// ECMA-419 `embedded:storage/files` on the simulator host, with the surface
// of the SDK's POSIX module (modules/io/files/posix, what mcsim runs):
// openFile({path, mode}) ("r" and "r+" need the file; "w" and "w+" create and
// truncate), and a file's read(buffer | count, position) (a buffer: the bytes
// read; a count: an ArrayBuffer of what was read), write(buffer, position),
// status() {size}, setSize(n), flush(), close(); delete(path). The files are
// the host's FileStorage (tests/harness/storage.js), Node side: they outlive
// the machine, and the power can go at a chosen byte of a write. As the
// SDK's, write() refuses a read-only (preloaded) buffer.
const host = __xsHost;
const OP = { FILE_OPEN: 5, FILE_READ: 6, FILE_WRITE: 7, FILE_SIZE: 8, FILE_FLUSH: 9, FILE_CLOSE: 10, FILE_SET_SIZE: 11, FILE_DELETE: 12 };
const MODES = ["r", "r+", "w", "w+"];

function bytesOf(buffer) {
	return ArrayBuffer.isView(buffer) ? new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength) : new Uint8Array(buffer);
}

function u32(value) {
	const bytes = new Uint8Array(4);
	new DataView(bytes.buffer).setUint32(0, value);
	return bytes;
}

class File {
	#id;
	#writable;
	constructor(id, writable) {
		this.#id = id;
		this.#writable = writable;
	}
	#open() {
		if (this.#id === undefined)
			throw new Error("closed");
		return this.#id;
	}
	read(what, position) {
		const count = typeof what === "number" ? what : bytesOf(what).byteLength;
		const bytes = host.storage(OP.FILE_READ, this.#open(), position | 0, u32(count));
		if (typeof what === "number")
			return bytes.slice().buffer;
		bytesOf(what).set(bytes);
		return bytes.byteLength;
	}
	write(buffer, position) {
		if (!this.#writable)
			throw new Error("Bad file descriptor");
		// The SDK's posix and littlefs write take the buffer writable
		// (xsmcGetBufferWritable): a preloaded one is read-only there.
		if (!Object.isExtensible(buffer) || (ArrayBuffer.isView(buffer) && !Object.isExtensible(buffer.buffer)))
			throw new TypeError("read-only buffer");
		host.storage(OP.FILE_WRITE, this.#open(), position | 0, bytesOf(buffer));
	}
	status() {
		const size = host.storage(OP.FILE_SIZE, this.#open(), 0);
		return { size: new DataView(size.buffer, size.byteOffset, 4).getUint32(0), isFile: () => true, isDirectory: () => false };
	}
	setSize(length) {
		host.storage(OP.FILE_SET_SIZE, this.#open(), length);
	}
	flush() {
		host.storage(OP.FILE_FLUSH, this.#open(), 0);
	}
	close() {
		if (this.#id !== undefined)
			host.storage(OP.FILE_CLOSE, this.#id, 0);
		this.#id = undefined;
	}
}

export default Object.freeze({
	openFile(options) {
		const mode = options?.mode ?? "r", index = MODES.indexOf(mode);
		if (index < 0)
			throw new Error("invalid mode");
		const id = new DataView(host.storage(OP.FILE_OPEN, index, 0, host.encode(String(options.path))).slice().buffer).getUint32(0);
		return new File(id, mode !== "r");
	},
	delete(path) {
		host.storage(OP.FILE_DELETE, 0, 0, host.encode(String(path)));
	}
});
