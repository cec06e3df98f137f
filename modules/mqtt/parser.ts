// The incremental packet parser: the byte stream in pieces of any size (down
// to one byte at a time) in, one packet a client receives at a time out.
//
// A packet whose bytes are all in the piece at hand (the usual case: a socket
// read holds many small packets) is decoded in one go; one that is split goes
// through a state machine, byte by byte where it must. Both share the checks,
// so a stream gets the same verdict however it is cut.
//
// It allocates only what a packet hands to its reader: a PUBLISH's payload
// (one ArrayBuffer, sliced straight from the input when it is whole there),
// its topic unless it repeats the previous one, and a SUBACK's list of return
// codes. Everything else lands in the reused `packet` record. A packet larger
// than `maxPacketSize` is refused as soon as its length is known, before any
// of its body is kept.

import {
	CONNACK, PUBLISH, SUBACK, PINGRESP,
	PACKET_NAMES, MAX_REMAINING_LENGTH, SUBACK_FAILURE
} from "mqtt/constants";
import { ProtocolError } from "mqtt/errors";
import { utf8Fault } from "mqtt/validate";

const EMPTY = new ArrayBuffer(0);
const NO_CODES: number[] = Object.freeze([]) as unknown as number[];

/** The packet just parsed. Reused: read it before parsing on. */
export class Packet {
	type = 0;
	/** The fixed header's flags (low four bits of the first byte). */
	flags = 0;
	/** Packet identifier of acknowledgements, SUBACK, UNSUBACK and PUBLISH with QoS > 0; else 0. */
	id = 0;
	/** CONNACK */
	sessionPresent = false;
	returnCode = 0;
	/** PUBLISH. The topic's ArrayBuffer is shared by consecutive messages on the same topic: read-only. */
	topic: ArrayBuffer = EMPTY;
	payload: ArrayBuffer = EMPTY;
	/** SUBACK: one return code per filter. */
	granted: number[] = NO_CODES;

	/** PUBLISH: read from the flags, so that the record holds nothing twice. */
	get qos(): number { return (this.flags >> 1) & 3; }
	get retain(): boolean { return (this.flags & 0x01) !== 0; }
	get dup(): boolean { return (this.flags & 0x08) !== 0; }
}

const TYPE = 0, LENGTH = 1, BODY = 2, TOPIC_LENGTH = 3, TOPIC = 4, PACKET_ID = 5, PAYLOAD = 6;

// Expected fixed-header flags per type a client may receive; -1: never received; -2: any (PUBLISH).
const FLAGS: readonly number[] = Object.freeze([-1, -1, 0, -2, 0, 0, 2, 0, -1, 0, -1, 0, -1, 0, -1, -1]);

/** Where a packet that comes in pieces stands: made for such a packet, dropped once it is whole. */
class Pieces {
	state = LENGTH;
	remaining = 0;			// body bytes still to come
	multiplier = 1;			// remaining-length decoding
	lengthBytes = 0;
	field: Uint8Array | undefined;	// a split topic or a non-PUBLISH body
	fieldLength = 0;
	fill = 0;
	topicLength = 0;
	payload: Uint8Array | undefined;	// a payload arriving in pieces
}

/** The parser is its own record of the last packet (one object the less on a small heap): `packet` is itself. */
export class PacketParser extends Packet {
	/** True when the last `parse` call completed `packet`. */
	ready = false;
	readonly maxPacketSize: number;

	#pieces: Pieces | undefined;		// a packet split across calls, until it is whole
	readonly #quickLength: number;		// the fast path's longest remaining length: one length byte, within maxPacketSize
	lastTopic: DataView | undefined;	// topicOf's: the previous topic, to hand out again when it repeats
	topicView: DataView | undefined;	// topicOf's: over the input last compared with it
	viewed: Uint8Array | undefined;		// that input

	constructor(maxPacketSize = MAX_REMAINING_LENGTH + 5) {
		if (!Number.isInteger(maxPacketSize) || maxPacketSize < 2)
			throw new RangeError("maxPacketSize must be an integer >= 2");
		super();
		this.maxPacketSize = maxPacketSize;
		this.#quickLength = Math.min(0x7F, maxPacketSize - 2);
	}

