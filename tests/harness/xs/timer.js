// The Moddable "timer" module on the simulator host. Node keeps the clock;
// each firing arrives as its own event (turn), as on a device.
const host = __xsHost;
const { OP, EVENT } = host;
const ids = new WeakMap();

function arm(timer, id, delay, repeat) {
	const bytes = new Uint8Array(4);
	new DataView(bytes.buffer).setUint32(0, repeat ?? 0);
	host.send(OP.TIMER_SET, id, Math.max(0, delay | 0), bytes);
}

export default class Timer {
	static set(callback, delay = 0, repeat) {
		if (typeof callback !== "function")
			throw new TypeError("callback is not a function");
		const timer = {};	// a host object, extensible as the SDK's (an app may hang its state on it)
		const id = host.newId();
		ids.set(timer, id);
		host.on(EVENT.TIMER, id, () => {
			if (!repeat)
				release(timer);
			callback(timer);
		});
		arm(timer, id, delay, repeat);
		return timer;
	}
	static repeat(callback, interval) {
		return Timer.set(callback, interval, interval);
	}
	static schedule(timer, delay = 0, repeat) {
		const id = ids.get(timer);
		if (id === undefined)
			throw new Error("timer closed");
		arm(timer, id, delay, repeat);
	}
	static clear(timer) {
		if (timer !== undefined && timer !== null && ids.has(timer))
			release(timer);
	}
	static delay() {
		throw new Error("Timer.delay would block the host; not available in the simulator host");
	}
}

function release(timer) {
	const id = ids.get(timer);
	ids.delete(timer);
	host.off(EVENT.TIMER, id);
	host.send(OP.TIMER_CLEAR, id, 0);
}
