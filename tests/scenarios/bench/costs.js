// What single constructs cost XS, in compute steps: each a loop of `count`
// iterations, run as one turn by tests/bench/costs.js, which takes off the
// empty loop's steps. The figures behind the hot paths' shape (README,
// "Where a message's compute steps go").
import Time from "time";
import { onMessage, report } from "harness";

const EMPTY = function () {};
const three = function (a, b, c) {};
const object = { m() {}, x: 1 };
class Fields { topic; payload; qos; retain; resolve; reject; stage = 0; sentAt; losses = 0;
	constructor(t, p, q, r) { this.topic = t; this.payload = p; this.qos = q; this.retain = r; } }
class Assigned { constructor(t, p, q, r) { this.topic = t; this.payload = p; this.qos = q; this.retain = r;
	this.resolve = this.reject = this.sentAt = undefined; this.stage = 0; this.losses = 0; } }
class Getter { get value() { return 1; } }
const getter = new Getter();
const bytes = new Uint8Array(64), sixteen = new Uint8Array(16), view = new DataView(bytes.buffer);

/** Each construct in a loop of `count`; `empty` is the loop alone. */
const CASES = {
	empty(count) { for (let i = 0; i < count; i++); },
	"a call of an empty function": count => { for (let i = 0; i < count; i++) EMPTY(); },
	"the same with three arguments": count => { for (let i = 0; i < count; i++) three(1, 2, 3); },
	"a method call": count => { for (let i = 0; i < count; i++) object.m(); },
	"a JavaScript getter": count => { let y; for (let i = 0; i < count; i++) y = getter.value; },
	"a property read": count => { let y; for (let i = 0; i < count; i++) y = object.x; },
	"a native getter (Uint8Array byteOffset)": count => { let y; for (let i = 0; i < count; i++) y = bytes.byteOffset; },
	"a byte read from a Uint8Array": count => { let y; for (let i = 0; i < count; i++) y = bytes[3]; },
	"an empty try/catch": count => { for (let i = 0; i < count; i++) { try { } catch { } } },
	"DataView getFloat64": count => { let y; for (let i = 0; i < count; i++) y = view.getFloat64(0); },
	"new Uint8Array(ArrayBuffer)": count => { const buffer = bytes.buffer; for (let i = 0; i < count; i++) new Uint8Array(buffer); },
	"ArrayBuffer slice, 16 bytes": count => { const buffer = bytes.buffer; for (let i = 0; i < count; i++) buffer.slice(8, 24); },
	"Uint8Array set, 16 bytes": count => { for (let i = 0; i < count; i++) bytes.set(sixteen, 4); },
	"an object literal of two properties": count => { for (let i = 0; i < count; i++) ({ head: bytes, body: undefined }); },
	"new Promise with an executor": count => { const o = {}; for (let i = 0; i < count; i++) new Promise((resolve, reject) => { o.resolve = resolve; o.reject = reject; }); },
	"a class of 9 fields (4 set by the constructor)": count => { for (let i = 0; i < count; i++) new Fields(1, 2, 3, 4); },
	"the same, all 9 set by the constructor": count => { for (let i = 0; i < count; i++) new Assigned(1, 2, 3, 4); },
	"Time.ticks (the host's module)": count => { for (let i = 0; i < count; i++) Time.ticks; },
};

export default function costs() {
	onMessage(({ name, count }) => CASES[name](count));
	report({ ready: true, names: Object.keys(CASES) });
	return new Promise(() => {});
}
