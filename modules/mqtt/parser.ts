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

/** The packet just parsed. Reused: read it before parsing on. */
export interface Packet {
	type: number;
	flags: number;
	/** Packet identifier of acknowledgements, SUBACK, UNSUBACK and PUBLISH with QoS > 0; else 0. */
	id: number;
	/** CONNACK */
	sessionPresent: boolean;
	returnCode: number;
	/** PUBLISH. The topic's ArrayBuffer is shared by consecutive messages on the same topic: read-only. */
	qos: number;
	retain: boolean;
	dup: boolean;
	topic: ArrayBuffer;
	payload: ArrayBuffer;
	/** SUBACK: one return code per filter. */
	granted: number[];
}

const TYPE = 0, LENGTH = 1, BODY = 2, TOPIC_LENGTH = 3, TOPIC = 4, PACKET_ID = 5, PAYLOAD = 6;

// Expected fixed-header flags per type a client may receive; -1: never received; -2: any (PUBLISH).
const FLAGS: readonly number[] = Object.freeze([-1, -1, 0, -2, 0, 0, 2, 0, -1, 0, -1, 0, -1, 0, -1, -1]);

const EMPTY = new ArrayBuffer(0);
const NO_CODES: number[] = Object.freeze([]) as unknown as number[];

export class PacketParser {
	readonly packet: Packet = {
		type: 0, flags: 0, id: 0, sessionPresent: false, returnCode: 0,
		qos: 0, retain: false, dup: false, topic: EMPTY, payload: EMPTY, granted: NO_CODES
	};
	/** True when the last `parse` call completed `packet`. */
	ready = false;
	readonly maxPacketSize: number;

	#state = TYPE;
	#remaining = 0;			// body bytes still to come
	#multiplier = 1;		// remaining-length decoding
	#lengthBytes = 0;
	#field: Uint8Array | undefined;	// a split topic or a non-PUBLISH body; made when one comes
	#fieldLength = 0;
	#fill = 0;
	#topicLength = 0;
	#payload: Uint8Array | undefined;	// a payload arriving in pieces
	#lastTopic: DataView | undefined;	// the previous topic, to hand out again when it repeats
	#viewed: Uint8Array | undefined;	// the input last compared with it, and a DataView over that input
	#view: DataView | undefined;

	constructor(maxPacketSize = MAX_REMAINING_LENGTH + 5) {
		if (!Number.isInteger(maxPacketSize) || maxPacketSize < 2)
			throw new RangeError("maxPacketSize must be an integer >= 2");
		this.maxPacketSize = maxPacketSize;
	}

	/** Forget any partial packet, for a new connection. */
	reset(): void {
		this.#state = TYPE;
		this.#payload = undefined;
		this.ready = false;
	}

	/**
	 * Consumes `bytes[start..end)` up to the end of one packet and returns the
	 * offset after what it used. When `ready` is then true, `packet` holds that
	 * packet. Throws ProtocolError on a stream no broker may send; the parser is
	 * then unusable until `reset`.
	 */
	parse(bytes: Uint8Array, start: number, end: number): number {
		this.ready = false;
		if (this.#state === TYPE) {
			const after = this.#parseWhole(bytes, start, end);
			if (after >= 0) {
				this.ready = true;
				return after;
			}
		}
		return this.#parsePieces(bytes, start, end);
	}

