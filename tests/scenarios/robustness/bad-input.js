// Every public method with wrong and out-of-range arguments, in each state
// (tests/bad-input.test.js). The test sends the table of calls as JSON;
// values JSON cannot carry are described ({$: "undefined"}, {$: "symbol"},
// {$: "repeat", char, count}, ...) and made here. Each call's outcome is
// "throw <Class>: <message>" (synchronous), "reject <Class>: <message>",
// "resolve <value>", "return <what>" or "pending" (not settled in time);
// <Class> is the exact class of the error (its prototype), not its name.
// After every call the client must still work: the next valid call is made
// and its outcome recorded too.
import { MQTTClient, MQTTException } from "mqtt";
import { ProtocolError } from "mqtt/errors";	// not exported by "mqtt": only to name the class of a rejection
import Timer from "timer";
import Time from "time";
import { report, resources } from "harness";
import { cases } from "../client/common.js";

const server = "127.0.0.1";

// ---- values

/** Makes the value a JSON description stands for. */
function make(spec, context) {
	if (Array.isArray(spec))
		return spec.map(item => make(item, context));
	if (spec === null || typeof spec !== "object")
		return spec;
	if (!("$" in spec)) {
		const object = {};
		for (const key of Object.keys(spec))
			object[key] = make(spec[key], context);
		return object;
	}
	switch (spec.$) {
	case "undefined": return undefined;
	case "NaN": return NaN;
	case "Infinity": return Infinity;
	case "-Infinity": return -Infinity;
	case "-0": return -0;
	case "bigint": return BigInt(spec.value);
	case "symbol": return Symbol("bad");
	case "function": return function notACallback() {};
	case "callback": return context.callback;
	case "date": return new Date(0);
	case "repeat": return spec.char.repeat(spec.count);
	case "fill": return new Array(spec.count).fill(make(spec.value, context));
	case "sparse": return new Array(spec.count);
	case "bytes": {
		const bytes = new Uint8Array(spec.count).fill(spec.fill ?? 0x61);
		switch (spec.kind ?? "Uint8Array") {
		case "ArrayBuffer": return bytes.buffer;
		case "DataView": return new DataView(bytes.buffer);
		default: return bytes;
		}
	}
	case "bytesOf": return Uint8Array.from(spec.values);
	case "port": return context.port;
	case "server": return server;
	}
	throw new Error(`no value ${spec.$}`);
}

// ---- outcomes

const CLASSES = [MQTTException, ProtocolError, TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError, Error];

function classOf(error) {
	const prototype = Object.getPrototypeOf(error);
	for (const Class of CLASSES)
		if (prototype === Class.prototype)
			return Class.name;
	return `${error?.constructor?.name ?? "unknown"} (subclass)`;
}

function describeError(error) {
	if (!(error instanceof Error))
		return `non-Error ${typeof error} ${String(error)}`;
	return `${classOf(error)}: ${error.message}`;
}

function show(value) {
	if (value === undefined)
		return "undefined";
	if (value instanceof MQTTClient)
		return "MQTTClient";
	if (value instanceof Error)
		return describeError(value);
	try {
		return JSON.stringify(value);
	}
	catch {
		return typeof value;
	}
}

function within(promise, ms) {
	return new Promise(resolve => {
		const timer = Timer.set(() => resolve("pending"), ms);
		promise.then(
			value => { Timer.clear(timer); resolve(`resolve ${show(value)}`); },
			error => { Timer.clear(timer); resolve(`reject ${describeError(error)}`); });
	});
}

/** Calls `method` on `target` (or the constructor) with the arguments described; the outcome as a string. */
async function attempt(target, { method, args }, context) {
	const values = make(args ?? [], context);
	let value;
	try {
		switch (method) {
		case "new MQTTClient": value = new MQTTClient(...values); break;
		case "new MQTTException": value = new MQTTException(...values); break;
		case "MQTTException": value = MQTTException(...values); break;
		default: value = target[method](...values);
		}
	}
	catch (error) {
		return `throw ${describeError(error)}`;
	}
	if (value instanceof Promise)
		return within(value, context.wait);
	return `return ${show(value)}`;
}

