// MQTT 3.1.1 normative statements that need the XS engine itself (its
// ArrayBuffer.fromString, its client), for tests/conformance.test.js: each
// case returns what the app saw; the test checks the packets on the wire.
import { MQTTClient } from "mqtt";
import { PacketWriter } from "mqtt/writer";
import { report, resources } from "harness";
import { outcome, settled, delay, text, cases, hex, nextMessage } from "./common";

const server = "127.0.0.1";
const bytesOf = frame => [...frame.head, ...(frame.body ?? [])];

export default cases({
	/** The packets the writer makes on XS from strings holding a lone surrogate, as byte arrays. */
	loneSurrogates() {
		const writer = new PacketWriter();
		const packets = {};
		const attempt = (name, write) => {
			try {
				packets[name] = bytesOf(write());
			}
			catch (error) {
				packets[name] = `${error.name}: ${error.message}`;
			}
		};
		attempt("CONNECT client id", () => writer.connect({ clientId: "id\uD800", cleanSession: true, keepalive: 0 }));
		attempt("CONNECT user name", () => writer.connect({ clientId: "id", cleanSession: true, keepalive: 0, user: "u\uDC00", password: "p" }));
		attempt("CONNECT will topic", () => writer.connect({ clientId: "id", cleanSession: true, keepalive: 0, will: { topic: "w\uD83D", message: "m", qos: 0, retain: false } }));
		attempt("PUBLISH topic", () => writer.publish("t\uDC00", "m", 0, false, false, 0));
		attempt("SUBSCRIBE filter", () => writer.subscribe(1, ["f\uD800/#"], [0]));
		attempt("UNSUBSCRIBE filter", () => writer.unsubscribe(1, ["f\uDFFF"]));
		return packets;
	},

	/** connect(false) on a client whose id is empty: refused before any socket opens. */
	emptyClientIdNotClean({ port }) {
		const client = new MQTTClient("", "127.0.0.1", port);
		return { outcome: outcome(() => client.connect(false)), after: resources() };
	},

	/**
	 * The scripted broker sends a burst of QoS 1 and QoS 2 PUBLISHes; the app
	 * reads them with waitMsg (queued first) or in push mode. The broker
	 * answers each PUBREC with PUBREL. Returns the payloads in delivery order.
	 */
	async acknowledgementOrder({ port, push, count, protocolVersion }) {
		const received = [];
		const client = new MQTTClient({ clientId: "ack-order", server, port, push, protocolVersion, callback: (topic, msg) => received.push(text(msg)) });
		await client.connect();
		await client.subscribe("order/#", 2);
		report({ subscribed: true });
		let completed;	// the test's word that the broker has every acknowledgement, the PUBCOMPs included
		if (push) {
			completed = nextMessage();
			while (received.length < count)
				await delay(10);
		}
		else {
			await nextMessage();	// the burst is in the client's queue
			completed = nextMessage();
			while (received.length < count)
				await client.waitMsg();
		}
		await completed;
		await client.disconnect();
		return received;
	},

	/** Three QoS 2 publishes; the broker answers PUBREC out of order. Returns each Promise's outcome. */
	async releaseOrder({ port, protocolVersion }) {
		const client = new MQTTClient({ clientId: "release-order", server, port, protocolVersion });
		await client.connect();
		const outcomes = await Promise.all(["first", "second", "third"].map(payload => settled(client.publish("release/t", payload, false, 2))));
		await client.disconnect();
		return outcomes;
	},

	/** The broker sends QoS 1 PUBLISHes that reuse one packet id once each is acknowledged; the app reads `count`. */
	async qos1IdReused({ port, count, protocolVersion }) {
		const received = [];
		const client = new MQTTClient({ clientId: "qos1-reused", server, port, protocolVersion, callback: (topic, msg) => received.push(text(msg)) });
		await client.connect();
		await client.subscribe("reuse/#", 1);
		const acknowledged = nextMessage();	// the test's word that the broker has the last PUBACK
		while (received.length < count)
			await client.waitMsg();
		await acknowledged;
		await client.disconnect();
		return received;
	},

	/**
	 * Messages at QoS 0, 1 and 2 and one on a topic never subscribed; the
	 * callback throws for each when `throwing`. The app reads `count` with
	 * waitMsg. Returns what each waitMsg settled to and what the callback saw.
	 */
	async answers({ port, throwing, count, protocolVersion }) {
		const seen = [];
		const client = new MQTTClient({ protocolVersion,
			clientId: "answers", server, port,
			callback: (topic, msg) => {
				seen.push(`${text(topic)} ${text(msg)}`);
				if (throwing)
					throw new RangeError(`the app refuses ${text(msg)}`);
			}
		});
		await client.connect();
		await client.subscribe("answer/#", 2);
		report({ subscribed: true });
		await nextMessage();	// every message is in the client's queue
		const completed = nextMessage();	// the test's word that the broker has the PUBACKs and the PUBCOMP
		const outcomes = [];
		for (let i = 0; i < count; i++)
			outcomes.push(await settled(client.waitMsg()));
		await completed;
		await client.disconnect();
		return { outcomes, seen };
	},

	/** Push mode, a callback that throws: the exception goes on to the host (the machine stops). */
	async throwingInPush({ port }) {
		const client = new MQTTClient({
			clientId: "push-throws", server, port, push: true,
			callback: (topic, msg) => { throw new RangeError(`the app refuses ${text(msg)}`); }
		});
		await client.connect();
		await client.subscribe("answer/#", 2);
		report({ subscribed: true });
		return new Promise(() => {});	// the callback's exception ends the run
	},

	/**
	 * QoS 0 publishes before, during and after a reconnection, next to a QoS 1
	 * publish that the broker acknowledges only on the second connection (so
	 * that it is resent with DUP). Returns each Promise's outcome.
	 */
	async qos0Dup({ port, protocolVersion }) {
		let lost;
		const disconnected = new Promise(resolve => { lost = resolve; });
		const client = new MQTTClient({ clientId: "qos0-dup", server, port, protocolVersion, reconnect: { minDelay: 50, maxDelay: 100 }, onDisconnect() { lost(); } });
		await client.connect(false);
		const pending = [settled(client.publish("zero/1", "a", false, 0)), settled(client.publish("one/1", "b", false, 1)), settled(client.publish("zero/2", "c", true, 0))];
		await disconnected;
		pending.push(settled(client.publish("zero/3", "d", false, 0)));	// waits for the reconnection
		const outcomes = await Promise.all(pending);
		outcomes.push(await settled(client.publish("zero/4", "e", false, 0)));
		await client.disconnect();
		return outcomes;
	},

	/**
	 * U+FEFF (EF BB BF) in the topics the client sends and receives. Returns
	 * the received topic's bytes in hex.
	 */
	async byteOrderMark({ port }) {
		let topic;
		const client = new MQTTClient({ clientId: "bom", server, port, callback: received => { topic = hex(received); } });
		await client.connect();
		await client.subscribe("\uFEFFbom/+", 1);
		await client.publish("\uFEFFbom/out", "m", false, 1);
		while (topic === undefined)
			await client.waitMsg();
		await client.unsubscribe("\uFEFFbom/+");
		await client.disconnect();
		return topic;
	},

	/**
	 * Clean session 1 with `reconnect`: the broker drops the connection while
	 * a QoS 1 publish waits for PUBACK and a QoS 2 publish for PUBCOMP (past
	 * PUBREC). Returns each Promise's outcome.
	 */
	async cleanReconnect({ port, protocolVersion }) {
		const client = new MQTTClient({ clientId: "clean-reconnect", server, port, protocolVersion, reconnect: { minDelay: 50, maxDelay: 100 } });
		await client.connect(true);
		const outcomes = await Promise.all([settled(client.publish("clean/1", "one", false, 1)), settled(client.publish("clean/2", "two", false, 2))]);
		await client.disconnect();
		return { outcomes, after: resources() };
	}
});
