// The client against a scripted broker: orderings, refusals and faults that
// real brokers do not produce on demand.
import { MQTTClient } from "mqtt";
import { report, resources, onMessage } from "harness";
import { text, settled, delay, cases } from "./common";

const server = "127.0.0.1";

export default cases({
	/** The broker sends a PUBLISH before the SUBACK, and before the PUBACK: neither is taken for the ack. */
	async publishBeforeAck({ port }) {
		const received = [];
		const client = new MQTTClient("ordering", server, port);
		client.setCallback((topic, msg) => received.push([text(topic), text(msg)]));
		await client.connect();
		const granted = await client.subscribe("order/t", 1);
		const published = await settled(client.publish("order/t", "mine", false, 1));
		while (received.length < 2)
			await client.waitMsg();
		await client.disconnect();
		return { granted, published, received };
	},

	/** The connection ends while operations wait: each rejects with what happened. */
	async endedWhilePending({ port }) {
		const client = new MQTTClient("ended", server, port);
		client.setCallback(() => {});
		await client.connect();
		const outcomes = await Promise.all([
			settled(client.publish("end/t", "m", false, 1)),
			settled(client.subscribe("end/s", 1)),
			settled(client.waitMsg())
		]);
		return { outcomes, connected: client.connected, after: resources(), later: await settled(client.publish("t", "m")) };
	},

	/** The broker breaks the protocol after CONNACK: the connection closes with the parser's named error. */
	async breach({ port }) {
		const client = new MQTTClient("breach", server, port);
		client.setCallback(() => {});
		await client.connect();
		const outcome = await settled(client.publish("breach/t", "m", false, 1));
		return { outcome, after: resources() };
	},

	async connectOutcome({ port, maxPacketSize }) {
		const client = new MQTTClient({ clientId: "connect-outcome", server, port, maxPacketSize });
		const outcome = await settled(client.connect(true, 2));
		return { outcome, after: resources() };
	},

	/** Queue of 4, not polled: the client stops reading; QoS 1 acks wait for delivery. Then it drains in order. */
	async boundedQueue({ port, count }) {
		const received = [];
		const client = new MQTTClient({ clientId: "bounded", server, port, queueLength: 4, callback: (topic, msg) => received.push(text(msg)) });
		await client.connect();
		await client.subscribe("flood/#", 1);
		return new Promise(resolve => {
			onMessage(async ({ poll }) => {
				if (!poll)
					return;
				while (received.length < count)
					await client.waitMsg();
				await delay(50);	// the last PUBACKs go out
				await client.disconnect();
				resolve(received);
			});
			report({ subscribed: true });
		});
	},

	/** Publishes `count` QoS 1 messages, `window` at a time: packet ids wrap past 65,535, skipping the one held in flight. */
	async idWrap({ port, count, window }) {
		const client = new MQTTClient({ clientId: "wrap", server, port, outgoingLimit: window + 1 });
		await client.connect();
		const held = client.publish("wrap/held", "held", false, 1);	// id 1: its PUBACK comes only at the end
		let sent = 1;
		while (sent < count) {
			const batch = [];
			for (let i = 0; i < window && sent < count; i++, sent++)
				batch.push(client.publish("wrap/t", "m", false, 1));
			await Promise.all(batch);
		}
		report({ sent });
		await held;
		await client.disconnect();
		return { sent };
	}
});
