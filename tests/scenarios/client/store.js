// The session on flash (issue 18), case by case: a client with a `store`
// publishes, is killed (the test closes the machine, or the power goes at a
// chosen byte), and a new machine with the same storage restores. The
// storage is the host's (XSHost option `storage`): a NOR flash partition
// through embedded:storage/flash, or a file of embedded:storage/files (the
// only one in mcsim, whose runner app carries the store: the flash module is
// imported only when a case asks for it).
import { MQTTClient } from "mqtt";
import { Store } from "mqtt/stored-session";
import { LogStore, PUBLISH_RECORD, RECEIVED_RECORD, SUBSCRIPTIONS_RECORD, CLIENT_RECORD } from "mqtt/store";
import { FlashMedium } from "mqtt/store-flash";
import { FileMedium } from "mqtt/store-files";
import files from "embedded:storage/files";
import { report, resources, heapInUse } from "harness";
import Time from "time";
import { text, hex, delay, cases, nextMessage } from "./common";

const server = "127.0.0.1";

let flash;	// embedded:storage/flash, once loaded

async function mediumOf({ medium = "flash", blocks, blockSize, file = "session" }) {
	if (medium === "files")
		return new FileMedium({ path: file, blockSize: blockSize ?? 4096, blockCount: blocks ?? 4 });
	flash ??= (await import("embedded:storage/flash")).default;
	return new FlashMedium(flash.open({ path: "storage" }), blocks);
}

/** The payload of message `i`: its number, then dots up to `size` bytes. */
export function payloadOf(i, size) {
	const head = `#${i}`;
	return head + ".".repeat(Math.max(0, size - head.length));
}

function client(params, store) {
	return new MQTTClient({
		clientId: params.clientId ?? "stored", server, port: params.port ?? 1, store, protocolVersion: params.protocolVersion,
		reconnect: params.reconnect ? { minDelay: 50, maxDelay: 200 } : undefined,
		callback: params.inbox ? inbox(params.inbox) : (topic, msg, properties, delivery) => report({ received: text(topic), msg: text(msg), delivery }),
		push: true,
		outgoingLimit: params.outgoingLimit
	});
}

/** Each message the broker completed, as the app hears of it. */
function completions() {
	const done = [];
	const onComplete = (topic, msg) => {
		done.push(text(msg));
		report({ completed: text(msg) });
	};
	return { done, onComplete };
}

async function publishAll(c, { count, size = 16, qos = 1, from = 0, topic = "t/store" }) {
	const accepted = [];
	let refused;
	for (let i = from; i < from + count; i++) {
		try {
			await c.publish(topic, payloadOf(i, size), false, qos);
		}
		catch (error) {
			refused = { at: i, name: error.name, message: error.message };
			break;
		}
		accepted.push(i);
		report({ accepted: i });
	}
	return { accepted, refused };
}

/** The records on the medium, read by the store unit alone: what a restore finds. */
async function listed(params) {
	const log = new LogStore(await mediumOf(params));
	const records = [];
	log.open(found => {
		const body = log.read(found.at);
		const record = { kind: found.kind, id: found.id, state: found.state };
		if (found.kind === PUBLISH_RECORD) {
			let at = 1;
			while (body[at] & 0x80)
				at++;
			at++;
			const length = (body[at] << 8) | body[at + 1];
			record.topic = text(body.slice(at + 2, at + 2 + length).buffer);
			at += 2 + length + ((body[0] & 6) ? 2 : 0);
			record.msg = text(body.slice(at).buffer);
			record.qos = (body[0] >> 1) & 3;
		}
		else if (found.kind === CLIENT_RECORD)
			record.clientId = text(body.slice().buffer);
		else if (found.kind === SUBSCRIPTIONS_RECORD)
			record.hex = hex(body);
		records.push(record);
	});
	return records;
}

/**
 * The app's own record of the messages it was handed, a line per message
 * appended to file `path` as the callback runs: written through to the host
 * before the callback returns (mcsim: pwrite), so it outlives a SIGKILL, as
 * a device's record on flash would (a report to the test may still wait in
 * the control socket's window when the process dies).
 *
 * Exactly once at QoS 2 across a power loss, as the README shows an app
 * doing it: each QoS 2 message's line carries its key (the callback's
 * `delivery`), written in the same write as the message, and a message
 * given `again` with the key of the last line written before this boot is
 * skipped: the app had it before the power went. (Not the last line now: a
 * broker may send new messages before its resends, as aedes does.)
 */
