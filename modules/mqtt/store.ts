// The session's records on flash: a log over a block medium, written as NOR
// flash must be written. A unit of its own below the session (Paho's
// persistence): the session hands it records by kind and packet id and
// never learns where their bytes live. Only an app that passes a `store`
// loads this module (manifest_store.json); mqtt/client never imports it.
//
// The medium is erase blocks of `blockSize` bytes. An erase sets a block to
// 0xFF; a write may only clear bits. So nothing is ever rewritten: records
// are appended, one after the other, and their state advances in place by
// clearing bits of one byte (live 0xFF, PUBREL due 0x7F, dead 0x00). Blocks
// are used as a ring in the order of their sequence number; the oldest is
// erased once nothing in it lives (its few long-lived records, the client id,
// the subscriptions and received QoS 2 ids, are first copied forward). A
// block stays free in reserve for that copy. Wear: each block is erased once
// per pass of the ring.
//
// A block: [0..1] "MQ", [2] version, [3] check, [4..7] sequence (BE).
// A record: [0] commit (0xA5, written last, alone), [1] state, [2] kind,
// [3..4] packet id, [5..8] body length, [9..10] CRC-16 of bytes 2..8 and the
// body, then the body. Power lost in a write leaves the commit byte 0xFF (or
// a CRC that fails): the record never was, and nothing after it in that
// block is read; writing goes on in a fresh block.

/** Where the records live: erase blocks with NOR semantics. An app can bring its own (see the README). */
export interface Medium {
	/** Bytes per erase block. */
	readonly blockSize: number;
	/** Erase blocks, 3 at least. */
	readonly blockCount: number;
	/** Fills `bytes` from `offset` (offset = block * blockSize + position). */
	read(offset: number, bytes: Uint8Array): void;
	/** Programs `bytes` at `offset`: it may only clear bits of what is there. */
	write(offset: number, bytes: Uint8Array): void;
	/** Sets every byte of block `block` to 0xFF. */
	eraseBlock(block: number): void;
	/** Makes what was written durable (a file system's flush); called after each commit. */
	sync?(): void;
	/** True when every block reads 0xFF now (a medium just made): the store erases none before its first use. */
	readonly erased?: boolean;
}

/** The kinds of record the session writes. */
export const PUBLISH_RECORD = 1, RECEIVED_RECORD = 2, SUBSCRIPTIONS_RECORD = 3, CLIENT_RECORD = 4;

/** A record's state byte: bits only ever cleared. */
export const LIVE = 0xFF, RELEASED = 0x7F, DEAD = 0x00;

const BLOCK_HEADER = 8, HEADER = 11, COMMITTED = 0xA5, VERSION = 1;
const NONE = -1;

/** The store has no room for a record: the message was not accepted. */
export class StoreFullError extends Error {
	constructor(message: string) {
		super(message);
	}
}
Object.defineProperty(StoreFullError.prototype, "name", { value: "StoreFullError", writable: false, enumerable: false, configurable: true });

/** A record found on the medium. */
export interface Found {
	at: number;
	kind: number;
	id: number;
	state: number;
	length: number;
}

// CRC-16/CCITT-FALSE, by table (made at load: 512 bytes).
const CRC = new Uint16Array(256);
for (let n = 0; n < 256; n++) {
	let c = n << 8;
	for (let k = 0; k < 8; k++)
		c = c & 0x8000 ? ((c << 1) ^ 0x1021) & 0xFFFF : (c << 1) & 0xFFFF;
	CRC[n] = c;
}
function crc16(crc: number, bytes: Uint8Array, from: number, to: number): number {
	for (let i = from; i < to; i++)
		crc = ((crc << 8) & 0xFFFF) ^ CRC[((crc >> 8) ^ bytes[i]) & 0xFF];
	return crc;
}

/** Counts of the medium's work since the store was opened: wear, measured. */
export interface Wear {
	bytesWritten: number;
	writes: number;
	erases: number;
}

