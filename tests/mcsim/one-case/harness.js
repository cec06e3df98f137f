// The "harness" module of the one-case app: the surface scenarios use, with
// no test to talk to. Reports and the result are traced as JSON lines
// (REPORT ..., RESULT ..., FAILED ...); a test reads them from mcsim's output.
// A device-sized app carries nothing more: no control socket, no JSON parser
// of incoming messages.
import Debug from "debug";
import Instrumentation from "instrumentation";
import Timer from "timer";

const SOCKETS = Instrumentation.map("Network Sockets");
const TIMERS = Instrumentation.map("Timers");
const STACK = Instrumentation.map("XS Stack Used");
const SLOTS = Instrumentation.map("XS Slot Heap Used");
const CHUNKS = Instrumentation.map("XS Chunk Heap Used");
// "Timers" counts the app's timers and each TCP socket's polling task (see
// tests/mcsim/runner/harness.js); the baseline is what was there at load.
const timerBaseline = Instrumentation.get(TIMERS) - Instrumentation.get(SOCKETS);

export function report(value) {
	trace(`REPORT ${JSON.stringify(value === undefined ? null : value)}\n`);
}

/** No test sends messages to this app: a scenario that waits for one never hears it. */
export function onMessage() {
	trace("REPORT {\"note\":\"this scenario waits for messages from a test: run it in the runner app\"}\n");
}

export function resources() {
	const sockets = Instrumentation.get(SOCKETS);
	return { timers: Instrumentation.get(TIMERS) - sockets - timerBaseline, sockets };
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

/**
 * The stack's high-water mark, sampled every millisecond: the SDK resets the
 * peak at each once-a-second sample of its instrumentation, so the probe keeps
 * the largest value it saw. Returns a function that stops it and tells bytes.
 */
export function probeStack() {
	let peak = 0;
	const sample = () => {
		const used = Instrumentation.get(STACK);
		if (used > peak)
			peak = used;
	};
	const timer = Timer.repeat(sample, 1);
	return () => {
		sample();
		Timer.clear(timer);
		return peak;
	};
}
