// Numbered messages both ways, QoS 1 and 2, while the test kills the broker
// with SIGKILL and starts it again (tests/crash.test.js counts them). The app
// is the seed's kind of app: it reads with checkMsg in a loop. With
// `reconnect` the client comes back by itself; without, the app reconnects
// with connect(false) on onDisconnect (and subscribes again when the broker
// lost the session), and publishes again only what the client did not keep:
// a rejection that says the message stays in the session is the session's to
// finish (api.md), any other (not connected, lost) the app's to retry.
import { MQTTClient } from "mqtt";
import { report, onMessage } from "harness";
import { text, delay } from "./common";

const server = "127.0.0.1";

export default async function crash({ port, count, clientId, reconnect }) {
	const incoming = {};
	const events = [];
	const rejections = {};
	let connections = 0;
	const note = event => { if (events.length < 40) events.push(event); };
	const client = new MQTTClient({
		clientId, server, port, outgoingLimit: 4 * count + 16,
		reconnect: reconnect ? { minDelay: 100, maxDelay: 400 } : false,
		onConnect(sessionPresent) {
			connections++;
			note(`connected, session present ${sessionPresent ? 1 : 0}`);
		},
		onDisconnect(reason) {
			note(`disconnected: ${reason.message}`);
			if (!reconnect)
				reconnectByApp();
		}
	});
	client.setCallback(topic => {
		const name = text(topic);
		incoming[name] = (incoming[name] ?? 0) + 1;
	});

	let reconnecting = false;
	async function reconnectByApp() {
		if (reconnecting)
			return;
		reconnecting = true;
		for (;;) {
			await delay(100);
			try {
				if (!await client.connect(false))
					await client.subscribe("in/#", 2);	// the broker lost the session, and the subscription with it
				break;
			}
			catch (error) {
				note(`connect(false): ${error.message}`);
				if (client.connected)
					break;
			}
		}
		reconnecting = false;
	}

	async function publishUntilTaken(topic, payload, qos) {
		for (;;) {
			try {
				await client.publish(topic, payload, false, qos);
				return "ok";
			}
			catch (error) {
				const reason = error.message.replace(/\d+/g, "N");
				rejections[reason] = (rejections[reason] ?? 0) + 1;
				if (/stays in the session/.test(error.message))
					return "session";
				while (!client.connected)
					await delay(20);
			}
		}
	}

	await client.connect(false);
	await client.subscribe("in/#", 2);
	let reading = true;
	const reader = (async () => {
		while (reading) {
			try {
				await client.checkMsg();
			}
			catch {
				await delay(20);
			}
		}
	})();
	let start, finish;
	const started = new Promise(resolve => { start = resolve; });
	const finished = new Promise(resolve => { finish = resolve; });
	onMessage(message => message.start ? start() : finish());
	report({ ready: true });
	await started;

	const outcomes = [];
	for (let i = 0; i < count; i++) {
		for (const qos of [1, 2])
			outcomes.push(publishUntilTaken(`out/${qos}/${i}`, `m${i}`, qos));
		await delay(10);	// paced, so that the broker dies with messages in flight both ways
	}
	const settled = await Promise.all(outcomes);
	report({ published: { ok: settled.filter(outcome => outcome === "ok").length, session: settled.filter(outcome => outcome === "session").length } });
	await finished;
	await delay(300);
	reading = false;
	await reader;
	await client.disconnect();
	return { incoming, connections, events, rejections };
}
