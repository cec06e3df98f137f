// MQTT 5.0 for the client: what the link (link.ts) asks of a version
// (VersionHooks, and Link5's overrides of the link's own methods), over the
// version 5 codec. The facade loads this module by dynamic import at
// connect() when the app asked for `protocolVersion` 5 or "negotiate"
// (manifest_mqtt5.json), so that a 3.1.1 app carries none of it.
//
// The client keeps its CONNECT as a 3.1.1 packet (its only copy of the
// client id, keep-alive, will and credentials); each attempt under 5 writes
// its CONNECT from it with the app's properties. The CONNACK's properties
// bind this connection alone: the server's keep-alive, Maximum Packet Size,
// Topic Alias Maximum, Maximum QoS, Retain Available and the availability
// of wildcard, shared subscriptions and subscription identifiers, checked by
// the writer before a packet is made. A Server Reference (CONNACK 0x9C or
// 0x9D, or the server's DISCONNECT) sends the link's next attempt to the
// referenced server, once, through the link's failover list (Referral).
// Enhanced authentication (4.12): with an Authentication Method in CONNECT,
// the server's AUTH packets go to the app's onAuthenticate, whose answers
// go back in AUTH, until CONNACK; re-authentication the same way, from
// reauthenticate() (Authentication).

import Timer from "timer";
import { CONNECT, CONNACK, PUBLISH, PUBACK, PUBREC, PUBREL, PUBCOMP, SUBACK, UNSUBACK, DISCONNECT, PACKET_NAMES } from "mqtt/constants";
import type { Sendable, Settle } from "mqtt/outbox";
import { type Data, isData } from "mqtt/bytes";
import { MQTTException, ProtocolError } from "mqtt/errors";
import { PacketWriter, flagsAt, connectFields, stringField, CLEAN_SESSION, type Frame, type Will } from "mqtt/writer";
import { PacketParser, type Packet } from "mqtt/parser";
import { HANDLERS, connackAccepts, type Receiver } from "mqtt/handlers";
import { Link, IDLE, CONNECTING, CONNECTED, RECONNECTING, DISCONNECTING, type VersionHooks } from "mqtt/link";
import type { Connection } from "mqtt/connection";
import type { Subscriptions } from "mqtt/session";
import { STRIDE, type Failover, type ServerList } from "mqtt/endpoints";
import type { MQTTClient } from "mqtt/client";
import { PacketWriter5, type SubscriptionOptions } from "mqtt/v5/writer";
import { PacketParser5 } from "mqtt/v5/parser";
import { encodeProperties, type Properties, type ReceivedProperties } from "mqtt/v5/properties";
import { AUTH, reasonName, isFailure } from "mqtt/v5/reasons";
import { describe } from "mqtt/validate";

/**
 * The app's first connect() under MQTT 5 (the facade loaded this module for
 * it): the link gets its Protocol5, which checks the options, and becomes a
 * Link5; the client gets its reauthenticate; then the facade's connect()
 * goes on, now with them.
 */
export function connect(client: MQTTClient, link: Link, cleanSession: boolean, timeout: number): Promise<number> {
	const protocol = link.v5 ??= new Protocol5(link, link.settings.mqtt5 as Options5);
	Object.setPrototypeOf(link, Link5.prototype);
	// The client's own, not its class's (a preloaded class is frozen): the
	// class's refuses, under 3.1.1 and before MQTT 5's first connect().
	Object.defineProperty(client, "reauthenticate", { value: (data?: Data) => (protocol as Protocol5).reauthenticate(data), configurable: true, writable: true });
	return client.connect(cleanSession, timeout);
}

/**
 * The link of a client under MQTT 5: the link takes this prototype at its
 * first connect() (connect above), so that the 3.1.1 link carries none of
 * these hooks. Each answers for the attempt in progress (Protocol5's
 * version, which negotiation may make 4) and otherwise leaves it to the
 * 3.1.1 link's own.
 */
class Link5 extends Link {
	declare v5: Protocol5;

	/** The app's connect(): version 5 first, again. */
	override connect(cleanSession: boolean, timeout: number): Promise<0 | 1> {
		this.v5.begin();
		return super.connect(cleanSession, timeout);
	}

	/** The server's keep-alive from CONNACK overrides the client's [MQTT-3.2.2-21]. */
	protected override get keepalive(): number {
		return this.v5.keepalive ?? super.keepalive;
	}

	/** CONNECT of version 5 for this attempt, made from the 3.1.1 CONNECT the client keeps. */
	override onOpen(connection: Connection): void {
		const head = connection === this.connection ? this.v5.connect(this.connectPacket) : undefined;
		if (head)
			connection.send({ head, body: undefined });
		else
			super.onOpen(connection);
	}

	/** A tracked operation's packet beyond the server's Receive Maximum is held back; the protocol sends it later (holds). */
	override sendOp(frame: Frame, op: Sendable): void {
		if (this.state !== CONNECTED || !this.v5.holds(frame, op))
			super.sendOp(frame, op);
	}

	/** Negotiation: closed before CONNACK, the link may try again under 3.1.1 at once (closedEarly). */
	override onClose(connection: Connection, error: Error): void {
		const state = this.state;
		if (connection !== this.connection || state === CONNECTED || state === DISCONNECTING || !this.v5.closedEarly(this))
			super.onClose(connection, error);
	}

	/** The connection that was up ends: a re-authentication in progress fails with it. */
	protected override stopKeepAlive(): void {
		this.v5.ended();
		super.stopKeepAlive();
	}

	/**
	 * The session's granted subscriptions as the groups that each make one
	 * SUBSCRIBE again: one per Subscription Identifier, which MQTT 5 gives
	 * a SUBSCRIBE for all its filters (3.8.2.1.2); a QoS (a number, 3.1.1's,
	 * or under "negotiate" fallen back) has none: one for all.
	 */
	resubscriptions(subscriptions: Subscriptions): Subscriptions[] {
		const groups = new Map<number | undefined, Subscriptions>();
		for (const [key, subscription] of subscriptions) {
			const identifier = (subscription.qos as { subscriptionIdentifier?: number }).subscriptionIdentifier;
			let group = groups.get(identifier);
			if (!group)
				groups.set(identifier, group = new Map());
			group.set(key, subscription);
		}
		return [...groups.values()];
	}
}

