// After a preload, at run time: each write to the state a preloaded module
// made while it loaded (tests/fixtures/preload/preloaded.js), and to state
// made later or by a module not preloaded. Returns each outcome, "ok ..." or
// the exception's name and message, for the test to hold against what mcsim
// does (shared/docs/platform.md).
import * as preloaded from "fixture/preloaded";
import * as later from "fixture/later";
import { simulator } from "harness";

function attempt(action) {
	try {
		return `ok ${action()}`;
	}
	catch (error) {
		return `${error.name}: ${error.message}`;
	}
}

export default function preload() {
	return {
		"map.get": attempt(() => preloaded.map.get("a")),
		"map.set": attempt(() => preloaded.map.set("b", 2).size),
		"map.delete": attempt(() => preloaded.map.delete("a")),
		"map.clear": attempt(() => preloaded.map.clear()),
		"set.add": attempt(() => preloaded.set.add(2).size),
		"set.has": attempt(() => preloaded.set.has(1)),
		"weakMap.set": attempt(() => preloaded.weakMap.set({}, 1)),
		"nested map.set": attempt(() => preloaded.object.nested.map.set(1, 1).size),
		"closure map.set": attempt(() => preloaded.addHidden()),
		"array.push": attempt(() => preloaded.array.push(2)),
		"object write": attempt(() => { preloaded.object.a = 2; preloaded.object.b = 3; return preloaded.object.a + preloaded.object.b; }),
		"frozen array.push": attempt(() => preloaded.frozenArray.push(3)),
		"let counter": attempt(() => preloaded.bump() + preloaded.bump()),
		"class static write": attempt(() => { preloaded.Counter.count = 1; return preloaded.Counter.count; }),
		"class prototype write": attempt(() => { preloaded.Counter.prototype.extra = 1; return 1; }),
		"instance write of a prototype's name": attempt(() => { const counter = new preloaded.Counter(); counter.method = () => 2; return counter.method(); }),
		"instance write": attempt(() => { preloaded.instance.extra = 1; return preloaded.instance.extra; }),
		"function property write": attempt(() => { preloaded.plain.extra = 1; return 1; }),
		"global regexp exec": attempt(() => preloaded.pattern.exec("aa").index),
		"bytes.fill": attempt(() => preloaded.bytes.fill(1)[0]),
		"view.setUint8": attempt(() => preloaded.view.setUint8(0, 1)),
		// mcsim dies here (the Date is in ROM); the host throws instead
		"date.setTime": simulator === "xsnap" ? attempt(() => preloaded.date.setTime(5)) : "not tried",
		"run-time map.set": attempt(() => preloaded.makeMap().set(1, 1).size),
		"run-time class static write": attempt(() => { const Made = preloaded.makeCounter(); Made.count = 2; return Made.count; }),
		"not preloaded map.set": attempt(() => later.map.set(1, 1).size),
		"not preloaded class static write": attempt(() => { later.Counter.count = 2; return later.Counter.count; }),
		"scenario's own map.set": attempt(() => new Map().set(1, 1).size)
	};
}
