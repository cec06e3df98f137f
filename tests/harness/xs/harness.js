// The "harness" module scenarios import: how a scenario talks to its test.
// On a Moddable build (tests/mcsim) the same specifier maps to a version that
// traces these reports instead.
const host = __xsHost;
const { OP, EVENT } = host;

/** Sends a value (JSON) to the test, which sees it in order with the others. */
export function report(value) {
	host.send(OP.REPORT, 0, 0, host.json(value === undefined ? null : value));
}

/** Calls `handler(message)` for each message the test sends; each is one turn. */
export function onMessage(handler) {
	host.on(EVENT.MESSAGE, 0, (_, payload) => handler(JSON.parse(host.decode(payload))));
}

/** Timers and sockets still alive in the host: what an app could still be called back by. */
export function resources() {
	return { timers: host.count(EVENT.TIMER), sockets: host.count(EVENT.DATA) };
}

export function collectGarbage() {
	host.gc();
}

export const simulator = "xsnap";

/** The XS heap in use: measured by the Node side's meters here (undefined); mcsim's runner reads the SDK's instrumentation. */
export function heapInUse() {
	return undefined;
}
