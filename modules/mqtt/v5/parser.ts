// The MQTT 5.0 incremental packet parser: the byte stream in pieces of any
// size (down to one byte at a time) in, one packet a client receives under
// version 5 at a time out. Loaded only by an app that asks for version 5.
//
// A packet whose bytes are all in the piece at hand is decoded where it
// lies; one that is split has its fixed header read byte by byte and its
// body gathered into a buffer of its exact size (its size is checked
// against the client's Maximum Packet Size first), then decoded by the same
// code. So a stream gets the same verdict however it is cut. Everything but
// what a packet hands its reader (a PUBLISH's topic and payload, properties,
// the reason codes of SUBACK and UNSUBACK) lands in the reused record.
//
// Incoming topic aliases are mapped here [MQTT-3.3.2-10]: a PUBLISH with an
// empty topic and an alias is handed out with the topic the alias stands
// for; `reset` (a new connection) forgets every mapping [MQTT-3.3.2-7].

import { CONNACK, PUBLISH, PUBACK, PUBREC, PUBREL, PUBCOMP, SUBACK, UNSUBACK, PINGRESP, DISCONNECT, MAX_REMAINING_LENGTH } from "mqtt/constants";
import { ProtocolError } from "mqtt/errors";
import { topicOf } from "mqtt/parser";
import { type ReceivedProperties, NO_PROPERTIES, decodeProperties, readVariable, variableSize, packetName } from "mqtt/v5/properties";
import { AUTH, serverMaySend, reasonName } from "mqtt/v5/reasons";

const EMPTY = new ArrayBuffer(0);
const NO_CODES: readonly number[] = Object.freeze([]);

/** The packet just parsed. Reused: read it before parsing on. */
export class Packet5 {
	type = 0;
	/** The fixed header's flags (low four bits of the first byte). */
	flags = 0;
	/** Packet identifier of acknowledgements, SUBACK, UNSUBACK and PUBLISH with QoS > 0; else 0. */
	id = 0;
	/** CONNACK */
	sessionPresent = false;
	/**
	 * CONNACK, PUBACK, PUBREC, PUBREL, PUBCOMP, DISCONNECT, AUTH: the reason
	 * code (0 where the short form leaves it out). A CONNACK of a 3.1.1
	 * server refusing version 5 carries its return code 1..5 here, with
	 * `legacy` set: the cue to fall back to 3.1.1.
	 */
	reasonCode = 0;
	/** CONNACK: a 3.1.1 server's refusal (remaining length 2, return code 1..5). */
	legacy = false;
	/** PUBLISH: the topic, or the one its topic alias stands for. Read-only. */
	topic: ArrayBuffer = EMPTY;
	payload: ArrayBuffer = EMPTY;
	/** SUBACK and UNSUBACK: one reason code per topic filter. */
	reasonCodes: readonly number[] = NO_CODES;
	/** The packet's properties; an empty frozen object when it has none. */
	properties: ReceivedProperties = NO_PROPERTIES;

	get qos(): number { return (this.flags >> 1) & 3; }
	get retain(): boolean { return (this.flags & 0x01) !== 0; }
	get dup(): boolean { return (this.flags & 0x08) !== 0; }
}

// Expected fixed-header flags per type a client may receive; -1: never received; -2: any (PUBLISH).
const FLAGS: readonly number[] = Object.freeze([-1, -1, 0, -2, 0, 0, 2, 0, -1, 0, -1, 0, -1, 0, 0, 0]);
// The smallest remaining length per type.
const MINIMUM: readonly number[] = Object.freeze([0, 0, 2, 3, 2, 2, 2, 2, 0, 4, 0, 4, 0, 0, 0, 0]);

const NAMES: readonly string[] = Object.freeze(Array.from({ length: 16 }, (_, type) => packetName(type)));

/** Where a packet that comes in pieces stands; dropped once it is whole. */
class Pieces {
	remaining = 0;
	multiplier = 1;
	lengthBytes = 0;
	inBody = false;
	body: Uint8Array | undefined;
	fill = 0;
}

export class PacketParser5 extends Packet5 {
	/** True when the last `parse` call completed `packet`. */
	ready = false;
	/** The client's Maximum Packet Size: a larger packet is refused [MQTT-3.1.2-27]. */
	readonly maxPacketSize: number;
	/** The client's Topic Alias Maximum, as sent in CONNECT: a larger alias is refused [MQTT-3.1.2-29] [MQTT-3.1.2-30]. */
	readonly topicAliasMaximum: number;