	/** The packet just parsed (the parser itself). Reused: read it before parsing on. */
	get packet(): Packet {
		return this;
	}

	/** Forget any partial packet, for a new connection. */
	reset(): void {
		this.#pieces = undefined;
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
	 * packet. Throws ProtocolError on a stream no broker may send; the parser is
	 * then unusable until `reset`.
	 */
	parse(bytes: Uint8Array, start: number, end: number): number {
		// The usual packet, a PUBLISH with one length byte, whole in bytes and
		// passing every check of the general path below, is decoded here with
		// no call but topicOf's for a new topic: a call costs XS about 25
		// steps, a good part of what a small message costs. Anything else, a
		// fault included, takes the general path, which names the fault.
		const first = bytes[start], length = bytes[start + 1], at = start + 2, stop = at + length;
		if ((first & 0xF0) === 0x30 && length <= this.#quickLength && stop <= end && this.#pieces === undefined) {
			const flags = first & 0x0F, topicLength = (bytes[at] << 8) | bytes[at + 1], after = at + 2 + topicLength;
			if (topicLength !== 0 && (flags < 2
				? after <= stop	// QoS 0, DUP clear
				: ((flags & 0x06) === 2 || (flags & 0x06) === 4) && after + 2 <= stop && (bytes[after] | bytes[after + 1]) !== 0)) {	// QoS 1 or 2, a packet id not 0
				this.type = PUBLISH;
				this.flags = flags;
				this.id = flags < 2 ? 0 : (bytes[after] << 8) | bytes[after + 1];
				// The previous topic again, 8 to 16 bytes long, in the input
				// topicOf last viewed (every message of a read but its first;
				// it views an input only when there is a previous topic): two
				// comparisons here, as topicOf's loop would make them, and no
				// call. Any other topic goes through topicOf.
				const last = this.lastTopic!, view = this.topicView!;
				this.topic = this.viewed === bytes && topicLength >= 8 && topicLength <= 16 && last.byteLength === topicLength
					&& last.getFloat64(topicLength - 8) === view.getFloat64(after - 8) && last.getFloat64(0) === view.getFloat64(at + 2)
					? last.buffer as ArrayBuffer
					: topicOf(this, bytes, at + 2, topicLength);
				const offset = bytes.byteOffset;
				this.payload = (bytes.buffer as ArrayBuffer).slice(offset + (flags < 2 ? after : after + 2), offset + stop);
				this.ready = true;
				return stop;
			}
		}
		// So is an acknowledgement (PUBACK, PUBREC, PUBREL, PUBCOMP, UNSUBACK):
		// four bytes, its packet id not 0.
		else if (length === 2 && stop <= end && (first === 0x40 || first === 0x50 || first === 0x62 || first === 0x70 || first === 0xB0)
			&& (bytes[at] | bytes[at + 1]) !== 0 && this.#pieces === undefined && this.maxPacketSize >= 4) {
			this.type = first >> 4;
			this.flags = first & 0x0F;
			this.id = (bytes[at] << 8) | bytes[at + 1];
			this.ready = true;
			return stop;
		}
		this.ready = false;
		if (this.#pieces !== undefined || end - start < 2)
			return this.parsePieces(bytes, start, end);
		// A packet all in bytes[start..end) is decoded at once, here rather than
		// in a call of its own: the receive path is the deepest (an ESP8266 has
		// 256 slots of stack).
		this.begin(bytes[start]);
		let i = start + 1, remaining = 0, shift = 0, byte;
		do {
			if (i === end)
				return this.parsePieces(bytes, start, end);
			byte = bytes[i++];
			remaining += (byte & 0x7F) << shift;
			shift += 7;
		} while ((byte & 0x80) && shift < 28);
		if (byte & 0x80)
			throw overlong();
		if (end - i < remaining)
			return this.parsePieces(bytes, start, end);
		this.checkLength(remaining, i - start - 1);
		if (this.type !== PUBLISH) {
			if (remaining)
				this.decodeBody(bytes, i, remaining);
			this.ready = true;
			return i + remaining;
		}
		const topicLength = (bytes[i] << 8) | bytes[i + 1];
		const qos = this.qos;
		checkTopicLength(topicLength, remaining - 2, qos);
		this.topic = topicOf(this, bytes, i + 2, topicLength);
		let position = i + 2 + topicLength;
		if (qos) {
			this.id = (bytes[position] << 8) | bytes[position + 1];
			checkPublishId(this.id);
			position += 2;
		}
		this.payload = sliceOf(bytes, position, i + remaining - position);
		this.ready = true;
		return i + remaining;
	}

	/** The state machine, for a packet that comes in pieces. */
	private parsePieces(bytes: Uint8Array, start: number, end: number): number {
		const packet: Packet = this;
		let i = start;
		if (i < end && this.#pieces === undefined) {
			this.begin(bytes[i++]);
			this.#pieces = new Pieces();
		}
		const p = this.#pieces!;
		while (i < end) {
			switch (p.state) {
			case LENGTH: {
				const byte = bytes[i++];
				p.remaining += (byte & 0x7F) * p.multiplier;
				p.multiplier *= 128;
				if (++p.lengthBytes === 4 && (byte & 0x80))
					throw overlong();
				if (byte & 0x80)
					break;
				if (this.startBody(p))
					return this.complete(i);
				break;
			}
			case BODY: {
				const count = Math.min(end - i, p.fieldLength - p.fill);
				p.field!.set(bytes.subarray(i, i + count), p.fill);
				p.fill += count;
				i += count;
				if (p.fill === p.fieldLength) {
					this.decodeBody(p.field!, 0, p.fieldLength);
					return this.complete(i);
				}
				break;
			}
			case TOPIC_LENGTH:
				p.topicLength = (p.topicLength << 8) | bytes[i++];
				if (++p.fill < 2)
					break;
				p.remaining -= 2;
				checkTopicLength(p.topicLength, p.remaining, packet.qos);
				p.fill = 0;
				p.state = TOPIC;
				if (end - i >= p.topicLength) {	// whole in this piece: no copy
					packet.topic = topicOf(this, bytes, i, p.topicLength);
					i += p.topicLength;
					const after = this.afterTopic(p, bytes, i, end);
					if (after >= 0)
						return this.complete(after);
				}
				else
					p.field = new Uint8Array(p.topicLength);
				break;
			case TOPIC: {
				const count = Math.min(end - i, p.topicLength - p.fill);
				p.field!.set(bytes.subarray(i, i + count), p.fill);
				p.fill += count;
				i += count;
				if (p.fill === p.topicLength) {
					packet.topic = topicOf(this, p.field!, 0, p.topicLength);
					const after = this.afterTopic(p, bytes, i, end);
					if (after >= 0)
						return this.complete(after);
				}
				break;
			}
			case PACKET_ID:
				packet.id = (packet.id << 8) | bytes[i++];
				if (++p.fill < 2)
					break;
				checkPublishId(packet.id);
				p.remaining -= 2;
				{
					const after = this.startPayload(p, bytes, i, end);
					if (after >= 0)
						return this.complete(after);
				}
				break;
			case PAYLOAD: {
				const payload = p.payload!;
				const count = Math.min(end - i, payload.length - p.fill);
				payload.set(bytes.subarray(i, i + count), p.fill);
				p.fill += count;
				i += count;
				if (p.fill === payload.length)
					return this.complete(i);
				break;
			}
			}
		}
		return i;
	}

	private complete(offset: number): number {
		this.#pieces = undefined;
		this.ready = true;
		return offset;
	}

	/** The first byte: a type a client may receive, with its flags. */
	private begin(first: number): void {
		const type = first >> 4, flags = first & 0x0F;
		const expected = FLAGS[type];
		if (expected === -1)
			throw new ProtocolError(type === 0 || type === 15 ? `${PACKET_NAMES[type]} is not a packet` : `a client never receives ${PACKET_NAMES[type]}`);
		if (expected >= 0 && flags !== expected)
			throw new ProtocolError(`wrong fixed-header flags 0x${flags.toString(16)} for ${PACKET_NAMES[type]}`);
		if (type === PUBLISH) {
			if ((flags & 0x06) === 0x06)
				throw new ProtocolError("PUBLISH with QoS 3");
			if ((flags & 0x0E) === 0x08)
				throw new ProtocolError("PUBLISH with QoS 0 and DUP set (MQTT-3.3.1-2)");
		}
		this.type = type;
		this.flags = flags;
		this.id = 0;
	}

	/** The remaining length is known: within the limit, and right for the type. */
	private checkLength(remaining: number, lengthBytes: number): void {
		const packet: Packet = this, type = packet.type;
		const total = 1 + lengthBytes + remaining;
		if (total > this.maxPacketSize)
			throw new ProtocolError(`${PACKET_NAMES[type]} of ${total} bytes exceeds the maximum packet size of ${this.maxPacketSize}`);
		if (type === PUBLISH) {
			if (remaining < 2 + (packet.qos ? 2 : 0))
				throw new ProtocolError(`PUBLISH remaining length ${remaining} is too short`);
			return;
		}
		const fixed = type === SUBACK ? -1 : type === PINGRESP ? 0 : 2;
		if (fixed >= 0 ? remaining !== fixed : remaining < 3)
			throw new ProtocolError(`${PACKET_NAMES[type]} with remaining length ${remaining}; it must be ${fixed >= 0 ? fixed : "3 or more"}`);
	}

	/** The state machine's body set-up. True when the packet is already whole (no body). */
	private startBody(p: Pieces): boolean {
		this.checkLength(p.remaining, p.lengthBytes);
		p.fill = 0;
		if (this.type === PUBLISH) {
			p.topicLength = 0;
			p.state = TOPIC_LENGTH;
			return false;
		}
		if (p.remaining === 0)
			return true;
		p.field = new Uint8Array(p.remaining);
		p.fieldLength = p.remaining;
		p.state = BODY;
		return false;
	}

	/** After the topic: the packet id for QoS > 0, else the payload. Returns the offset past a whole packet, or -1. */
	private afterTopic(p: Pieces, bytes: Uint8Array, start: number, end: number): number {
		p.remaining -= p.topicLength;
		p.fill = 0;
		p.field = undefined;
		if (this.qos) {
			this.id = 0;
			p.state = PACKET_ID;
			return -1;
		}
		return this.startPayload(p, bytes, start, end);
	}

	/**
	 * The payload is what remains. When all of it is in `bytes[start..end)` it
	 * is sliced out in one piece; otherwise it is gathered across calls.
	 * Returns the offset past a whole packet, or -1.
	 */
	private startPayload(p: Pieces, bytes: Uint8Array, start: number, end: number): number {
		const length = p.remaining, packet: Packet = this;
		p.fill = 0;
		if (end - start >= length) {
			packet.payload = sliceOf(bytes, start, length);
			return start + length;
		}
		const payload = new Uint8Array(length);
		packet.payload = payload.buffer;
		p.payload = payload;
		p.state = PAYLOAD;
		return -1;
	}

	/** A non-PUBLISH body of `length` bytes at `bytes[offset]`. */
	private decodeBody(bytes: Uint8Array, offset: number, length: number): void {
		const packet: Packet = this, type = packet.type;
		if (type === CONNACK) {
			const flags = bytes[offset];
			if (flags & 0xFE)
				throw new ProtocolError(`CONNACK acknowledge flags 0x${flags.toString(16)} have reserved bits set`);
			packet.sessionPresent = (flags & 1) === 1;
			packet.returnCode = bytes[offset + 1];
			if (packet.returnCode !== 0 && packet.sessionPresent)
				throw new ProtocolError(`CONNACK refuses (return code ${packet.returnCode}) with session present 1 (MQTT-3.2.2-4)`);
			return;
		}
		const id = (bytes[offset] << 8) | bytes[offset + 1];
		if (id === 0)
			throw new ProtocolError(`${PACKET_NAMES[type]} with packet id 0`);
		packet.id = id;
		if (type === SUBACK) {
			const granted: number[] = [];
			for (let i = offset + 2, end = offset + length; i < end; i++) {
				const code = bytes[i];
				if (code > 2 && code !== SUBACK_FAILURE)
					throw new ProtocolError(`SUBACK return code 0x${code.toString(16)} is not 0, 1, 2 or 0x80`);
				granted.push(code);
			}
			packet.granted = granted;
		}
	}
}

/** `available`: the body bytes after the topic length. */
function checkTopicLength(topicLength: number, available: number, qos: number): void {
	if (topicLength === 0)
		throw new ProtocolError("PUBLISH with an empty topic");
	if (topicLength + (qos ? 2 : 0) > available)
		throw new ProtocolError(`PUBLISH topic length ${topicLength} runs past the packet`);
}

function overlong(): ProtocolError {
	return new ProtocolError("remaining length encoded in more than four bytes");
}

function checkPublishId(id: number): void {
	if (id === 0)
		throw new ProtocolError("PUBLISH with packet id 0");
}

/** One ArrayBuffer holding `bytes[start..start+length)`: the only allocation. */
function sliceOf(bytes: Uint8Array, start: number, length: number): ArrayBuffer {
	const offset = bytes.byteOffset + start;
	return (bytes.buffer as ArrayBuffer).slice(offset, offset + length);
}

/** What topicOf keeps in a parser: the previous topic, and a view of the input last compared with it. */
export interface TopicMemo {
	lastTopic: DataView | undefined;
	/** Over the bytes of `viewed` (its offset 0 is theirs): made once per input, not once per message. */
	topicView: DataView | undefined;
	viewed: Uint8Array | undefined;
}

/**
 * A PUBLISH topic as an ArrayBuffer: the previous one when the bytes repeat it
 * (an app mostly hears the same few topics), else a copy. The bytes are
 * compared eight or four at a time: a call to getFloat64 costs XS about what
 * one byte does in a loop. A new topic is checked (UTF-8, no wildcard
 * [MQTT-3.3.2-2]) before it is kept. Both parsers' (3.1.1 and MQTT 5), a
 * function rather than a method so that each calls it at the same depth.
 */
export function topicOf(memo: TopicMemo, bytes: Uint8Array, offset: number, length: number): ArrayBuffer {
	const last = memo.lastTopic;
	if (last !== undefined && last.byteLength === length) {
		// A view of the input, made for the first message of a read: the
		// others are checked against it with no getter and no allocation.
		let view = memo.topicView!;
		if (memo.viewed !== bytes) {
			view = memo.topicView = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
			memo.viewed = bytes;
		}
		if (length >= 8) {
			// Eight bytes at a time, as float64s: equal floats have equal bits
			// but for NaNs (never equal: a miss, then the full check) and +0
			// and -0 (all zero bytes, which a topic cannot hold: no U+0000).
			// From the last eight down; the first, which may overlap the
			// second, is compared last.
			let i = length - 8;
			while (i > 0 && last.getFloat64(i) === view.getFloat64(offset + i))
				i -= 8;
			if (i <= 0 && last.getFloat64(0) === view.getFloat64(offset))
				return last.buffer as ArrayBuffer;
		}
		else if (length >= 4) {
			if (last.getUint32(length - 4) === view.getUint32(offset + length - 4) && last.getUint32(0) === view.getUint32(offset))
				return last.buffer as ArrayBuffer;
		}
		else {
			let i = 0;
			while (i < length && last.getUint8(i) === view.getUint8(offset + i))
				i++;
			if (i === length)
				return last.buffer as ArrayBuffer;
		}
	}
	// A new topic: checked once, then handed out again while it repeats.
	const fault = utf8Fault(bytes, offset, offset + length);
	if (fault)
		throw new ProtocolError(`PUBLISH topic ${fault}`);
	for (let i = offset, end = offset + length; i < end; i++)
		if (bytes[i] === 0x2B || bytes[i] === 0x23)
			throw new ProtocolError("PUBLISH topic contains a wildcard (+ or #)");
	const topic = sliceOf(bytes, offset, length);
	memo.lastTopic = new DataView(topic);
	return topic;
}