/** The blocks in use, oldest first: a ring of block numbers as large as the medium, made once. */
class Ring {
	readonly #blocks: Uint16Array;
	#first = 0;
	length = 0;
	constructor(count: number) {
		this.#blocks = new Uint16Array(count);
	}
	at(index: number): number {
		return this.#blocks[(this.#first + index) % this.#blocks.length];
	}
	get last(): number {
		return this.at(this.length - 1);
	}
	push(block: number): void {
		this.#blocks[(this.#first + this.length++) % this.#blocks.length] = block;
	}
	shift(): number {
		const block = this.#blocks[this.#first];
		this.#first = (this.#first + 1) % this.#blocks.length;
		this.length--;
		return block;
	}
	indexOf(block: number): number {
		for (let index = 0; index < this.length; index++)
			if (this.at(index) === block)
				return index;
		return -1;
	}
	clear(): void {
		this.#first = this.length = 0;
	}
}

export class LogStore {
	readonly medium: Medium;
	readonly blockSize: number;
	readonly blockCount: number;
	readonly wear: Wear = { bytesWritten: 0, writes: 0, erases: 0 };
	#order: Ring;			// blocks in use, oldest first
	#sequence: Float64Array;	// by block: its sequence number, NONE when free (not in #order)
	#clean: Uint8Array;		// by block: 1 when erased by this store since it opened
	#next = 0;			// the next sequence number
	#tail = NONE;			// the block records are appended to
	#end = 0;			// where the next record goes in it
	#sticky = new Map<number, number>();	// kind * 65536 + id -> where the live record of that key is (all kinds but PUBLISH)
	#header = new Uint8Array(HEADER);
	// The one-byte writes, this store's own: the SDK's files write only from a
	// writable buffer (xsmcGetBufferWritable), and a module-level one is
	// read-only once preloaded ("read-only buffer" in mcsim).
	#byte = new Uint8Array(1);
	#scanned: Found = { at: 0, kind: 0, id: 0, state: 0, length: 0 };
	#copying = false;

	constructor(medium: Medium) {
		const { blockSize, blockCount } = medium;
		if (!Number.isInteger(blockSize) || blockSize < 64 || !Number.isInteger(blockCount) || blockCount < 3)
			throw new RangeError(`store medium: blockSize must be an integer >= 64 and blockCount >= 3, not ${blockSize} and ${blockCount}`);
		this.medium = medium;
		this.blockSize = blockSize;
		this.blockCount = blockCount;
		// Both of the medium's size, made once: RAM does not grow with what is stored.
		this.#sequence = new Float64Array(blockCount).fill(NONE);
		this.#order = new Ring(blockCount);
		this.#clean = new Uint8Array(blockCount);
		if (medium.erased)
			this.#clean.fill(1);
	}

	/** The largest body a record can have. */
	get maxBody(): number { return this.blockSize - BLOCK_HEADER - HEADER; }

	/**
	 * Reads the medium: the blocks in use and, in the order written, each
	 * committed record that is not dead, given to `each`. Records of the
	 * other kinds than PUBLISH are kept once per kind and id: an older copy
	 * (from a copy forward the power cut short) is marked dead.
	 */
	open(each: (found: Found) => void): void {
		// In steps of their own, each with few locals: this runs inside the
		// app's `new MQTTClient()` (an ESP8266 has 256 slots of stack).
		this.scanBlocks();
		const order = this.#order;
		for (let i = 0; i < order.length; i++)
			this.scanBlock(order.at(i), each);
		if (!order.length)	// a new store's first block, opened here: the first record's write then nests less deep
			this.openBlock();
	}

