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

// The timer whose callback runs now, and whether it repeats: what the SDK's
// Linux timers (modules/base/timer/lin/timer.c, which mcsim runs) do with a
// Timer.schedule from a timer's own callback is not what they do otherwise.
let firing, firingRepeats = false, firingDropped = false;

export default class Timer {
	static set(callback, delay = 0, repeat) {
		if (typeof callback !== "function")
			throw new TypeError("callback is not a function");
		const timer = {};	// a host object, extensible as the SDK's (an app may hang its state on it)
		const id = host.newId();
		ids.set(timer, id);
		host.on(EVENT.TIMER, id, () => {
			const outer = firing, outerRepeats = firingRepeats, outerDropped = firingDropped;
			firing = timer;
			firingRepeats = !!repeat;
			firingDropped = false;
			if (!repeat)
				release(timer);
			try {
				callback(timer);
			}
			finally {
				if (firingDropped && ids.has(timer))
					release(timer);
				firing = outer;
				firingRepeats = outerRepeats;
				firingDropped = outerDropped;
			}
		});
		arm(timer, id, delay, repeat);
		return timer;
	}
	static repeat(callback, interval) {
		return Timer.set(callback, interval, interval);
	}
	static schedule(timer, delay = 0, repeat) {
		if (timer === firing) {
			// Measured in mcsim: rescheduled from its own callback, a one-shot
			// timer is dropped all the same once the callback returns; a
			// repeating one whose first interval differs from its repeat keeps
			// a second glib source, which later fires into freed memory (a 5 s
			// timeout of another timer fired after 19 ms).
			if (!firingRepeats) {
				firingDropped = true;
				return;
			}
			if ((delay | 0) !== (repeat | 0))
				throw new Error("Timer.schedule(timer, first, repeat) from the timer's own callback, with first !== repeat: on the SDK's Linux timers (mcsim) a second source survives and fires into freed memory");
		}
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
