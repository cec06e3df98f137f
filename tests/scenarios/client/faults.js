// The client against a scripted broker: orderings, refusals and faults that
// real brokers do not produce on demand.
import Time from "time";
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
	},

	/**
	 * A QoS 2 publish the broker answers with PUBACK (RabbitMQ): it resolves,
	 * and the session forgets it: with the session present at the next
	 * connect(false), nothing goes out again.
	 */
	async qos2Downgrade({ port }) {
		const client = new MQTTClient({ clientId: "downgrade", server, port, outgoingLimit: 1 });
		await client.connect(false);
		const published = await settled(client.publish("downgrade/t", "two", false, 2));
		const next = await settled(client.publish("downgrade/t", "one", false, 1));	// the limit of 1 has room again
		await client.disconnect();
		const sessionPresent = await client.connect(false);
		await delay(100);	// what a resend would have sent has arrived by now
		await client.disconnect();
		return { published, next, sessionPresent, after: resources() };
	},

	/**
	 * Requests the broker never acknowledges (AWS IoT: no SUBACK for a QoS 2
	 * SUBSCRIBE): each rejects after ackTimeout, naming what, and the client
	 * goes on: acknowledged requests work, and the forgotten publications
	 * leave room under outgoingLimit (clean session 1).
	 */
	async unacknowledged({ port, ackTimeout }) {
		const client = new MQTTClient({ clientId: "unacknowledged", server, port, ackTimeout, outgoingLimit: 2, callback: () => {} });
		await client.connect();
		const start = Time.ticks;
		const timed = async promise => {
			const outcome = await settled(promise);
			return { outcome, elapsed: Time.ticks - start };
		};
		const outcomes = await Promise.all([
			timed(client.subscribe(["silent/a", "silent/b"], 2)),
			timed(client.unsubscribe("silent/u")),
			timed(client.publish("silent/1", "m", false, 1)),
			timed(client.publish("silent/2", "m", false, 2))
		]);
		const granted = await settled(client.subscribe("answered/t", 1));
		const published = [client.publish("answered/t", "a", false, 1), client.publish("answered/t", "b", false, 2)];
		const later = { granted, published: [await settled(published[0]), await settled(published[1])], connected: client.connected };
		await client.disconnect();
		return { outcomes, later, after: resources() };
	},

	/**
	 * A late acknowledgement (after ackTimeout) is ignored: the request has
	 * rejected, and the connection stays.
	 */
	async lateAck({ port, ackTimeout }) {
		const client = new MQTTClient({ clientId: "late", server, port, ackTimeout, callback: () => {} });
		await client.connect();
		const late = await settled(client.subscribe("late/t", 1));
		await delay(3 * ackTimeout);	// the SUBACK comes meanwhile
		const connected = client.connected;
		const granted = await settled(client.subscribe("answered/t", 1));
		await client.disconnect();
		return { late, connected, granted, after: resources() };
	},

	/**
	 * With clean session 0, an unacknowledged publication rejects after
	 * ackTimeout but stays in the session: it counts against outgoingLimit,
	 * and goes out again (DUP, same id) at the next connect(false).
	 */
	async unacknowledgedKept({ port, ackTimeout }) {
		const client = new MQTTClient({ clientId: "kept", server, port, ackTimeout, outgoingLimit: 1 });
		await client.connect(false);
		const published = await settled(client.publish("silent/kept", "m", false, 1));
		const full = await settled(client.publish("answered/t", "m", false, 1));
		await client.disconnect();
		const sessionPresent = await client.connect(false);
		await delay(100);	// the resend is acknowledged meanwhile
		const afterResend = await settled(client.publish("answered/t", "m", false, 1));
		await client.disconnect();
		return { published, full, sessionPresent, afterResend, after: resources() };
	},

	/**
	 * A broker that closes the connection on a QoS 2 PUBLISH (Azure IoT Hub).
	 * Without reconnect: the publish rejects, and onDisconnect hears, what
	 * awaited PUBREC. With reconnect: each lost connection is reported so, and
	 * the message is given up after three, then a QoS 1 publish goes through.
	 */
	async qos2Refused({ port, reconnect }) {
		const reasons = [];
		const client = new MQTTClient({
			clientId: "refused", server, port,
			reconnect: reconnect ? { minDelay: 50, maxDelay: 100 } : false,
			onDisconnect: reason => reasons.push(reason.message)
		});
		await client.connect();
		const published = await settled(client.publish("refused/t", "two", false, 2));
		while (reconnect && !client.connected)
			await delay(20);
		const next = reconnect ? await settled(client.publish("refused/t", "one", false, 1)) : undefined;
		await client.disconnect();
		return { published, reasons, next, after: resources() };
	}
});
