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
// Binary layouts are documented in ../protocol.md.

(function installKernel() {
	const encoder = new TextEncoder();
	const decoder = new TextDecoder();
	const globalPrint = globalThis.print;

	// XS -> Node records: [u8 op][u32 id][u32 arg][u32 length][bytes]
	const outbox = [];
	let outboxBytes = 0;
	function send(op, id, arg, bytes) {
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

	const OP = { CONNECT: 1, WRITE: 2, CLOSE: 3, ROOM: 4, TIMER_SET: 5, TIMER_CLEAR: 6, RESOLVE: 7, TRACE: 8, REPORT: 9, DONE: 10, FAIL: 11 };
	const EVENT = { TIMER: 1, CONNECTED: 2, WRITABLE: 3, DATA: 4, ERROR: 5, RESOLVED: 6, START: 7, MESSAGE: 8 };

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
	// exception escaping a callback fails the scenario, with its stack.
	function guarded(callback, self, ...args) {
		try {
			return callback.apply(self, args);
		}
		catch (error) {
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
		const handler = handlers.get(kind)?.get(id);
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
		globals: { trace, print: globalPrint, __xsHost: host },
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
})();
