import type { Medium } from "mqtt/store";
export interface FileMediumOptions {
    /** The file's path in the files root (mcsim: the manifest's "config": {"files": FOLDER}). */
    path: string;
    /** Bytes per block (default 4,096): the largest message stored is this less 19 bytes. */
    blockSize?: number;
    /** Blocks (default 16, at least 3): one stays free in reserve. */
    blockCount?: number;
}
export declare class FileMedium implements Medium {
    #private;
    readonly blockSize: number;
    readonly blockCount: number;
    /** The file was made (or grown) now: every block reads 0xFF. */
    readonly erased: boolean;
    constructor(options: FileMediumOptions);
    read(offset: number, bytes: Uint8Array): void;
    write(offset: number, bytes: Uint8Array): void;
    eraseBlock(block: number): void;
    sync(): void;
    close(): void;
    /** 0xFF from `from` to `to`, 256 bytes at a time. */
    private fill;
}
