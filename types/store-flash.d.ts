import type { Medium } from "mqtt/store";
/** An ECMA-419 flash partition (embedded:storage/flash). */
export interface FlashPartition {
    read(buffer: Uint8Array, position: number): number;
    write(buffer: Uint8Array, position: number): void;
    eraseBlock(start: number, end?: number): void;
    status(): {
        blockLength: number;
        blocks: number;
    };
}
/** The SDK's older `flash` module's object (ESP8266, ESP32). */
export interface FlashArea {
    read(offset: number, byteLength: number): ArrayBuffer;
    write(offset: number, byteLength: number, buffer: Uint8Array): void;
    erase(sector: number): void;
    readonly blockSize: number;
    readonly byteLength: number;
}
export declare class FlashMedium implements Medium {
    #private;
    readonly blockSize: number;
    readonly blockCount: number;
    /** `blockCount`: how many of the partition's blocks, from its start, the store uses (default all). */
    constructor(flash: FlashPartition | FlashArea, blockCount?: number);
    read(offset: number, bytes: Uint8Array): void;
    write(offset: number, bytes: Uint8Array): void;
    eraseBlock(block: number): void;
}
