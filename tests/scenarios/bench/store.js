// The store's benchmark app (tests/bench/store.js): a client with its session
// on the host's NOR flash, or without a store, driven op by op (one message,
// one turn, so the host's meters are the op's).
import { MQTTClient } from "mqtt";
import { Store } from "mqtt/stored-session";
import { FlashMedium } from "mqtt/store-flash";
import flash from "embedded:storage/flash";
import { onMessage, report, collectGarbage } from "harness";

const payload = new Uint8Array(64);
let client, store, count = 0, done = 0;

function make({ stored, port, blocks, outgoingLimit }) {
	store = stored ? new Store(new FlashMedium(flash.open({ path: "storage" }), blocks), { onComplete: () => done++ }) : undefined;
	client = new MQTTClient({ clientId: stored ? "bench-store" : "bench-ram", server: "127.0.0.1", port: port ?? 1, store, outgoingLimit: outgoingLimit ?? 32 });
}

const OPS = {
	make,
	/** One publish; nothing awaited (the op's turn is the publish's cost). */
	publish({ qos }) {
		client.publish("bench/store", payload, false, qos).then(() => count++, () => {});
	},
	async connect() {
		await client.connect(false);
		report({ connected: true });
	},
	gc() {
		collectGarbage();
	},
	async fill({ n, qos }) {
		for (let i = 0; i < n; i++)
			await client.publish("bench/store", payload, false, qos);
		report({ filled: n });
	},
	status() {
		report({ count, done, wear: store?.log.wear });
	},
};

export default function () {
	onMessage(message => {
		const result = OPS[message.op](message);
		if (result?.then)
			result.then(undefined, error => report({ error: String(error) }));
	});
	report({ ready: true });
	return new Promise(() => {});
}
