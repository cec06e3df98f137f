// The packet writer: every packet an MQTT 3.1.1 client sends.
//
// Each packet is measured first and then written once into a buffer of its
// exact size, made for it, and handed out in a frame of its own: nothing is
// held between packets, so an idle client keeps no send buffer (a device's
// heap is small), and a packet that must wait for the socket is already its
// own copy. Strings are encoded by the SDK's
// native ArrayBuffer.fromString; the last two publish topics given as strings
// are kept encoded. Payload bytes the caller gives are never copied into a
// large packet: the frame hands them out as `body`, to be written after
// `head`. A packet whose remaining length is within the inline limit is
// assembled in one piece instead, so that it leaves in a single socket write.

import {
	CONNECT, PUBLISH, PUBREL, SUBSCRIBE, UNSUBSCRIBE, PINGREQ, DISCONNECT,
	MAX_REMAINING_LENGTH, MAX_STRING_BYTES
} from "mqtt/constants";
import { type Data, asUint8Array, isBytes } from "mqtt/bytes";
import { checkQoS, checkPacketId, checkTopicFilter, checkKeepalive, utf8Fault } from "mqtt/validate";

/** A packet ready for the socket: `head`, then `body` when there is one. */
export interface Frame {
	head: Uint8Array;
	body: Uint8Array | undefined;
}

export interface Will {
	topic: Data;
	message: Data;
	qos: number;
	retain: boolean;
}

export interface ConnectFields {
	clientId: Data;
	cleanSession: boolean;
	keepalive: number;
	will?: Will | undefined;
	user?: Data | undefined;
	password?: Data | undefined;
}

// A packet whose remaining length is up to this is assembled whole and leaves
// in one write (acknowledgements, pings, most telemetry); a larger one goes as
// its head, then the caller's payload as is.
export const DEFAULT_INLINE_LIMIT = 256;

const PROTOCOL: readonly number[] = Object.freeze([0, 4, 0x4D, 0x51, 0x54, 0x54, 4]);	// "MQTT", level 4 (3.1.1)
export const CLEAN_SESSION = 0x02;

/**
 * The length-prefixed fields of a CONNECT `packet` of this writer (client
 * id, will topic and message, user name, password, as its flags say), as
 * views of it, its flags byte at `at`: the client keeps its CONNECT as its
 * only copy of them. withWill and MQTT 5's CONNECT (mqtt/v5/protocol) read
 * them back.
 */
export function connectFields(packet: Uint8Array, at: number): Uint8Array[] {
	const fields: Uint8Array[] = [];
	for (let position = at + 3; position < packet.length;) {	// after the flags and the keep-alive
		const length = (packet[position] << 8) | packet[position + 1];
		fields.push(packet.subarray(position + 2, position + 2 + length));
		position += 2 + length;
	}
	return fields;
}

/** Where a CONNECT packet's flags byte is: after the fixed header (its length bytes end without bit 7) and the protocol name and level. */
export function flagsAt(packet: Uint8Array): number {
	let at = 1;
	while (packet[at] & 0x80)
		at++;
	return at + 1 + PROTOCOL.length;
}

export class PacketWriter {
	readonly #inlineLimit: number;
	// The last two publish topics given as strings, as their length-prefixed
	// fields: an app publishes to the same topics again and again, and copying
	// bytes costs less than encoding a string. Made on the first such publish.
	#topics: TopicCache | undefined;

	/** `inlineLimit`: packets whose remaining length is up to this are assembled whole. */
	constructor(inlineLimit = DEFAULT_INLINE_LIMIT) {
		if (!Number.isInteger(inlineLimit) || inlineLimit < 16)
			throw new RangeError("inlineLimit must be an integer >= 16");
		this.#inlineLimit = inlineLimit;
	}

