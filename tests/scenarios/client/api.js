// The seed's API, method by method (docs: shared/docs/api.md), on XS.
import { MQTTClient, MQTTException } from "mqtt";
import Time from "time";
import { report, resources, onMessage } from "harness";
import { text, outcome, settled, delay, cases } from "./common";

const server = "127.0.0.1";

export default cases({
	construct() {
		const callback = () => {};
		const table = {
			positional: () => new MQTTClient("id", server, 1883, null, "user", "pass", 60, callback),
			options: () => new MQTTClient({ clientId: "id", server, port: 1883, user: "u", password: "p", keepalive: 0, callback }),
			binaryClientId: () => new MQTTClient(Uint8Array.of(0x61, 0x62), server),
			userWithoutPassword: () => new MQTTClient("id", server, 1883, null, "user"),
			passwordWithoutUser: () => new MQTTClient({ clientId: "id", server, password: "p" }),
			keepaliveNegative: () => new MQTTClient("id", server, 1883, null, undefined, undefined, -1),
			keepaliveTooLarge: () => new MQTTClient("id", server, 1883, null, undefined, undefined, 65536),
			keepaliveFraction: () => new MQTTClient("id", server, 1883, null, undefined, undefined, 1.5),
			keepaliveString: () => new MQTTClient({ clientId: "id", server, keepalive: "10" }),
			keepaliveMax: () => new MQTTClient("id", server, 1883, null, undefined, undefined, 65535),
			portZero: () => new MQTTClient("id", server, 0),
			portTooLarge: () => new MQTTClient("id", server, 65536),
			clientIdNumber: () => new MQTTClient(42, server),
			clientIdTooLong: () => new MQTTClient("x".repeat(65536), server),
			serverEmpty: () => new MQTTClient("id", ""),
			serverMissing: () => new MQTTClient("id"),
			callbackNotFunction: () => new MQTTClient("id", server, 1883, null, undefined, undefined, 0, "f"),
			sslParamsString: () => new MQTTClient("id", server, 8883, "yes")
		};
		const result = {};
		for (const [name, make] of Object.entries(table))
			result[name] = outcome(make);
		return result;
	},

	async defaultPorts({ closedAddress }) {
		const plain = new MQTTClient("id", closedAddress);
		const secure = new MQTTClient({ clientId: "id", server: closedAddress, ssl: {} });
		return { plain: await settled(plain.connect(true, 2)), secure: await settled(secure.connect(true, 2)) };
	},

	async callbackTypes({ port }) {
		return new Promise(async (resolve, reject) => {
			const client = new MQTTClient("callback-types", server, port);
			client.setCallback(async (topic, msg) => {
				resolve({
					topicIsArrayBuffer: topic instanceof ArrayBuffer, msgIsArrayBuffer: msg instanceof ArrayBuffer,
					topic: text(topic), msg: Array.from(new Uint8Array(msg)), returned: await waiting
				});
				await client.disconnect();
			});
			await client.connect();
			await client.subscribe("types/in");
			report({ ready: true });
			const waiting = client.waitMsg();
		});
	},

	/** Push mode, a waitMsg() pending: the message goes to the callback, once, and the waitMsg resolves its first byte. */
	async pushWaiting({ port }) {
		const calls = [];
		const client = new MQTTClient({ clientId: "push-waiting", server, port, push: true, callback: (topic, msg) => calls.push(text(msg)) });
		await client.connect();
		await client.subscribe("push/waiting");
		const waiting = client.waitMsg();
		report({ ready: true });
		const returned = await Promise.race([waiting, delay(3000).then(() => "no answer within 3 s")]);
		await client.disconnect();
		return { returned, calls };
	},

	async setCallbackErrors() {
		const client = new MQTTClient("id", server);
		return { notFunction: outcome(() => client.setCallback(42)), missing: outcome(() => client.setCallback()) };
	},

	async setLastWillErrors({ port }) {
		const client = new MQTTClient("will-errors", server, port);
		const result = {
			emptyTopic: outcome(() => client.setLastWill("", "m")),
			wildcardTopic: outcome(() => client.setLastWill("a/+", "m")),
			qos3: outcome(() => client.setLastWill("t", "m", false, 3)),
			qosNegative: outcome(() => client.setLastWill("t", "m", false, -1)),
			retainNotBoolean: outcome(() => client.setLastWill("t", "m", "yes")),
			messageNumber: outcome(() => client.setLastWill("t", 5)),
			valid: outcome(() => client.setLastWill("t", "m", true, 2))
		};
		await client.connect();
		result.whenConnected = outcome(() => client.setLastWill("t", "m"));
		await client.disconnect();
		return result;
	},

	async will({ port, topic, message, qos, retain }) {
		const client = new MQTTClient("will-client", server, port);
		client.setLastWill(topic, message, retain, qos);
		await client.connect();
		report({ connected: true });
		return new Promise(() => {});	// the test kills the host: the socket dies without DISCONNECT
	},

	async sessionPresent({ port }) {
		const client = new MQTTClient("session-present", server, port);
		client.setCallback(() => {});
		const first = await client.connect(false);
		await client.subscribe("session/keep", 1);	// something for the session to hold
		await client.disconnect();
		const second = await client.connect(false);
		await client.disconnect();
		const third = await client.connect(true);
		await client.disconnect();
		const fourth = await client.connect(true);
		await client.disconnect();
		return { first, second, third, fourth };
	},

	async refusedCredentials({ port, user, password }) {
		const client = new MQTTClient({ clientId: "refused", server, port, user, password });
		try {
			await client.connect();
			return "connected";
		}
		catch (error) {
			return { isMQTTException: error instanceof MQTTException, name: error.name, code: error.code, message: error.message, after: resources() };
		}
	},

	async acceptedCredentials({ port, user, password }) {
		const client = new MQTTClient({ clientId: "accepted", server, port, user, password });
		const present = await client.connect();
		await client.disconnect();
		return present;
	},

	async connectFailure({ host = server, port, timeout = 5 }) {
		const client = new MQTTClient("failure", host, port);
		const start = Time.ticks;
		const outcome = await settled(client.connect(true, timeout));
		return { outcome, elapsed: Time.ticks - start, after: resources(), publishAfter: await settled(client.publish("t", "m")) };
	},

	async connectTwice({ port }) {
		const client = new MQTTClient("twice", server, port);
		const first = client.connect();
		const during = await settled(client.connect());
		await first;
		const after = await settled(client.connect());
		await client.disconnect();
		return { during, after };
	},

	async resolveName({ host, port }) {
		const client = new MQTTClient("names", host, port);
		const present = await client.connect();
		await client.disconnect();
		return present;
	},

	async disconnect({ port }) {
		const client = new MQTTClient("disconnecting", server, port);
		client.setCallback(() => {});
		await client.connect();
		await client.subscribe("disconnect/t", 1);
		const published = client.publish("disconnect/never-acked", "m", false, 1);
		const waiting = client.waitMsg();
		const done = client.disconnect();
		const outcomes = { published: await settled(published), waiting: await settled(waiting) };
		await done;
		outcomes.resources = resources();
		outcomes.connected = client.connected;
		outcomes.afterwards = {
			publish: await settled(client.publish("t", "m")),
			subscribe: await settled(client.subscribe("t")),
			ping: await settled(client.ping()),
			waitMsg: await settled(client.waitMsg()),
			disconnectAgain: await settled(client.disconnect())
		};
		outcomes.reconnect = await settled(client.connect());
		await client.disconnect();
		return outcomes;
	},

	async ping({ port }) {
		const client = new MQTTClient("pinger", server, port);
		await client.connect();
		const pinged = await settled(client.ping());
		const answer = await client.waitMsg();	// the PINGRESP: undefined
		await client.disconnect();
		return { pinged, answer: answer === undefined ? "undefined" : answer };
	},

	async waitMsgOtherPacket({ port }) {
		const client = new MQTTClient("other-packet", server, port);
		await client.connect();
		const published = client.publish("other/t", "m", false, 1);
		const first = await client.waitMsg();	// PUBACK's first byte
		await published;
		await client.disconnect();
		return first;
	},

	async publishQoS({ port }) {
		const received = [];
		const client = new MQTTClient("publisher", server, port);
		client.setCallback((topic, msg) => received.push([text(topic), text(msg)]));
		await client.connect();
		await client.subscribe("qos/#", 2);
		const outcomes = [];
		for (const qos of [0, 1, 2])
			outcomes.push(await settled(client.publish(`qos/${qos}`, `message ${qos}`, false, qos)));
		const firstBytes = [];
		while (received.length < 3)
			firstBytes.push(await client.waitMsg());
		await client.disconnect();
		return { outcomes, received, firstBytes };
	},

	/** Each argument error throws at once; then the largest packet goes out. */
	async publishArguments({ port }) {
		const client = new MQTTClient("publish-arguments", server, port);
		await client.connect();
		const tooLarge = new Uint8Array(2_097_152 - 2 - 1);	// remaining = 2 + topic (1) + payload = 2,097,152
		const limit = new Uint8Array(2_097_152 - 2 - 1 - 1);
		const result = {
			tooLarge: outcome(() => client.publish("t", tooLarge)),
			emptyTopic: outcome(() => client.publish("", "m")),
			wildcard: outcome(() => client.publish("a/#", "m")),
			qos3: outcome(() => client.publish("t", "m", false, 3)),
			qosString: outcome(() => client.publish("t", "m", false, "1")),
			retainNumber: outcome(() => client.publish("t", "m", 1)),
			msgNumber: outcome(() => client.publish("t", 42)),
			topicNumber: outcome(() => client.publish(7, "m"))
		};
		result.limit = await settled(client.publish("t", limit));
		await client.disconnect();
		return result;
	},

	async subscribeWithoutCallback({ port }) {
		const client = new MQTTClient("no-callback", server, port);
		await client.connect();
		const result = outcome(() => client.subscribe("t"));
		await client.disconnect();
		return result;
	},

	async subscribe({ port, topic, qos }) {
		const client = new MQTTClient("subscriber", server, port);
		client.setCallback(() => {});
		await client.connect();
		try {
			return { granted: await client.subscribe(topic, qos) };
		}
		catch (error) {
			return { isMQTTException: error instanceof MQTTException, code: error.code, message: error.message };
		}
		finally {
			await client.disconnect();
		}
	},

	async checkMsg({ port }) {
		const client = new MQTTClient("checker", server, port);
		client.setCallback(() => {});
		await client.connect();
		const start = Time.ticks;
		const nothing = await client.checkMsg();
		const elapsed = Time.ticks - start;
		await client.disconnect();
		return { nothing: nothing === undefined ? "undefined" : nothing, elapsed, after: resources() };
	},

	exception() {
		const refused = new MQTTException(0x80);
		const auth = new MQTTException(5);
		return {
			refused: { code: refused.code, message: refused.message, name: refused.name, isError: refused instanceof Error },
			auth: { code: auth.code, message: auth.message }
		};
	}
});
