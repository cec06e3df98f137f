// The MQTT 5.0 property codec (section 2.2.2): every property with its
// identifier, its type and the packets it may travel in, each way. The
// writer and the parser of version 5 use it; a 3.1.1 app never loads it.
//
// An app names properties as MQTT.js does (`topicAlias`, `userProperties`,
// ...). Numbers are numbers as on the wire (a Byte property such as
// `retainAvailable` is 0 or 1); UTF-8 strings are given as strings or bytes
// and read back as strings; binary data is given as a string or bytes and
// read back as an ArrayBuffer; user properties are an array of [name, value]
// pairs, in the order they travel [MQTT-3.3.2-18]. A PUBLISH received with
// Subscription Identifiers hands them as `subscriptionIdentifiers`, an array
// (a server may put several in one PUBLISH [MQTT-3.3.4-4]).

import { CONNECT, CONNACK, PUBLISH, PUBACK, PUBREC, PUBREL, PUBCOMP, SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK, DISCONNECT, PACKET_NAMES } from "mqtt/constants";
import type { Data } from "mqtt/bytes";
import { stringField as stringField311 } from "mqtt/writer";
import { ProtocolError } from "mqtt/errors";
import { utf8Fault, describe } from "mqtt/validate";
import { AUTH } from "mqtt/v5/reasons";

/** The will's properties travel in CONNECT; type 0 is never a packet, so it stands for them here. */
export const WILL = 0;

export type UserProperties = readonly (readonly [Data, Data])[];

/** Properties as the writer takes them: each packet allows some (see TABLE). */
export interface Properties {
	payloadFormatIndicator?: number;
	messageExpiryInterval?: number;
	contentType?: Data;
	responseTopic?: Data;
	correlationData?: Data;
	subscriptionIdentifier?: number;
	sessionExpiryInterval?: number;
	authenticationMethod?: Data;
	authenticationData?: Data;
	requestProblemInformation?: number;
	willDelayInterval?: number;
	requestResponseInformation?: number;
	reasonString?: Data;
	receiveMaximum?: number;
	topicAliasMaximum?: number;
	topicAlias?: number;
	maximumPacketSize?: number;
	userProperties?: UserProperties;
}

/** Properties as the parser hands them: strings decoded, binary data as ArrayBuffers. */
export interface ReceivedProperties {
	readonly payloadFormatIndicator?: number;
	readonly messageExpiryInterval?: number;
	readonly contentType?: string;
	readonly responseTopic?: string;
	readonly correlationData?: ArrayBuffer;
	readonly subscriptionIdentifiers?: readonly number[];
	readonly sessionExpiryInterval?: number;
	readonly assignedClientIdentifier?: string;
	readonly serverKeepAlive?: number;
	readonly authenticationMethod?: string;
	readonly authenticationData?: ArrayBuffer;
	readonly responseInformation?: string;
	readonly serverReference?: string;
	readonly reasonString?: string;
	readonly receiveMaximum?: number;
	readonly topicAliasMaximum?: number;
	readonly topicAlias?: number;
	readonly maximumQoS?: number;
	readonly retainAvailable?: number;
	readonly userProperties?: readonly (readonly [string, string])[];
	readonly maximumPacketSize?: number;
	readonly wildcardSubscriptionAvailable?: number;
	readonly subscriptionIdentifiersAvailable?: number;
	readonly sharedSubscriptionAvailable?: number;
}

// Types of section 2.2.2.2.
export const BYTE = 1, TWO = 2, FOUR = 3, VARIABLE = 4, UTF8 = 5, PAIR = 6, BINARY = 7;

interface Property {
	readonly id: number;
	readonly name: string;
	readonly type: number;
	readonly min: number;
	readonly max: number;
	/** Packets (bits by type, WILL for the will) a client may send it in. */
	readonly sent: number;
	/** Packets a server may send it in. */
	readonly received: number;
}

