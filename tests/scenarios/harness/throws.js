// An exception escaping a callback the host makes surfaces with its message and stack.
import Timer from "timer";

export default function throws({ where }) {
	if (where === "scenario")
		throw new RangeError("thrown by the scenario");
	Timer.set(function failingCallback() {
		null.property;
	}, 1);
	return new Promise(() => {});
}