	connect(fields: ConnectFields): Frame {
		// Few locals, no destructuring, no for-of: XS gives each local and each
		// hidden iterator a stack slot, and construction runs inside the app's
		// frames (an ESP8266 has 256 slots of stack).
		checkKeepalive(fields.keepalive);
		if (fields.user !== undefined && fields.password === undefined)
			throw new TypeError("user name given without password");
		if (fields.password !== undefined && fields.user === undefined)
			throw new TypeError("password given without user name");
		const parts = [stringField(fields.clientId, "client id")];
		checkText(parts[0], "client id");
		let flags = fields.cleanSession ? CLEAN_SESSION : 0;
		const will = fields.will;
		if (will) {
			checkQoS(will.qos, "will QoS");
			flags |= 0x04 | (will.qos << 3) | (will.retain ? 0x20 : 0);
			parts.push(stringField(will.topic, "will topic"));
			checkTopicName(parts[parts.length - 1], "will topic");
			parts.push(stringField(will.message, "will message"));	// the will message is binary
		}
		if (fields.user !== undefined) {
			flags |= 0x80;
			parts.push(stringField(fields.user, "user name"));
			checkText(parts[parts.length - 1], "user name");
		}
		if (fields.password !== undefined) {
			flags |= 0x40;
			parts.push(stringField(fields.password, "password"));	// binary data in MQTT 3.1.1 (3.1.3.5)
		}
		return this.connectPacket(flags, fields.keepalive, parts);
	}

	/** CONNECT's bytes: the fixed header, the protocol name and level, the flags, the keep-alive, then the fields. */
	private connectPacket(flags: number, keepalive: number, parts: Uint8Array[]): Frame {
		let remaining = PROTOCOL.length + 3, i;
		for (i = 0; i < parts.length; i++)
			remaining += parts[i].length;
		const packet = this.begin(CONNECT << 4, remaining, remaining);
		let position = packet.length - remaining;
		for (i = 0; i < PROTOCOL.length; i++)
			packet[position++] = PROTOCOL[i];
		packet[position++] = flags;
		packet[position++] = keepalive >> 8;
		packet[position++] = keepalive & 0xFF;
		for (i = 0; i < parts.length; i++) {
			packet.set(parts[i], position);
			position += parts[i].length;
		}
		return { head: packet, body: undefined };
	}

	/**
	 * The CONNECT `packet` (one this writer made) again, with `will` (or none):
	 * its client id, keep-alive, user name and password are read back from it,
	 * so that a client keeps its CONNECT as its only copy of them.
	 */
	withWill(packet: Uint8Array, will: Will | undefined): Frame {
		const at = flagsAt(packet);
		const flags = packet[at];
		const keepalive = (packet[at + 1] << 8) | packet[at + 2];
		const fields = connectFields(packet, at);
		const hadWill = (flags & 0x04) !== 0;
		return this.connect({
			clientId: fields[0],
			cleanSession: (flags & CLEAN_SESSION) !== 0,
			keepalive,
			will,
			user: flags & 0x80 ? fields[hadWill ? 3 : 1] : undefined,
			password: flags & 0x40 ? fields[(hadWill ? 3 : 1) + (flags & 0x80 ? 1 : 0)] : undefined
		});
	}

	/** The CONNECT `packet` carries an empty client id. */
	emptyClientId(packet: Uint8Array): boolean {
		const at = flagsAt(packet) + 3;	// after the flags and the keep-alive
		return packet[at] === 0 && packet[at + 1] === 0;
	}

	/**
	 * PUBLISH. A string payload is UTF-8; binary payloads are sent from the
	 * caller's own memory. Throws, before producing anything, on a bad topic,
	 * QoS or packet id, or a packet beyond the seed's size limit.
	 */
	publish(topic: Data, payload: Data, qos: number, retain: boolean, dup: boolean, id: number): Frame {
		if (qos !== 0) {	// QoS 0, the hot path, is valid without a call; so is the usual QoS and id
			if (qos !== 1 && qos !== 2)
				checkQoS(qos, "QoS");
			if ((id & 0xFFFF) !== id || id === 0)	// an integer 1..65535 passes, anything else is named there
				checkPacketId(id);
		}
		// The topic's field: from the cache, else made here (not in a call of
		// its own: the publish path runs inside the app's frames, and an
		// ESP8266 has 256 slots of stack) and then remembered.
		const cache = this.#topics;
		let field = cache === undefined ? undefined : topic === cache.text0 ? cache.field0 : topic === cache.text1 ? cache.field1 : undefined;
		if (field === undefined) {
			// Made, then checked: one call after the other, not one inside the
			// other (the deepest frames of the publish path).
			field = stringField(topic, "topic");
			checkTopicName(field, "topic");
			if (typeof topic === "string")
				this.#topics = rememberTopic(this.#topics, topic, field);
		}
		let body: Uint8Array;
		if (payload instanceof Uint8Array)
			body = payload;
		else if (typeof payload === "string") {
			if (payload.length > MAX_REMAINING_LENGTH)
				throw tooLarge(payload.length);	// before encoding: UTF-8 is never shorter
			body = new Uint8Array(ArrayBuffer.fromString(payload));
		}
		else if (isBytes(payload))
			body = asUint8Array(payload);
		else
			throw new TypeError("message must be a string or binary data");
		const header = field.length + (qos ? 2 : 0);
		const remaining = header + body.length;
		const inline = remaining <= this.#inlineLimit;
		// No local for the first byte: each local is a stack slot of this frame,
		// which calls stringField and the SDK's encoder.
		let packet: Uint8Array;
		if (remaining < 128 && inline) {	// begin()'s usual case, without its call
			packet = new Uint8Array(2 + remaining);
			packet[0] = (PUBLISH << 4) | (dup ? 0x08 : 0) | (qos << 1) | (retain ? 0x01 : 0);
			packet[1] = remaining;
		}
		else
			packet = this.begin((PUBLISH << 4) | (dup ? 0x08 : 0) | (qos << 1) | (retain ? 0x01 : 0), remaining, inline ? remaining : header);
		let position = packet.length - (inline ? remaining : header);
		packet.set(field, position);
		position += field.length;
		if (qos) {
			packet[position++] = id >> 8;
			packet[position++] = id & 0xFF;
		}
		if (!inline)
			return { head: packet, body };
		packet.set(body, position);
		return { head: packet, body: undefined };
	}

