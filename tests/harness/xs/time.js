// The Moddable "time" module on the simulator host: monotonic milliseconds.
const host = __xsHost;
const start = Math.floor(host.now());
export default class Time {
	static get ticks() {
		return Math.floor(host.now()) - start;
	}
	static delta(start, end = Time.ticks) {
		return end - start;
	}
}
