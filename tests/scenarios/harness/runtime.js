// The Moddable runtime surface of the host: globals, timer and time.
import Timer from "timer";
import Time from "time";
import { resources, report } from "harness";

export default function runtime() {
	const text = "héllo ✓ 𝄞";
	const buffer = ArrayBuffer.fromString(text);
	const roundTrip = String.fromArrayBuffer(buffer);
	trace("runtime scenario traced\n");
	return new Promise(resolve => {
		const start = Time.ticks;
		const fired = [];
		const cleared = Timer.set(() => fired.push("cleared"), 5);
		Timer.clear(cleared);
		Timer.clear(cleared);	// clearing twice is harmless, as on the SDK
		let count = 0;
		const repeat = Timer.repeat(timer => {
			fired.push(`repeat ${++count}`);
			if (count === 1)
				report({ during: resources() });	// the repeating timer and the one-shot below
			if (count === 3)
				Timer.clear(timer);
		}, 10);
		Timer.set(timer => {
			fired.push("once");
			Timer.set(() => {
				resolve({
					byteLength: buffer.byteLength, roundTrip: roundTrip === text,
					fired, elapsed: Time.ticks - start, after: resources()
				});
			}, 20);
		}, 50);
	});
}
