// The packet writer: every packet an MQTT 3.1.1 client sends.
//
// Each packet is assembled in a buffer the writer owns and reuses. The
// variable header starts at HEAD_ROOM; once its size is known the fixed header
// (type byte and remaining length) is written right-aligned just before it, so
// every field is written once. Strings are encoded by the SDK's native
// ArrayBuffer.fromString; publish topics given as strings are cached encoded. Payload bytes the
// caller gives are never copied: the frame hands them out as `body`, to be
// written after `head`. A packet whose whole size fits in the inline limit is
// assembled in one piece instead, so that it leaves in a single socket write.

import {
	CONNECT, PUBLISH, PUBREL, SUBSCRIBE, UNSUBSCRIBE, PINGREQ, DISCONNECT,
	MAX_REMAINING_LENGTH, MAX_STRING_BYTES
} from "mqtt/constants";
import { type Data, asUint8Array, isBytes } from "mqtt/bytes";
import { checkQoS, checkPacketId, checkTopicFilter, checkKeepalive } from "mqtt/validate";

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

const HEAD_ROOM = 5;	// type byte + at most four remaining-length bytes

// The writer's buffer, held for the client's life: a packet up to this size
// is assembled whole and leaves in one write (acknowledgements, pings, most
// telemetry); a larger one goes as its head, then the caller's payload as is.
export const DEFAULT_INLINE_LIMIT = 256;

const PROTOCOL: readonly number[] = Object.freeze([0, 4, 0x4D, 0x51, 0x54, 0x54, 4]);	// "MQTT", level 4 (3.1.1)

export class PacketWriter {
	readonly #scratch: Uint8Array;
	#buffer: Uint8Array;
	#position = HEAD_ROOM;
	readonly #frame: Frame;
	#headBuffer: Uint8Array | undefined;	// what frame.head views
	#headStart = 0;
	#headEnd = 0;
	// The last two publish topics given as strings, encoded and checked: an app
	// publishes to the same topics again and again, and copying bytes costs
	// less than encoding a string.
	#topicText0: string | undefined;
	#topicField0: Uint8Array | undefined;
	#topicText1: string | undefined;
	#topicField1: Uint8Array | undefined;

	/** `inlineLimit`: packets up to this many bytes are assembled whole. */
	constructor(inlineLimit = DEFAULT_INLINE_LIMIT) {
		if (!Number.isInteger(inlineLimit) || inlineLimit < 16)
			throw new RangeError("inlineLimit must be an integer >= 16");
		this.#scratch = this.#buffer = new Uint8Array(inlineLimit + HEAD_ROOM);
		this.#frame = { head: this.#scratch, body: undefined };
	}

	connect(fields: ConnectFields): Frame {
		const { clientId, cleanSession, keepalive, will, user, password } = fields;
		checkKeepalive(keepalive);
		if (user !== undefined && password === undefined)
			throw new TypeError("user name given without password");
		if (password !== undefined && user === undefined)
			throw new TypeError("password given without user name");
		let flags = cleanSession ? 0x02 : 0;
		if (will) {
			checkQoS(will.qos, "will QoS");
			flags |= 0x04 | (will.qos << 3) | (will.retain ? 0x20 : 0);
		}
		if (password !== undefined)
			flags |= 0x40;
		if (user !== undefined)
			flags |= 0x80;

		this.#begin();
		this.#ensure(PROTOCOL.length + 3);
		const buffer = this.#buffer;
		let position = this.#position;
		for (const byte of PROTOCOL)
			buffer[position++] = byte;
		buffer[position++] = flags;
		buffer[position++] = keepalive >> 8;
		buffer[position++] = keepalive & 0xFF;
		this.#position = position;
		this.#string(clientId, "client id");
		if (will) {
			this.#topicName(will.topic, "will topic");
			this.#string(will.message, "will message");
		}
		if (user !== undefined)
			this.#string(user, "user name");
		if (password !== undefined)
			this.#string(password, "password");
		return this.#finish(CONNECT << 4, undefined);
	}