	/** The blocks in use, by their headers, oldest first. */
	private scanBlocks(): void {
		const block = new Uint8Array(BLOCK_HEADER), used: number[] = [];
		for (let b = 0; b < this.blockCount; b++) {
			this.medium.read(b * this.blockSize, block);
			if ((this.#sequence[b] = blockSequence(block)) !== NONE)
				used.push(b);
		}
		used.sort((a, b) => this.#sequence[a] - this.#sequence[b]);
		this.#order.clear();
		for (const b of used)
			this.#order.push(b);
		this.#next = used.length ? this.#sequence[used[used.length - 1]] + 1 : 0;
		this.#tail = NONE;
	}

	/** A block's committed records, each not dead given to `each`; the newest block is the tail when what follows its last record is erased. */
	private scanBlock(b: number, each: (found: Found) => void): void {
		const found = this.#scanned, limit = (b + 1) * this.blockSize;
		let at = b * this.blockSize + BLOCK_HEADER;
		while (this.readRecord(at, limit, found, true)) {
			if (found.state !== DEAD) {
				if (found.kind !== PUBLISH_RECORD)
					this.keep(found.kind * 65536 + found.id, at);
				each(found);
			}
			at += HEADER + found.length;
		}
		if (b === this.#order.last && this.isErased(at, limit)) {
			this.#tail = b;
			this.#end = at - b * this.blockSize;
		}
	}

	/** The live record of a key (kind and id) is at `at`: an older one (a copy forward cut short) is dead. */
	private keep(key: number, at: number): void {
		const earlier = this.#sticky.get(key);
		if (earlier !== undefined)
			this.mark(earlier, DEAD);
		this.#sticky.set(key, at);
	}

	/** The records after `at` (NONE: from the start), the next committed one not dead of `kind`; NONE at the end. */
	next(at: number, kind: number, found: Found): number {
		const { blockSize } = this, order = this.#order;
		let index: number, position: number;
		if (at === NONE) {
			index = 0;
			position = order.length ? order.at(0) * blockSize + BLOCK_HEADER : 0;
		}
		else {
			this.readRecord(at, at - (at % blockSize) + blockSize, found, false);
			position = at + HEADER + found.length;
			index = this.indexOf(Math.floor(at / blockSize));
			if (index < 0) {	// its block was reclaimed (all in it dead): from the start again
				index = 0;
				position = order.length ? order.at(0) * blockSize + BLOCK_HEADER : 0;
			}
		}
		while (index < order.length) {
			const b = order.at(index), limit = (b + 1) * blockSize;
			const end = b === this.#tail ? b * blockSize + this.#end : limit;
			while (position < end && this.readRecord(position, end, found, false)) {
				if (found.kind === kind && found.state !== DEAD)
					return position;
				position += HEADER + found.length;
			}
			index++;
			if (index < order.length)
				position = order.at(index) * blockSize + BLOCK_HEADER;
		}
		return NONE;
	}

	/** The body of the record at `at`. */
	read(at: number): Uint8Array {
		const header = this.#header;
		this.medium.read(at, header);
		const body = new Uint8Array(lengthOf(header));
		this.medium.read(at + HEADER, body);
		return body;
	}

	/** Where block `b` is in the order of blocks in use (-1: not in use): by its sequence number, checked. */
	private indexOf(b: number): number {
		const order = this.#order;
		if (this.#sequence[b] === NONE || !order.length)
			return -1;
		const guess = this.#sequence[b] - this.#sequence[order.at(0)];
		return guess >= 0 && guess < order.length && order.at(guess) === b ? guess : order.indexOf(b);
	}

	/** The first byte of the record's body. */
	first(at: number): number {
		const one = new Uint8Array(1);
		this.medium.read(at + HEADER, one);
		return one[0];
	}

	/**
	 * A number larger than that of any record appended before, and never
	 * smaller later: where the next record would go, counted along the
	 * blocks' sequence (a block's sequence only grows, and so does the end
	 * of the tail). A key for a record's body that outlives its copies.
	 */
	get stamp(): number {
		const tail = this.#tail;
		return tail === NONE ? this.#next * this.blockSize : this.#sequence[tail] * this.blockSize + this.#end;
	}

	/**
	 * Appends a record (`pieces` are its body, one after the other) in
	 * `state` (a copy forward keeps its original's) and commits it: durable
	 * when this returns. Throws StoreFullError when it cannot be made room
	 * for, having changed nothing that lives.
	 */
	append(kind: number, id: number, pieces: (Uint8Array | undefined)[], state = LIVE): number {
		let length = 0;
		for (const piece of pieces)
			length += piece?.byteLength ?? 0;
		if (length > this.maxBody)
			throw new StoreFullError(`store: a record of ${length} bytes cannot fit a block of ${this.blockSize} (${this.maxBody} at most)`);
		// The block opened here, not inside fits(): two frames less on the
		// deepest path (the first record of a new store is written inside the
		// app's new MQTTClient(); an ESP8266 has 256 slots of stack).
		while (!this.fits(HEADER + length))
			this.openBlock();
		const at = this.#tail * this.blockSize + this.#end;
		const record = new Uint8Array(HEADER + length);
		record[0] = 0xFF;
		record[1] = state;
		record[2] = kind;
		record[3] = id >> 8;
		record[4] = id & 0xFF;
		record[5] = length >>> 24;
		record[6] = (length >> 16) & 0xFF;
		record[7] = (length >> 8) & 0xFF;
		record[8] = length & 0xFF;
		let offset = HEADER;
		for (const piece of pieces) {
			if (piece) {
				record.set(piece, offset);
				offset += piece.byteLength;
			}
		}
		const crc = crc16(crc16(0xFFFF, record, 2, 9), record, HEADER, record.length);
		record[9] = crc >> 8;
		record[10] = crc & 0xFF;
		this.#end += record.length;	// before the writes: a write that fails leaves that space used, never written again
		// The medium's writes called here, not through program(): one frame
		// less on a deep path (a received QoS 2 id is written inside the
		// socket's callback, before its PUBREC).
		const medium = this.medium, wear = this.wear;
		wear.writes += 2;
		wear.bytesWritten += record.length;
		medium.write(at + 1, record.subarray(1));
		medium.write(at, this.one(COMMITTED));
		this.medium.sync?.();
		if (kind !== PUBLISH_RECORD) {
			const key = kind * 65536 + id, earlier = this.#sticky.get(key);
			this.#sticky.set(key, at);
			if (earlier !== undefined)
				this.mark(earlier, DEAD);
		}
		return at;
	}

	/** Advances a record's state in place (its bits only cleared): RELEASED or DEAD. Durable when this returns. */
	mark(at: number, state: number): void {
		this.wear.writes++;
		this.wear.bytesWritten++;
		this.medium.write(at + 1, this.one(state === DEAD ? DEAD : RELEASED));
		this.medium.sync?.();
	}

	/** Where the live record of a kind other than PUBLISH is, by its packet id (NONE: none). */
	sticky(kind: number, id: number): number {
		return this.#sticky.get(kind * 65536 + id) ?? NONE;
	}

	/** The live record of a kind other than PUBLISH, by its packet id: dead from now on. */
	remove(kind: number, id: number): void {
		const key = kind * 65536 + id, at = this.#sticky.get(key);
		if (at === undefined)
			return;
		this.#sticky.delete(key);
		this.mark(at, DEAD);
	}

	/** Every live record of `kind` (not PUBLISH): dead from now on. */
	removeAll(kind: number): void {
		for (const key of [...this.#sticky.keys()])
			if (Math.floor(key / 65536) === kind)
				this.remove(kind, key % 65536);
	}

	/** Every record gone: the blocks in use are erased. */
	clear(): void {
		const order = this.#order;
		while (order.length)
			this.erase(order.shift());
		this.#sticky.clear();
		this.#tail = NONE;
	}

	// ---- blocks ----

	/**
	 * True when the tail has `bytes` free; false when a free block is to be
	 * opened for them (the oldest reclaimed first when no free block is left
	 * but the reserve).
	 */
	private fits(bytes: number): boolean {
		for (let tries = 0; ; tries++) {
			if (this.#tail !== NONE && this.#end + bytes <= this.blockSize)
				return true;
			const free = this.blockCount - this.#order.length;
			if (free > 1 || (free === 1 && this.#copying))
				return false;
			if (this.#copying || tries > this.blockCount)
				throw new StoreFullError(`store full: ${this.blockCount} blocks of ${this.blockSize} bytes hold what the broker has not acknowledged`);
			this.reclaim();
		}
	}

	/** A free block becomes the tail: erased (unless this store erased it since), then its header written. */
	private openBlock(): void {
		const { blockCount } = this;
		let b = this.#tail === NONE ? (this.#order.length ? this.#order.last : blockCount - 1) : this.#tail;
		do
			b = (b + 1) % blockCount;
		while (this.#sequence[b] !== NONE);
		if (!this.#clean[b]) {
			this.medium.eraseBlock(b);	// here, not through erase(): one frame less on the deepest path
			this.wear.erases++;
		}
		this.#clean[b] = 0;
		const sequence = this.#next++;
		const header = new Uint8Array(BLOCK_HEADER);
		header[0] = 0x4D;
		header[1] = 0x51;
		header[2] = VERSION;
		header[4] = sequence >>> 24;
		header[5] = (sequence >> 16) & 0xFF;
		header[6] = (sequence >> 8) & 0xFF;
		header[7] = sequence & 0xFF;
		header[3] = blockCheck(header);
		this.#sequence[b] = sequence;
		this.#order.push(b);
		this.#tail = b;
		this.#end = BLOCK_HEADER;
		this.wear.writes++;	// the medium's write here, not through a call: one frame less on the deepest path
		this.wear.bytesWritten += BLOCK_HEADER;
		this.medium.write(b * this.blockSize, header);
	}

	/**
	 * The oldest block is erased. A live PUBLISH in it (not yet acknowledged)
	 * means the store is full; its other live records go forward first.
	 */
	private reclaim(): void {
		const { blockSize } = this, b = this.#order.at(0);
		if (b === this.#tail)
			throw new StoreFullError(`store full: ${this.blockCount} blocks of ${blockSize} bytes hold what the broker has not acknowledged`);
		const found: Found = { at: 0, kind: 0, id: 0, state: 0, length: 0 };
		const keep: number[] = [];
		let at = b * blockSize + BLOCK_HEADER;
		while (this.readRecord(at, (b + 1) * blockSize, found, false)) {
			if (found.state !== DEAD) {
				if (found.kind === PUBLISH_RECORD)
					throw new StoreFullError(`store full: the oldest message not yet acknowledged holds its block (${this.blockCount} blocks of ${blockSize} bytes)`);
				keep.push(at);
			}
			at += HEADER + found.length;
		}
		this.#copying = true;
		try {
			for (const from of keep) {
				this.readRecord(from, (b + 1) * blockSize, found, false);
				this.append(found.kind, found.id, [this.read(from)], found.state);	// marks the old copy dead
			}
		}
		finally {
			this.#copying = false;
		}
		this.#order.shift();
		this.erase(b);
	}

	private one(value: number): Uint8Array {
		const byte = this.#byte;
		byte[0] = value;
		return byte;
	}

	private erase(b: number): void {
		this.medium.eraseBlock(b);
		this.wear.erases++;
		this.#sequence[b] = NONE;
		this.#clean[b] = 1;
	}

	/** Every byte from `from` to `to` is 0xFF: it can be written. */
	private isErased(from: number, to: number): boolean {
		const chunk = new Uint8Array(64);
		for (let at = from; at < to; at += 64) {
			const view = to - at < 64 ? chunk.subarray(0, to - at) : chunk;
			this.medium.read(at, view);
			for (let i = 0; i < view.length; i++)
				if (view[i] !== 0xFF)
					return false;
		}
		return true;
	}

	/** The record at `at`, if a committed one ends before `limit` (its CRC checked when `check`); false at the end of the block's records. */
	private readRecord(at: number, limit: number, found: Found, check: boolean): boolean {
		if (at + HEADER > limit)
			return false;
		const header = this.#header;
		this.medium.read(at, header);
		if (header[0] !== COMMITTED)
			return false;
		const length = lengthOf(header);
		if (at + HEADER + length > limit)
			return false;
		if (check) {	// the CRC checked here, not in a call: one frame less under the restore
			const body = new Uint8Array(length);
			this.medium.read(at + HEADER, body);
			if (crc16(crc16(0xFFFF, header, 2, 9), body, 0, length) !== ((header[9] << 8) | header[10]))
				return false;
		}
		found.at = at;
		found.state = header[1];
		found.kind = header[2];
		found.id = (header[3] << 8) | header[4];
		found.length = length;
		return true;
	}
}

function lengthOf(header: Uint8Array): number {
	return ((header[5] << 24) >>> 0) + (header[6] << 16) + (header[7] << 8) + header[8];
}

function blockCheck(header: Uint8Array): number {
	let sum = 0x5A;
	for (let i = 0; i < BLOCK_HEADER; i++)
		if (i !== 3)
			sum = (sum * 31 + header[i]) & 0xFF;
	return sum;
}

/** A block's sequence number, or NONE when its header is not a whole one (erased, or cut short). */
function blockSequence(header: Uint8Array): number {
	if (header[0] !== 0x4D || header[1] !== 0x51 || header[2] !== VERSION || header[3] !== blockCheck(header))
		return NONE;
	return ((header[4] << 24) >>> 0) + (header[5] << 16) + (header[6] << 8) + header[7];
}
