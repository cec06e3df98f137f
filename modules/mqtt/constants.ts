// MQTT 3.1.1 wire constants, in one place for the writer, the parser and the client.

export const CONNECT = 1;
export const CONNACK = 2;
export const PUBLISH = 3;
export const PUBACK = 4;
export const PUBREC = 5;
export const PUBREL = 6;
export const PUBCOMP = 7;
export const SUBSCRIBE = 8;
export const SUBACK = 9;
export const UNSUBSCRIBE = 10;
export const UNSUBACK = 11;
export const PINGREQ = 12;
export const PINGRESP = 13;
export const DISCONNECT = 14;

export const PACKET_NAMES: readonly string[] = Object.freeze([
	"reserved type 0", "CONNECT", "CONNACK", "PUBLISH", "PUBACK", "PUBREC", "PUBREL", "PUBCOMP",
	"SUBSCRIBE", "SUBACK", "UNSUBSCRIBE", "UNSUBACK", "PINGREQ", "PINGRESP", "DISCONNECT", "reserved type 15"
]);

// The seed refuses a packet whose remaining length needs more than three
// length bytes; keeping its limit keeps the client's buffers small.
export const MAX_REMAINING_LENGTH = 2_097_151;
export const MAX_STRING_BYTES = 65_535;
export const MAX_PACKET_ID = 65_535;

// CONNACK return codes (MQTT 3.1.1 table 3.1) and the SUBACK failure code.
export const CONNACK_REASONS: readonly string[] = Object.freeze([
	"connection accepted",
	"unacceptable protocol version",
	"client identifier rejected",
	"server unavailable",
	"bad user name or password",
	"not authorized"
]);
export const SUBACK_FAILURE = 0x80;

export function returnCodeText(code: number): string {
	if (code === SUBACK_FAILURE)
		return "subscription refused";
	return Number.isInteger(code) && code >= 0 && code < CONNACK_REASONS.length ? CONNACK_REASONS[code] : `unknown return code ${code}`;
}
