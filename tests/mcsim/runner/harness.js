// The "harness" module of the runner app, on the real Moddable SDK (mcsim):
// the surface tests/harness/xs/harness.js gives scenarios on the xsnap host,
// over a control channel to the test instead of the host's pipes. The channel
// is newline-delimited JSON on an ECMA-419 TCP socket to 127.0.0.1, at the
// port the build's config names (`control`): the test sends which case to run
// and messages for it; the app sends reports, then the result.
//   test -> app: {"op":"run","file":"client/api","params":{...}}  {"op":"message","value":...}
//   app -> test: {"op":"hello"}  {"op":"report","value":...}  {"op":"result","value":...}
//                {"op":"failed","message":"...","stack":"..."}
import TCP from "embedded:io/socket/tcp";
import config from "mc/config";
import Debug from "debug";
import Instrumentation from "instrumentation";

const SOCKETS = Instrumentation.map("Network Sockets");
const TIMERS = Instrumentation.map("Timers");
const SLOTS = Instrumentation.map("XS Slot Heap Used");
const CHUNKS = Instrumentation.map("XS Chunk Heap Used");
const NEWLINE = 10;

// On Linux the SDK's "Timers" counts every modTimer: the app's timers, and the
// 20 ms polling task each open TCP socket holds (modules/io/socket/lin/tcp.c).
// So the app's own timers are Timers - Network Sockets, less what was there
// before any socket (the baseline, taken here at load).
const timerBaseline = Instrumentation.get(TIMERS) - Instrumentation.get(SOCKETS);

let socket;
let greeted = false;
let writable = 0;
const outgoing = [];		// Uint8Array pieces waiting for the write window
let incoming = new Uint8Array(0);	// bytes of a line not yet complete
let handler;			// the running case's onMessage handler
const early = [];		// messages that came before the case set its handler

/** Sends a value (JSON) to the test, which sees it in order with the others. */
export function report(value) {
	send({ op: "report", value: value === undefined ? null : value });
}

/** Calls `handler(message)` for each message the test sends to the running case. */
export function onMessage(callback) {
	handler = callback;
	for (const message of early.splice(0))
		deliver(message);
}

/**
 * Timers and sockets the app holds, beyond the harness's own control socket,
 * from the SDK's instrumentation ("Network Sockets", "Timers"; see above).
 */
export function resources() {
	const sockets = Instrumentation.get(SOCKETS);
	return { timers: Instrumentation.get(TIMERS) - sockets - timerBaseline, sockets: sockets - 1 };
}

/** The XS heap in use after a collection, slots and chunks, in bytes (the SDK's instrumentation). */
export function heapInUse() {
	Debug.gc();
	return Instrumentation.get(SLOTS) + Instrumentation.get(CHUNKS);
}

export function collectGarbage() {
	Debug.gc();
}

export const simulator = "mcsim";

/** For the app's main: connects to the test and runs each case it is sent with `run(file, params)`. */
export function serve(run) {
	socket = new TCP({
		address: "127.0.0.1",
		port: Number(config.control),
		nodelay: true,
		onWritable(count) {
			guard(() => {
				writable = count;
				if (!greeted) {
					greeted = true;
					send({ op: "hello" });
				}
				flush();
			});
		},
		onReadable(count) {
			guard(() => receive(socket.read(), run));
		},
		onError() {
			trace("harness: the control channel closed\n");
			socket = undefined;
		}
	});
}

function receive(buffer, run) {
	const bytes = new Uint8Array(buffer);
	const joined = new Uint8Array(incoming.length + bytes.length);
	joined.set(incoming);
	joined.set(bytes, incoming.length);
	let start = 0;
	for (let end = joined.indexOf(NEWLINE); end >= 0; end = joined.indexOf(NEWLINE, start)) {
		const message = JSON.parse(String.fromArrayBuffer(joined.slice(start, end).buffer));
		start = end + 1;
		if (message.op === "run")
			start_(message, run);
		else if (message.op === "message") {
			if (handler)
				deliver(message.value);
			else
				early.push(message.value);
		}
	}
	incoming = joined.slice(start);
}

function start_({ file, params }, run) {
	handler = undefined;
	early.length = 0;
	Promise.resolve()
		.then(() => run(file, params))
		.then(value => send({ op: "result", value: value === undefined ? null : value }), fail);
}

function deliver(message) {
	try {
		Promise.resolve(handler(message)).catch(fail);
	}
	catch (error) {
		fail(error);
	}
}

function fail(error) {
	send({ op: "failed", message: String(error), stack: error?.stack ?? "" });
}

/** A socket callback of the harness never lets an exception reach the host: the test hears of it. */
function guard(action) {
	try {
		action();
	}
	catch (error) {
		trace(`harness: ${error}\n`);
		try {
			fail(error);
		}
		catch {
			// the channel itself failed: the test sees no result and times out
		}
	}
}

function send(message) {
	let text;
	try {
		text = JSON.stringify(message);
	}
	catch (error) {
		text = JSON.stringify({ op: "failed", message: `the result cannot be sent as JSON: ${error}` });
	}
	outgoing.push(new Uint8Array(ArrayBuffer.fromString(text + "\n")));
	flush();
}

/** Writes what waits, as far as the window allows; onWritable continues. */
function flush() {
	while (socket && outgoing.length && writable > 0) {
		const piece = outgoing[0];
		const count = Math.min(piece.length, writable);
		const left = socket.write(count === piece.length ? piece : piece.subarray(0, count));
		writable = typeof left === "number" ? left : writable - count;
		if (count === piece.length)
			outgoing.shift();
		else
			outgoing[0] = piece.subarray(count);
	}
}