const bit = (type: number): number => 1 << type;
const W = bit(WILL), CO = bit(CONNECT), CA = bit(CONNACK), PU = bit(PUBLISH);
const ACKS = bit(PUBACK) | bit(PUBREC) | bit(PUBREL) | bit(PUBCOMP);
const SU = bit(SUBSCRIBE), SA = bit(SUBACK), UN = bit(UNSUBSCRIBE), UA = bit(UNSUBACK), DI = bit(DISCONNECT), AU = bit(AUTH);
const FOUR_MAX = 0xFFFF_FFFF, VARIABLE_MAX = 268_435_455;

// Directions follow the standard's statements: no Subscription Identifier
// from a client in PUBLISH [MQTT-3.3.4-6], no Session Expiry Interval from
// a server in DISCONNECT [MQTT-3.14.2-2]; the rest as section 3 lists them.
// A range's minimum of 1 is a value 0 that is a Protocol Error.
const TABLE: readonly Property[] = [
	{ id: 0x01, name: "payloadFormatIndicator", type: BYTE, min: 0, max: 1, sent: PU | W, received: PU },
	{ id: 0x02, name: "messageExpiryInterval", type: FOUR, min: 0, max: FOUR_MAX, sent: PU | W, received: PU },
	{ id: 0x03, name: "contentType", type: UTF8, min: 0, max: 0, sent: PU | W, received: PU },
	{ id: 0x08, name: "responseTopic", type: UTF8, min: 0, max: 0, sent: PU | W, received: PU },
	{ id: 0x09, name: "correlationData", type: BINARY, min: 0, max: 0, sent: PU | W, received: PU },
	{ id: 0x0B, name: "subscriptionIdentifier", type: VARIABLE, min: 1, max: VARIABLE_MAX, sent: SU, received: PU },
	{ id: 0x11, name: "sessionExpiryInterval", type: FOUR, min: 0, max: FOUR_MAX, sent: CO | DI, received: CA },
	{ id: 0x12, name: "assignedClientIdentifier", type: UTF8, min: 0, max: 0, sent: 0, received: CA },
	{ id: 0x13, name: "serverKeepAlive", type: TWO, min: 0, max: 0xFFFF, sent: 0, received: CA },
	{ id: 0x15, name: "authenticationMethod", type: UTF8, min: 0, max: 0, sent: CO | AU, received: CA | AU },
	{ id: 0x16, name: "authenticationData", type: BINARY, min: 0, max: 0, sent: CO | AU, received: CA | AU },
	{ id: 0x17, name: "requestProblemInformation", type: BYTE, min: 0, max: 1, sent: CO, received: 0 },
	{ id: 0x18, name: "willDelayInterval", type: FOUR, min: 0, max: FOUR_MAX, sent: W, received: 0 },
	{ id: 0x19, name: "requestResponseInformation", type: BYTE, min: 0, max: 1, sent: CO, received: 0 },
	{ id: 0x1A, name: "responseInformation", type: UTF8, min: 0, max: 0, sent: 0, received: CA },
	{ id: 0x1C, name: "serverReference", type: UTF8, min: 0, max: 0, sent: 0, received: CA | DI },
	{ id: 0x1F, name: "reasonString", type: UTF8, min: 0, max: 0, sent: ACKS | DI | AU, received: CA | ACKS | SA | UA | DI | AU },
	{ id: 0x21, name: "receiveMaximum", type: TWO, min: 1, max: 0xFFFF, sent: CO, received: CA },
	{ id: 0x22, name: "topicAliasMaximum", type: TWO, min: 0, max: 0xFFFF, sent: CO, received: CA },
	{ id: 0x23, name: "topicAlias", type: TWO, min: 1, max: 0xFFFF, sent: PU, received: PU },
	{ id: 0x24, name: "maximumQoS", type: BYTE, min: 0, max: 1, sent: 0, received: CA },
	{ id: 0x25, name: "retainAvailable", type: BYTE, min: 0, max: 1, sent: 0, received: CA },
	{ id: 0x26, name: "userProperties", type: PAIR, min: 0, max: 0, sent: CO | W | PU | ACKS | SU | UN | DI | AU, received: CA | PU | ACKS | SA | UA | DI | AU },
	{ id: 0x27, name: "maximumPacketSize", type: FOUR, min: 1, max: FOUR_MAX, sent: CO, received: CA },
	{ id: 0x28, name: "wildcardSubscriptionAvailable", type: BYTE, min: 0, max: 1, sent: 0, received: CA },
	{ id: 0x29, name: "subscriptionIdentifiersAvailable", type: BYTE, min: 0, max: 1, sent: 0, received: CA },
	{ id: 0x2A, name: "sharedSubscriptionAvailable", type: BYTE, min: 0, max: 1, sent: 0, received: CA },
];

