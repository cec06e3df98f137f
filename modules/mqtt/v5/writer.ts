// The MQTT 5.0 packet writer: every packet a client sends under version 5.
// Loaded only by an app that asks for version 5 (manifest_mqtt5.json).
//
// As the 3.1.1 writer does, each packet is measured, then written once into
// a buffer of its exact size; a payload above the inline limit is handed
// out as the frame's `body`, from the caller's own memory. The server's
// limits from CONNACK (Maximum Packet Size, Topic Alias Maximum) are the
// writer's to enforce: the session sets them on each connection.

import {
	CONNECT, PUBLISH, PUBACK, PUBREC, PUBREL, PUBCOMP, SUBSCRIBE, UNSUBSCRIBE, PINGREQ, DISCONNECT,
	MAX_REMAINING_LENGTH
} from "mqtt/constants";
import { type Data, asUint8Array, isBytes } from "mqtt/bytes";
import { checkQoS, checkPacketId, checkTopicFilter, checkKeepalive, describe, utf8Fault } from "mqtt/validate";
import { type Frame, type TopicCache, stringField as stringField311, rememberTopic } from "mqtt/writer";
import { type Properties, WILL, encodeProperties, stringField, checkTopicName, variableSize, writeVariable, packetName } from "mqtt/v5/properties";
import { AUTH, clientMaySend, reasonName } from "mqtt/v5/reasons";

export interface Will5 {
	topic: Data;
	message: Data;
	qos: number;
	retain: boolean;
	properties?: Properties | undefined;
}

export interface ConnectFields5 {
	clientId: Data;
	cleanStart: boolean;
	keepalive: number;
	properties?: Properties | undefined;
	/** `properties` already encoded (encodeProperties), by a client that sends the same ones on every CONNECT. */
	block?: Uint8Array | undefined;
	will?: Will5 | undefined;
	user?: Data | undefined;
	password?: Data | undefined;
}

/** A subscription's options (section 3.8.3.1); a bare number is a QoS with the other options 0. */
export interface SubscriptionOptions {
	qos: number;
	noLocal?: boolean | undefined;
	retainAsPublished?: boolean | undefined;
	/** 0: send retained messages at subscribe; 1: only for a new subscription; 2: never. */
	retainHandling?: number | undefined;
}

export const DEFAULT_INLINE_LIMIT = 256;
/** The largest packet the writer makes unless the server asks for less: the 3.1.1 writer's limit. */
export const MAX_PACKET_SIZE = MAX_REMAINING_LENGTH + 4;

const PROTOCOL: readonly number[] = Object.freeze([0, 4, 0x4D, 0x51, 0x54, 0x54, 5]);	// "MQTT", version 5
const SHARE = "$share/";

export class PacketWriter5 {
	readonly #inlineLimit: number;
	#maximumPacketSize = MAX_PACKET_SIZE;
	#topicAliasMaximum = 0;
	#topics: TopicCache | undefined;	// string topics published lately, and their fields
	/**
	 * Set by a subclass's alias() for the PUBLISH being made: `bare`, its
	 * topic alias stands for the topic (the topic goes empty); `aliasBlock`,
	 * the property block when the alias is its only property (4 bytes, made
	 * once: encodeProperties' loop is the PUBLISH path's deepest, 36 slots of
	 * stack more); `setting`, it sets that alias (aliasSet() is called once
	 * the packet is made, so that a PUBLISH that threw sets nothing). Fields
	 * read inline, not calls: the PUBLISH path nests no deeper (an ESP8266
	 * has 256 slots of stack).
	 */
	protected aliasing = false;	// a subclass chooses topic aliases: alias() is called for each PUBLISH
	protected bare = false;
	protected aliasBlock: Uint8Array | undefined;
	protected setting: Uint8Array | undefined;

	/** `inlineLimit`: packets whose remaining length is up to this are assembled whole. */
	constructor(inlineLimit = DEFAULT_INLINE_LIMIT) {
		if (!Number.isInteger(inlineLimit) || inlineLimit < 16)
			throw new RangeError("inlineLimit must be an integer >= 16");
		this.#inlineLimit = inlineLimit;
	}

