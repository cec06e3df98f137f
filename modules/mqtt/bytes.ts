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

/**
 * Bytes a string takes in UTF-8. A lone surrogate counts as U+FFFD (three
 * bytes), which is what `writeUtf8` writes for it.
 */
export function utf8Length(text: string): number {
	let length = text.length;
	for (let i = 0, n = text.length; i < n; i++) {
		const c = text.charCodeAt(i);
		if (c < 0x80)
			continue;
		if (c < 0x800)
			length += 1;
		else if (c >= 0xD800 && c <= 0xDBFF && i + 1 < n && isLowSurrogate(text.charCodeAt(i + 1))) {
			length += 2;	// four bytes for two UTF-16 units
			i++;
		}
		else
			length += 2;
	}
	return length;
}

/**
 * Encodes a string as UTF-8 into `target` at `offset`, returning the offset
 * after it. The caller guarantees room (3 bytes per UTF-16 unit is always
 * enough). Used for header fields, so that they go straight into the writer's
 * buffer without an intermediate ArrayBuffer.
 */
export function writeUtf8(text: string, target: Uint8Array, offset: number): number {
	for (let i = 0, n = text.length; i < n; i++) {
		let c = text.charCodeAt(i);
		if (c < 0x80) {
			target[offset++] = c;
			continue;
		}
		if (c < 0x800) {
			target[offset++] = 0xC0 | (c >> 6);
			target[offset++] = 0x80 | (c & 0x3F);
			continue;
		}
		if (c >= 0xD800 && c <= 0xDFFF) {
			const next = i + 1 < n ? text.charCodeAt(i + 1) : 0;
			if (c <= 0xDBFF && isLowSurrogate(next)) {
				c = 0x10000 + ((c - 0xD800) << 10) + (next - 0xDC00);
				i++;
				target[offset++] = 0xF0 | (c >> 18);
				target[offset++] = 0x80 | ((c >> 12) & 0x3F);
				target[offset++] = 0x80 | ((c >> 6) & 0x3F);
				target[offset++] = 0x80 | (c & 0x3F);
				continue;
			}
			c = 0xFFFD;
		}
		target[offset++] = 0xE0 | (c >> 12);
		target[offset++] = 0x80 | ((c >> 6) & 0x3F);
		target[offset++] = 0x80 | (c & 0x3F);
	}
	return offset;
}

function isLowSurrogate(c: number): boolean {
	return c >= 0xDC00 && c <= 0xDFFF;
}
