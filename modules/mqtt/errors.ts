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
	/** MQTT 5: the server's reason string, when it gave one (set by mqtt/v5/protocol). */
	declare readonly reason?: string;
	/** MQTT 5: the server's Server Reference, with 0x9C (use another server) or 0x9D (server moved). */
	declare readonly serverReference?: string;

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

// Named by literal strings: in an app the SDK builds, functions and classes
// carry no name (measured in mcsim: MQTTException.name is undefined).
for (const [Class, name] of [[MQTTException, "MQTTException"], [ProtocolError, "ProtocolError"]] as const)
	Object.defineProperty(Class.prototype, "name", { value: name, writable: false, enumerable: false, configurable: true });

// The last exception thrown by the app's own code (the callback in push mode,
// onConnect, onDisconnect) on its way to the host: the library's guards at
// its socket and timer callbacks let that one pass, as any callback's
// exception would, and catch everything else. One for the app, not one per
// client: it is compared at once, in the same turn.
let appException: unknown;

/** Records an exception of the app's own code; returns it, to be thrown on. */
export function fromApp(error: unknown): unknown {
	return appException = error;
}

export function isFromApp(error: unknown): boolean {
	return error === appException && error !== undefined;
}
