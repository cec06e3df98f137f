// The "harness" module on the real Moddable SDK (mcsim or a device): the
// same surface the simulator host gives the scenarios, over trace(). Reports
// and the result are traced as JSON lines; there is no test on the other
// side to send messages.
import Debug from "debug";
import Instrumentation from "instrumentation";

export function report(value) {
	trace(`REPORT ${JSON.stringify(value === undefined ? null : value)}\n`);
}

export function onMessage() {
	trace("REPORT {\"note\":\"this scenario waits for messages from a test; run it with npm test\"}\n");
}

/** The SDK's count of open sockets; timers are not counted by the SDK. */
export function resources() {
	const sockets = Instrumentation.map("Network sockets");
	return { timers: undefined, sockets: sockets === undefined ? undefined : Instrumentation.get(sockets) };
}

export function collectGarbage() {
	Debug.gc();
}

export const simulator = "moddable";
