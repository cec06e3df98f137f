// Argument checks shared by the writer and the client. Each throws a
// TypeError or RangeError whose message names the argument and the rule.

import { MAX_PACKET_ID } from "mqtt/constants";

export function checkQoS(qos: unknown, what = "QoS"): asserts qos is 0 | 1 | 2 {
	if (qos !== 0 && qos !== 1 && qos !== 2)
		throw new RangeError(`${what} must be 0, 1 or 2, not ${describe(qos)}`);
}

export function checkPacketId(id: unknown): asserts id is number {
	if (!Number.isInteger(id) || (id as number) < 1 || (id as number) > MAX_PACKET_ID)
		throw new RangeError(`packet id must be an integer 1..${MAX_PACKET_ID}, not ${describe(id)}`);
}

export function checkKeepalive(keepalive: unknown): asserts keepalive is number {
	if (!Number.isInteger(keepalive) || (keepalive as number) < 0 || (keepalive as number) > 65_535)
		throw new RangeError(`keepalive must be an integer 0..65535 seconds, not ${describe(keepalive)}`);
}

/**
 * A subscription filter, as UTF-8 bytes: not empty, no U+0000, `#` only as
 * the whole last level, `+` only as a whole level.
 */
export function checkTopicFilter(filter: Uint8Array): void {
	const length = filter.length;
	if (length === 0)
		throw new TypeError("topic filter is empty");
	for (let i = 0; i < length; i++) {
		const c = filter[i];
		if (c === 0)
			throw new TypeError("topic filter contains U+0000");
		if (c !== 0x2B && c !== 0x23)
			continue;
		const alone = (i === 0 || filter[i - 1] === 0x2F) && (i + 1 === length || filter[i + 1] === 0x2F);
		if (!alone)
			throw new TypeError(`topic filter wildcard ${c === 0x23 ? "#" : "+"} must fill a whole level`);
		if (c === 0x23 && i + 1 !== length)
			throw new TypeError("topic filter wildcard # must be the last level");
	}
}

/**
 * What is wrong with the bytes of a UTF-8 string field, or undefined: MQTT
 * 3.1.1 wants well-formed UTF-8 without surrogate code points
 * [MQTT-1.5.3-1] and without U+0000 [MQTT-1.5.3-2]. The check runs on
 * bytes, so that it holds for binary arguments and for XS's encoder alike
 * (ArrayBuffer.fromString turns a lone surrogate into ED A0 80). ASCII, the
 * usual topic, takes a loop of two locals: XS gives each local a stack slot.
 */
export function utf8Fault(bytes: Uint8Array, start: number, end: number): string | undefined {
	for (let i = start; i < end; i++) {
		const b = bytes[i];
		if (b >= 0x80)
			return multibyteFault(bytes, i, end);
		if (b === 0)
			return "contains U+0000";
	}
	return undefined;
}

/** utf8Fault from the first byte above 0x7F on. */
function multibyteFault(bytes: Uint8Array, start: number, end: number): string | undefined {
	for (let i = start; i < end;) {
		const b = bytes[i++];
		if (b < 0x80) {
			if (b === 0)
				return "contains U+0000";
			continue;
		}
		// The second byte's range depends on the first (Unicode, table 3-7): no
		// overlong forms, no surrogates (ED A0..BF), nothing past U+10FFFF.
		let more: number, low = 0x80, high = 0xBF;
		if (b >= 0xC2 && b <= 0xDF)
			more = 1;
		else if (b >= 0xE0 && b <= 0xEF) {
			more = 2;
			if (b === 0xE0)
				low = 0xA0;
			else if (b === 0xED)
				high = 0x9F;
		}
		else if (b >= 0xF0 && b <= 0xF4) {
			more = 3;
			if (b === 0xF0)
				low = 0x90;
			else if (b === 0xF4)
				high = 0x8F;
		}
		else
			return "is not well-formed UTF-8";
		if (i + more > end)
			return "is not well-formed UTF-8";
		const second = bytes[i++];
		if (second < low || second > high)
			return "is not well-formed UTF-8";
		for (; more > 1; more--) {
			const next = bytes[i++];
			if (next < 0x80 || next > 0xBF)
				return "is not well-formed UTF-8";
		}
	}
	return undefined;
}

export function describe(value: unknown): string {
	if (typeof value === "string")
		return JSON.stringify(value.length > 40 ? value.slice(0, 40) + "..." : value);
	if (typeof value === "number" || typeof value === "boolean" || value === undefined || value === null)
		return String(value);
	return typeof value;
}