	/**
	 * The server's limits from its CONNACK: its Maximum Packet Size (absent:
	 * no limit but the writer's own) and Topic Alias Maximum (absent: 0, no
	 * alias) [MQTT-3.2.2-15] [MQTT-3.2.2-17] [MQTT-3.2.2-18]. Called again on
	 * each connection: nothing of an earlier one carries over.
	 */
	setServerLimits(maximumPacketSize: number | undefined, topicAliasMaximum: number | undefined): void {
		if (maximumPacketSize !== undefined && (!Number.isInteger(maximumPacketSize) || maximumPacketSize < 1))
			throw new RangeError(`maximumPacketSize must be a positive integer, not ${describe(maximumPacketSize)}`);
		if (topicAliasMaximum !== undefined && (!Number.isInteger(topicAliasMaximum) || topicAliasMaximum < 0 || topicAliasMaximum > 0xFFFF))
			throw new RangeError(`topicAliasMaximum must be an integer 0..65535, not ${describe(topicAliasMaximum)}`);
		this.#maximumPacketSize = Math.min(maximumPacketSize ?? MAX_PACKET_SIZE, MAX_PACKET_SIZE);
		this.#topicAliasMaximum = topicAliasMaximum ?? 0;
	}

	get maximumPacketSize(): number {
		return this.#maximumPacketSize;
	}

	get topicAliasMaximum(): number {
		return this.#topicAliasMaximum;
	}

	connect(fields: ConnectFields5): Frame {
		checkKeepalive(fields.keepalive);
		const properties = fields.properties;
		if (properties?.authenticationData !== undefined && properties.authenticationMethod === undefined)
			throw new TypeError("CONNECT property authenticationData given without authenticationMethod");
		const parts = [Uint8Array.from(PROTOCOL), new Uint8Array(3), fields.block ?? encodeProperties(properties, CONNECT), stringField(fields.clientId, "client id", true)];
		let flags = fields.cleanStart ? 0x02 : 0;
		const will = fields.will;
		if (will) {
			checkQoS(will.qos, "will QoS");
			flags |= 0x04 | (will.qos << 3) | (will.retain ? 0x20 : 0);
			parts.push(encodeProperties(will.properties, WILL), topicNameField(will.topic, "will topic", false), stringField(will.message, "will message", false));
		}
		// MQTT 5 allows a password without a user name (3.1.2.9).
		if (fields.user !== undefined) {
			flags |= 0x80;
			parts.push(stringField(fields.user, "user name", true));
		}
		if (fields.password !== undefined) {
			flags |= 0x40;
			parts.push(stringField(fields.password, "password", false));
		}
		parts[1][0] = flags;
		parts[1][1] = fields.keepalive >> 8;
		parts[1][2] = fields.keepalive & 0xFF;
		return this.assemble(CONNECT << 4, parts, undefined);
	}

	/** Drops the topic cache (the client is no longer connected). */
	forget(): void {
		this.#topics = undefined;
	}

