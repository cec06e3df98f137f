// Timer.schedule from a timer's own callback, as the SDK's Linux timers
// (mcsim) treat it: `kind` "one-shot" reschedules a one-shot timer (the SDK
// drops it once the callback returns: it never fires again); "repeat" a
// repeating one with its repeat as the first interval (works); "repeat-other"
// with another first interval (the SDK keeps a second source that fires into
// freed memory: the host fails the scenario).
import Timer from "timer";

export default function schedule({ kind }) {
	return new Promise(resolve => {
		let fired = 0;
		const timer = kind === "one-shot"
			? Timer.set(t => { fired++; Timer.schedule(t, 10); }, 5)
			: Timer.repeat(t => {
				if (++fired < 3)
					Timer.schedule(t, kind === "repeat" ? 10 : 5, 10);
			}, 10);
		Timer.set(() => {
			Timer.clear(timer);
			resolve(fired);
		}, 150);
	});
}