	/**
	 * PUBLISH. A string payload is UTF-8; binary payloads are sent from the
	 * caller's own memory. Throws, before producing anything, on a bad topic,
	 * QoS or packet id, or a packet beyond the seed's size limit.
	 */
	publish(topic: Data, payload: Data, qos: number, retain: boolean, dup: boolean, id: number): Frame {
		checkQoS(qos, "QoS");
		if (qos)
			checkPacketId(id);
		this.#begin();
		this.#publishTopic(topic);
		if (qos)
			this.#uint16(id);
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
		if (this.#buffer === this.#scratch && body.length <= this.#buffer.length - this.#position) {
			this.#buffer.set(body, this.#position);
			this.#position += body.length;
			return this.#finish((PUBLISH << 4) | (dup ? 0x08 : 0) | (qos << 1) | (retain ? 0x01 : 0), undefined);
		}
		return this.#finish((PUBLISH << 4) | (dup ? 0x08 : 0) | (qos << 1) | (retain ? 0x01 : 0), body);
	}

	/** PUBACK, PUBREC, PUBREL or PUBCOMP: a type and a packet id. */
	ack(type: number, id: number): Frame {
		checkPacketId(id);
		this.#begin();
		this.#uint16(id);
		return this.#finish((type << 4) | (type === PUBREL ? 0x02 : 0), undefined);
	}

	subscribe(id: number, filters: readonly Data[], qos: readonly number[]): Frame {
		checkPacketId(id);
		if (!Array.isArray(filters) || filters.length === 0)
			throw new TypeError("subscribe needs at least one topic filter");
		if (!Array.isArray(qos) || qos.length !== filters.length)
			throw new TypeError("subscribe needs one QoS per topic filter");
		this.#begin();
		this.#uint16(id);
		for (let i = 0; i < filters.length; i++) {
			checkQoS(qos[i], "QoS");
			this.#topicFilter(filters[i]);
			this.#ensure(1);
			this.#buffer[this.#position++] = qos[i];
		}
		return this.#finish((SUBSCRIBE << 4) | 0x02, undefined);
	}

	unsubscribe(id: number, filters: readonly Data[]): Frame {
		checkPacketId(id);
		if (!Array.isArray(filters) || filters.length === 0)
			throw new TypeError("unsubscribe needs at least one topic filter");
		this.#begin();
		this.#uint16(id);
		for (const filter of filters)
			this.#topicFilter(filter);
		return this.#finish((UNSUBSCRIBE << 4) | 0x02, undefined);
	}

	pingreq(): Frame {
		this.#begin();
		return this.#finish(PINGREQ << 4, undefined);
	}

	disconnect(): Frame {
		this.#begin();
		return this.#finish(DISCONNECT << 4, undefined);
	}

