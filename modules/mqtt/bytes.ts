// Byte helpers shared by the codec and the client. Plain ES2025: they run on
// XS and, for the codec's tests, on Node.

/** Binary data as the API accepts it: an ArrayBuffer, any typed array or a DataView. */
export type Bytes = ArrayBufferLike | ArrayBufferView;
/** What the seed calls `bytes | str`: a string goes out as UTF-8. */
export type Data = string | Bytes;

export function isBytes(value: unknown): value is Bytes {
	return value instanceof ArrayBuffer || ArrayBuffer.isView(value) ||
		(typeof SharedArrayBuffer === "function" && value instanceof SharedArrayBuffer);
}

export function isData(value: unknown): value is Data {
	return typeof value === "string" || isBytes(value);
}

/** A Uint8Array over the caller's bytes: a view, never a copy. */
export function asUint8Array(value: Bytes): Uint8Array {
	if (value instanceof Uint8Array)
		return value;
	if (ArrayBuffer.isView(value))
		return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
	return new Uint8Array(value);
}

/** Bytes in `value` when sent: a string's UTF-8 is empty exactly when the string is. */
export function isEmptyData(value: Data): boolean {
	return typeof value === "string" ? value.length === 0 : value.byteLength === 0;
}
