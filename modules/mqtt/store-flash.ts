// A store medium on a raw flash partition: the records go straight to NOR
// flash, one erase per block and pass of the ring, with no file system
// between (no block rewritten per record). The app opens the partition and
// passes it:
// - ESP32: ECMA-419 `embedded:storage/flash`, `flash.open({path: "storage"})`
//   (read(count | buffer, position), write(buffer, position), eraseBlock(n),
//   status() {blockLength, blocks});
// - ESP8266: the SDK's `flash` module, `new Flash("storage")` (read(offset,
//   byteLength), write(offset, byteLength, buffer), erase(sector),
//   blockSize, byteLength).
import type { Medium } from "mqtt/store";

/** An ECMA-419 flash partition (embedded:storage/flash). */
export interface FlashPartition {
	read(buffer: Uint8Array, position: number): number;
	write(buffer: Uint8Array, position: number): void;
	eraseBlock(start: number, end?: number): void;
	status(): { blockLength: number; blocks: number };
}

/** The SDK's older `flash` module's object (ESP8266, ESP32). */
export interface FlashArea {
	read(offset: number, byteLength: number): ArrayBuffer;
	write(offset: number, byteLength: number, buffer: Uint8Array): void;
	erase(sector: number): void;
	readonly blockSize: number;
	readonly byteLength: number;
}

export class FlashMedium implements Medium {
	readonly blockSize: number;
	readonly blockCount: number;
	readonly #partition: FlashPartition | undefined;
	readonly #area: FlashArea | undefined;

	/** `blockCount`: how many of the partition's blocks, from its start, the store uses (default all). */
	constructor(flash: FlashPartition | FlashArea, blockCount?: number) {
		let blockSize: number, blocks: number;
		if (typeof (flash as FlashPartition).eraseBlock === "function") {
			const status = (flash as FlashPartition).status();
			blockSize = status.blockLength;
			blocks = status.blocks;
			this.#partition = flash as FlashPartition;
		}
		else if (typeof (flash as FlashArea).erase === "function") {
			blockSize = (flash as FlashArea).blockSize;
			blocks = Math.floor((flash as FlashArea).byteLength / blockSize);
			this.#area = flash as FlashArea;
		}
		else
			throw new TypeError("FlashMedium: a partition of embedded:storage/flash or an object of the flash module");
		this.blockSize = blockSize;
		this.blockCount = Math.min(blockCount ?? blocks, blocks);
	}

	read(offset: number, bytes: Uint8Array): void {
		if (this.#partition)
			this.#partition.read(bytes, offset);
		else
			bytes.set(new Uint8Array(this.#area!.read(offset, bytes.byteLength)));
	}

	write(offset: number, bytes: Uint8Array): void {
		if (this.#partition)
			this.#partition.write(bytes, offset);
		else
			this.#area!.write(offset, bytes.byteLength, bytes);
	}

	eraseBlock(block: number): void {
		if (this.#partition)
			this.#partition.eraseBlock(block);
		else
			this.#area!.erase(block);
	}
}
