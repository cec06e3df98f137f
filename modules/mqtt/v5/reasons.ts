// MQTT 5.0 reason codes (section 2.4), in one table: each code's name, for
// MQTTException messages, and the packets a server may send it in, so that
// the parser refuses a code a packet may not carry [MQTT-3.2.2-8]
// [MQTT-3.4.2-1] [MQTT-3.5.2-1] [MQTT-3.6.2-1] [MQTT-3.7.2-1] [MQTT-3.9.3-2]
// [MQTT-3.11.3-2] [MQTT-3.14.2-1] [MQTT-3.15.2-1], and the writer one a
// client may not send.

import { CONNACK, PUBACK, PUBREC, PUBREL, PUBCOMP, SUBACK, UNSUBACK, DISCONNECT } from "mqtt/constants";

export const AUTH = 15;

const bit = (type: number): number => 1 << type;
const CA = bit(CONNACK), PA = bit(PUBACK), PR = bit(PUBREC), PL = bit(PUBREL), PC = bit(PUBCOMP);
const SA = bit(SUBACK), UA = bit(UNSUBACK), DI = bit(DISCONNECT), AU = bit(AUTH);

/** [code, name, packets a server sends it in, packets a client sends it in] */
const TABLE: readonly (readonly [number, string, number, number])[] = [
	[0x00, "Success", CA | PA | PR | PL | PC | SA | UA | DI | AU, PA | PR | PL | PC | DI],
	[0x01, "Granted QoS 1", SA, 0],
	[0x02, "Granted QoS 2", SA, 0],
	[0x04, "Disconnect with Will Message", 0, DI],
	[0x10, "No matching subscribers", PA | PR, 0],
	[0x11, "No subscription existed", UA, 0],
	[0x18, "Continue authentication", AU, AU],
	[0x19, "Re-authenticate", 0, AU],
	[0x80, "Unspecified error", CA | PA | PR | SA | UA | DI, PA | PR | DI],
	[0x81, "Malformed Packet", CA | DI, DI],
	[0x82, "Protocol Error", CA | DI, DI],
	[0x83, "Implementation specific error", CA | PA | PR | SA | UA | DI, PA | PR | DI],
	[0x84, "Unsupported Protocol Version", CA, 0],
	[0x85, "Client Identifier not valid", CA, 0],
	[0x86, "Bad User Name or Password", CA, 0],
	[0x87, "Not authorized", CA | PA | PR | SA | UA | DI, PA | PR],
	[0x88, "Server unavailable", CA, 0],
	[0x89, "Server busy", CA | DI, 0],
	[0x8A, "Banned", CA, 0],
	[0x8B, "Server shutting down", DI, 0],
	[0x8C, "Bad authentication method", CA, 0],
	[0x8D, "Keep Alive timeout", DI, 0],
	[0x8E, "Session taken over", DI, 0],
	[0x8F, "Topic Filter invalid", SA | UA | DI, 0],
	[0x90, "Topic Name invalid", CA | PA | PR | DI, PA | PR | DI],
	[0x91, "Packet Identifier in use", PA | PR | SA | UA, PA | PR],
	[0x92, "Packet Identifier not found", PL | PC, PL | PC],
	[0x93, "Receive Maximum exceeded", DI, DI],
	[0x94, "Topic Alias invalid", DI, DI],
	[0x95, "Packet too large", CA | DI, DI],
	[0x96, "Message rate too high", DI, DI],
	[0x97, "Quota exceeded", CA | PA | PR | SA | DI, PA | PR | DI],
	[0x98, "Administrative action", DI, DI],
	[0x99, "Payload format invalid", CA | PA | PR | DI, PA | PR | DI],
	[0x9A, "Retain not supported", CA | DI, 0],
	[0x9B, "QoS not supported", CA | DI, 0],
	[0x9C, "Use another server", CA | DI, 0],
	[0x9D, "Server moved", CA | DI, 0],
	[0x9E, "Shared Subscriptions not supported", SA | DI, 0],
	[0x9F, "Connection rate exceeded", CA | DI, 0],
	[0xA0, "Maximum connect time", DI, 0],
	[0xA1, "Subscription Identifiers not supported", SA | DI, 0],
	[0xA2, "Wildcard Subscriptions not supported", SA | DI, 0],
];

// Indexed by code: read only after load.
const NAMES: readonly (string | undefined)[] = Object.freeze(indexed(1));
const RECEIVED: readonly number[] = Object.freeze(indexed(2).map(mask => mask ?? 0));
const SENT: readonly number[] = Object.freeze(indexed(3).map(mask => mask ?? 0));

function indexed<K extends 1 | 2 | 3>(column: K): (typeof TABLE[number][K] | undefined)[] {
	const result: (typeof TABLE[number][K] | undefined)[] = [];
	for (let code = 0; code < 256; code++)
		result.push(undefined);
	for (const row of TABLE)
		result[row[0]] = row[column];
	return result;
}

/** A reason code's name; 0x00 is named as the packet means it. */
export function reasonName(code: number, type = 0): string {
	if (code === 0)
		return type === SUBACK ? "Granted QoS 0" : type === DISCONNECT ? "Normal disconnection" : "Success";
	const name = Number.isInteger(code) && code > 0 && code < 256 ? NAMES[code] : undefined;
	return name ?? `unknown reason code ${code}`;
}

/** A server may send `code` in a packet of `type`. */
export function serverMaySend(code: number, type: number): boolean {
	return (RECEIVED[code] & bit(type)) !== 0;
}

/** A client may send `code` in a packet of `type`. */
export function clientMaySend(code: unknown, type: number): code is number {
	return Number.isInteger(code) && (code as number) >= 0 && (code as number) < 256 && (SENT[code as number] & bit(type)) !== 0;
}

/** A reason code of 0x80 or more is a failure (section 2.4). */
export function isFailure(code: number): boolean {
	return code >= 0x80;
}