/** What this module reads of the client's options (the link's `mqtt5` setting): the facade checked the version. */
export interface Options5 {
	readonly protocolVersion: 5 | "negotiate";
	/** CONNECT's properties (section 3.1.2.11) but Maximum Packet Size, which is the client's `maxPacketSize`. */
	readonly properties?: Properties | null;
	/** Outgoing topic aliases: at most this many, within the server's Topic Alias Maximum (0 or absent: none). */
	readonly topicAliases?: number | null;
	/** Enhanced authentication: answers the server's AUTH (needs `properties.authenticationMethod`). */
	readonly onAuthenticate?: Authenticate | null;
}

/**
 * The app's part of enhanced authentication (4.12): called with the
 * method, the server's Authentication Data and the reason code of what
 * brought it: 0x18 (Continue authentication, an AUTH), whose answer (data,
 * or undefined: none) goes back in AUTH 0x18; 0 (Success: CONNACK, or the
 * AUTH that ends a re-authentication), whose answer is not sent. A throw or
 * a rejection ends the exchange: the connection closes.
 */
export type Authenticate = (method: string, data: ArrayBuffer | undefined, reasonCode: number) => Data | undefined | void | Promise<Data | undefined | void>;

// CONNACK reason codes after which another attempt may pass: the server is
// unavailable or busy for now, or sends the client elsewhere (a failover
// list tries its next server).
const PASSING: readonly number[] = Object.freeze([0x88, 0x89, 0x9C, 0x9D, 0x9F]);
const UNSUPPORTED_VERSION = 0x84;
const TOPIC_ALIAS = 0x23;	// the property's identifier (2.2.2.2)
const NEVER_EXPIRES = 0xFFFFFFFF;	// a Session Expiry Interval that never ends (3.1.2.11.2)

/** The parser of version 5, read by the link and the session as the 3.1.1 packet record they know. */
class Parser5 extends PacketParser5 {
	/** CONNACK's code, as connackAccepts reads it. */
	get returnCode(): number { return this.reasonCode; }
	/** SUBACK's and UNSUBACK's reason codes, as the session reads SUBACK's return codes. */
	get granted(): number[] { return this.reasonCodes as number[]; }
}

/**
 * The writer of version 5 where the link and the session use a 3.1.1
 * writer: the same calls, with the server's CONNACK limits checked first,
 * so that nothing the server said it refuses is sent.
 *
 * Outgoing topic aliases (the `topicAliases` option, 3.3.2.3.4): the first
 * PUBLISH of a topic on a connection carries the topic and a new alias, the
 * later ones an empty topic and that alias. The first topics published on
 * the connection keep the aliases (at most the option's count, within the
 * server's Topic Alias Maximum [MQTT-3.2.2-17] [MQTT-3.3.2-9], none when it
 * is absent or 0 [MQTT-3.2.2-18]); later topics go by name. Nothing is
 * replaced, so an alias always stands for one topic on a connection.
 *
 * A mapping lives as long as the connection [MQTT-3.3.2-7], and a PUBLISH
 * by alias is valid only after the PUBLISH that set it, on the same
 * connection. A frame is made at publish() and may wait (in the send queue,
 * behind the server's Receive Maximum, in a store), be kept for the next
 * connection or be dropped; so only a PUBLISH handed to the socket at once,
 * on the connection whose CONNACK set the limits, carries an alias (set or
 * used): it is on the wire before anything made after it, and it dies with
 * its connection. Every other PUBLISH goes by name, without an alias. A
 * resend (DUP) is made anew on its connection, so it carries only the
 * aliases of that connection. Only topics given as strings are aliased (a
 * Map keyed by the string; its check was made when the alias was set).
 */
class Writer5 extends PacketWriter5 {
	readonly legacy: PacketWriter;
	/** From CONNACK; absent: 2, true, and available [MQTT-3.2.2-9] [MQTT-3.2.2-13] (3.2.2.3.11..13). */
	maximumQoS = 2;
	retainAvailable = true;
	wildcards = true;
	subscriptionIdentifiers = true;
	shared = true;

	/** publish()'s properties, for the next PUBLISH written. */
	pending: Properties | undefined;
	// The properties of QoS 1 and 2 messages in flight, by packet id: the
	// session writes a resend (DUP) without them, as under 3.1.1.
	#sent: Map<number, Properties> | undefined;

	// Outgoing topic aliases: the option's count (0: none), this connection's
	// mappings (topic -> the property block of its alias alone), and the
	// topic whose alias the PUBLISH being made sets.
	readonly #wanted: number;
	readonly #protocol: Protocol5;
	readonly #link: Link;
	#aliases: Map<string, Uint8Array> | undefined;
	#aliased: string | undefined;

	constructor(link: Link, wanted: number, protocol: Protocol5) {
		super();
		this.legacy = link.writer;
		this.#link = link;
		this.#wanted = wanted;
		this.#protocol = protocol;
		this.aliasing = wanted > 0;
	}

	/** The message `id` is complete (or refused): its properties go. */
	release(id: number): void {
		this.#sent?.delete(id);
	}

	/** A new connection: nothing of the last one's CONNACK holds. */
	reset(): void {
		this.pending = undefined;
		this.#aliases = undefined;	// no mapping of the last connection carries over [MQTT-3.3.2-7]
		this.setServerLimits(undefined, undefined);
		this.maximumQoS = 2;
		this.retainAvailable = this.wildcards = this.subscriptionIdentifiers = this.shared = true;
	}