// ---- the next valid call

/**
 * A subscription, a QoS 1 message to itself, its arrival, unsubscribe
 * ("echo", through a real broker); or a QoS 1 marker publish the scripted
 * broker acknowledges ("marker", so that the test can tell which packets
 * each call caused).
 */
async function roundTrip(client, context, n) {
	if (context.mode === "marker") {
		await client.publish(`marker/${n}`, `${n}`, false, 1);
		return;
	}
	const topic = `${context.tag}/rt/${n}`, payload = `message ${n}`;
	const granted = await client.subscribe(topic, 1);
	if (granted !== 1)
		throw new Error(`subscribe granted ${granted}`);
	await client.publish(topic, payload, false, 1);
	const deadline = Time.ticks + 3000;
	while (!context.received.some(([t, p]) => t === topic && p === payload)) {
		if (Time.ticks > deadline)
			throw new Error("the message did not come back");
		await client.checkMsg();
	}
	await client.unsubscribe(topic);
}

/** The outcome of a valid call: what it resolved ("ok" for nothing), or what went wrong. */
async function checked(promise, ms = 5000) {
	const outcome = await within(promise, ms);
	if (outcome === "resolve undefined")
		return "ok";
	return outcome.startsWith("resolve ") ? outcome.slice(8) : outcome;
}

function newClient(context, name) {
	return new MQTTClient({ clientId: `${context.tag}-${name}`, server, port: context.port, callback: context.callback });
}

/** Connects, makes the round trip and disconnects: "ok", or what went wrong. */
async function connectAndRoundTrip(client, context, n) {
	const connected = await checked(client.connect(true, 3));
	if (connected !== "0")
		return `connect: ${connected}`;
	const trip = await checked(roundTrip(client, context, n));
	await checked(client.disconnect());
	return trip === "ok" ? "ok" : `round trip: ${trip}`;
}

function contextOf(params) {
	const received = [];
	return {
		port: params.port, tag: params.tag ?? "bad", mode: params.mode ?? "echo", wait: params.wait ?? 1000, received,
		callback: (topic, msg) => received.push([String.fromArrayBuffer(topic), String.fromArrayBuffer(msg)])
	};
}

// ---- the cases