	/** A packet all in `bytes[start..end)`: decoded at once. Returns the offset after it, or -1 when it is not all there. */
	#parseWhole(bytes: Uint8Array, start: number, end: number): number {
		if (end - start < 2)
			return -1;
		this.#begin(bytes[start]);
		let i = start + 1, remaining = 0, shift = 0, byte;
		do {
			if (i === end)
				return -1;
			byte = bytes[i++];
			remaining += (byte & 0x7F) << shift;
			shift += 7;
		} while ((byte & 0x80) && shift < 28);
		if (byte & 0x80)
			throw overlong();
		if (end - i < remaining)
			return -1;
		this.#remaining = remaining;
		this.#lengthBytes = i - start - 1;
		this.#checkLength();
		const packet = this.packet;
		if (packet.type !== PUBLISH) {
			if (remaining)
				this.#decodeBody(bytes, i, remaining);
			return i + remaining;
		}
		const topicLength = (bytes[i] << 8) | bytes[i + 1];
		this.#checkTopicLength(topicLength, remaining - 2);
		packet.topic = this.#topic(bytes, i + 2, topicLength);
		let position = i + 2 + topicLength;
		if (packet.qos) {
			packet.id = (bytes[position] << 8) | bytes[position + 1];
			checkPublishId(packet.id);
			position += 2;
		}
		packet.payload = sliceOf(bytes, position, i + remaining - position);
		return i + remaining;
	}

	/** The state machine, for a packet that comes in pieces. */
	#parsePieces(bytes: Uint8Array, start: number, end: number): number {
		const packet = this.packet;
		let i = start;
		while (i < end) {
			switch (this.#state) {
			case TYPE:
				this.#begin(bytes[i++]);
				this.#remaining = 0;
				this.#multiplier = 1;
				this.#lengthBytes = 0;
				this.#state = LENGTH;
				break;
			case LENGTH: {
				const byte = bytes[i++];
				this.#remaining += (byte & 0x7F) * this.#multiplier;
				this.#multiplier *= 128;
				if (++this.#lengthBytes === 4 && (byte & 0x80))
					throw overlong();
				if (byte & 0x80)
					break;
				if (this.#startBody())
					return this.#complete(i);
				break;
			}
			case BODY: {
				const count = Math.min(end - i, this.#fieldLength - this.#fill);
				this.#field!.set(bytes.subarray(i, i + count), this.#fill);
				this.#fill += count;
				i += count;
				if (this.#fill === this.#fieldLength) {
					this.#decodeBody(this.#field!, 0, this.#fieldLength);
					return this.#complete(i);
				}
				break;
			}
			case TOPIC_LENGTH:
				this.#topicLength = (this.#topicLength << 8) | bytes[i++];
				if (++this.#fill < 2)
					break;
				this.#remaining -= 2;
				this.#checkTopicLength(this.#topicLength, this.#remaining);
				this.#fill = 0;
				this.#state = TOPIC;
				if (end - i >= this.#topicLength) {	// whole in this piece: no copy
					packet.topic = this.#topic(bytes, i, this.#topicLength);
					i += this.#topicLength;
					const after = this.#afterTopic(bytes, i, end);
					if (after >= 0)
						return this.#complete(after);
				}
				else
					this.#growField(this.#topicLength);
				break;
			case TOPIC: {
				const count = Math.min(end - i, this.#topicLength - this.#fill);
				this.#field!.set(bytes.subarray(i, i + count), this.#fill);
				this.#fill += count;
				i += count;
				if (this.#fill === this.#topicLength) {
					packet.topic = this.#topic(this.#field!, 0, this.#topicLength);
					const after = this.#afterTopic(bytes, i, end);
					if (after >= 0)
						return this.#complete(after);
				}
				break;
			}
			case PACKET_ID:
				packet.id = (packet.id << 8) | bytes[i++];
				if (++this.#fill < 2)
					break;
				checkPublishId(packet.id);
				this.#remaining -= 2;
				{
					const after = this.#startPayload(bytes, i, end);
					if (after >= 0)
						return this.#complete(after);
				}
				break;
			case PAYLOAD: {
				const payload = this.#payload!;
				const count = Math.min(end - i, payload.length - this.#fill);
				payload.set(bytes.subarray(i, i + count), this.#fill);
				this.#fill += count;
				i += count;
				if (this.#fill === payload.length) {
					this.#payload = undefined;
					return this.#complete(i);
				}
				break;
			}
			}
		}
		return i;
	}

	#complete(offset: number): number {
		this.#state = TYPE;
		this.ready = true;
		return offset;
	}

	/** The first byte: a type a client may receive, with its flags. */
	#begin(first: number): void {
		const type = first >> 4, flags = first & 0x0F;
		const expected = FLAGS[type];
		if (expected === -1)
			throw new ProtocolError(type === 0 || type === 15 ? `${PACKET_NAMES[type]} is not a packet` : `a client never receives ${PACKET_NAMES[type]}`);
		if (expected >= 0 && flags !== expected)
			throw new ProtocolError(`wrong fixed-header flags 0x${flags.toString(16)} for ${PACKET_NAMES[type]}`);
		const packet = this.packet;
		if (type === PUBLISH) {
			packet.qos = (flags >> 1) & 3;
			if (packet.qos === 3)
				throw new ProtocolError("PUBLISH with QoS 3");
			packet.dup = (flags & 0x08) !== 0;
			packet.retain = (flags & 0x01) !== 0;
		}
		packet.type = type;
		packet.flags = flags;
		packet.id = 0;
	}

	/** The remaining length is known: within the limit, and right for the type. */
	#checkLength(): void {
		const packet = this.packet, type = packet.type, remaining = this.#remaining;
		const total = 1 + this.#lengthBytes + remaining;
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

	/** `available`: the body bytes after the topic length. */
	#checkTopicLength(topicLength: number, available: number): void {
		if (topicLength === 0)
			throw new ProtocolError("PUBLISH with an empty topic");
		if (topicLength + (this.packet.qos ? 2 : 0) > available)
			throw new ProtocolError(`PUBLISH topic length ${topicLength} runs past the packet`);
	}

	/** The state machine's body set-up. True when the packet is already whole (no body). */
	#startBody(): boolean {
		this.#checkLength();
		this.#fill = 0;
		if (this.packet.type === PUBLISH) {
			this.#topicLength = 0;
			this.#state = TOPIC_LENGTH;
			return false;
		}
		if (this.#remaining === 0)
			return true;
		this.#growField(this.#remaining);
		this.#fieldLength = this.#remaining;
		this.#state = BODY;
		return false;
	}

	#growField(length: number): void {
		if (this.#field === undefined || this.#field.length < length)
			this.#field = new Uint8Array(Math.max(length, 8));
	}

	/**
	 * The topic as an ArrayBuffer: the previous one when the bytes repeat it
	 * (an app mostly hears the same few topics), else a copy. The bytes are
	 * compared four at a time: a call to getUint32 costs XS about what one
	 * byte does in a loop.
	 */
	#topic(bytes: Uint8Array, offset: number, length: number): ArrayBuffer {
		const last = this.#lastTopic;
		if (last !== undefined && last.byteLength === length) {
			if (this.#viewed !== bytes) {
				this.#viewed = bytes;
				this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
			}
			const view = this.#view!;
			let same = true;
			if (length >= 4) {
				for (let i = 0; same && i < length; i += 4) {
					const at = i + 4 <= length ? i : length - 4;	// the last word overlaps the one before
					same = last.getUint32(at) === view.getUint32(offset + at);
				}
			}
			else {
				for (let i = 0; same && i < length; i++)
					same = last.getUint8(i) === view.getUint8(offset + i);
			}
			if (same)
				return last.buffer as ArrayBuffer;
		}
		const topic = sliceOf(bytes, offset, length);
		this.#lastTopic = new DataView(topic);
		return topic;
	}

	/** After the topic: the packet id for QoS > 0, else the payload. Returns the offset past a whole packet, or -1. */
	#afterTopic(bytes: Uint8Array, start: number, end: number): number {
		this.#remaining -= this.#topicLength;
		this.#fill = 0;
		if (this.packet.qos) {
			this.packet.id = 0;
			this.#state = PACKET_ID;
			return -1;
		}
		return this.#startPayload(bytes, start, end);
	}

	/**
	 * The payload is what remains. When all of it is in `bytes[start..end)` it
	 * is sliced out in one piece; otherwise it is gathered across calls.
	 * Returns the offset past a whole packet, or -1.
	 */
	#startPayload(bytes: Uint8Array, start: number, end: number): number {
		const length = this.#remaining, packet = this.packet;
		this.#fill = 0;
		if (end - start >= length) {
			packet.payload = sliceOf(bytes, start, length);
			return start + length;
		}
		const payload = new Uint8Array(length);
		packet.payload = payload.buffer;
		this.#payload = payload;
		this.#state = PAYLOAD;
		return -1;
	}

	/** A non-PUBLISH body of `length` bytes at `bytes[offset]`. */
	#decodeBody(bytes: Uint8Array, offset: number, length: number): void {
		const packet = this.packet, type = packet.type;
		if (type === CONNACK) {
			const flags = bytes[offset];
			if (flags & 0xFE)
				throw new ProtocolError(`CONNACK acknowledge flags 0x${flags.toString(16)} have reserved bits set`);
			packet.sessionPresent = (flags & 1) === 1;
			packet.returnCode = bytes[offset + 1];
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