/** The table, for the tests and the documentation. */
export const PROPERTIES: readonly Property[] = Object.freeze(TABLE.map(p => Object.freeze(p)));

// Lookups made at load and only read after: the identifier is the index.
const BY_ID: readonly (Property | undefined)[] = Object.freeze(Array.from({ length: 0x2B }, (_, id) => PROPERTIES.find(p => p.id === id)));
const BY_NAME: ReadonlyMap<string, Property> = new Map(PROPERTIES.map(p => [p.name, p]));

/** A packet's name in messages. */
export function packetName(type: number): string {
	return type === WILL ? "will" : type === AUTH ? "AUTH" : PACKET_NAMES[type];
}

// ------------------------------------------------------------------ writing

// The block of a packet without properties: a Property Length of 0
// [MQTT-2.2.2-1]. One for all, as the writer only copies it.
const NONE = new Uint8Array(1);

/**
 * The property block of a packet of `type`: its Property Length, then each
 * property `properties` gives, in the order given. Throws a TypeError or a
 * RangeError naming the property on anything a client may not send.
 */
export function encodeProperties(properties: Properties | undefined, type: number): Uint8Array {
	if (properties === undefined)
		return NONE;
	const where = packetName(type);
	if (typeof properties !== "object" || properties === null || Array.isArray(properties))
		throw new TypeError(`${where} properties must be an object`);
	const parts: Uint8Array[] = [];
	let length = 0;
	for (const name of Object.keys(properties)) {
		const value = (properties as Record<string, unknown>)[name];
		if (value === undefined)
			continue;
		const property = BY_NAME.get(name);
		if (property === undefined)
			throw new TypeError(`${where} property ${name} is not an MQTT 5 property`);
		if (!(property.sent & bit(type)))
			throw new TypeError(`${where} property ${name} may not be sent by a client in ${where}`);
		if (property.type === PAIR) {
			if (!Array.isArray(value))
				throw new TypeError(`${where} property userProperties must be an array of [name, value] pairs`);
			for (let i = 0; i < value.length; i++) {
				const pair = value[i];
				if (!Array.isArray(pair) || pair.length !== 2)
					throw new TypeError(`${where} property userProperties[${i}] must be a [name, value] pair`);
				const first = stringField(pair[0], `${where} user property name`, true);
				const second = stringField(pair[1], `${where} user property value`, true);
				const part = new Uint8Array(1 + first.length + second.length);
				part[0] = property.id;
				part.set(first, 1);
				part.set(second, 1 + first.length);
				parts.push(part);
				length += part.length;
			}
			continue;
		}
		const part = encodeValue(property, value, where);
		parts.push(part);
		length += part.length;
	}
	const block = new Uint8Array(variableSize(length) + length);
	let position = writeVariable(block, 0, length);
	for (let i = 0; i < parts.length; i++) {
		block.set(parts[i], position);
		position += parts[i].length;
	}
	return block;
}

