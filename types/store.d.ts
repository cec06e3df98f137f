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
export declare const PUBLISH_RECORD = 1, RECEIVED_RECORD = 2, SUBSCRIPTIONS_RECORD = 3, CLIENT_RECORD = 4;
/** A record's state byte: bits only ever cleared. */
export declare const LIVE = 255, RELEASED = 127, DEAD = 0;
/** The store has no room for a record: the message was not accepted. */
export declare class StoreFullError extends Error {
    constructor(message: string);
}
/** A record found on the medium. */
export interface Found {
    at: number;
    kind: number;
    id: number;
    state: number;
    length: number;
}
/** Counts of the medium's work since the store was opened: wear, measured. */
export interface Wear {
    bytesWritten: number;
    writes: number;
    erases: number;
}
export declare class LogStore {
    #private;
    readonly medium: Medium;
    readonly blockSize: number;
    readonly blockCount: number;
    readonly wear: Wear;
    constructor(medium: Medium);
    /** The largest body a record can have. */
    get maxBody(): number;
    /**
     * Reads the medium: the blocks in use and, in the order written, each
     * committed record that is not dead, given to `each`. Records of the
     * other kinds than PUBLISH are kept once per kind and id: an older copy
     * (from a copy forward the power cut short) is marked dead.
     */
    open(each: (found: Found) => void): void;
    /** The blocks in use, by their headers, oldest first. */
    private scanBlocks;
    /** A block's committed records, each not dead given to `each`; the newest block is the tail when what follows its last record is erased. */
    private scanBlock;
    /** The live record of a key (kind and id) is at `at`: an older one (a copy forward cut short) is dead. */
    private keep;
    /** The records after `at` (NONE: from the start), the next committed one not dead of `kind`; NONE at the end. */
    next(at: number, kind: number, found: Found): number;
    /** The body of the record at `at`. */
    read(at: number): Uint8Array;
    /** Where block `b` is in the order of blocks in use (-1: not in use): by its sequence number, checked. */
    private indexOf;
    /** The first byte of the record's body. */
    first(at: number): number;
    /**
     * A number larger than that of any record appended before, and never
     * smaller later: where the next record would go, counted along the
     * blocks' sequence (a block's sequence only grows, and so does the end
     * of the tail). A key for a record's body that outlives its copies.
     */
    get stamp(): number;
    /**
     * Appends a record (`pieces` are its body, one after the other) in
     * `state` (a copy forward keeps its original's) and commits it: durable
     * when this returns. Throws StoreFullError when it cannot be made room
     * for, having changed nothing that lives.
     */
    append(kind: number, id: number, pieces: (Uint8Array | undefined)[], state?: number): number;
    /** Advances a record's state in place (its bits only cleared): RELEASED or DEAD. Durable when this returns. */
    mark(at: number, state: number): void;
    /** Where the live record of a kind other than PUBLISH is, by its packet id (NONE: none). */
    sticky(kind: number, id: number): number;
    /** The live record of a kind other than PUBLISH, by its packet id: dead from now on. */
    remove(kind: number, id: number): void;
    /** Every live record of `kind` (not PUBLISH): dead from now on. */
    removeAll(kind: number): void;
    /** Every record gone: the blocks in use are erased. */
    clear(): void;
    /**
     * True when the tail has `bytes` free; false when a free block is to be
     * opened for them (the oldest reclaimed first when no free block is left
     * but the reserve).
     */
    private fits;
    /** A free block becomes the tail: erased (unless this store erased it since), then its header written. */
    private openBlock;
    /**
     * The oldest block is erased. A live PUBLISH in it (not yet acknowledged)
     * means the store is full; its other live records go forward first.
     */
    private reclaim;
    private one;
    private erase;
    /** Every byte from `from` to `to` is 0xFF: it can be written. */
    private isErased;
    /** The record at `at`, if a committed one ends before `limit` (its CRC checked when `check`); false at the end of the block's records. */
    private readRecord;
}