	#pieces: Pieces | undefined;
	lastTopic: DataView | undefined;	// topicOf's: the previous topic, handed out again when it repeats
	topicView: DataView | undefined;	// topicOf's: over the input last compared with it
	viewed: Uint8Array | undefined;		// that input
	// alias -> topic: a Map, whose memory follows the aliases in use (an XS
	// array would hold a slot for every index up to the highest alias).
	#aliases: Map<number, ArrayBuffer> | undefined;

	constructor(maxPacketSize = MAX_REMAINING_LENGTH + 5, topicAliasMaximum = 0) {
		if (!Number.isInteger(maxPacketSize) || maxPacketSize < 2)
			throw new RangeError("maxPacketSize must be an integer >= 2");
		if (!Number.isInteger(topicAliasMaximum) || topicAliasMaximum < 0 || topicAliasMaximum > 0xFFFF)
			throw new RangeError("topicAliasMaximum must be an integer 0..65535");
		super();
		this.maxPacketSize = maxPacketSize;
		this.topicAliasMaximum = topicAliasMaximum;
	}

	/** The packet just parsed (the parser itself). Reused: read it before parsing on. */
	get packet(): Packet5 {
		return this;
	}

	/** Forget any partial packet and every topic alias, for a new connection [MQTT-3.3.2-7]. */
	reset(): void {
		this.#pieces = undefined;
		this.#aliases = undefined;
		this.lastTopic = undefined;
		this.ready = false;
		this.release();
	}

	/** The caller is done with the bytes it gave: nothing here holds on to them. */
	release(): void {
		this.topicView = this.viewed = undefined;
	}

	/**
	 * Consumes `bytes[start..end)` up to the end of one packet and returns the
	 * offset after what it used. When `ready` is then true, `packet` holds that
	 * packet. Throws ProtocolError on a stream no server may send; the parser is
	 * then unusable until `reset`.
	 */
	parse(bytes: Uint8Array, start: number, end: number): number {
		this.ready = false;
		if (this.#pieces === undefined && end - start >= 2) {
			this.begin(bytes[start]);
			let i = start + 1, remaining = 0, multiplier = 1, byte, count = 0;
			do {
				if (i === end)
					return this.parsePieces(bytes, start, end);
				byte = bytes[i++];
				remaining += (byte & 0x7F) * multiplier;
				multiplier *= 128;
				count++;
			} while ((byte & 0x80) && count < 4);
			checkLengthBytes(byte, count);
			if (end - i < remaining)
				return this.parsePieces(bytes, start, end);
			this.checkLength(remaining, count);
			if (this.type === PUBLISH)	// straight to publish: a frame less on the receive path (ESP8266 stack)
				this.publish(bytes, i, i + remaining);
			else
				this.decodeBody(bytes, i, remaining);
			this.ready = true;
			return i + remaining;
		}
		return this.parsePieces(bytes, start, end);
	}

	/** The state machine, for a packet that comes in pieces. */
	private parsePieces(bytes: Uint8Array, start: number, end: number): number {
		let i = start;
		if (i < end && this.#pieces === undefined) {
			this.begin(bytes[i++]);
			this.#pieces = new Pieces();
		}
		const p = this.#pieces!;
		while (!p.inBody && i < end) {
			const byte = bytes[i++];
			p.remaining += (byte & 0x7F) * p.multiplier;
			p.multiplier *= 128;
			p.lengthBytes++;
			if ((byte & 0x80) && p.lengthBytes < 4)
				continue;
			checkLengthBytes(byte, p.lengthBytes);
			this.checkLength(p.remaining, p.lengthBytes);
			p.inBody = true;
			if (p.remaining === 0)
				return this.complete(new Uint8Array(0), i);
			p.body = new Uint8Array(p.remaining);
		}
		if (p.inBody && i < end) {
			const body = p.body!;
			const count = Math.min(end - i, body.length - p.fill);
			body.set(bytes.subarray(i, i + count), p.fill);
			p.fill += count;
			i += count;
			if (p.fill === body.length)
				return this.complete(body, i);
		}
		return i;
	}

	private complete(body: Uint8Array, offset: number): number {
		this.#pieces = undefined;
		if (this.type === PUBLISH)
			this.publish(body, 0, body.length);
		else
			this.decodeBody(body, 0, body.length);
		this.ready = true;
		return offset;
	}