/** One property other than a user property: its identifier, then its value. */
function encodeValue(property: Property, value: unknown, where: string): Uint8Array {
	const what = `${where} property ${property.name}`;
	switch (property.type) {
	case UTF8:
	case BINARY: {
		const field = stringField(value, what, property.type === UTF8);
		if (property.id === 0x08)	// the Response Topic is a topic name [MQTT-3.3.2-14]
			checkTopicName(field, what);
		const part = new Uint8Array(1 + field.length);
		part[0] = property.id;
		part.set(field, 1);
		return part;
	}
	}
	if (!Number.isInteger(value) || (value as number) < property.min || (value as number) > property.max)
		throw new RangeError(`${what} must be an integer ${property.min}..${property.max}, not ${describe(value)}`);
	const number = value as number;
	if (property.type === VARIABLE) {
		const part = new Uint8Array(1 + variableSize(number));
		part[0] = property.id;
		writeVariable(part, 1, number);
		return part;
	}
	const size = property.type === BYTE ? 1 : property.type === TWO ? 2 : 4;
	const part = new Uint8Array(1 + size);
	part[0] = property.id;
	for (let i = size, rest = number; i >= 1; i--, rest = Math.floor(rest / 256))
		part[i] = rest & 0xFF;
	return part;
}

/**
 * A length-prefixed field: a string as UTF-8, bytes as they are. `utf8`: the
 * field is a UTF-8 string, held to [MQTT-1.5.4-1] [MQTT-1.5.4-2] whether
 * given as a string or as bytes.
 */
export function stringField(value: unknown, what: string, utf8: boolean): Uint8Array {
	const field = stringField311(value as Data, what);	// the 3.1.1 writer's: one encoder, one set of messages
	if (utf8) {
		const fault = utf8Fault(field, 2, field.length);
		if (fault)
			throw new TypeError(`${what} ${fault}`);
	}
	return field;
}

/** A topic name's field (UTF-8 already checked): no wildcard [MQTT-3.3.2-2] [MQTT-4.7.0-1]. */
export function checkTopicName(field: Uint8Array, what: string): void {
	if (field.indexOf(0x2B, 2) >= 0 || field.indexOf(0x23, 2) >= 0)
		throw new TypeError(`${what} contains a wildcard (+ or #); wildcards are only for subscriptions`);
}


/** Bytes of a Variable Byte Integer of `value`: the fewest [MQTT-1.5.5-1]. */
export function variableSize(value: number): number {
	return value < 128 ? 1 : value < 16_384 ? 2 : value < 2_097_152 ? 3 : 4;
}

/** Writes `value` as a Variable Byte Integer at `bytes[at]`; returns the offset after it. */
export function writeVariable(bytes: Uint8Array, at: number, value: number): number {
	do {
		let byte = value & 0x7F;
		value = Math.floor(value / 128);
		if (value > 0)
			byte |= 0x80;
		bytes[at++] = byte;
	} while (value > 0);
	return at;
}

// ------------------------------------------------------------------ reading

/**
 * A Variable Byte Integer at `bytes[at]`, before `end`. Throws ProtocolError
 * naming `what` when it runs past `end`, takes more than four bytes, or is
 * not in its shortest form [MQTT-1.5.5-1].
 */
export function readVariable(bytes: Uint8Array, at: number, end: number, what: string): number {
	let value = 0, multiplier = 1, count = 0, byte;
	do {
		if (at >= end)
			throw new ProtocolError(`${what} runs past the packet`);
		byte = bytes[at++];
		value += (byte & 0x7F) * multiplier;
		multiplier *= 128;
		count++;
	} while ((byte & 0x80) && count < 4);
	if (byte & 0x80)
		throw new ProtocolError(`${what} encoded in more than four bytes`);
	if (count > 1 && byte === 0)
		throw new ProtocolError(`${what} not encoded in the fewest bytes (MQTT-1.5.5-1)`);
	return value;
}

/** A packet without properties: one frozen object for all. */
export const NO_PROPERTIES: ReceivedProperties = Object.freeze({});

