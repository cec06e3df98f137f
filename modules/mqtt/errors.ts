// The library's two exception classes. Their `name` lives on the prototype,
// defined once at load: the SDK's linker freezes Error.prototype, and in
// strict code assigning `this.name` to an instance then throws "set name: not
// writable" (the override mistake), which would turn every refusal into a
// TypeError escaping a socket callback.
import { returnCodeText } from "mqtt/constants";

/** The seed's exception: a broker's refusal, with its return code. */
export class MQTTException extends Error {
	/** The broker's return code: a CONNACK code (1..5) or 0x80 for a refused subscription. */
	readonly code: number;

	/** `detail`: said after the code's meaning (what the refusal did to a message, say). */
	constructor(code: number, detail = "") {
		super(`MQTT error ${code}: ${returnCodeText(code)}${detail}`);
		this.code = code;
	}
}

/** A broker broke MQTT 3.1.1; the message names the fault. */
export class ProtocolError extends Error {
	constructor(message: string) {
		super(`protocol error: ${message}`);
	}
}

for (const Class of [MQTTException, ProtocolError])
	Object.defineProperty(Class.prototype, "name", { value: Class.name, writable: false, enumerable: false, configurable: true });