	/**
	 * PUBLISH. The topic may be empty when `properties.topicAlias` names an
	 * alias the server already maps (section 3.3.2.3.4); a topic with an
	 * alias sets or replaces its mapping.
	 */
	publish(topic: Data, payload: Data, qos: number, retain: boolean, dup: boolean, id: number, properties?: Properties): Frame {
		checkQoS(qos, "QoS");
		if (qos)
			checkPacketId(id);
		if (!qos && dup)
			throw new TypeError("dup must be false for QoS 0 (MQTT-3.3.1-2)");
		properties = this.prepare(qos, retain, dup, id, properties);
		if (this.aliasing)
			properties = this.alias(topic, qos, dup, properties);
		const alias = properties?.topicAlias;
		if (alias !== undefined && Number.isInteger(alias) && alias > this.#topicAliasMaximum && alias <= 0xFFFF)
			throw new RangeError(`PUBLISH property topicAlias ${alias} exceeds the server's Topic Alias Maximum of ${this.#topicAliasMaximum} (MQTT-3.3.2-9)`);
		// The topic's field, checked here rather than by topicNameField: two
		// frames less under the app's call (an ESP8266 has 256 slots of stack).
		// A string topic published lately comes from the cache, checked then.
		const cache = this.bare ? undefined : this.#topics;
		let field = cache === undefined ? undefined : topic === cache.text0 ? cache.field0 : topic === cache.text1 ? cache.field1 : undefined;
		if (field === undefined) {
			field = stringField311(this.bare ? "" : topic, "topic");
			const fault = utf8Fault(field, 2, field.length);
			if (fault)
				throw new TypeError(`topic ${fault}`);
			if (field.length === 2 && alias === undefined && !this.bare)
				throw new TypeError("topic is empty");
			checkTopicName(field, "topic");
			if (field.length > 2 && typeof topic === "string" && !this.bare)
				this.#topics = rememberTopic(this.#topics, topic, field);
		}
		const block = this.aliasBlock ?? encodeProperties(properties, PUBLISH);
		let body: Uint8Array;
		if (payload instanceof Uint8Array)
			body = payload;
		else if (typeof payload === "string") {
			if (payload.length > MAX_REMAINING_LENGTH)
				throw this.tooLarge(PUBLISH, payload.length);	// before encoding: UTF-8 is never shorter
			body = new Uint8Array(ArrayBuffer.fromString(payload));
		}
		else if (isBytes(payload))
			body = asUint8Array(payload);
		else
			throw new TypeError("message must be a string or binary data");
		const parts = [field];
		if (qos)
			parts.push(Uint8Array.of(id >> 8, id & 0xFF));
		parts.push(block);
		const frame = this.assemble((PUBLISH << 4) | (dup ? 0x08 : 0) | (qos << 1) | (retain ? 0x01 : 0), parts, body);
		if (this.setting !== undefined)
			this.aliasSet();
		return frame;
	}

	/**
	 * The properties a PUBLISH (`qos`, `retain`, `dup`, `id`, checked) is to
	 * carry: `properties` here. A subclass checks or supplies them; called
	 * before the packet is made, not around it, so that its frame is not under
	 * the encoding's (an ESP8266 has 256 slots of stack).
	 */
	protected prepare(qos: number, retain: boolean, dup: boolean, id: number, properties: Properties | undefined): Properties | undefined {
		return properties;
	}

	/**
	 * With `aliasing`, after prepare: the properties with the topic alias
	 * this PUBLISH of `topic` (not yet checked) sets or uses, if any, telling
	 * it by `bare`, `aliasBlock` and `setting`. None here.
	 */
	protected alias(topic: Data, qos: number, dup: boolean, properties: Properties | undefined): Properties | undefined {
		return properties;
	}

	/** The PUBLISH that sets the alias `setting` is made: a subclass records the mapping. */
	protected aliasSet(): void {
		this.setting = undefined;
	}

	/**
	 * PUBACK, PUBREC, PUBREL or PUBCOMP. The short forms of section 3.4.2.1:
	 * success without properties is the packet id alone; a reason code
	 * without properties omits the Property Length. A reason string and user
	 * properties that would take the packet past the server's Maximum Packet
	 * Size are left out [MQTT-3.4.2-2] [MQTT-3.4.2-3] (and 3.5.2, 3.6.2, 3.7.2).
	 */
	ack(type: number, id: number, reasonCode = 0, properties?: Properties): Frame {
		if (type !== PUBACK && type !== PUBREC && type !== PUBREL && type !== PUBCOMP)
			throw new RangeError(`ack type must be PUBACK, PUBREC, PUBREL or PUBCOMP (4..7), not ${describe(type)}`);
		checkPacketId(id);
		checkReason(reasonCode, type);
		const first = (type << 4) | (type === PUBREL ? 0x02 : 0);
		const head = Uint8Array.of(id >> 8, id & 0xFF, reasonCode);
		if (properties === undefined)
			return this.assemble(first, [reasonCode ? head : head.subarray(0, 2)], undefined);
		return this.withReasonProperties(first, [head], properties, type);
	}

	/** SUBSCRIBE: each filter with its options, and the packet's properties (a Subscription Identifier, user properties). */
	subscribe(id: number, filters: readonly Data[], options: readonly (number | SubscriptionOptions)[], properties?: Properties): Frame {
		checkPacketId(id);
		if (!Array.isArray(filters) || filters.length === 0)
			throw new TypeError("subscribe needs at least one topic filter");
		if (!Array.isArray(options) || options.length !== filters.length)
			throw new TypeError("subscribe needs one QoS or options object per topic filter");
		const parts = [Uint8Array.of(id >> 8, id & 0xFF), encodeProperties(properties, SUBSCRIBE)];
		for (let i = 0; i < filters.length; i++) {
			const field = filterField(filters[i]);
			parts.push(field, Uint8Array.of(optionsByte(options[i], isShared(field))));
		}
		return this.assemble((SUBSCRIBE << 4) | 0x02, parts, undefined);
	}

	unsubscribe(id: number, filters: readonly Data[], properties?: Properties): Frame {
		checkPacketId(id);
		if (!Array.isArray(filters) || filters.length === 0)
			throw new TypeError("unsubscribe needs at least one topic filter");
		const parts = [Uint8Array.of(id >> 8, id & 0xFF), encodeProperties(properties, UNSUBSCRIBE)];
		for (let i = 0; i < filters.length; i++)
			parts.push(filterField(filters[i]));
		return this.assemble((UNSUBSCRIBE << 4) | 0x02, parts, undefined);
	}

	pingreq(): Frame {
		return { head: Uint8Array.of(PINGREQ << 4, 0), body: undefined };
	}

	/**
	 * DISCONNECT with a reason: a normal disconnection without properties
	 * is two bytes (section 3.14.2.1); a reason string and user properties
	 * that would pass the server's Maximum Packet Size are left out
	 * [MQTT-3.14.2-3] [MQTT-3.14.2-4].
	 */
	disconnect(reasonCode = 0, properties?: Properties): Frame {
		checkReason(reasonCode, DISCONNECT);
		if (properties === undefined)
			return this.assemble(DISCONNECT << 4, reasonCode ? [Uint8Array.of(reasonCode)] : [], undefined);
		return this.withReasonProperties(DISCONNECT << 4, [Uint8Array.of(reasonCode)], properties, DISCONNECT);
	}

	/**
	 * AUTH: 0x18 (continue authentication) or 0x19 (re-authenticate), with
	 * the Authentication Method it must carry (3.15.2.2.2) and any
	 * authentication data.
	 */
	auth(reasonCode: number, properties: Properties): Frame {
		checkReason(reasonCode, AUTH);
		if (properties?.authenticationMethod === undefined)
			throw new TypeError("AUTH needs the property authenticationMethod");
		return this.withReasonProperties(AUTH << 4, [Uint8Array.of(reasonCode)], properties, AUTH);
	}

	/** A packet whose reason string and user properties are dropped, in that order, if it would not fit the server's limit. */
	private withReasonProperties(first: number, parts: Uint8Array[], properties: Properties, type: number): Frame {
		let block = encodeProperties(properties, type);
		for (const drop of ["reasonString", "userProperties"] as const) {
			if (fits(parts, block, this.#maximumPacketSize) || properties[drop] === undefined)
				continue;
			properties = { ...properties, [drop]: undefined };
			block = encodeProperties(properties, type);
		}
		parts.push(block);
		return this.assemble(first, parts, undefined);
	}

	/**
	 * The packet: the fixed header, the parts, then the payload (inline, or
	 * as the frame's body when the packet is larger than the inline limit).
	 * Refuses a packet larger than the server's Maximum Packet Size
	 * [MQTT-3.2.2-15] or the writer's own limit.
	 */
	private assemble(first: number, parts: readonly Uint8Array[], payload: Uint8Array | undefined): Frame {
		let header = 0;
		for (let i = 0; i < parts.length; i++)
			header += parts[i].length;
		const remaining = header + (payload === undefined ? 0 : payload.length);
		if (remaining > MAX_REMAINING_LENGTH)
			throw this.tooLarge(first >> 4, remaining);
		const size = 1 + variableSize(remaining) + remaining;
		if (size > this.#maximumPacketSize)
			throw new RangeError(`${packetName(first >> 4)} of ${size} bytes exceeds the server's Maximum Packet Size of ${this.#maximumPacketSize} (MQTT-3.2.2-15)`);
		const inline = payload === undefined || remaining <= this.#inlineLimit;
		const packet = new Uint8Array(inline ? size : size - payload.length);
		packet[0] = first;
		let position = writeVariable(packet, 1, remaining);
		for (let i = 0; i < parts.length; i++) {
			packet.set(parts[i], position);
			position += parts[i].length;
		}
		if (payload === undefined)
			return { head: packet, body: undefined };
		if (!inline)
			return { head: packet, body: payload };
		packet.set(payload, position);
		return { head: packet, body: undefined };
	}

	private tooLarge(type: number, remaining: number): RangeError {
		return new RangeError(`packet too large: ${packetName(type)} remaining length ${remaining} passes the limit of ${MAX_REMAINING_LENGTH}`);
	}
}

function fits(parts: readonly Uint8Array[], block: Uint8Array, maximum: number): boolean {
	let remaining = block.length;
	for (let i = 0; i < parts.length; i++)
		remaining += parts[i].length;
	return 1 + variableSize(remaining) + remaining <= maximum;
}

function checkReason(code: unknown, type: number): void {
	if (!clientMaySend(code, type))
		throw new RangeError(`${packetName(type)} reason code ${typeof code === "number" ? `0x${code.toString(16)} (${reasonName(code, type)})` : describe(code)} is not one a client may send in it`);
}

/** A topic name: UTF-8, no wildcard, not empty unless a topic alias stands for it [MQTT-3.3.2-1] [MQTT-3.3.2-2] [MQTT-4.7.3-1]. */
function topicNameField(topic: Data, what: string, aliased: boolean): Uint8Array {
	const field = stringField(topic, what, true);
	if (field.length === 2 && !aliased)
		throw new TypeError(`${what} is empty`);
	checkTopicName(field, what);
	return field;
}

/** A topic filter: the 3.1.1 rules, and a shared subscription's form [MQTT-4.8.2-1] [MQTT-4.8.2-2]. */
function filterField(filter: Data): Uint8Array {
	const field = stringField(filter, "topic filter", true);
	const bytes = field.subarray(2);
	checkTopicFilter(bytes);
	if (isShared(field)) {
		const slash = bytes.indexOf(0x2F, SHARE.length);
		const name = bytes.subarray(SHARE.length, slash < 0 ? bytes.length : slash);
		if (name.length === 0 || name.indexOf(0x2B) >= 0 || name.indexOf(0x23) >= 0)
			throw new TypeError("topic filter $share/ needs a share name of at least one character without + or # (MQTT-4.8.2-1, MQTT-4.8.2-2)");
		if (slash < 0 || slash === bytes.length - 1)
			throw new TypeError("topic filter $share/{name}/ must be followed by a topic filter (MQTT-4.8.2-2)");
	}
	return field;
}

function isShared(field: Uint8Array): boolean {
	if (field.length < 2 + SHARE.length)
		return false;
	for (let i = 0; i < SHARE.length; i++)
		if (field[2 + i] !== SHARE.charCodeAt(i))
			return false;
	return true;
}

/** The subscription options byte (3.8.3.1). No Local on a shared subscription is a protocol error [MQTT-3.8.3-4]. */
function optionsByte(options: number | SubscriptionOptions, shared: boolean): number {
	if (typeof options !== "object" || options === null) {
		checkQoS(options, "QoS");
		return options;
	}
	checkQoS(options.qos, "QoS");
	const handling = options.retainHandling ?? 0;
	if (handling !== 0 && handling !== 1 && handling !== 2)
		throw new RangeError(`retainHandling must be 0, 1 or 2, not ${describe(handling)}`);
	for (const flag of ["noLocal", "retainAsPublished"] as const)
		if (options[flag] !== undefined && typeof options[flag] !== "boolean")
			throw new TypeError(`${flag} must be a boolean, not ${describe(options[flag])}`);
	if (options.noLocal && shared)
		throw new TypeError("noLocal may not be set on a shared subscription (MQTT-3.8.3-4)");
	return options.qos | (options.noLocal ? 0x04 : 0) | (options.retainAsPublished ? 0x08 : 0) | (handling << 4);
}
