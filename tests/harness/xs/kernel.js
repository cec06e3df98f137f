// The XS side of the simulator host, evaluated as a script in xsnap-worker
// before anything else. It provides what a Moddable app finds around it
// (trace, ArrayBuffer.fromString, String.fromArrayBuffer) and the link to the
// Node side:
//  - Node -> XS: each event (a timer fired, socket data, ...) arrives as one
//    command, so each is one turn of the event loop, as on a device; promise
//    jobs run after it.
//  - XS -> Node: requests (socket writes, timer changes, reports) collect in an
//    outbox that the reply to that command carries, read after the turn's
//    promise jobs have run. Loading a module source is the only synchronous
//    call (issueCommand).
//  - As on a device: an exception escaping a callback stops the machine;
//    built-ins are frozen before any module loads (the SDK's linker does it);
//    what a preloaded module builds while it loads is frozen as the linker
//    leaves it (see preload below).
// Binary layouts are documented in ../protocol.md.

(function installKernel() {
	// Options from the Node side (XSHost.start), set just before this script.
	const options = globalThis.__xsHostOptions ?? {};
	delete globalThis.__xsHostOptions;
	const encoder = new TextEncoder();
	const decoder = new TextDecoder();
	const globalPrint = globalThis.print;

	// XS -> Node records: [u8 op][u32 id][u32 arg][u32 length][bytes]
	const outbox = [];
	let outboxBytes = 0;
	let powerLost = false;	// the power went in a storage request: nothing asked after it counts
	function send(op, id, arg, bytes) {
		if (powerLost)
			return;
		outbox.push(op, id, arg, bytes);
		outboxBytes += 13 + (bytes ? bytes.byteLength : 0);
	}
	function flush() {
		const result = new ArrayBuffer(outboxBytes);
		const view = new DataView(result);
		const u8 = new Uint8Array(result);
		let position = 0;
		for (let i = 0; i < outbox.length; i += 4) {
			const bytes = outbox[i + 3];
			view.setUint8(position, outbox[i]);
			view.setUint32(position + 1, outbox[i + 1]);
			view.setUint32(position + 5, outbox[i + 2]);
			view.setUint32(position + 9, bytes ? bytes.byteLength : 0);
			position += 13;
			if (bytes) {
				u8.set(bytes, position);
				position += bytes.byteLength;
			}
		}
		outbox.length = 0;
		outboxBytes = 0;
		return result;
	}

	const OP = { CONNECT: 1, WRITE: 2, CLOSE: 3, ROOM: 4, TIMER_SET: 5, TIMER_CLEAR: 6, RESOLVE: 7, TRACE: 8, REPORT: 9, DONE: 10, FAIL: 11, PEER_FAILS: 12 };
	const EVENT = { TIMER: 1, CONNECTED: 2, WRITABLE: 3, DATA: 4, ERROR: 5, RESOLVED: 6, START: 7, MESSAGE: 8, PEER_ENDED: 9 };

	const json = value => encoder.encode(JSON.stringify(value));
	const describeError = error => ({
		message: error && typeof error === "object" && "message" in error ? `${error.name ?? "Error"}: ${error.message}` : String(error),
		stack: error && typeof error === "object" && error.stack ? String(error.stack) : ""
	});

	// Event handlers by kind, then by id.
	const handlers = new Map();
	for (const kind of Object.values(EVENT))
		handlers.set(kind, new Map());
	let nextId = 1;

	// Every callback the host makes into app code goes through here: an
	// exception escaping a callback fails the scenario, with its stack, and
	// stops the machine, as a device aborts ("XS abort: unhandled exception"):
	// no event is delivered after it.
	let aborted = false;
	function guarded(callback, self, ...args) {
		try {
			return callback.apply(self, args);
		}
		catch (error) {
			aborted = true;
			send(OP.FAIL, 0, 0, json({ ...describeError(error), where: "uncaught exception in a callback" }));
		}
	}

	const host = Object.freeze({
		OP, EVENT, send, json, guarded, describeError,
		newId: () => nextId++,
		on(kind, id, handler) { handlers.get(kind).set(id, handler); },
		off(kind, id) { handlers.get(kind).delete(id); },
		count(kind) { return handlers.get(kind).size; },
		encode: text => encoder.encode(text),
		decode: bytes => decoder.decode(bytes),
		gc: () => globalThis.gc(),
		resource(name) {
			const answer = new Uint8Array(issueCommand(encoder.encode(JSON.stringify({ resource: name })).buffer));
			if (answer[0] === 0x21)
				throw new Error(decoder.decode(answer.subarray(1)));
			return answer.slice(1).buffer;
		},
		now: () => performance.now(),
		/**
		 * A storage request (xs/flash.js, xs/files.js), synchronous as a flash
		 * write is on a device: the answer's bytes. When the power goes in it,
		 * the machine stops there: this throws, and no event comes after.
		 */
		storage(op, a, b, bytes) {
			const length = bytes ? bytes.byteLength : 0;
			const request = new Uint8Array(10 + length);
			request[0] = 1;
			request[1] = op;
			const view = new DataView(request.buffer);
			view.setUint32(2, a >>> 0);
			view.setUint32(6, b >>> 0);
			if (bytes)
				request.set(bytes, 10);
			const answer = new Uint8Array(issueCommand(request.buffer));
			if (answer[0] === 0x50) {	// 'P'
				aborted = powerLost = true;
				throw new Error("power lost");
			}
			if (answer[0] === 0x21)
				throw new Error(decoder.decode(answer.subarray(1)));
			return answer.subarray(1);
		},
		options,
		roomReporters: new Set()		// sockets whose read room Node must learn after this turn
	});

	const reply = { get result() {
		for (const reporter of host.roomReporters)
			reporter();
		host.roomReporters.clear();
		return flush();
	} };

	globalThis.handleCommand = function handleCommand(buffer) {
		const view = new DataView(buffer);
		const kind = view.getUint8(0), id = view.getUint32(1), arg = view.getUint32(5);
		const payload = new Uint8Array(buffer, 9);
		const handler = aborted ? undefined : handlers.get(kind)?.get(id);
		if (handler)
			guarded(handler, undefined, arg, payload);
		return reply;
	};

	// The Moddable globals.
	globalThis.trace = function trace(...values) {
		send(OP.TRACE, 0, 0, encoder.encode(values.map(String).join("")));
	};
	ArrayBuffer.fromString = text => encoder.encode(text).buffer;
	String.fromArrayBuffer = buffer => decoder.decode(buffer);

	// Modules: sources come from Node on demand; specifiers are Moddable's.
	function load(specifier) {
		const answer = decoder.decode(issueCommand(encoder.encode(JSON.stringify({ load: specifier })).buffer));
		if (answer.startsWith("!"))
			throw new Error(answer.slice(1));
		return answer;
	}
	function resolveHook(specifier, referrer) {
		if (!specifier.startsWith("./") && !specifier.startsWith("../"))
			return specifier;
		const parts = referrer.split("/");
		parts.pop();
		for (const part of specifier.split("/")) {
			if (part === "..")
				parts.pop();
			else if (part !== ".")
				parts.push(part);
		}
		return parts.join("/");
	}
	const compartment = new Compartment({
		globals: { trace, print: globalPrint, __xsHost: host, __xsPreload: preload() },
		resolveHook,
		loadHook: async specifier => ({ source: new ModuleSource(load(specifier)) })
	});

	handlers.get(EVENT.START).set(0, (_, payload) => {
		const { specifier, params } = JSON.parse(decoder.decode(payload));
		compartment.import(specifier)
			.then(namespace => typeof namespace.default === "function" ? namespace.default(params) : undefined)
			.then(
				result => send(OP.DONE, 0, 0, json(result === undefined ? null : result)),
				error => send(OP.FAIL, 0, 0, json(describeError(error))));
	});

	freezeBuiltIns();
	// A compartment has its own Function, eval and Compartment: the app's.
	for (const name of ["Function", "eval", "Compartment"])
		harden(compartment.globalThis[name]);

	// ---- as the SDK's linker leaves a machine ----

	// xs/tools/xsl.c, fxFreezeBuiltIns, then fxPrepareHeap: every built-in
	// prototype and constructor, every built-in function, Math, JSON,
	// Reflect, Atomics and Array.prototype[Symbol.unscopables] are frozen;
	// the global object is not. harden() freezes each and what it reaches
	// (prototypes, methods, accessors), which is that set.
	function freezeBuiltIns() {
		const intrinsics = [
			Object, Function, Array, ArrayBuffer, SharedArrayBuffer, DataView,
			Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array,
			Float32Array, Float64Array, BigInt64Array, BigUint64Array,
			Map, Set, WeakMap, WeakSet, WeakRef, FinalizationRegistry, Promise, RegExp,
			String, Number, Boolean, BigInt, Symbol, Date, Proxy,
			Error, AggregateError, EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError,
			Compartment, ModuleSource, Math, JSON, Reflect, Atomics,
			Array.prototype[Symbol.unscopables],
			// iterator, generator and async prototypes, reachable only from instances
			Object.getPrototypeOf([][Symbol.iterator]()),
			Object.getPrototypeOf(new Map()[Symbol.iterator]()),
			Object.getPrototypeOf(new Set()[Symbol.iterator]()),
			Object.getPrototypeOf(""[Symbol.iterator]()),
			Object.getPrototypeOf(/./[Symbol.matchAll]("")),
			Object.getPrototypeOf(function* () {}),
			Object.getPrototypeOf(async function () {}),
			Object.getPrototypeOf(async function* () {}),
			// the Moddable globals are functions of the machine, frozen with it
			trace
		];
		for (const intrinsic of intrinsics)
			harden(intrinsic);
	}

	// Preload. A module listed in the manifest's "preload" runs at build
	// time and what it made is linked into ROM (xs/tools/xslSlot.c,
	// fxPrepareHeap). Measured in mcsim: its Maps, Sets, WeakMaps and
	// WeakSets are read-only ("this: read-only Map instance"); its functions
	// and classes are frozen, and so are their `prototype` objects (a static
	// write throws "set X: not writable", and so does an instance's own
	// write of a name its class's prototype has); RegExps and Promises are
	// frozen; Dates, ArrayBuffers and views cannot be written ("read-only
	// buffer"); arrays, plain objects, instances and `let` variables stay
	// writable (copied on first write).
	// The Node side rewrites a preloaded module's source: `begin()` first,
	// every `new Map(...)` (Set, WeakMap, WeakSet) wrapped in `made()`, and
	// `end(values of its top-level declarations)` last. Not reproduced here
	// (documented in protocol.md): a typed array's elements stay writable by
	// index, a static private field stays writable, a top-level `let`
	// holding a function stays assignable.
	function preload() {
		let loading = 0;
		let made = [];
		const done = new WeakSet();
		// An instance's writing methods, shadowed by ones that throw the device's TypeError.
		const refusing = (message, methods) => instance => {
			const refuse = function () {
				throw new TypeError(message);
			};
			for (const method of methods)
				Object.defineProperty(instance, method, { value: refuse });
		};
		const setters = prototype => Object.getOwnPropertyNames(prototype).filter(name => name.startsWith("set"));
		const KINDS = [
			[Map, refusing("this: read-only Map instance", ["set", "delete", "clear"])],
			[Set, refusing("this: read-only Set instance", ["add", "delete", "clear"])],
			[WeakMap, refusing("this: read-only WeakMap instance", ["set", "delete"])],
			[WeakSet, refusing("this: read-only WeakSet instance", ["add", "delete"])],
			[Date, refusing("this: read-only Date instance", setters(Date.prototype))],
			[DataView, refusing("read-only buffer", setters(DataView.prototype))],
			[Object.getPrototypeOf(Uint8Array), refusing("read-only buffer", ["set", "fill", "copyWithin", "reverse", "sort"])],
			[ArrayBuffer, refusing("read-only buffer", ["resize", "transfer", "transferToFixedLength"])],
			[RegExp], [Promise], [WeakRef], [FinalizationRegistry]
		];
		function kindOf(value) {
			for (const kind of KINDS)
				if (value instanceof kind[0])
					return kind;
		}
		function link(roots) {
			const stack = roots;
			while (stack.length) {
				const value = stack.pop();
				if ((typeof value !== "object" && typeof value !== "function") || value === null || done.has(value))
					continue;
				done.add(value);
				const kind = typeof value === "function" ? undefined : kindOf(value);
				if (kind && kind[0] === Map)
					value.forEach((item, key) => stack.push(key, item));
				else if (kind && kind[0] === Set)
					value.forEach(item => stack.push(item));
				if (!ArrayBuffer.isView(value)) {
					for (const key of Reflect.ownKeys(value)) {
						const property = Reflect.getOwnPropertyDescriptor(value, key);
						if ("value" in property)
							stack.push(property.value);
						else
							stack.push(property.get, property.set);
					}
				}
				if (typeof value === "function") {
					const prototype = Object.getOwnPropertyDescriptor(value, "prototype");
					if (prototype && typeof prototype.value === "object" && !isGenerator(value))
						Object.freeze(prototype.value);		// a constructor's prototype is frozen with it
					Object.freeze(value);
				}
				else if (kind) {
					kind[1]?.(value);
					if (ArrayBuffer.isView(value))
						Object.preventExtensions(value);	// its elements cannot be frozen from JavaScript
					else
						Object.freeze(value);
				}
			}
		}
		const generators = [Object.getPrototypeOf(function* () {}), Object.getPrototypeOf(async function* () {})];
		const isGenerator = value => generators.includes(Object.getPrototypeOf(value));
		return Object.freeze({
			begin() {
				loading++;
			},
			made(value) {
				if (loading)
					made.push(value);
				return value;
			},
			end(values) {
				loading--;
				const roots = values.concat(made);
				made = [];
				link(roots);
			}
		});
	}
})();