function inbox(path) {
	let file;
	try {
		file = files.openFile({ path, mode: "r+" });
	}
	catch {
		file = files.openFile({ path, mode: "w+" });
	}
	let at = file.status().size;
	const before = lastKey(file, at);
	return (topic, msg, properties, delivery) => {
		if (delivery?.again && delivery.key === before)
			return;
		const line = new Uint8Array(ArrayBuffer.fromString(delivery ? `${text(topic)}\t${delivery.key}\n` : `${text(topic)}\n`));
		file.write(line, at);
		at += line.length;
	};
}

/** The key of the last QoS 2 message recorded in the inbox (its lines `topic` or `topic\tkey`). */
function lastKey(file, size) {
	if (!size)
		return undefined;
	const bytes = new Uint8Array(size);
	file.read(bytes, 0);
	const lines = String.fromArrayBuffer(bytes.buffer).split("\n");
	for (let i = lines.length - 1; i >= 0; i--) {
		const tab = lines[i].indexOf("\t");
		if (tab >= 0)
			return Number(lines[i].slice(tab + 1));
	}
	return undefined;
}

export default cases({
	/** publish() with no connection: each accepted once on flash; `whenFull` the store's option, and what onComplete heard. */
	async publishOffline(params) {
		const fates = [];
		const onComplete = (topic, msg, error) => fates.push({ msg: text(msg), error: error && `${error.name}: ${error.message}` });
		const c = client(params, new Store(await mediumOf(params), { whenFull: params.whenFull, onComplete }));
		const result = await publishAll(c, params);
		await delay(50);	// onComplete is called in a turn of its own
		return { ...result, fates, list: params.list ? await listed(params) : undefined };
	},

	/** What a restore finds; then `count` more messages are stored, and found after those. */
	async verify(params) {
		const before = await listed(params);
		let after;
		if (params.count) {
			const c = client(params, new Store(await mediumOf(params)));
			await publishAll(c, params);
			after = await listed(params);
		}
		return { before, after };
	},

	/**
	 * One link of a chain of power cuts: reports what a restore finds (the
	 * outcome of the last cut), stores a filler message whole, waits for the
	 * test to arm the power, then stores message `from + 1`, where the power
	 * may go.
	 */
	async tornChain(params) {
		report({ list: await listed(params) });
		const c = client(params, new Store(await mediumOf(params)));
		await publishAll(c, { ...params, count: 1 });
		report({ ready: true });
		await nextMessage();
		return publishAll(c, { ...params, count: 1, from: params.from + 1 });
	},

	/** The store option and the Store's arguments, wrong: each throws at once, naming what is wrong. */
	async badArguments() {
		const outcome = make => {
			try {
				make();
				return "accepted";
			}
			catch (error) {
				return `${error.name}: ${error.message}`;
			}
		};
		return {
			store: outcome(() => new MQTTClient({ clientId: "x", server, store: {} })),
			medium: outcome(() => new Store({})),
			onComplete: outcome(() => new Store({ read() {}, write() {}, eraseBlock() {}, blockSize: 4096, blockCount: 4 }, { onComplete: 1 })),
			whenFull: outcome(() => new Store({ read() {}, write() {}, eraseBlock() {}, blockSize: 4096, blockCount: 4 }, { whenFull: "drop" })),
			blocks: outcome(() => new FileMedium({ path: "bad", blockCount: 2 }))
		};
	},

	/**
	 * A broker that closes the connection on a QoS 2 PUBLISH (Azure IoT
	 * Hub), with reconnect: the stored QoS 2 message's fate, told by
	 * onComplete, and the reasons onDisconnect heard; then a QoS 1 message
	 * goes through.
	 */
	async qos2Refused(params) {
		const reasons = [], fates = [];
		const c = new MQTTClient({
			clientId: "refused", server, port: params.port, push: true,
			store: new Store(await mediumOf(params), { onComplete: (topic, msg, error) => fates.push({ msg: text(msg), error: error && `${error.name}: ${error.message}` }) }),
			reconnect: { minDelay: 50, maxDelay: 100 },
			onDisconnect: reason => reasons.push(reason.message)
		});
		await c.connect(false);
		await c.publish("refused/t", "two", false, 2);
		for (let waited = 0; !fates.length && waited < 5000; waited += 20)
			await delay(20);
		while (!c.connected)
			await delay(20);
		await c.publish("refused/t", "one", false, 1);
		for (let waited = 0; fates.length < 2 && waited < 5000; waited += 20)
			await delay(20);
		await c.disconnect();
		return { fates, reasons, list: await listed(params), after: resources() };
	},

	/** A store of another client id is refused, naming both. */
	async otherClient(params) {
		try {
			client(params, new Store(await mediumOf(params)));
			return "accepted";
		}
		catch (error) {
			return `${error.name}: ${error.message}`;
		}
	},

	/**
	 * Boot 1 of a session: connect(false), subscribe, publish; then wait to
	 * be killed (the test closes the machine once the broker has what it
	 * wanted).
	 */
	async firstBoot(params) {
		const { onComplete } = completions();
		const c = client(params, new Store(await mediumOf(params), { onComplete }));
		report({ connected: await c.connect(false) });
		if (params.subscribe) {
			report({ granted: await c.subscribe(params.subscribe, params.subscribeOptions ?? 2) });
			await delay(0);		// the store writes the subscriptions in a turn after SUBACK's: this one comes after it
		}
		await publishAll(c, params);
		await publishAll(c, { ...params, qos: 2, count: params.qos2 ?? 0, from: params.count });
		report({ published: true });
		await nextMessage();
	},

	/** A later boot: connect(false), then the stored session completes; the completions, in order, once `expect` came. */
	async laterBoot(params) {
		const { done, onComplete } = completions();
		const c = client(params, new Store(await mediumOf(params), { onComplete }));
		const present = await c.connect(params.clean ?? false);
		report({ connected: present });
		for (let waited = 0; done.length < (params.expect ?? 0) && waited < 5000; waited += 20)
			await delay(20);
		await delay(params.linger ?? 200);
		await c.disconnect();
		if (params.after)	// published while disconnected: onto the store still
			await publishAll(c, { count: params.after, from: 100 });
		return { present, done, list: await listed(params) };
	},

	/**
	 * Connected: `count` messages published at QoS `qos`, at most `ahead`
	 * not yet completed; the store's wear when all are complete.
	 */
	async online(params) {
		const { done, onComplete } = completions();
		const store = new Store(await mediumOf(params), { onComplete });
		const c = client(params, store);
		await c.connect(false);
		const ahead = params.ahead ?? 20;
		for (let i = 0; i < params.count; i++) {
			while (i - done.length >= ahead)
				await delay(5);
			await c.publish("t/store", payloadOf(i, params.size ?? 16), false, params.qos ?? 1);
		}
		for (let waited = 0; done.length < params.count && waited < 20000; waited += 20)
			await delay(20);
		await c.disconnect();
		return { done: done.length, wear: store.log.wear };
	},

	/**
	 * A device at work, to be killed at any moment (tests/store.test.js):
	 * its store in file `file`, connect(false), then messages `boot:i` at QoS
	 * `qos`, one every `gap` ms, each reported once accepted; a full store
	 * is waited out. With `count` 0 it only connects and lets the store drain.
	 */
	async work(params) {
		const store = new Store(await mediumOf({ medium: "files", file: params.file, blocks: params.blocks ?? 8 }),
			{ onComplete: (topic, msg) => report({ completed: text(msg) }) });
		const c = client({ ...params, reconnect: true }, store);
		report({ connected: await c.connect(false) });
		for (let i = 0; i < (params.count ?? Infinity); i++) {
			try {
				await c.publish("soak/out", `${params.boot}:${i}`, false, params.qos);
				report({ accepted: `${params.boot}:${i}` });
			}
			catch (error) {
				report({ refused: `${params.boot}:${i}`, message: error.message });
				i--;
			}
			await delay(params.gap ?? 10);
		}
		await nextMessage();
	},

	/**
	 * A device at work both ways, to be killed at any moment
	 * (tests/mcsim-store.test.js): its store in file `file`, connect(false)
	 * (the first boot subscribes to in/# at QoS 2 and reports it), every
	 * message the broker sends it appended to file `inbox` by the callback
	 * (the app has it), and messages out/<qos>/<boot>-<i>, QoS 1 and 2 in
	 * turn, one every `gap` ms, each reported once accepted. With `count` 0
	 * it only connects and lets the session drain.
	 */
	async bothWays(params) {
		const store = new Store(await mediumOf({ medium: "files", file: params.file, blocks: params.blocks ?? 8 }),
			{ onComplete: topic => report({ completed: text(topic) }) });
		const c = new MQTTClient({
			clientId: params.clientId, server, port: params.port, store, push: true,
			reconnect: { minDelay: 50, maxDelay: 200 },
			callback: inbox(params.inbox)
		});
		report({ connected: await c.connect(false) });
		if (params.subscribe)
			report({ granted: await c.subscribe("in/#", 2) });
		for (let i = 0; i < (params.count ?? Infinity); i++) {
			const qos = 1 + (i % 2), topic = `out/${qos}/${params.boot}-${i}`;
			try {
				await c.publish(topic, "m", false, qos);
				report({ accepted: topic });
			}
			catch (error) {
				report({ refused: topic, message: error.message });
				i--;
			}
			await delay(params.gap ?? 10);
		}
		await nextMessage();
	},

	/**
	 * A device's work with its session in a file (the ESP8266's budget in
	 * mcsim): connect(false), subscribe, 10 QoS 1 and 10 QoS 2 messages out
	 * and back; then a new client over the same store (a restore) stores 5
	 * messages before connect(false), and they go out once connected.
	 */
	async device(params) {
		const received = [];
		const { done, onComplete } = completions();
		const medium = await mediumOf({ medium: "files", file: params.file ?? "device", blocks: params.blocks ?? 8 });
		const make = () => new MQTTClient({ clientId: "stored-device", server, port: params.port, store: new Store(medium, { onComplete }), push: true,
			callback: (topic, msg) => received.push(text(msg)) });
		let c = make();
		if (params.phase === "construct")
			return { constructed: true };
		if (params.phase === "offline") {
			for (let i = 0; i < 5; i++)
				await c.publish("stored/device", `m${i}`, false, 1);
			return { offline: true };
		}
		await c.connect(false);
		await c.subscribe("stored/device", 2);
		for (let i = 0; i < 20; i++)
			await c.publish("stored/device", `m${i}`, false, i < 10 ? 1 : 2);
		for (let waited = 0; (done.length < 20 || received.length < 20) && waited < 10000; waited += 20)
			await delay(20);
		await c.disconnect();
		c = make();
		for (let i = 20; i < 25; i++)
			await c.publish("stored/device", `m${i}`, false, 1);
		const present = await c.connect(false);
		for (let waited = 0; (done.length < 25 || received.length < 25) && waited < 10000; waited += 20)
			await delay(20);
		await c.disconnect();
		await delay(50);
		return { present, received, done: done.length, after: resources() };
	},

	/**
	 * A battery device's wake-up (deep sleep): its store in file `file`,
	 * connect(false) (again while the broker restarts), one QoS 1 reading
	 * `r<n>`, reported once accepted; then it waits to be killed. With
	 * `commands`, the first wake-up subscribes to sleep/cmd/# at QoS 1, and
	 * what arrives is appended to file `inbox` (`protocolVersion` as given).
	 */
	async reading(params) {
		const store = new Store(await mediumOf({ medium: "files", file: params.file, blocks: 4 }),
			{ onComplete: (topic, msg) => report({ completed: text(msg) }) });
		const c = client(params, store);
		for (;;) {
			try {
				await c.connect(false);
				break;
			}
			catch {
				await delay(100);
			}
		}
		if (params.commands && params.n === 0)	// the first wake-up: then the session keeps it
			await c.subscribe("sleep/cmd/#", 1);
		await c.publish("sleep/readings", `r${params.n}`, false, 1);
		report({ accepted: params.n });
		await nextMessage();
	},

	/**
	 * Offline: connect(false), the test stops the broker, then `count`
	 * messages of 64 B published while disconnected, the heap measured
	 * before the first and after the last (mcsim); once the test has the
	 * broker back (its message), connect(false) and they all go out.
	 */
	async offline(params) {
		let done = 0;
		const store = new Store(await mediumOf({ medium: "files", file: params.file, blocks: params.blocks }), { onComplete: () => done++ });
		const c = client(params, store);
		await c.connect(false);
		report({ connected: true });
		await nextMessage();		// the broker is down
		while (c.connected)
			await delay(20);
		const payload = ".".repeat(58);
		await c.publish("offline/out", `00000:${payload}`, false, 1);	// the first: the store's blocks opened
		const before = heapInUse();
		for (let i = 1; i < params.count; i++)
			await c.publish("offline/out", `${String(i).padStart(5, "0")}:${payload}`, false, 1);
		const after = heapInUse();
		report({ published: params.count, before, after });
		await nextMessage();		// the broker is back
		await c.connect(false);
		for (let waited = 0; done < params.count && waited < 120000; waited += 50)
			await delay(50);
		await c.disconnect();
		return { before, after, done };
	},

	/**
	 * The benchmark's latency (tests/bench/store.js): connect(false), then
	 * `count` QoS 1 messages of 64 B, one after another, each publish()'s
	 * Promise awaited, then its completion (onComplete, with a store) before
	 * the next: the ms (Time.ticks) from each publish() call to its Promise
	 * resolving and, with a store, to its completion. `stored`: a store in
	 * file `file`; else the RAM session.
	 */
	async latency(params) {
		let completed = 0;
		const store = params.stored ? new Store(await mediumOf({ medium: "files", file: params.file, blocks: 16 }), { onComplete: () => completed++ }) : undefined;
		const c = new MQTTClient({ clientId: params.clientId, server, port: params.port, store });
		await c.connect(false);
		const payload = ".".repeat(64), resolved = [], complete = [];
		const started = Time.ticks;
		for (let i = 0; i < params.count; i++) {
			const t0 = Time.ticks;
			await c.publish("bench/latency", payload, false, 1);
			resolved.push(Time.ticks - t0);
			if (store) {
				while (completed <= i)
					await delay(1);
				complete.push(Time.ticks - t0);
			}
		}
		const total = Time.ticks - started;
		await c.disconnect();
		return { resolved, complete, total };
	},

	/**
	 * The benchmark's restore (tests/bench/store.js), a boot after `fill`
	 * stored `count` messages in file `file` offline: the ms (Time.ticks)
	 * from the Store's construction over the file to the client made (the
	 * store opened: its records scanned, the session ready), then from
	 * connect(false) to the last of them completed (PUBACK).
	 */
	async restoreTimed(params) {
		let completed = 0;
		const t0 = Time.ticks;
		const store = new Store(await mediumOf({ medium: "files", file: params.file, blocks: params.blocks }), { onComplete: () => completed++ });
		const c = new MQTTClient({ clientId: params.clientId, server, port: params.port, store });
		const t1 = Time.ticks;
		await c.connect(false);
		while (completed < params.count && Time.ticks - t1 < 120000)
			await delay(5);
		const t2 = Time.ticks;
		await c.disconnect();
		return { open: t1 - t0, drain: t2 - t1, completed };
	},

	/** `count` QoS 1 messages of 64 B stored offline in file `file` (no connection): the restore's backlog. */
	async fill(params) {
		const store = new Store(await mediumOf({ medium: "files", file: params.file, blocks: params.blocks }));
		const c = new MQTTClient({ clientId: params.clientId, server, port: 1, store });
		const payload = ".".repeat(64);
		for (let i = 0; i < params.count; i++)
			await c.publish("bench/restore", payload, false, 1);
		return { stored: params.count };
	},

	/** Offline, then connected: `count` messages published while the broker is away go out in order once it is back. */
	async storeAndForward(params) {
		const { done, onComplete } = completions();
		const store = new Store(await mediumOf(params), { onComplete });
		const c = client({ ...params, reconnect: true }, store);
		const result = await publishAll(c, params);
		report({ published: result.accepted.length });
		await c.connect(false);
		for (let waited = 0; done.length < result.accepted.length && waited < 20000; waited += 20)
			await delay(20);
		await c.disconnect();
		return { ...result, done: done.length, wear: store.log.wear };
	}
});