	/** The first byte: a type a client may receive, with its flags [MQTT-2.1.3-1]. */
	private begin(first: number): void {
		const type = first >> 4, flags = first & 0x0F;
		const expected = FLAGS[type];
		if (expected === -1)
			throw new ProtocolError(type === 0 ? "reserved type 0 is not a packet" : `a client never receives ${NAMES[type]}`);
		if (expected >= 0 && flags !== expected)
			throw new ProtocolError(`wrong fixed-header flags 0x${flags.toString(16)} for ${NAMES[type]}`);
		if (type === PUBLISH) {
			if ((flags & 0x06) === 0x06)
				throw new ProtocolError("PUBLISH with QoS 3 (MQTT-3.3.1-4)");
			if ((flags & 0x0E) === 0x08)
				throw new ProtocolError("PUBLISH with QoS 0 and DUP set (MQTT-3.3.1-2)");
		}
		this.type = type;
		this.flags = flags;
		this.id = 0;
		this.reasonCode = 0;
		this.legacy = false;
		this.properties = NO_PROPERTIES;
		this.reasonCodes = NO_CODES;
	}

	/** The remaining length is known: within the client's maximum, and long enough for the type. */
	private checkLength(remaining: number, lengthBytes: number): void {
		const type = this.type;
		const total = 1 + lengthBytes + remaining;
		if (total > this.maxPacketSize)
			throw new ProtocolError(`${NAMES[type]} of ${total} bytes exceeds the client's Maximum Packet Size of ${this.maxPacketSize} (MQTT-3.1.2-27)`);
		const minimum = MINIMUM[type] + (type === PUBLISH && this.qos ? 2 : 0);
		if (type === PINGRESP ? remaining !== 0 : remaining < minimum)
			throw new ProtocolError(`${NAMES[type]} with remaining length ${remaining}; it must be ${type === PINGRESP ? 0 : `${minimum} or more`}`);
	}

	/** A body of `length` bytes at `bytes[offset]`. */
	private decodeBody(bytes: Uint8Array, offset: number, length: number): void {
		const type = this.type, end = offset + length;
		switch (type) {
		case CONNACK: {	// here, not in a method of its own: a frame less under the socket's callback (ESP8266 stack)
			const flags = bytes[offset], code = bytes[offset + 1];
			if (end - offset === 2) {
				// A 3.1.1 server refusing protocol level 5 answers as 3.1.1 does.
				if (code < 1 || code > 5 || flags !== 0)
					throw new ProtocolError(`CONNACK of remaining length 2 is neither MQTT 5 nor a 3.1.1 refusal (flags 0x${flags.toString(16)}, code 0x${code.toString(16)})`);
				this.reasonCode = code;
				this.legacy = true;
				this.sessionPresent = false;
				return;
			}
			if (flags & 0xFE)
				throw new ProtocolError(`CONNACK acknowledge flags 0x${flags.toString(16)} have reserved bits set (MQTT-3.2.2-1)`);
			this.sessionPresent = (flags & 1) === 1;
			this.reasonCode = checkReason(code, CONNACK);
			if (code !== 0 && this.sessionPresent)
				throw new ProtocolError(`CONNACK refuses (${reasonName(code, CONNACK)}) with session present 1 (MQTT-3.2.2-6)`);
			this.properties = decodeProperties(bytes, offset + 2, end, CONNACK, true);
			return;
		}
		case PINGRESP:
			return;
		case DISCONNECT:
		case AUTH:
			// Remaining length 0: a normal disconnection, a successful AUTH (3.14.2.1, 3.15.2.1).
			if (length === 0)
				return;
			this.reasonCode = checkReason(bytes[offset], type);
			if (length > 1)
				this.properties = decodeProperties(bytes, offset + 1, end, type, true);
			if (type === AUTH && this.properties.authenticationMethod === undefined)
				throw new ProtocolError("AUTH without the property authenticationMethod (3.15.2.2.2)");
			return;
		}
		this.id = packetId(bytes, offset, type);
		if (type === SUBACK || type === UNSUBACK) {
			const properties = decodeProperties(bytes, offset + 2, end, type, false);
			let at = offset + 2 + blockSize(bytes, offset + 2, end, type);
			if (at >= end)
				throw new ProtocolError(`${NAMES[type]} without a reason code`);
			const codes: number[] = [];
			for (; at < end; at++)
				codes.push(checkReason(bytes[at], type));
			this.properties = properties;
			this.reasonCodes = codes;
			return;
		}
		// PUBACK, PUBREC, PUBREL, PUBCOMP: remaining length 2 means success
		// without properties, 3 a reason code without properties (3.4.2.1).
		if (length > 2)
			this.reasonCode = checkReason(bytes[offset + 2], type);
		if (length > 3)
			this.properties = propertiesAt(bytes, offset + 3, end, type, true);
	}