/**
 * The property block at `bytes[at]` (its Property Length, then the
 * properties) of a packet of `type` ending at `end`; `last`: the block must
 * end the packet. One frame for the block: the length, each property and
 * each string are read here, not by a call each (an ESP8266 has 256 slots
 * of stack, and this runs under the socket's callback).
 */
export function decodeProperties(bytes: Uint8Array, at: number, end: number, type: number, last: boolean): ReceivedProperties {
	const where = packetName(type);
	const length = readVariable(bytes, at, end, `${where} property length`);
	at += variableSize(length);
	if (at + length > end)
		throw new ProtocolError(`${where} property length ${length} runs past the packet`);
	if (last && at + length !== end)
		throw new ProtocolError(`${where} has ${end - at - length} bytes after its properties`);
	if (length === 0)
		return NO_PROPERTIES;
	end = at + length;
	const result: Record<string, unknown> = {};
	while (at < end) {
		const id = bytes[at++];
		const property = id < BY_ID.length ? BY_ID[id] : undefined;
		if (property === undefined)
			throw new ProtocolError(`${where} carries unknown property 0x${id.toString(16)}`);
		if (!(property.received & bit(type)))
			throw new ProtocolError(`${where} carries property ${property.name}, which a server may not send in ${where}`);
		const name = property.name, kind = property.type;
		if (property.id === 0x0B) {	// several in a PUBLISH [MQTT-3.3.4-4]
			const value = readVariable(bytes, at, end, `${where} property subscriptionIdentifier`);
			at += variableSize(value);
			checkRange(property, value, where);
			((result.subscriptionIdentifiers ??= []) as number[]).push(value);
			continue;
		}
		if (kind !== PAIR && result[name] !== undefined)
			throw new ProtocolError(`${where} carries property ${name} more than once`);
		if (kind === PAIR || kind === UTF8 || kind === BINARY) {
			// A length-prefixed string, two for a user property; UTF-8 ones
			// well-formed, without U+0000 [MQTT-1.5.4-1] [MQTT-1.5.4-2] [MQTT-1.5.7-1].
			const fields: (string | ArrayBuffer)[] = [];
			do {
				const what = kind === PAIR ? `${where} user property ${fields.length ? "value" : "name"}` : `${where} property ${name}`;
				const size = at + 2 > end ? end : (bytes[at] << 8) | bytes[at + 1];
				at += 2;
				if (at + size > end)
					throw new ProtocolError(`${what} runs past the properties`);
				const fault = kind === BINARY ? undefined : utf8Fault(bytes, at, at + size);
				if (fault)
					throw new ProtocolError(`${what} ${fault}`);
				const offset = bytes.byteOffset + at, buffer = (bytes.buffer as ArrayBuffer).slice(offset, offset + size);	// a copy, whatever view `bytes` is
				at += size;
				fields.push(kind === BINARY ? buffer : String.fromArrayBuffer(buffer));
			} while (kind === PAIR && fields.length < 2);
			if (property.id === 0x08 && /[+#]/.test(fields[0] as string))
				throw new ProtocolError(`${where} property responseTopic contains a wildcard (MQTT-3.3.2-14)`);
			if (kind === PAIR)
				((result[name] ??= []) as (string | ArrayBuffer)[][]).push(fields);
			else
				result[name] = fields[0];
			continue;
		}
		const size = kind === BYTE ? 1 : kind === TWO ? 2 : 4;
		if (at + size > end)
			throw new ProtocolError(`${where} property ${name} runs past the properties`);
		let value = 0;
		for (let i = 0; i < size; i++)
			value = value * 256 + bytes[at++];
		checkRange(property, value, where);
		result[name] = value;
	}
	return result as ReceivedProperties;
}

function checkRange(property: Property, value: number, where: string): void {
	if (value < property.min || value > property.max)
		throw new ProtocolError(`${where} property ${property.name} is ${value}; it must be ${property.min}..${property.max}`);
}