	/** PUBACK, PUBREC, PUBREL or PUBCOMP: a type and a packet id. */
	ack(type: number, id: number): Frame {
		checkPacketId(id);
		return { head: Uint8Array.of((type << 4) | (type === PUBREL ? 0x02 : 0), 2, id >> 8, id & 0xFF), body: undefined };
	}

	subscribe(id: number, filters: readonly Data[], qos: readonly number[]): Frame {
		checkPacketId(id);
		if (!Array.isArray(filters) || filters.length === 0)
			throw new TypeError("subscribe needs at least one topic filter");
		if (!Array.isArray(qos) || qos.length !== filters.length)
			throw new TypeError("subscribe needs one QoS per topic filter");
		const fields = filterFields(filters, qos);
		return this.withFilters((SUBSCRIBE << 4) | 0x02, id, fields, qos);
	}

	unsubscribe(id: number, filters: readonly Data[]): Frame {
		checkPacketId(id);
		if (!Array.isArray(filters) || filters.length === 0)
			throw new TypeError("unsubscribe needs at least one topic filter");
		return this.withFilters((UNSUBSCRIBE << 4) | 0x02, id, filterFields(filters, undefined), undefined);
	}

	pingreq(): Frame {
		return { head: Uint8Array.of(PINGREQ << 4, 0), body: undefined };
	}

	disconnect(): Frame {
		return { head: Uint8Array.of(DISCONNECT << 4, 0), body: undefined };
	}

	/** SUBSCRIBE or UNSUBSCRIBE: the id, then each filter (and its QoS byte). */
	private withFilters(first: number, id: number, fields: Uint8Array[], qos: readonly number[] | undefined): Frame {
		let remaining = 2;
		for (const field of fields)
			remaining += field.length + (qos ? 1 : 0);
		const packet = this.begin(first, remaining, remaining);
		let position = packet.length - remaining;
		packet[position++] = id >> 8;
		packet[position++] = id & 0xFF;
		for (let i = 0; i < fields.length; i++) {
			packet.set(fields[i], position);
			position += fields[i].length;
			if (qos)
				packet[position++] = qos[i];
		}
		return { head: packet, body: undefined };
	}

	/**
	 * A packet's buffer, `written` bytes after its fixed header, with the
	 * fixed header (type byte and remaining length) already in place.
	 */
	private begin(first: number, remaining: number, written: number): Uint8Array {
		if (remaining < 128) {	// most packets: one length byte
			const packet = new Uint8Array(2 + written);
			packet[0] = first;
			packet[1] = remaining;
			return packet;
		}
		if (remaining > MAX_REMAINING_LENGTH)
			throw tooLarge(remaining);
		const lengthBytes = remaining < 16384 ? 2 : 3;
		const packet = new Uint8Array(1 + lengthBytes + written);
		packet[0] = first;
		for (let i = 1, rest = remaining; i <= lengthBytes; i++, rest >>= 7)
			packet[i] = (rest & 0x7F) | (i < lengthBytes ? 0x80 : 0);
		return packet;
	}

