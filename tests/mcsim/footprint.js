// What the measurement apps (measure, sdk-client, raw-socket) share: the XS
// heap as the SDK's instrumentation reports it, after a full collection, and
// how a result is traced. Each app measures the same way: a baseline before
// the client's constructor, then the growth over it.
import Debug from "debug";
import Instrumentation from "instrumentation";
import Time from "time";
import Timer from "timer";
import config from "mc/config";

const SLOTS = Instrumentation.map("XS Slot Heap Used");
const CHUNKS = Instrumentation.map("XS Chunk Heap Used");
const STACK = Instrumentation.map("XS Stack Used");

/** The build's config, numbers made numbers (mcconfig passes command-line values as strings). */
export const settings = {};
for (const [key, value] of Object.entries(config))
	settings[key] = typeof value === "string" && /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value;

const base = new Int32Array(2);

/**
 * Collects until a collection frees nothing more. One is not always enough:
 * measured in mcsim, objects made and dropped with no collection between
 * (the library's connect() and disconnect(), the SDK client's connection)
 * can outlive the first collection after them, unreachable, and go at the
 * next with nothing else run; the library's client, disconnected, measured
 * 256 bytes (8 slots) over what it held before its first connect() after one
 * collection, and exactly that after two. What a client holds is what no
 * collection frees.
 */
function collect() {
	let slots;
	for (let i = 0; i < 4 && slots !== Instrumentation.get(SLOTS); i++) {
		slots = Instrumentation.get(SLOTS);
		Debug.gc();
	}
}

/**
 * A turn or two later: what loading the app's modules held is gone by then,
 * and what a close set going has ended.
 */
export async function settled(turns = 1) {
	for (let i = 0; i < turns; i++)
		await new Promise(resolve => Timer.set(resolve, 10));
}

/**
 * Takes the baseline: slot and chunk heap in use after a collection. Call it
 * as growth() is called, from the running function and not from an awaited
 * one: a suspended async function holds its frame in the chunk heap.
 */
export function baseline() {
	collect();
	base[0] = Instrumentation.get(SLOTS);
	base[1] = Instrumentation.get(CHUNKS);
}

/**
 * Writes the bytes of slot and chunk heap held beyond the baseline, after a
 * collection, into figures[at] and figures[at + 1]: an Int32Array made before
 * the baseline, so that measuring allocates nothing the next measure sees.
 */
export function growth(figures, at) {
	collect();
	figures[at] = Instrumentation.get(SLOTS) - base[0];
	figures[at + 1] = Instrumentation.get(CHUNKS) - base[1];
}

/** The figures of growth() and of the rates, as the result traces them. */
export function report(figures, peaks) {
	const heap = at => ({ slots: figures[at], chunks: figures[at + 1], total: figures[at] + figures[at + 1] });
	const rate = at => ({ count: figures[at], ms: figures[at + 1], perSecond: Math.round(figures[at] * 1000 / figures[at + 1]) });
	finish({
		made: heap(MADE), idle: heap(IDLE), traffic: heap(TRAFFIC), beforeEcho: heap(BEFORE_ECHO), echoed: heap(ECHOED),
		disconnected: heap(DISCONNECTED), closing: heap(CLOSING), released: heap(RELEASED), settled: heap(SETTLED), published: heap(PUBLISHED),
		echo: rate(ECHO), qos1: rate(QOS1), peaks
	});
}

/**
 * Where each figure goes in the Int32Array of figures: heap growth when idle
 * and connected, after the traffic, right after the close (CLOSING) and two
 * turns later (RELEASED), when what the close set going has ended; then rates;
 * then the client made and not yet connected (MADE: the library's alone, the
 * others connect as they are made), before and after the echo's QoS 0
 * traffic (BEFORE_ECHO, ECHOED), and after the close with the client still
 * referenced (DISCONNECTED); and the library's alone: a second client, after
 * its connect(), traffic and disconnect(), still referenced once the close
 * has ended (SETTLED), beside MADE; the library's and the SDK client's:
 * after TRAFFIC, 2,000 QoS 0 publishes of 64 bytes to a topic nobody
 * subscribes to (PUBLISHED), beside TRAFFIC.
 */
export const IDLE = 0, TRAFFIC = 2, CLOSING = 4, RELEASED = 6, ECHO = 8, QOS1 = 10, MADE = 12, BEFORE_ECHO = 14, ECHOED = 16, DISCONNECTED = 18, SETTLED = 20, PUBLISHED = 22, FIGURES = 24;

/** Writes `count` and the milliseconds since `start` (Time.ticks) into figures[at], figures[at + 1]. */
export function timed(figures, at, count, start) {
	figures[at] = count;
	figures[at + 1] = Time.ticks - start;
}

/**
 * With config `probe`: samples every millisecond the XS stack's high-water
 * mark (the SDK resets it at each once-a-second sample of its
 * instrumentation, so the largest value seen is kept) and the slot + chunk
 * heap in use (garbage included: what the heap must hold between
 * collections). Returns what stops it and reads the peaks.
 */
export function probe() {
	if (!settings.probe)
		return () => undefined;
	let stack = 0, heap = 0;
	const sample = () => {
		const used = Instrumentation.get(STACK), held = Instrumentation.get(SLOTS) + Instrumentation.get(CHUNKS);
		if (used > stack)
			stack = used;
		if (held > heap)
			heap = held;
	};
	const timer = Timer.repeat(sample, 1);
	return () => {
		sample();
		Timer.clear(timer);
		return { stack, heap };
	};
}

export function finish(result) {
	trace(`RESULT ${JSON.stringify(result)}\n`);
}

export function fail(error) {
	trace(`FAILED ${error}\n`);
}
