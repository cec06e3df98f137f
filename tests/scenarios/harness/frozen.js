// Built-ins are frozen before any module loads, as the SDK's linker leaves
// them; the global object is not. The "override mistake" follows: assigning
// `name` to an Error subclass's instance throws.
import { MQTTException, ProtocolError } from "mqtt/errors";

function attempt(action) {
	try {
		return `ok ${action()}`;
	}
	catch (error) {
		return `${error.name}: ${error.message}`;
	}
}

export default function frozen() {
	const builtIns = {
		Object, Function, Array, ArrayBuffer, DataView, Uint8Array, Map, Set, WeakMap, WeakSet, WeakRef,
		FinalizationRegistry, Promise, RegExp, String, Number, Boolean, BigInt, Symbol, Date, Proxy,
		Error, TypeError, RangeError, Compartment, ModuleSource, Math, JSON, Reflect, Atomics
	};
	const notFrozen = [];
	for (const [name, value] of Object.entries(builtIns)) {
		if (!Object.isFrozen(value) || (value.prototype && !Object.isFrozen(value.prototype)))
			notFrozen.push(name);
	}
	if (!Object.isFrozen(Array.prototype[Symbol.unscopables]))
		notFrozen.push("Array.prototype[Symbol.unscopables]");
	if (!Object.isFrozen(Object.getPrototypeOf(function* () {}).prototype))
		notFrozen.push("%GeneratorPrototype%");
	return {
		notFrozen,
		errorNameAssigned: attempt(() => {
			class E extends Error {
				constructor(message) {
					super(message);
					this.name = "E";
				}
			}
			return new E("x").name;
		}),
		globalWritable: attempt(() => {
			globalThis.addedByTheApp = 1;
			return globalThis.addedByTheApp;
		}),
		moddableGlobals: typeof ArrayBuffer.fromString + " " + typeof String.fromArrayBuffer,
		mqttException: attempt(() => {
			const error = new MQTTException(5);
			return `${error.name} ${error.code} ${error instanceof Error} ${error}`;
		}),
		protocolError: attempt(() => `${new ProtocolError("bad")}`)
	};
}