	#begin(): void {
		this.#buffer = this.#scratch;
		this.#position = HEAD_ROOM;
	}

	/** Room for `count` more bytes; an oversized packet gets a buffer of its own, dropped after use. */
	#ensure(count: number): void {
		const needed = this.#position + count;
		if (needed <= this.#buffer.length)
			return;
		if (needed - HEAD_ROOM > MAX_REMAINING_LENGTH)
			throw tooLarge(needed - HEAD_ROOM);
		const larger = new Uint8Array(Math.max(needed, this.#buffer.length * 2));
		larger.set(this.#buffer.subarray(0, this.#position));
		this.#buffer = larger;
	}

	#uint16(value: number): void {
		this.#ensure(2);
		this.#buffer[this.#position++] = value >> 8;
		this.#buffer[this.#position++] = value & 0xFF;
	}

	/** A length-prefixed field: strings as UTF-8, bytes as they are. */
	#string(value: Data, what: string): number {
		let length: number;
		let bytes: Uint8Array;
		if (typeof value === "string") {
			if (value.length > MAX_STRING_BYTES)
				throw tooLong(what, value.length);	// before encoding: UTF-8 is never shorter
			// The SDK's native encoder: a loop over charCodeAt costs XS far more, garbage included.
			bytes = new Uint8Array(ArrayBuffer.fromString(value));
		}
		else if (isBytes(value))
			bytes = asUint8Array(value);
		else
			throw new TypeError(`${what} must be a string or binary data`);
		length = bytes.length;
		if (length <= MAX_STRING_BYTES) {
			this.#ensure(2 + length);
			this.#buffer.set(bytes, this.#position + 2);
		}
		if (length > MAX_STRING_BYTES)
			throw tooLong(what, length);
		this.#buffer[this.#position] = length >> 8;
		this.#buffer[this.#position + 1] = length & 0xFF;
		this.#position += 2 + length;
		return length;
	}

	/** The topic of a PUBLISH, from the cache when it is one of the last two strings. */
	#publishTopic(topic: Data): void {
		if (typeof topic === "string") {
			const field = topic === this.#topicText0 ? this.#topicField0 : topic === this.#topicText1 ? this.#topicField1 : undefined;
			if (field) {
				this.#ensure(field.length);
				this.#buffer.set(field, this.#position);
				this.#position += field.length;
				return;
			}
		}
		const start = this.#position;
		this.#topicName(topic, "topic");
		if (typeof topic === "string") {	// the newest in front, the older one kept
			this.#topicText1 = this.#topicText0;
			this.#topicField1 = this.#topicField0;
			this.#topicText0 = topic;
			this.#topicField0 = this.#buffer.slice(start, this.#position);
		}
	}

	/** A topic name for PUBLISH or the will: not empty, no wildcard, no U+0000. */
	#topicName(topic: Data, what: string): void {
		const start = this.#position + 2;
		const length = this.#string(topic, what);
		if (length === 0)
			throw new TypeError(`${what} is empty`);
		const bytes = this.#buffer.subarray(start, start + length);
		if (bytes.indexOf(0x2B) >= 0 || bytes.indexOf(0x23) >= 0)
			throw new TypeError(`${what} contains a wildcard (+ or #); wildcards are only for subscriptions`);
		if (bytes.indexOf(0) >= 0)
			throw new TypeError(`${what} contains U+0000`);
	}

	#topicFilter(filter: Data): void {
		const start = this.#position + 2;
		const length = this.#string(filter, "topic filter");
		checkTopicFilter(this.#buffer.subarray(start, start + length));
	}

	/** Writes the fixed header right-aligned before HEAD_ROOM and hands out the frame. */
	#finish(first: number, body: Uint8Array | undefined): Frame {
		const buffer = this.#buffer;
		const remaining = this.#position - HEAD_ROOM + (body ? body.length : 0);
		if (remaining > MAX_REMAINING_LENGTH)
			throw tooLarge(remaining);
		let start: number;
		if (remaining < 128) {	// most packets: one length byte
			start = HEAD_ROOM - 2;
			buffer[start + 1] = remaining;
		}
		else {
			let lengthBytes = 1;
			for (let rest = remaining >> 7; rest; rest >>= 7)
				lengthBytes++;
			start = HEAD_ROOM - lengthBytes - 1;
			for (let i = start + 1, rest = remaining; i < HEAD_ROOM; i++, rest >>= 7)
				buffer[i] = (rest & 0x7F) | (i + 1 < HEAD_ROOM ? 0x80 : 0);
		}
		buffer[start] = first;
		const frame = this.#frame, end = this.#position;
		// The view handed out last time serves again when it covers the same bytes: no allocation.
		if (buffer !== this.#headBuffer || start !== this.#headStart || end !== this.#headEnd) {
			frame.head = buffer.subarray(start, end);
			this.#headBuffer = buffer;
			this.#headStart = start;
			this.#headEnd = end;
		}
		frame.body = body;
		return frame;
	}
}

function tooLong(what: string, length: number): RangeError {
	return new RangeError(`${what} is ${length} bytes long; the limit is ${MAX_STRING_BYTES}`);
}

function tooLarge(remaining: number): RangeError {
	return new RangeError(`packet too large: remaining length ${remaining} reaches the limit of ${MAX_REMAINING_LENGTH + 1} bytes`);
}
