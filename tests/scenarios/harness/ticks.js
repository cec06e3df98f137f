// Time.ticks and Time.delta across a wait of `wait` ms: with the host's
// ticksStart just below 2^31, the ticks roll over during it.
import Timer from "timer";
import Time from "time";

export default function ticks({ wait }) {
	const start = Time.ticks;
	return new Promise(resolve => Timer.set(() => {
		const end = Time.ticks;
		resolve({ start, end, delta: Time.delta(start, end), deltaToNow: Time.delta(start), integers: Number.isInteger(start) && Number.isInteger(end) });
	}, wait));
}