export default cases({
	/**
	 * The table in one state: "idle" (a client never connected, a new one
	 * each call), "connected", or "disconnected" (connected, then
	 * disconnect()ed). Returns [{name, outcome, next}] in order, and the
	 * timers and sockets left at the end.
	 */
	async table(params) {
		const context = contextOf(params);
		const { state, calls } = params;
		const results = [];
		let client, n = 0;
		const fresh = async () => {
			client = newClient(context, `${state}-${n}`);
			if (state === "connected") {
				const connected = await checked(client.connect(true, 3));
				if (connected !== "0")
					throw new Error(`setup: connect ${connected}`);
			}
			else if (state === "disconnected") {
				const connected = await checked(client.connect(true, 3));
				const disconnected = await checked(client.disconnect());
				if (connected !== "0" || disconnected !== "ok")
					throw new Error(`setup: connect ${connected}, disconnect ${disconnected}`);
			}
		};
		await fresh();
		for (const call of calls) {
			n++;
			if (state === "idle")
				await fresh();
			const start = Time.ticks;
			const outcome = await attempt(client, call, context);
			const ms = Time.ticks - start;
			let next;
			if (state === "connected")
				next = await checked(roundTrip(client, context, n));
			else
				next = await connectAndRoundTrip(client, context, n);
			results.push({ name: call.name, outcome, next, ms, nextMs: Time.ticks - start - ms });
			if (next !== "ok")
				await fresh();	// a broken client must not fail the calls after it
		}
		if (state === "connected")
			await checked(client.disconnect());
		return { results, after: resources() };
	},

	/** One call of the table on its own (for a call that might bring the machine down). */
	async single(params) {
		const context = contextOf(params);
		const client = newClient(context, "single");
		return { outcome: await attempt(client, params.call, context) };
	},

	/** connect() twice: while the first is pending, and once connected; then the client still works. */
	async connectTwice(params) {
		const context = contextOf(params);
		const client = newClient(context, "connect-twice");
		const first = client.connect();
		const during = await checked(client.connect());
		const firstOutcome = await checked(first);
		const after = await checked(client.connect());
		const badAfter = await attempt(client, { method: "connect", args: ["yes"] }, context);
		const trip = await checked(roundTrip(client, context, 1));
		await checked(client.disconnect());
		return { during, first: firstOutcome, after, badAfter, trip, resources: resources() };
	},

	/** disconnect() twice (at once, then again), and before any connect; then connect works. */
	async disconnectTwice(params) {
		const context = contextOf(params);
		const client = newClient(context, "disconnect-twice");
		const beforeConnect = await checked(client.disconnect());
		await client.connect();
		const both = await Promise.all([checked(client.disconnect()), checked(client.disconnect())]);
		const again = await checked(client.disconnect());
		const connected = client.connected;
		const left = resources();
		const next = await connectAndRoundTrip(client, context, 1);
		return { beforeConnect, both, again, connected, left, next, resources: resources() };
	},

	/** A disconnect() while connect() is pending: connect rejects, nothing is left; then connect works. */
	async disconnectWhileConnecting(params) {
		const context = contextOf(params);
		const client = newClient(context, "disconnect-connecting");
		const connecting = client.connect();
		const disconnected = await checked(client.disconnect());
		const connect = await checked(connecting);
		const left = resources();
		const next = await connectAndRoundTrip(client, context, 1);
		return { disconnected, connect, left, next };
	},

	/**
	 * While connect() is pending: the calls that need a connection reject
	 * with "not connected yet", setLastWill throws; argument errors still throw.
	 */
	async whileConnecting(params) {
		const context = contextOf(params);
		const client = newClient(context, "while-connecting");
		const connecting = client.connect();
		const outcomes = {
			publish: await attempt(client, { method: "publish", args: ["t", "m"] }, context),
			publishQoS1: await attempt(client, { method: "publish", args: ["t", "m", false, 1] }, context),
			subscribe: await attempt(client, { method: "subscribe", args: ["t"] }, context),
			unsubscribe: await attempt(client, { method: "unsubscribe", args: ["t"] }, context),
			ping: await attempt(client, { method: "ping", args: [] }, context),
			setLastWill: await attempt(client, { method: "setLastWill", args: ["w", "m"] }, context),
			badPublish: await attempt(client, { method: "publish", args: ["", "m"] }, context),
			badSubscribe: await attempt(client, { method: "subscribe", args: ["a/#/b"] }, context)
		};
		const connect = await checked(connecting);
		const trip = await checked(roundTrip(client, context, 1));
		await checked(client.disconnect());
		return { outcomes, connect, trip, resources: resources() };
	},

	/**
	 * While disconnect() is pending (the socket busy with a large message, so
	 * that DISCONNECT cannot go out at once): connect(), publish(), ping().
	 */
	async whileDisconnecting(params) {
		const context = contextOf(params);
		const client = newClient(context, "while-disconnecting");
		await client.connect();
		const large = client.publish(`${context.tag}/large`, new Uint8Array(200_000), false, 0);
		const disconnecting = client.disconnect();
		const outcomes = {
			connect: await attempt(client, { method: "connect", args: [] }, context),
			publish: await attempt(client, { method: "publish", args: ["t", "m"] }, context),
			ping: await attempt(client, { method: "ping", args: [] }, context),
			setLastWill: await attempt(client, { method: "setLastWill", args: ["w", "m"] }, context)
		};
		const large_ = await checked(large);
		const disconnected = await checked(disconnecting);
		const next = await connectAndRoundTrip(client, context, 1);
		return { outcomes, large: large_, disconnected, next, resources: resources() };
	},

	/** setLastWill after connect throws; after disconnect it is allowed again, and a bad one keeps the last good will. */
	async lastWillStates(params) {
		const context = contextOf(params);
		const client = newClient(context, "will-states");
		const first = await attempt(client, { method: "setLastWill", args: ["will/first", "one", false, 1] }, context);
		const bad = await attempt(client, { method: "setLastWill", args: ["will/#", "two"] }, context);
		await client.connect();
		report({ connected: 1 });
		const whileConnected = await attempt(client, { method: "setLastWill", args: ["will/second", "two"] }, context);
		await client.disconnect();
		const afterDisconnect = await attempt(client, { method: "setLastWill", args: ["will/third", "three", true, 2] }, context);
		const badAfter = await attempt(client, { method: "setLastWill", args: ["will/x", "x", false, 3] }, context);
		await client.connect();
		report({ connected: 2 });
		const trip = await checked(roundTrip(client, context, 1));
		await checked(client.disconnect());
		return { first, bad, whileConnected, afterDisconnect, badAfter, trip };
	},

	/** setCallback twice: the second replaces the first; a bad one keeps the second. */
	async setCallbackTwice(params) {
		const context = contextOf(params);
		const first = [], second = [];
		const client = new MQTTClient({ clientId: `${context.tag}-callbacks`, server, port: context.port });
		client.setCallback((topic, msg) => first.push(String.fromArrayBuffer(msg)));
		client.setCallback((topic, msg) => second.push(String.fromArrayBuffer(msg)));
		const bad = await attempt(client, { method: "setCallback", args: [null] }, context);
		await client.connect();
		await client.subscribe(`${context.tag}/cb`, 1);
		await client.publish(`${context.tag}/cb`, "to the second", false, 1);
		const deadline = Time.ticks + 3000;
		while (!second.length && Time.ticks < deadline)
			await client.checkMsg();
		await client.disconnect();
		return { bad, first, second };
	},

	/** The same request twice in a row, each settling on its own: subscribe, unsubscribe (also of a topic never subscribed), ping, publish. */
	async requestsTwice(params) {
		const context = contextOf(params);
		const client = newClient(context, "requests-twice");
		await client.connect();
		const topic = `${context.tag}/twice`;
		const outcomes = {
			subscribe: await Promise.all([checked(client.subscribe(topic, 1)), checked(client.subscribe(topic, 2))]),
			unsubscribe: await Promise.all([checked(client.unsubscribe(topic)), checked(client.unsubscribe(topic))]),
			unsubscribeNever: await checked(client.unsubscribe(`${context.tag}/never`)),
			ping: await Promise.all([checked(client.ping()), checked(client.ping())]),
			publish: await Promise.all([checked(client.publish(topic, "a", false, 1)), checked(client.publish(topic, "a", false, 1))])
		};
		const trip = await checked(roundTrip(client, context, 1));
		await checked(client.disconnect());
		return { outcomes, trip, resources: resources() };
	},

	/** waitMsg and checkMsg twice at once: both wait; each packet settles one, in order. */
	async waitTwice(params) {
		const context = contextOf(params);
		const client = newClient(context, "wait-twice");
		await client.connect();
		const checks = await Promise.all([checked(client.checkMsg()), checked(client.checkMsg())]);
		const first = client.waitMsg(), second = client.waitMsg();
		await client.ping();
		await client.ping();
		const waits = [await checked(first), await checked(second)];
		const trip = await checked(roundTrip(client, context, 1));
		await checked(client.disconnect());
		return { checks, waits, trip, resources: resources() };
	},

	/** subscribe() without a callback, in each state, throws (even with bad arguments); once one is set it works. */
	async withoutCallback(params) {
		const context = contextOf(params);
		const client = new MQTTClient({ clientId: `${context.tag}-no-callback`, server, port: context.port });
		const calls = [
			{ method: "subscribe", args: ["t"] },
			{ method: "subscribe", args: [["a", "b"], [0, 1]] },
			{ method: "subscribe", args: ["a/#/b", 3] }
		];
		const each = async () => {
			const outcomes = [];
			for (const call of calls)
				outcomes.push(await attempt(client, call, context));
			return outcomes;
		};
		const idle = await each();
		await client.connect();
		const connected = await each();
		const unsubscribe = await attempt(client, { method: "unsubscribe", args: ["t"] }, context);
		client.setCallback(context.callback);
		const trip = await checked(roundTrip(client, context, 1));
		await client.disconnect();
		const after = new MQTTClient({ clientId: `${context.tag}-no-callback-2`, server, port: context.port });
		await after.connect();
		await after.disconnect();
		const disconnected = [];
		for (const call of calls)
			disconnected.push(await attempt(after, call, context));
		return { idle, connected, disconnected, unsubscribe, trip, resources: resources() };
	},

	/** A client whose connection failed (nothing listens): the calls reject "not connected", then connect works. */
	async afterFailedConnect(params) {
		const context = contextOf(params);
		const client = new MQTTClient({ clientId: `${context.tag}-failed`, server, port: params.closedPort, callback: context.callback });
		const failed = await checked(client.connect(true, 2));
		const outcomes = {
			publish: await attempt(client, { method: "publish", args: ["t", "m", false, 1] }, context),
			subscribe: await attempt(client, { method: "subscribe", args: ["t"] }, context),
			waitMsg: await attempt(client, { method: "waitMsg", args: [] }, context),
			disconnect: await attempt(client, { method: "disconnect", args: [] }, context)
		};
		const left = resources();
		const working = new MQTTClient({ clientId: `${context.tag}-after-failed`, server, port: context.port, callback: context.callback });
		const next = await connectAndRoundTrip(working, context, 1);
		return { failed, outcomes, left, next };
	},

	/**
	 * What refusing (and sending) long strings costs on XS: milliseconds for
	 * each call, with its outcome. Strings that fit are sent; those past the
	 * 65,535-byte limit throw.
	 */
	async stringCosts(params) {
		const context = contextOf(params);
		const client = newClient(context, "string-costs");
		await client.connect();
		const costs = {};
		const time = async (name, call) => {
			const start = Time.ticks;
			const outcome = await attempt(client, call, context);
			costs[name] = { ms: Time.ticks - start, outcome };
		};
		await time("publish, topic of 65,536 characters", { method: "publish", args: [{ $: "repeat", char: "t", count: 65536 }, "m"] });
		await time("publish, topic of 65,535 characters", { method: "publish", args: [{ $: "repeat", char: "t", count: 65535 }, "m"] });
		await time("publish, topic of 16,384 characters", { method: "publish", args: [{ $: "repeat", char: "t", count: 16384 }, "m"] });
		await client.disconnect();
		return costs;
	},

	/** The options that only take effect on a connection: maxPacketSize below a CONNACK's 4 bytes. */
	async tinyMaxPacketSize(params) {
		const context = contextOf(params);
		const outcomes = {};
		for (const size of [1, 2, 3]) {
			let client;
			try {
				client = new MQTTClient({ clientId: `${context.tag}-tiny-${size}`, server, port: context.port, maxPacketSize: size });
			}
			catch (error) {
				outcomes[size] = `throw ${describeError(error)}`;
				continue;
			}
			outcomes[size] = `connect: ${await within(client.connect(true, 2), 3000)}`;
			await client.disconnect();
		}
		return { outcomes, resources: resources() };
	}
});
