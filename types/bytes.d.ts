/** Binary data as the API accepts it: an ArrayBuffer, any typed array or a DataView. */
export type Bytes = ArrayBufferLike | ArrayBufferView;
/** What the seed calls `bytes | str`: a string goes out as UTF-8. */
export type Data = string | Bytes;
export declare function isBytes(value: unknown): value is Bytes;
export declare function isData(value: unknown): value is Data;
/** A Uint8Array over the caller's bytes: a view, never a copy. */
export declare function asUint8Array(value: Bytes): Uint8Array;
/** Bytes in `value` when sent: a string's UTF-8 is empty exactly when the string is. */
export declare function isEmptyData(value: Data): boolean;