	apply(properties: ReceivedProperties): void {
		this.setServerLimits(properties.maximumPacketSize, properties.topicAliasMaximum);
		this.maximumQoS = properties.maximumQoS ?? 2;
		this.retainAvailable = properties.retainAvailable !== 0;
		this.wildcards = properties.wildcardSubscriptionAvailable !== 0;
		this.subscriptionIdentifiers = properties.subscriptionIdentifiersAvailable !== 0;
		this.shared = properties.sharedSubscriptionAvailable !== 0;
	}

	// What the facade asks of the link's writer about the CONNECT it keeps: a 3.1.1 packet.
	withWill(packet: Uint8Array, will: Will | undefined): Frame { return this.legacy.withWill(packet, will); }
	emptyClientId(packet: Uint8Array): boolean { return this.legacy.emptyClientId(packet); }
	override forget(): void {
		super.forget();
		this.legacy.forget();
	}

	/** publish()'s checks against the CONNACK, its pending properties, or those kept for a resend (DUP) of `id`. */
	protected override prepare(qos: number, retain: boolean, dup: boolean, id: number, properties: Properties | undefined): Properties | undefined {
		if (qos > this.maximumQoS)
			throw new RangeError(`QoS ${qos} is above the server's Maximum QoS of ${this.maximumQoS} (MQTT-3.2.2-11)`);
		if (retain && !this.retainAvailable)
			throw new TypeError("the server does not support retained messages: Retain Available is 0 in its CONNACK (MQTT-3.2.2-14)");
		properties ??= this.pending;
		this.pending = undefined;
		if (properties === undefined && dup)
			properties = this.#sent?.get(id);
		if (qos && !dup) {	// a new message under this id: its properties, or none
			if (properties === undefined)
				this.#sent?.delete(id);
			else
				(this.#sent ??= new Map()).set(id, properties);
		}
		return properties;
	}

	/**
	 * Under `topicAliases`, the alias of `topic` this PUBLISH sets or uses, if
	 * any. Only when it is handed to the socket at once, on this connection:
	 * the link connected, its send queue empty and the socket free (its
	 * sendsNow, which its publish and sendOp read next); a QoS 1 or 2 one not
	 * held back by the Receive Maximum, nor kept by a store (its record is
	 * the packet), nor made only for its argument checks (the facade's, over
	 * outgoingLimit). Called by the codec's publish after prepare, not from
	 * it, with the link's checks inline and few names (XS copies each one a
	 * function uses into its frame): the frames under sendsNow stay small
	 * (an ESP8266 has 256 slots of stack).
	 */
	protected override alias(topic: Data, qos: number, dup: boolean, properties: Properties | undefined): Properties | undefined {
		this.bare = false;
		this.aliasBlock = this.setting = undefined;
		if (properties?.topicAlias !== undefined)
			throw new TypeError("topicAlias is the client's to choose under the topicAliases option: publish without it");
		// sendsNow passes DISCONNECTING too: a PUBLISH made then is never sent
		// (the facade refuses it after its checks), and the mapping it might
		// leave dies with the connection.
		const link = this.#link;
		if (typeof topic !== "string" || this.topicAliasMaximum === 0 || !(link as unknown as LinkInternals).sendsNow()
			|| (qos && (link.session?.durable || this.#protocol.holdsNext || (!dup && link.outgoing >= link.settings.outgoingLimit))))
			return properties;
		return this.assign(topic, properties);
	}

	/** The alias `topic` uses on this connection, or a new one while there is room; a method of its own: alias()'s frame stays small under sendsNow. */
	private assign(topic: string, properties: Properties | undefined): Properties | undefined {
		const aliases = this.#aliases ??= new Map(), maximum = this.topicAliasMaximum;
		let block = aliases.get(topic);
		if (block)	// set on this connection, by a PUBLISH already on the wire: the alias alone
			this.bare = true;
		else if (aliases.size < this.#wanted && aliases.size < maximum) {	// recorded by aliasSet once the packet is made
			const alias = aliases.size + 1;
			this.setting = block = Uint8Array.of(3, TOPIC_ALIAS, alias >> 8, alias & 0xFF);
			this.#aliased = topic;
		}
		else
			return properties;	// full: the first topics keep theirs, this one goes by name
		if (properties === undefined)
			this.aliasBlock = block;
		return properties && { ...properties, topicAlias: (block[2] << 8) | block[3] };
	}

	protected override aliasSet(): void {
		this.#aliases!.set(this.#aliased!, this.setting!);
		this.setting = undefined;
	}

	/** SUBSCRIBE with the Subscription Identifier its options give (when no properties are), checked against the CONNACK. */
	override subscribe(id: number, filters: readonly Data[], options: readonly (number | SubscribeOptions)[], properties?: Properties): Frame {
		properties ??= identified(options);
		if (properties?.subscriptionIdentifier !== undefined && !this.subscriptionIdentifiers)
			throw new TypeError("the server does not support subscription identifiers: Subscription Identifiers Available is 0 in its CONNACK (3.2.2.3.12)");
		if (!this.wildcards || !this.shared)
			for (const filter of filters)
				this.checkAvailable(filter);
		return super.subscribe(id, filters, options, properties);
	}

	private checkAvailable(filter: Data): void {
		const text = typeof filter === "string" ? filter : String.fromArrayBuffer(stringField(filter, "topic filter").slice(2).buffer);
		if (!this.wildcards && (text.includes("+") || text.includes("#")))
			throw new TypeError(`the server does not support wildcard subscriptions (Wildcard Subscription Available is 0 in its CONNACK, 3.2.2.3.11): ${text}`);
		if (!this.shared && text.startsWith("$share/"))
			throw new TypeError(`the server does not support shared subscriptions (Shared Subscription Available is 0 in its CONNACK, 3.2.2.3.13): ${text}`);
	}
}

/** subscribe()'s options under 5: those of the codec, and the subscription's identifier (3.8.2.1.2). */
type SubscribeOptions = SubscriptionOptions & { readonly subscriptionIdentifier?: number };

/**
 * The SUBSCRIBE properties of the Subscription Identifier the filters'
 * options give, or undefined when none does. A SUBSCRIBE carries one, for
 * all its filters (3.8.2.1.2): filters given different ones (or one
 * and none) throw, so that no subscription is made under another's
 * identifier. The value's range is the codec's check (1..268,435,455).
 */
function identified(options: readonly (number | SubscribeOptions)[]): Properties | undefined {
	let identifier: number | undefined;
	for (let i = 0; i < options.length; i++) {
		const given = options[i], own = typeof given === "object" && given !== null ? given.subscriptionIdentifier : undefined;
		if (i > 0 && own !== identifier)
			throw new TypeError("one SUBSCRIBE carries one Subscription Identifier for all its topic filters (3.8.2.1.2): give each filter the same subscriptionIdentifier, or subscribe to them apart");
		identifier = own;
	}
	return identifier === undefined ? undefined : { subscriptionIdentifier: identifier };
}

/**
 * MQTTException for a reason code of version 5, its message naming it, with
 * the server's reason string if any (`reason`), and the Server Reference of
 * a CONNACK or DISCONNECT 0x9C or 0x9D (`serverReference`, 4.11): the app
 * may connect there.
 */
export function reasonException(code: number, properties: ReceivedProperties, type: number, detail = ""): MQTTException {
	const reason = properties.reasonString, reference = properties.serverReference;
	const error = new MQTTException(code);
	// MQTT 5's name of the code, where 3.1.1's constructor says its return code's.
	error.message = `MQTT error ${code}: ${reasonName(code, type)}${detail}${reason === undefined ? "" : ` (${reason})`}${reference === undefined ? "" : `; server reference: ${reference}`}`;
	if (reason !== undefined)
		Object.defineProperty(error, "reason", { value: reason, enumerable: true });
	if (reference !== undefined)
		Object.defineProperty(error, "serverReference", { value: reference, enumerable: true });
	return error;
}

export class Protocol5 implements VersionHooks {
	readonly #link: Link;
	readonly #negotiate: boolean;
	readonly #properties: Properties;
	// CONNECT's property block, encoded once (at the app's first connect()):
	// each attempt's CONNECT is made under the socket's callback, where a
	// string property (an Authentication Method) would be encoded three
	// frames deeper than a number.
	#block: Uint8Array | undefined;
	#keptBlock: Uint8Array | undefined;	// the same for connect(false): with a Session Expiry Interval
	readonly #writer: Writer5;
	#version: 4 | 5 = 5;		// of the attempt in progress, or of the connection that is up
	#sent = false;			// this attempt's CONNECT of version 5 went out
	#clientId: string | undefined;	// the server's Assigned Client Identifier, used from then on (3.2.2.3.7)
	keepalive: number | undefined;
	// The server's Receive Maximum (4.9): the ids of the QoS 1 and 2 PUBLISH
	// it has and has not completely acknowledged, and the tracked packets
	// that wait for one of them to complete, in order.
	#receiveMaximum = 65535;
	#inFlight: Set<number> | undefined;
	#held: [Frame, Sendable][] | undefined;
	/** Enhanced authentication: made when CONNECT carries an Authentication Method. */
	readonly auth: Authentication | undefined;

	/** Checks the options by writing a CONNECT with them: a bad property throws here, before anything is sent. */
	constructor(link: Link, options: Options5) {
		this.#link = link;
		const properties = options.properties ?? {};
		if (typeof properties !== "object" || Array.isArray(properties))
			throw new TypeError(`properties must be an object, not ${describe(properties)}`);
		this.#negotiate = options.protocolVersion === "negotiate";
		this.#properties = { ...properties, maximumPacketSize: link.settings.maxPacketSize };
		const aliases = options.topicAliases ?? 0;
		if (!Number.isInteger(aliases) || aliases < 0 || aliases > 0xFFFF)
			throw new RangeError(`topicAliases must be an integer 0..65535, not ${describe(aliases)}`);
		const answer = options.onAuthenticate ?? undefined, method = properties.authenticationMethod;
		if (answer !== undefined && typeof answer !== "function")
			throw new TypeError(`onAuthenticate must be a function, not ${describe(answer)}`);
		const writer = this.#writer = new Writer5(link, aliases, this);
		// The properties are checked (UTF-8, no Authentication Data without a
		// method) as they are encoded, once, here: two frames less deep than
		// through the writer's connect (an ESP8266 has 256 slots of stack).
		this.#block = encodeProperties(this.#properties, CONNECT);
		// connect(false) keeps the seed's meaning: a session that outlives the
		// connection, as 3.1.1's clean session 0. Under 5 an absent Session
		// Expiry Interval is 0, the session ending with the connection
		// (3.1.2.11.2): without the app's own, it never expires (0xFFFFFFFF).
		this.#keptBlock = this.#properties.sessionExpiryInterval === undefined
			? encodeProperties({ ...this.#properties, sessionExpiryInterval: NEVER_EXPIRES }, CONNECT)
			: this.#block;
		this.connectFrame(link.connectPacket);
		if (method !== undefined)
			this.auth = new Authentication(typeof method === "string" ? method : String.fromArrayBuffer(stringField(method, "authenticationMethod").slice(2).buffer), answer, writer);
		else if (answer)
			throw new TypeError("onAuthenticate needs properties.authenticationMethod: without one in CONNECT, no AUTH is exchanged (MQTT-4.12.0-7)");
	}

	/** The app's connect(): version 5 first, again; a Server Reference followed before no longer stands in for the app's servers. */
	begin(): void {
		this.#version = 5;
		const link = this.#link, failover = link.failover;
		if (link.state === IDLE && failover instanceof Referral)
			failover.restore();
	}

	get version(): 4 | 5 { return this.#version; }

	get connack(): typeof connackAccepts { return this.#version === 5 ? connack5 : connackAccepts; }

	get handlers(): typeof HANDLERS { return this.#version === 5 ? HANDLERS5 : HANDLERS; }

	/** A new connection: the writer and parser of its version, and nothing of the last CONNACK. */
	parser(maxPacketSize: number): PacketParser {
		this.keepalive = undefined;
		this.#sent = false;
		this.#receiveMaximum = 65535;
		this.#inFlight = this.#held = undefined;	// the session sends its operations again at CONNACK
		const writer = this.#writer;
		writer.reset();
		if (this.#version === 4) {
			this.#link.writer = writer.legacy;
			return new PacketParser(maxPacketSize);
		}
		// Cast: the link's writer and parser are typed as 3.1.1's classes; these
		// answer the same calls (their #private fields make the types nominal).
		this.#link.writer = writer as unknown as PacketWriter;
		return new Parser5(maxPacketSize, this.#properties.topicAliasMaximum ?? 0) as unknown as PacketParser;
	}

	connect(packet: ArrayBuffer): Uint8Array | undefined {
		if (this.#version === 4)
			return undefined;
		this.#sent = true;
		return this.connectFrame(packet).head;
	}

	/** CONNECT of version 5 with what the client's 3.1.1 CONNECT carries (its layout: 3.1.2, 3.1.3), and the properties. */
	private connectFrame(buffer: ArrayBuffer): Frame {
		const packet = new Uint8Array(buffer), at = flagsAt(packet), flags = packet[at];
		const fields = connectFields(packet, at), will = (flags & 0x04) !== 0, credentials = will ? 3 : 1, cleanStart = (flags & CLEAN_SESSION) !== 0;
		return this.#writer.connect({
			clientId: this.#clientId ?? fields[0],
			cleanStart,
			keepalive: (packet[at + 1] << 8) | packet[at + 2],
			will: will ? { topic: fields[1], message: fields[2], qos: (flags >> 3) & 3, retain: (flags & 0x20) !== 0 } : undefined,
			user: flags & 0x80 ? fields[credentials] : undefined,
			password: flags & 0x40 ? fields[credentials + (flags & 0x80 ? 1 : 0)] : undefined,
			properties: this.#properties,
			block: cleanStart ? this.#block : this.#keptBlock
		});
	}

	/** Negotiation: a server that closes the connection after CONNECT of version 5, before CONNACK, is tried again under 3.1.1. */
	closedEarly(link: Link): boolean {
		if (!this.fallsBack())
			return false;
		retryNow(link);
		return true;
	}

	/** Under "negotiate", an attempt of version 5 refused: the next is of 3.1.1. */
	fallsBack(): boolean {
		if (!this.#negotiate || this.#version !== 5 || !this.#sent)
			return false;
		this.#version = 4;
		return true;
	}

	/**
	 * A QoS 1 or 2 PUBLISH (or the PUBREL resent for one) beyond the
	 * server's Receive Maximum waits until one in flight completes
	 * [MQTT-3.3.4-7] [MQTT-4.9.0-2]; other packets go on [MQTT-3.3.4-8]
	 * [MQTT-4.9.0-3]. Under 3.1.1 nothing is held.
	 */
	holds(frame: Frame, op: Sendable): boolean {
		const id = this.#version === 5 ? publicationId(frame.head) : undefined;
		if (id === undefined)
			return false;
		const inFlight = this.#inFlight ??= new Set();
		if (inFlight.has(id))
			return false;
		if (inFlight.size < this.#receiveMaximum && !this.#held?.length) {
			inFlight.add(id);
			return false;
		}
		(this.#held ??= []).push([frame, op]);
		return true;
	}

	/** A QoS 1 or 2 PUBLISH made now would be held back by the server's Receive Maximum (holds). */
	get holdsNext(): boolean {
		return (this.#inFlight?.size ?? 0) >= this.#receiveMaximum || (this.#held?.length ?? 0) > 0;
	}

	/** publish() with properties: the PUBLISH it writes next carries them (3.3.2.3). */
	publishing(properties: object | undefined): void {
		if (this.#version === 5)
			this.#writer.pending = properties as Properties | undefined;
	}

	/** PUBACK, PUBCOMP, or a PUBREC of 0x80 or more: the message `id` no longer counts; the next held goes. */
	completed(link: Link, id: number): void {
		this.#writer.release(id);
		if (!this.#inFlight?.delete(id))
			return;
		const next = this.#held?.shift();
		if (next) {
			this.#inFlight.add(publicationId(next[0].head)!);
			link.sendOp(next[0], next[1]);
		}
	}

	/** CONNACK of version 5 accepting the connection: its properties bind it. */
	accepted(properties: ReceivedProperties): void {
		this.#receiveMaximum = properties.receiveMaximum ?? 65535;
		this.#writer.apply(properties);
		this.keepalive = properties.serverKeepAlive;
		if (properties.assignedClientIdentifier !== undefined)
			this.#clientId = properties.assignedClientIdentifier;
		const failover = this.#link.failover;
		if (failover instanceof Referral)
			failover.accept();
	}

	/** The connection that was up ends: a re-authentication in progress fails. */
	ended(): void {
		if (this.auth?.pending)
			this.auth.settle(new Error("the connection ended before the re-authentication completed"));
	}

	/** The app's reauthenticate(): AUTH 0x19 with the CONNECT's method and `data` (4.12.1). */
	reauthenticate(data: Data | undefined): Promise<void> {
		const auth = this.auth;
		if (!auth)
			throw new TypeError("reauthenticate needs properties.authenticationMethod: without one in CONNECT, no AUTH is exchanged (MQTT-4.12.0-7)");
		if (this.#version === 4 && this.#link.state === CONNECTED)
			return Promise.reject(new Error("this connection is of MQTT 3.1.1 (\"negotiate\" fell back): no re-authentication"));
		return auth.begin(this.#link, data);
	}
}

const CONTINUE = 0x18, REAUTHENTICATE = 0x19;

/**
 * Enhanced authentication (4.12) of a client whose CONNECT carries an
 * Authentication Method: every AUTH and the successful CONNACK must carry
 * the same method [MQTT-4.12.0-5]; the server's AUTH before CONNACK is
 * 0x18 [MQTT-4.12.0-2], answered by AUTH 0x18 [MQTT-4.12.0-3] with what the
 * app's onAuthenticate returns; CONNACK's data goes to it with reason 0
 * before the connection counts as up (a SCRAM client checks the server's
 * signature there). Re-authentication (4.12.1): AUTH 0x19 with the method
 * [MQTT-4.12.1-1], the server's 0x18 answered the same way, its AUTH 0
 * (Success) ends it. The app is called in a turn of its own, never inside
 * the socket's callback; its throw, or a broken exchange, closes the
 * connection [MQTT-4.12.1-2] (no DISCONNECT: MAY, 4.13.1).
 */
class Authentication {
	readonly method: string;
	readonly #answer: Authenticate | undefined;
	readonly #writer: Writer5;
	#pending: Settle | undefined;	// reauthenticate()'s Promise
	#deadline: Timer | undefined;	// its end within ackTimeout

	get pending(): boolean { return this.#pending !== undefined; }

	constructor(method: string, answer: Authenticate | undefined, writer: Writer5) {
		this.method = method;
		this.#answer = answer;
		this.#writer = writer;
	}

	/**
	 * The server's AUTH (its reason 0 or 0x18, and its method when it has
	 * properties, checked by the parser). False before CONNACK: reading
	 * waits for the app's answer (and CONNACK is still to come).
	 */
	received(link: Link, auth: Parser5): boolean {
		const connecting = link.state !== CONNECTED, code = auth.reasonCode, properties = auth.properties;
		if (properties.authenticationMethod !== undefined || code !== 0)	// AUTH 0 may be the two-byte form, without properties (3.15.2.1)
			this.check(properties.authenticationMethod, "AUTH");
		if (connecting && code !== CONTINUE)
			throw new ProtocolError(`AUTH ${reasonName(code, AUTH)} before CONNACK: the server goes on with 0x18 (Continue authentication) or ends with CONNACK (MQTT-4.12.0-2)`);
		if (!connecting && !this.#pending)
			throw new ProtocolError("AUTH while no re-authentication is in progress: only the client begins one (4.12.1)");
		if (!connecting)
			link.answer(AUTH << 4);
		this.ask(link, code, properties.authenticationData, code ? answer => this.send(link, connecting, answer) : () => this.settle(undefined));
		return !connecting;
	}

	/** The successful CONNACK's method [MQTT-4.12.0-5]; the app gets its data (reason 0), then `accept` brings the link up. */
	connected(link: Link, connack: Parser5, accept: () => void): false {
		this.check(connack.properties.authenticationMethod, "CONNACK");
		this.ask(link, 0, connack.properties.authenticationData, accept);
		return false;
	}

	/**
	 * reauthenticate(): AUTH 0x19; resolves on the server's AUTH 0. The
	 * packet is made in a turn of its own: the property encoder nests
	 * deep, and the app's call may already be (an ESP8266 has 256 slots of
	 * stack); so `data` of the wrong kind throws here, one too large for the
	 * server's Maximum Packet Size rejects. Not ended within ackTimeout, it
	 * rejects and the connection closes: only a new CONNECT can leave an
	 * exchange the server left half done (4.12.1 lets only it end one).
	 */
	begin(link: Link, data: Data | undefined): Promise<void> {
		if (data !== undefined && !isData(data))
			throw new TypeError(`reauthenticate's data must be a string or binary data, not ${describe(data)}`);
		if (link.state !== CONNECTED)
			return Promise.reject(link.notConnected());
		if (this.#pending)
			return Promise.reject(new Error("a re-authentication is in progress: wait for it"));
		const done = new Promise<void>((resolve, reject) => { this.#pending = { resolve, reject }; });
		const pending = this.#pending, connection = link.connection, limit = link.settings.ackTimeout;
		if (limit)
			this.#deadline = Timer.set(() => {
				this.#deadline = undefined;
				const error = new Error(`the server did not end the re-authentication within ackTimeout (${limit} ms): connection closed`);
				this.settle(error);
				if (link.connection === connection)
					link.failed(error);
			}, limit);
		Promise.resolve().then(() => {
			if (this.#pending === pending && link.connection === connection)
				link.send(this.#writer.auth(REAUTHENTICATE, { authenticationMethod: this.method, authenticationData: data }));
		}).catch(error => this.settle(error));
		return done;
	}

	/** reauthenticate()'s Promise resolves (no `error`) or rejects. */
	settle(error: Error | undefined): void {
		const pending = this.#pending;
		this.#pending = undefined;
		if (this.#deadline !== undefined)
			Timer.clear(this.#deadline);
		this.#deadline = undefined;
		if (error)
			pending?.reject(error);
		else
			pending?.resolve();
	}

	private check(method: string | undefined, what: string): void {
		if (method !== this.method)
			throw new ProtocolError(`${what} with Authentication Method ${method === undefined ? "absent" : `"${method}"`}, not the CONNECT's "${this.method}" (MQTT-4.12.0-5)`);
	}

	/** AUTH 0x18 with the app's answer: before CONNACK straight to the socket (the link sends nothing else then [MQTT-3.1.2-33]), then reading goes on. */
	private send(link: Link, connecting: boolean, data: Data | undefined): void {
		const frame = this.#writer.auth(CONTINUE, { authenticationMethod: this.method, authenticationData: data ?? undefined });
		const connection = link.connection!;
		if (!connecting)
			return link.send(frame);
		connection.send(frame);
		connection.resume();
	}

	/**
	 * The app's onAuthenticate with the server's `data` and `code`, in a
	 * turn of its own (the socket callback's stack stays shallow); then
	 * `then` with its answer, while the connection is still the link's. Its
	 * exception, or one of `then`, fails the exchange: connect() rejects
	 * with it (or the link is lost, and reauthenticate() rejects).
	 */
	private ask(link: Link, code: number, data: ArrayBuffer | undefined, then: (answer: Data | undefined) => void): void {
		const connection = link.connection, answer = this.#answer, method = this.method;
		const current = () => link.connection === connection && link.state !== DISCONNECTING;
		Promise.resolve().then(() => {
			if (answer)
				return answer(method, data, code);
			if (code)
				throw new Error(`the server asks to continue the authentication (AUTH 0x18, method "${method}") and no onAuthenticate answers it`);
		}).then(result => {
			if (current())
				then(result as Data | undefined);
		}).catch(error => {
			if (!current())
				return;
			this.settle(error);
			if (link.state === CONNECTED)
				link.failed(error);
			else
				link.refused(0, error, true);	// the app's refusal: no other server or attempt
		});
	}
}

/**
 * CONNACK of version 5. A 3.1.1 server's refusal (its short CONNACK) or
 * Unsupported Protocol Version: under "negotiate" the link tries 3.1.1 at
 * once; else the refusal rejects connect() with the code and the reason.
 */
function connack5(receiver: Receiver, packet: Packet): boolean {
	const connack = packet as unknown as Parser5, link = receiver as Link, protocol = link.v5 as Protocol5;
	if (packet.type === AUTH)
		return auth5(receiver, packet) && false;
	if (packet.type !== CONNACK)
		throw new ProtocolError(`expected CONNACK, received ${PACKET_NAMES[packet.type]}`);
	const code = connack.reasonCode;
	if ((connack.legacy || code === UNSUPPORTED_VERSION) && protocol.fallsBack()) {
		retryNow(link);
		return false;
	}
	if (connack.legacy) {	// a 3.1.1 server's return code, with its 3.1.1 meaning
		link.refused(code, new MQTTException(code, ": the server speaks MQTT 3.1.1 (use protocolVersion 4 or \"negotiate\")"), true);
		return false;
	}
	if (code === 0) {
		const auth = protocol.auth, properties = connack.properties;
		if (auth) {	// up once the app took the server's last data: then reading goes on
			const present = connack.sessionPresent;
			return auth.connected(link, connack, () => {
				protocol.accepted(properties);
				if ((link as unknown as LinkInternals).established(present))
					link.connection!.resume();
			});
		}
		if (properties.authenticationMethod !== undefined)
			throw new ProtocolError("CONNACK with an Authentication Method, and the client's CONNECT carried none (MQTT-4.12.0-6)");
		protocol.accepted(properties);
		return true;
	}
	const error = reasonException(code, connack.properties, CONNACK), from = referring(link);
	link.refused(code, error, !PASSING.includes(code));
	follow(link, error, from);
	return false;
}

/**
 * PUBACK, PUBREC, PUBCOMP, SUBACK, UNSUBACK of version 5: a failure reason
 * code ends the operation, whose Promise rejects with it (a PUBREC failure
 * ends the QoS 2 exchange: no PUBREL follows, 4.3.3). A SUBACK for several
 * filters resolves the codes, as 3.1.1's return codes (0x80 and above where
 * refused); one for a single filter rejects, as 3.1.1's 0x80 does.
 */
function acknowledgement5(receiver: Receiver, packet: Packet): boolean {
	const ack = packet as unknown as Parser5, type = ack.type, id = ack.id;
	const codes = type === SUBACK || type === UNSUBACK ? ack.reasonCodes : undefined;
	const code = codes === undefined ? ack.reasonCode : type === UNSUBACK || codes.length === 1 ? codes.find(isFailure) : undefined;
	const failed = code !== undefined && isFailure(code);
	if (!failed)
		HANDLERS[type](receiver, packet);
	else {
		// The operation ends, rejecting (a resubscription has nobody to tell).
		receiver.session?.take(id)?.reject?.(reasonException(code, ack.properties, type, ` (${PACKET_NAMES[type]})`));
		receiver.answer((type << 4) | ack.flags);
	}
	if (type === PUBACK || type === PUBCOMP || (type === PUBREC && failed))
		((receiver as Link).v5 as Protocol5).completed(receiver as Link, id);
	return true;
}

/** What this module calls of the link beyond its public members (TypeScript's `private`: the 3.1.1 link carries no method for MQTT 5's sake). */
interface LinkInternals {
	scheduleReconnect(walking: boolean): void;
	useServer(index: number): void;
	sendsNow(): unknown;
	established(sessionPresent: boolean): boolean;
}

// ---- Server Reference (4.11) ----

/** Where a refusal or a server's DISCONNECT came from: the servers of the walk (the app's list, or its one server); that server's port and TLS options. */
interface Referring {
	readonly home: ServerList;
	readonly kept: Failover | undefined;
	readonly port: number;
	readonly ssl: ServerList[number];
	/** It is an attempt at a referenced server: its own reference is not followed (once). */
	readonly referred: boolean;
}

/** Read before the link handles the refusal or the loss (which moves it on to its next server). */
function referring(link: Link): Referring {
	const failover = link.failover, port = link.port;
	if (failover instanceof Referral)
		return { home: failover.home, kept: failover.kept, port, ssl: failover.list[failover.index * STRIDE + 2], referred: failover.attempting };
	if (failover)
		return { home: failover.list, kept: failover, port, ssl: failover.list[failover.index * STRIDE + 2], referred: false };
	const ssl = (link.settings.mqtt5 as { ssl?: Record<string, unknown> | null }).ssl ?? undefined;
	return { home: Object.freeze([link.server, port, ssl]), kept: undefined, port, ssl, referred: false };
}

/**
 * The server, and port if any, of a Server Reference: its first entry
 * ("host" or "host:port", entries space-separated, 4.11); undefined when it
 * names none this client can reach (an IPv6 literal, a bad port).
 */
function parseReference(reference: string): [string, number | undefined] | undefined {
	const first = reference.split(" ").find(entry => entry.length > 0);
	if (first === undefined || first.includes("["))
		return undefined;
	const colon = first.indexOf(":");
	if (colon < 0)
		return [first, undefined];
	const host = first.slice(0, colon), digits = first.slice(colon + 1), port = Number(digits);
	if (!host || String(port) !== digits || !Number.isInteger(port) || port < 1 || port > 65535)	// decimal digits alone, no RegExp (a device build may leave it out)
		return undefined;
	return [host, port];
}

/**
 * CONNACK 0x9C/0x9D or the server's DISCONNECT with a Server Reference: when
 * the link makes another attempt (a reconnection, or the walk of its list),
 * that attempt goes to the referenced server, once, with the referring
 * server's TLS options (and its port, when the reference gives none); then
 * the walk goes on from the server the link had chosen. Without a next
 * attempt, the reference stays the error's `serverReference` alone.
 */
function follow(link: Link, error: MQTTException, from: Referring): void {
	const reference = (error as { serverReference?: string }).serverReference;
	if (reference === undefined || from.referred || (link.state !== CONNECTING && link.state !== RECONNECTING))
		return;
	const target = parseReference(reference);
	if (target === undefined)
		return;
	const chosen = link.failover;
	const referral = new Referral(link, Object.freeze([target[0], target[1] ?? from.port, from.ssl]), from.home, from.kept, chosen?.index ?? 0);
	referral.failures = chosen?.failures;
	link.failover = referral as unknown as Failover;
	(link as unknown as LinkInternals).useServer(0);
}

/**
 * The link's failover list while a Server Reference is followed (the
 * members of endpoints' Failover): first the referenced server, alone
 * (`pending`); after its attempt, the walk's servers (`home`) from where the
 * link was going (`resume`). The next walk from the first server puts the
 * app's list back (begin); a client of one server keeps this one, of its
 * server alone, until the app's next connect() (restore).
 */
class Referral {
	list: ServerList;
	index = 0;
	failures: string | undefined;
	readonly home: ServerList;
	readonly kept: Failover | undefined;
	readonly #link: Link;
	readonly #resume: number;
	#tried: number;
	#accepted = false;	// the referenced server accepted the connection

	constructor(link: Link, referred: ServerList, home: ServerList, kept: Failover | undefined, resume: number) {
		this.#link = link;
		this.list = referred;
		this.home = home;
		this.kept = kept;
		this.#resume = resume;
		this.#tried = resume;	// during connect(): the servers before it were tried
	}

	get pending(): boolean { return this.list !== this.home; }

	/** The attempt at the referenced server is in progress: a refusal there is not followed further. */
	get attempting(): boolean { return this.pending && !this.#accepted; }

	/** CONNACK 0 from the referenced server: a later reference of its own is a new one. */
	accept(): void {
		this.#accepted = this.pending;
	}

	/** A walk from the first server: the app's list again (the link reads it next), or the one server. */
	begin(): void {
		const kept = this.kept;
		if (kept) {
			this.#link.failover = kept;
			kept.begin();
			return;
		}
		this.list = this.home;
		this.index = 0;
		this.failures = undefined;
		this.#accepted = false;
	}

	/** As Failover's: for connect()'s rejection. */
	record(where: string, message: string): void {
		const said = message.includes(where) ? message : `${where}: ${message}`;
		this.failures = this.failures === undefined ? said : `${this.failures}; ${said}`;
		this.#tried++;
	}

	/** After a failed attempt: the referenced server's, the walk goes on at once where the link was going; else as Failover's. */
	next(): boolean {
		if (this.pending) {
			this.#accepted = false;
			this.list = this.home;
			this.index = this.#resume;
			return true;
		}
		if (++this.index < this.list.length / STRIDE)
			return true;
		this.index = 0;
		return false;
	}

	error(): Error {
		return new Error(`no server accepted the connection (${this.#tried} tried, in order): ${this.failures}`);
	}

	/** The app's connect(): its own servers again. */
	restore(): void {
		const link = this.#link;
		link.failover = this.kept;
		if (!this.kept) {
			link.server = this.home[0] as string;
			link.port = this.home[1] as number;
		}
	}
}

/** The same server again at once, in a turn of its own (a walk's next attempt): negotiation falls back to 3.1.1. */
function retryNow(link: Link): void {
	link.connection?.close();
	link.connection = undefined;
	(link as unknown as LinkInternals).scheduleReconnect(true);
}

/** The packet id of a QoS 1 or 2 PUBLISH or of a PUBREL, from the head of its frame; else undefined. */
function publicationId(head: Uint8Array): number | undefined {
	const type = head[0] >> 4;
	let at = 1;
	while (head[at++] & 0x80);	// the remaining length
	if (type === PUBLISH && (head[0] & 0x06))
		at += 2 + ((head[at] << 8) | head[at + 1]);	// after the topic
	else if (type !== PUBREL)
		return undefined;
	return (head[at] << 8) | head[at + 1];
}

/** The server's DISCONNECT: the connection ends, onDisconnect gets its reason code and string. */
function disconnect5(receiver: Receiver, packet: Packet): boolean {
	const disconnect = packet as unknown as Parser5, link = receiver as Link;
	const error = reasonException(disconnect.reasonCode, disconnect.properties, DISCONNECT, ", in the server's DISCONNECT"), from = referring(link);
	(link.v5 as Protocol5).auth?.settle(error);	// a re-authentication refused [MQTT-4.12.1-2]
	link.failed(error);
	follow(link, error, from);
	return false;
}

/** The server's AUTH, before CONNACK (connack5) or after: to the enhanced authentication, if the client asked for one. */
function auth5(receiver: Receiver, packet: Packet): boolean {
	const auth = ((receiver as Link).v5 as Protocol5).auth;
	if (!auth)
		throw new ProtocolError("AUTH from the server, and the client's CONNECT carried no Authentication Method (MQTT-4.12.0-6)");
	return auth.received(receiver as Link, packet as unknown as Parser5);
}

const HANDLERS5: typeof HANDLERS = Object.freeze(HANDLERS.map((handler, type) =>
	type === DISCONNECT ? disconnect5 : type === AUTH ? auth5 :
	type === PUBACK || type === PUBREC || type === PUBCOMP || type === SUBACK || type === UNSUBACK ? acknowledgement5 : handler));