	/** Drops the topic cache (the client is no longer connected). */
	forget(): void {
		this.#topics = undefined;
	}
}

/**
 * A publish topic given as a string, and its field, checked: the newest of
 * the two a writer keeps (the 3.1.1 and the MQTT 5 writers alike), so that a
 * topic published again is neither encoded nor scanned again.
 */
export function rememberTopic(cache: TopicCache | undefined, topic: string, field: Uint8Array): TopicCache {
	cache ??= { text0: undefined, field0: undefined, text1: undefined, field1: undefined };
	cache.text1 = cache.text0;	// the newest in front, the older one kept
	cache.field1 = cache.field0;
	cache.text0 = topic;
	cache.field0 = field;
	return cache;
}

export interface TopicCache {
	text0: string | undefined;
	field0: Uint8Array | undefined;
	text1: string | undefined;
	field1: Uint8Array | undefined;
}

/** A length-prefixed field: strings as UTF-8, bytes as they are (binary data: the will message, the password). */
export function stringField(value: Data, what: string): Uint8Array {
	let bytes: Uint8Array;
	if (typeof value === "string") {
		if (value.length > MAX_STRING_BYTES)
			throw tooLong(what, value.length);	// before encoding: UTF-8 is never shorter
		// The SDK's native encoder: a loop over charCodeAt costs XS far more,
		// garbage included. Called on its own, not as the argument of
		// `new Uint8Array()`, whose pending construction would hold 5 stack
		// slots under it (the deepest frame of the publish path).
		const buffer = ArrayBuffer.fromString(value);
		bytes = new Uint8Array(buffer);
	}
	else if (isBytes(value))
		bytes = asUint8Array(value);
	else
		throw new TypeError(`${what} must be a string or binary data`);
	const length = bytes.length;
	if (length > MAX_STRING_BYTES)
		throw tooLong(what, length);
	const field = new Uint8Array(2 + length);
	field[0] = length >> 8;
	field[1] = length & 0xFF;
	field.set(bytes, 2);
	return field;
}

/**
 * A UTF-8 string field must be well-formed, without U+0000 [MQTT-1.5.3-1,
 * MQTT-1.5.3-2]: checked on the field's bytes, so that binary arguments and
 * XS's encoder (a lone surrogate becomes ED A0 80) are held to it alike.
 * Called after stringField, not from it: construction runs inside the app's
 * frames, and an ESP8266 has 256 slots of stack.
 */
function checkText(field: Uint8Array, what: string): void {
	const fault = utf8Fault(field, 2, field.length);
	if (fault)
		throw new TypeError(`${what} ${fault}`);
}

/**
 * The field (stringField's) of a topic name for PUBLISH or the will: not
 * empty, no wildcard, UTF-8 without U+0000. Called after stringField, not
 * calling it: the publish path runs inside the app's frames, and an ESP8266
 * has 256 slots of stack.
 */
function checkTopicName(field: Uint8Array, what: string): void {
	const fault = utf8Fault(field, 2, field.length);	// not through checkText: one frame less on the publish path
	if (fault)
		throw new TypeError(`${what} ${fault}`);
	if (field.length === 2)
		throw new TypeError(`${what} is empty`);
	if (field.indexOf(0x2B, 2) >= 0 || field.indexOf(0x23, 2) >= 0)
		throw new TypeError(`${what} contains a wildcard (+ or #); wildcards are only for subscriptions`);
}

/** Each filter as its field, checked; and each QoS when given. */
function filterFields(filters: readonly Data[], qos: readonly number[] | undefined): Uint8Array[] {
	const fields: Uint8Array[] = [];
	let total = 2;
	for (let i = 0; i < filters.length; i++) {
		if (qos)
			checkQoS(qos[i], "QoS");
		const field = stringField(filters[i], "topic filter");
		checkTopicFilter(field.subarray(2));
		checkText(field, "topic filter");
		total += field.length + (qos ? 1 : 0);
		if (total > MAX_REMAINING_LENGTH)
			throw tooLarge(total);
		fields.push(field);
	}
	return fields;
}

function tooLong(what: string, length: number): RangeError {
	return new RangeError(`${what} is ${length} bytes long; the limit is ${MAX_STRING_BYTES}`);
}

function tooLarge(remaining: number): RangeError {
	return new RangeError(`packet too large: remaining length ${remaining} reaches the limit of ${MAX_REMAINING_LENGTH + 1} bytes`);
}
