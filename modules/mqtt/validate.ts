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

export function describe(value: unknown): string {
	if (typeof value === "string")
		return JSON.stringify(value.length > 40 ? value.slice(0, 40) + "..." : value);
	if (typeof value === "number" || typeof value === "boolean" || value === undefined || value === null)
		return String(value);
	return typeof value;
}
