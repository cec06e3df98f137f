// The Moddable "time" module on the simulator host: monotonic milliseconds.
// By default as on the simulator (mcsim): Time.ticks counts from 0 and never
// rolls over. With the host option ticksStart, as on a device: Time.ticks
// starts there and is a signed 32-bit integer that rolls over past 2^31 - 1,
// and Time.delta(start, end) is the 32-bit difference taken as signed, which
// stays right across the roll-over (modules/base/time/esp/modTime.c,
// xs_time_delta); without `end` it measures to now.
const host = __xsHost;
const origin = Math.floor(host.now());
const { ticksStart } = host.options;
const device = ticksStart !== undefined;

export default class Time {
	static get ticks() {
		const elapsed = Math.floor(host.now()) - origin;
		return device ? (ticksStart + elapsed) | 0 : elapsed;
	}
	static delta(start, end) {
		if (end === undefined)
			end = Time.ticks;
		return device ? ((end >>> 0) - (start >>> 0)) | 0 : end - start;
	}
}
