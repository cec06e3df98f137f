// ECMA-419 `embedded:storage/flash` on the simulator host, as the SDK's ESP32
// module (modules/io/flash/esp32): open({path}) gives a partition with
// read(byteLength | buffer, position), write(buffer, position),
// eraseBlock(start, end), status() {size, blockLength, blocks}. The
// partition is the host's NorFlash (tests/harness/storage.js), Node side: it
// outlives the machine, a write only clears bits (a 0 bit written back to 1
// fails), and the power can go at a chosen byte of a write.
const host = __xsHost;
const OP = { FLASH_STATUS: 1, FLASH_READ: 2, FLASH_WRITE: 3, FLASH_ERASE: 4 };

function bytesOf(buffer) {
	return ArrayBuffer.isView(buffer) ? new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength) : new Uint8Array(buffer);
}

class Flash {
	#blockLength;
	#blocks;
	constructor() {
		const status = host.storage(OP.FLASH_STATUS, 0, 0);
		const view = new DataView(status.buffer, status.byteOffset, 8);
		this.#blockLength = view.getUint32(0);
		this.#blocks = view.getUint32(4);
	}
	close() {}
	read(what, position) {
		if (typeof what === "number")
			return host.storage(OP.FLASH_READ, position, what).slice().buffer;
		const into = bytesOf(what);
		into.set(host.storage(OP.FLASH_READ, position, into.byteLength));
		return into.byteLength;
	}
	write(buffer, position) {
		host.storage(OP.FLASH_WRITE, position, 0, bytesOf(buffer));
	}
	eraseBlock(start, end = start + 1) {
		for (let block = start; block < end; block++)
			host.storage(OP.FLASH_ERASE, block, 0);
	}
	status() {
		return { size: this.#blockLength * this.#blocks, blockLength: this.#blockLength, blocks: this.#blocks };
	}
	get format() { return "buffer"; }
}

export default Object.freeze({
	open(options) {
		if (!options || typeof options.path !== "string")
			throw new Error("no path");
		return new Flash();
	}
});