	private publish(bytes: Uint8Array, offset: number, end: number): void {
		const topicLength = (bytes[offset] << 8) | bytes[offset + 1];
		let at = offset + 2 + topicLength;
		if (at + (this.qos ? 2 : 0) + 1 > end)
			throw new ProtocolError(`PUBLISH topic length ${topicLength} runs past the packet`);
		if (this.qos) {
			this.id = packetId(bytes, at, PUBLISH);
			at += 2;
		}
		const size = blockSize(bytes, at, end, PUBLISH);
		const properties = propertiesAt(bytes, at, end, PUBLISH, false);
		if (properties.topicAlias !== undefined && properties.topicAlias > this.topicAliasMaximum)
			throw new ProtocolError(`PUBLISH topic alias ${properties.topicAlias} exceeds the client's Topic Alias Maximum of ${this.topicAliasMaximum} (MQTT-3.1.2-29)`);
		let topic: ArrayBuffer;
		if (topicLength > 0) {
			topic = topicOf(this, bytes, offset + 2, topicLength);	// checked there when new
			if (properties.topicAlias !== undefined)
				(this.#aliases ??= new Map()).set(properties.topicAlias, topic);
		}
		else {
			if (properties.topicAlias === undefined)
				throw new ProtocolError("PUBLISH with an empty topic and no topic alias");
			const mapped = this.#aliases?.get(properties.topicAlias);
			if (mapped === undefined)
				throw new ProtocolError(`PUBLISH with an empty topic and topic alias ${properties.topicAlias}, which maps no topic yet`);
			topic = mapped;
		}
		this.topic = topic;
		this.properties = properties;
		at += size;
		this.payload = sliceOf(bytes, at, end - at);
	}
}

/** The four length bytes are read: the last must end the number, and not be a needless 0 [MQTT-1.5.5-1]. */
function checkLengthBytes(last: number, count: number): void {
	if (last & 0x80)
		throw new ProtocolError("remaining length encoded in more than four bytes");
	if (count > 1 && last === 0)
		throw new ProtocolError("remaining length not encoded in the fewest bytes (MQTT-1.5.5-1)");
}

function packetId(bytes: Uint8Array, at: number, type: number): number {
	const id = (bytes[at] << 8) | bytes[at + 1];
	if (id === 0)
		throw new ProtocolError(`${NAMES[type]} with packet id 0`);
	return id;
}

function checkReason(code: number, type: number): number {
	if (!serverMaySend(code, type))
		throw new ProtocolError(`${NAMES[type]} reason code 0x${code.toString(16)} (${reasonName(code, type)}) is not one a server may send in ${NAMES[type]}`);
	return code;
}

/** Bytes of the property block at `bytes[at]`: its Property Length and the properties. */
function blockSize(bytes: Uint8Array, at: number, end: number, type: number): number {
	const length = readVariable(bytes, at, end, `${NAMES[type]} property length`);
	return variableSize(length) + length;
}

/**
 * decodeProperties, but an empty block (Property Length 0, what most
 * PUBLISH and acknowledgements carry) is known here: decodeProperties'
 * frame, the parser's largest, is not stacked for it (an ESP8266 has 256
 * slots of stack).
 */
function propertiesAt(bytes: Uint8Array, at: number, end: number, type: number, last: boolean): ReceivedProperties {
	return at < end && bytes[at] === 0 && (!last || at + 1 === end) ? NO_PROPERTIES : decodeProperties(bytes, at, end, type, last);
}

/** One ArrayBuffer holding `bytes[start..start+length)`. */
function sliceOf(bytes: Uint8Array, start: number, length: number): ArrayBuffer {
	const offset = bytes.byteOffset + start;
	return (bytes.buffer as ArrayBuffer).slice(offset, offset + length);
}
