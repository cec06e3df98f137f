// A store medium in a file of ECMA-419 `embedded:storage/files` (POSIX in
// mcsim, littlefs on ESP32): a file of blockCount x blockSize bytes, made
// once and then written in place, never appended to, so that its size and
// place do not change. A fresh file reads as erased flash (0xFF). The store
// writes it as NOR flash (bits only cleared), so the same records and the
// same power-fail rules hold on a file and on a raw partition; flush() after
// each commit makes it durable where the file system caches (littlefs).
// Only an app that includes manifest_store_files.json loads it.
// @ts-ignore: the SDK 8.2.3 carries no typings for embedded:storage/files
import files from "embedded:storage/files";
import type { Medium } from "mqtt/store";

/** What this medium uses of a file of embedded:storage/files. */
interface File {
	read(buffer: Uint8Array, position: number): number;
	write(buffer: Uint8Array, position: number): void;
	status(): { size: number };
	flush(): void;
	close(): void;
}

interface Directory {
	openFile(options: { path: string; mode: string }): File;
}

export interface FileMediumOptions {
	/** The file's path in the files root (mcsim: the manifest's "config": {"files": FOLDER}). */
	path: string;
	/** Bytes per block (default 4,096): the largest message stored is this less 19 bytes. */
	blockSize?: number;
	/** Blocks (default 16, at least 3): one stays free in reserve. */
	blockCount?: number;
}

const ERASED = 0xFF;

export class FileMedium implements Medium {
	readonly blockSize: number;
	readonly blockCount: number;
	readonly #file: File;
	/** The file was made (or grown) now: every block reads 0xFF. */
	readonly erased: boolean;

	constructor(options: FileMediumOptions) {
		const blockSize = options.blockSize ?? 4096, blockCount = options.blockCount ?? 16;
		if (typeof options.path !== "string" || !options.path)
			throw new TypeError("FileMedium: path must be a file name");
		if (!Number.isInteger(blockSize) || blockSize < 64 || !Number.isInteger(blockCount) || blockCount < 3)
			throw new RangeError(`FileMedium: blockSize must be an integer >= 64 and blockCount >= 3, not ${blockSize} and ${blockCount}`);
		this.blockSize = blockSize;
		this.blockCount = blockCount;
		const directory = files as unknown as Directory;	// the SDK's typings of it, when the build has them, differ in detail
		let file: File;
		try {
			file = directory.openFile({ path: options.path, mode: "r+" });
		}
		catch {
			file = directory.openFile({ path: options.path, mode: "w+" });
		}
		this.#file = file;
		const size = file.status().size, total = blockSize * blockCount;
		this.erased = size === 0;
		if (size < total)
			this.fill(size, total);
		file.flush();
	}

	read(offset: number, bytes: Uint8Array): void {
		this.#file.read(bytes, offset);
	}

	write(offset: number, bytes: Uint8Array): void {
		this.#file.write(bytes, offset);
	}

	eraseBlock(block: number): void {
		// The loop here, not a call to fill(): one frame less on the deepest path (an ESP8266 has 256 slots of stack).
		const chunk = new Uint8Array(256).fill(ERASED), file = this.#file, to = (block + 1) * this.blockSize;
		for (let at = block * this.blockSize; at < to; at += 256)
			file.write(to - at < 256 ? chunk.subarray(0, to - at) : chunk, at);
	}

	sync(): void {
		this.#file.flush();
	}

	close(): void {
		this.#file.close();
	}

	/** 0xFF from `from` to `to`, 256 bytes at a time. */
	private fill(from: number, to: number): void {
		const chunk = new Uint8Array(256).fill(ERASED);
		for (let at = from; at < to; at += 256)
			this.#file.write(to - at < 256 ? chunk.subarray(0, to - at) : chunk, at);
	}
}
