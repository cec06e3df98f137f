// MQTT 5.0 in the client (protocolVersion 5 or "negotiate"), on XS: the
// cases of tests/mqtt5.test.js, which scripts the broker or starts
// mosquitto and checks what went over the wire.
import { MQTTClient } from "mqtt";
import { report } from "harness";
import { text, outcome, settled, delay, cases } from "./common";

const server = "127.0.0.1";

/** An MQTTException as plain data, to compare whole. */
function refusal(error) {
	return { name: error.name, code: error.code, message: error.message, reason: error.reason, serverReference: error.serverReference };
}

async function rejection(promise) {
	try {
		await promise;
		return "resolved";
	}
	catch (error) {
		return refusal(error);
	}
}

export default cases({
	/** The version's checks throw at once; the properties' are connect()'s (connect case). */
	construct() {
		const table = {
			five: () => new MQTTClient({ clientId: "id", server, protocolVersion: 5 }),
			negotiate: () => new MQTTClient({ clientId: "id", server, protocolVersion: "negotiate", properties: { sessionExpiryInterval: 60 } }),
			four: () => new MQTTClient({ clientId: "id", server, protocolVersion: 4 }),
			versionThree: () => new MQTTClient({ clientId: "id", server, protocolVersion: 3 }),
			versionString: () => new MQTTClient({ clientId: "id", server, protocolVersion: "5" }),
			propertiesUnder4: () => new MQTTClient({ clientId: "id", server, properties: { sessionExpiryInterval: 60 } })
		};
		const result = {};
		for (const [name, make] of Object.entries(table))
			result[name] = outcome(make);
		return result;
	},

	/** connect() settles: the session-present flag, or the error as data. */
	async connect({ port, protocolVersion = 5, properties, clientId = "mqtt5", keepalive = 0, maxPacketSize, user, password, will, topicAliases }) {
		const client = new MQTTClient({ clientId, server, port, protocolVersion, properties, keepalive, maxPacketSize, user, password, topicAliases });
		if (will)
			client.setLastWill(will.topic, will.msg, will.retain, will.qos);
		try {
			const present = await client.connect(true, 2);
			await client.disconnect();
			return { present };
		}
		catch (error) {
			return { error: refusal(error), name: error.name, text: `${error.name}: ${error.message}` };
		}
	},

	/** After CONNACK, the client takes its properties: Assigned Client Identifier on the next CONNECT. */
	async assignedId({ port }) {
		const client = new MQTTClient({ clientId: "", server, port, protocolVersion: 5 });
		await client.connect(true, 2);
		await client.disconnect();
		await client.connect(true, 2);
		await client.disconnect();
		return "ok";
	},

	/** The CONNACK's limits, checked before anything is sent. */
	async limits({ port }) {
		const client = new MQTTClient({ clientId: "limits", server, port, protocolVersion: 5, callback: () => {} });
		await client.connect(true, 2);
		const result = {
			qos2: outcome(() => client.publish("t", "x", false, 2)),
			retain: outcome(() => client.publish("t", "x", true, 0)),
			tooLarge: outcome(() => client.publish("t", "x".repeat(200), false, 0)),
			wildcard: outcome(() => client.subscribe("a/+")),
			shared: outcome(() => client.subscribe("$share/g/a")),
			qos1: await settled(client.publish("t", "x", false, 1)),
			plainSubscribe: await settled(client.subscribe("a/b", 1))
		};
		await client.disconnect();
		return result;
	},

	/** Each acknowledgement with a failure reason code rejects its operation; the connection stays. */
	async ackFailures({ port }) {
		const client = new MQTTClient({ clientId: "acks", server, port, protocolVersion: 5, callback: () => {} });
		await client.connect(true, 2);
		const result = {
			puback: await rejection(client.publish("refuse/puback", "x", false, 1)),
			pubrec: await rejection(client.publish("refuse/pubrec", "x", false, 2)),
			pubcomp: await rejection(client.publish("refuse/pubcomp", "x", false, 2)),
			suback: await rejection(client.subscribe("refuse/suback", 1)),
			subackMany: await settled(client.subscribe(["ok/a", "refuse/suback"], 1)),
			unsuback: await rejection(client.unsubscribe("refuse/unsuback")),
			unsubackNone: await settled(client.unsubscribe("none/unsuback")),
			after: await settled(client.publish("ok/after", "x", false, 1)),
			connected: client.connected
		};
		await client.disconnect();
		return result;
	},

	/** Four QoS 1 and 2 publishes at once and a subscribe behind them: all settle, in order. */
	async receiveMaximum({ port }) {
		const settledIn = [];
		const client = new MQTTClient({ clientId: "quota", server, port, protocolVersion: 5, callback: () => {} });
		await client.connect(true, 2);
		const publishes = [1, 2, 1, 2].map((qos, i) => client.publish(`quota/${i}`, "x", false, qos).then(() => settledIn.push(i)));
		const granted = await client.subscribe("quota/s", 1);
		settledIn.push("subscribed");
		await Promise.all(publishes);
		await client.disconnect();
		return { settledIn, granted };
	},

	/** A server's DISCONNECT: onDisconnect gets its reason code and string. */
	async serverDisconnect({ port }) {
		let reason;
		const client = new MQTTClient({ clientId: "dropped", server, port, protocolVersion: 5, onDisconnect: error => { reason = error; } });
		await client.connect(true, 2);
		report({ ready: true });
		for (let i = 0; i < 100 && !reason; i++)
			await delay(20);
		return { reason: reason && refusal(reason), connected: client.connected };
	},

	/** Under the server's Keep Alive: the client pings at its interval, not its own [MQTT-3.2.2-21]. */
	async serverKeepAlive({ port }) {
		const client = new MQTTClient({ clientId: "keepalive", server, port, protocolVersion: 5, keepalive: 60 });
		await client.connect(true, 2);
		await delay(1500);
		await client.disconnect();
		return "ok";
	},

	/** Round trips through a real broker: QoS 0, 1 and 2 to itself, and what a peer sends. */
	async roundTrip({ port }) {
		const received = [];
		const client = new MQTTClient({ clientId: "mqtt5-trip", server, port, protocolVersion: 5, push: true, callback: (topic, msg) => received.push(`${text(topic)} ${text(msg)}`) });
		await client.connect(true, 2);
		const granted = await client.subscribe(["v5/self/#", "v5/in"], [2, 1]);
		for (const qos of [0, 1, 2])
			await client.publish(`v5/self/${qos}`, `q${qos}`, false, qos);
		report({ ready: true });
		for (let i = 0; i < 200 && received.length < 4; i++)
			await delay(10);
		await client.publish("v5/out", "from XS", false, 1);
		await client.unsubscribe("v5/in");
		await client.disconnect();
		return { granted, received };
	},

	/**
	 * Every reason code a server may send, as the app meets it: `plan` names
	 * the codes of each packet. One connection per CONNACK code (connect()'s
	 * outcome), one per DISCONNECT code (what onDisconnect gets), then one
	 * connection for the acknowledgements: a QoS 1 publish per PUBACK code, a
	 * QoS 2 one per PUBREC and per PUBCOMP code, a subscribe per SUBACK code,
	 * an unsubscribe per UNSUBACK code (the topic names the code the test's
	 * broker answers with). Each outcome: {ok: value} or the error's name,
	 * code and message, beside the code sent (`sent`).
	 */
	async everyReason({ port, plan }) {
		const outcome = promise => promise.then(value => ({ ok: value ?? null }), error => ({ name: error.name, code: error.code, message: error.message }));
		const make = onDisconnect => new MQTTClient({ clientId: "reasons", server, port, protocolVersion: 5, callback: () => {}, onDisconnect });
		const seen = { connack: [], disconnect: [] };
		for (const code of plan.connack) {
			const client = make();
			seen.connack.push({ sent: code, ...await outcome(client.connect(true, 2)) });
			await client.disconnect();
		}
		for (const code of plan.disconnect) {
			let lost;
			const gone = new Promise(resolve => { lost = resolve; });
			const client = make(reason => lost({ name: reason.name, code: reason.code, message: reason.message }));
			await client.connect(true, 2);
			seen.disconnect.push({ sent: code, ...await gone });
			await client.disconnect();
		}
		const client = make();
		await client.connect(true, 2);
		const each = async (codes, act) => {
			const outcomes = [];
			for (const code of codes)
				outcomes.push({ sent: code, ...await outcome(act(code)) });
			return outcomes;
		};
		seen.puback = await each(plan.puback, code => client.publish(`puback/${code}`, "x", false, 1));
		seen.pubrec = await each(plan.pubrec, code => client.publish(`pubrec/${code}`, "x", false, 2));
		seen.pubcomp = await each(plan.pubcomp, code => client.publish(`pubcomp/${code}`, "x", false, 2));
		seen.suback = await each(plan.suback, code => client.subscribe(`suback/${code}`, code < 3 ? code : 0));
		seen.unsuback = await each(plan.unsuback, code => client.unsubscribe(`unsuback/${code}`));
		seen.connected = client.connected;
		await client.disconnect();
		return seen;
	},

	/**
	 * connect(false) under 5 keeps the session past the connection, as
	 * under 3.1.1: `phase` "first" subscribes at QoS 1 and disconnects (or,
	 * `lose`, ends without DISCONNECT, as a device losing power); "second"
	 * connects again and collects what arrives within `wait` ms.
	 */
	async keptSession({ port, phase, properties, wait = 1000 }) {
		const received = [];
		const client = new MQTTClient({
			clientId: "mqtt5-sleeper", server, port, protocolVersion: 5, push: true, properties,
			callback: (topic, msg) => received.push(`${text(topic)} ${text(msg)}`)
		});
		const present = await client.connect(false, 2);
		if (phase === "first") {
			await client.subscribe("sleep/#", 1);
			await client.disconnect();
			return { present };
		}
		for (let waited = 0; waited < wait && !received.length; waited += 20)
			await delay(20);
		await delay(100);
		await client.disconnect();
		return { present, received };
	},

	/**
	 * PUBLISH properties both ways, request/response and subscription
	 * options, through a real broker; the test's peer answers requests on
	 * "svc/req" and publishes to "props/in" and "nl/t" when told (report).
	 */
	async properties({ port }) {
		const received = [];
		const client = new MQTTClient({
			clientId: "mqtt5-props", server, port, protocolVersion: 5, push: true,
			callback: (topic, msg, properties) => received.push({
				topic: text(topic), msg: text(msg),
				properties: properties && { ...properties, correlationData: properties.correlationData && text(properties.correlationData) }
			})
		});
		await client.connect(true, 2);
		await client.subscribe(["props/in", "svc/reply/xs"], 1);
		await client.subscribe("nl/t", { qos: 1, noLocal: true });
		await client.subscribe("kept/t", { qos: 0, retainHandling: 2 });	// a retained message waits there: not sent
		await client.publish("props/out", "{\"t\":21}", false, 1, {
			payloadFormatIndicator: 1, messageExpiryInterval: 60, contentType: "application/json",
			responseTopic: "props/back", correlationData: Uint8Array.of(1, 2, 3), userProperties: [["unit", "C"], ["unit", "F"]]
		});
		await client.publish("svc/req", "ping", false, 1, { responseTopic: "svc/reply/xs", correlationData: "req-42" });
		await client.publish("nl/t", "mine", false, 1);	// No Local: not back to this client
		report({ ready: true });
		for (let i = 0; i < 300 && received.length < 3; i++)
			await delay(10);
		await delay(100);	// anything more would come now
		await client.disconnect();
		return received;
	},

	/** A QoS 1 publish with properties, its connection lost before PUBACK: it goes again after the reconnect. */
	async resend({ port }) {
		const client = new MQTTClient({ clientId: "resender", server, port, protocolVersion: 5, reconnect: { minDelay: 50, maxDelay: 100 } });
		await client.connect(false, 2);
		const result = await settled(client.publish("r/t", "x", false, 1, { contentType: "text/plain", userProperties: [["k", "v"]] }));
		await client.disconnect();
		return result;
	},

	/**
	 * Outgoing topic aliases (`topicAliases`, the scripted server's maximum
	 * 2): QoS 0 publishes to three topics, then a QoS 1 one on which the
	 * server ends the connection; a QoS 0 publish made while reconnecting;
	 * the resend (DUP) and more publishes on the next connection. An app's own
	 * topicAlias is refused.
	 */
	async outgoingAliases({ port, topics, topicAliases }) {
		let lost;
		const connectionLost = new Promise(resolve => { lost = resolve; });
		const client = new MQTTClient({ clientId: "aliaser", server, port, protocolVersion: 5, topicAliases, reconnect: { minDelay: 50, maxDelay: 100 }, onDisconnect: () => lost() });
		await client.connect(false, 2);
		const [a, b, c] = topics;
		for (const topic of [a, a, b, c, b, a])
			await client.publish(topic, "first", false, 0);
		const resent = settled(client.publish(a, "qos1", false, 1, { contentType: "text/plain" }));	// no PUBACK: the connection ends
		await connectionLost;
		const waited = client.publish(b, "waited", false, 0);	// made while reconnecting: kept for the next connection
		const result = { resent: await resent, waited: await settled(waited) };
		for (const topic of [a, b, b, c])
			await client.publish(topic, "second", false, 0);
		result.appAlias = outcome(() => client.publish(a, "x", false, 0, { topicAlias: 1 }));
		await client.disconnect();
		return result;
	},

	/**
	 * Outgoing topic aliases (`topicAliases` 3, the server's maximum 3,
	 * outgoingLimit 2) with PUBLISH packets that wait or are dropped: on a
	 * first connection (the server's Receive Maximum 1) a QoS 1 one held by
	 * the Receive Maximum, on a second one refused over outgoingLimit (its
	 * packet made for the argument checks alone); each followed by a QoS 0
	 * publish of its topic, which goes at once.
	 */
	async aliasesWaiting({ port, topics }) {
		const client = new MQTTClient({ clientId: "aliases-waiting", server, port, protocolVersion: 5, topicAliases: 3, outgoingLimit: 2 });
		const [a, b, c] = topics;
		await client.connect(true, 2);	// the server's Receive Maximum 1
		const first = settled(client.publish(a, "1", false, 1));	// in flight
		const held = settled(client.publish(b, "2", false, 1));	// held by the Receive Maximum
		await client.publish(b, "3", false, 0);
		await client.publish(a, "4", false, 0);
		const result = { first: await first, held: await held };
		await client.disconnect();
		await client.connect(true, 2);	// no Receive Maximum
		const both = [settled(client.publish(a, "5", false, 1)), settled(client.publish(b, "6", false, 1))];
		result.refused = await settled(client.publish(c, "7", false, 1));	// over outgoingLimit
		await client.publish(c, "8", false, 0);
		await client.publish(a, "9", false, 0);
		result.both = await Promise.all(both);
		await client.disconnect();
		return result;
	},

	/** Outgoing topic aliases through a real broker: each publish, in order, at QoS 0, 1 and 2. */
	async aliasesThroughBroker({ port, publishes, topicAliases }) {
		const client = new MQTTClient({ clientId: "mqtt5-aliases", server, port, protocolVersion: 5, topicAliases });
		await client.connect(true, 2);
		for (const [topic, msg, qos] of publishes)
			await client.publish(topic, msg, false, qos);
		await client.disconnect();
		return "ok";
	},

	/** Topic Alias Maximum 2 in CONNECT: the broker's PUBLISH by alias reach the callback with their topics. */
	async incomingAliases({ port }) {
		const received = [];
		const client = new MQTTClient({
			clientId: "aliases", server, port, protocolVersion: 5, push: true, properties: { topicAliasMaximum: 2 },
			callback: (topic, msg, properties) => received.push([text(topic), text(msg), properties.topicAlias ?? 0])
		});
		await client.connect(true, 2);
		await client.subscribe("alias/#", 0);
		for (let i = 0; i < 100 && received.length < 4; i++)
			await delay(10);
		await client.disconnect();
		return received;
	},

	/**
	 * Subscription Identifiers through a real broker: "sid/+" (7), "sid/#"
	 * (268,435,455, the largest) and "sid/a" (none) overlap on "sid/a";
	 * "sid/b/c" matches "sid/#" alone. Each message, as it came, with the
	 * identifiers the callback got.
	 */
	async subscriptionIds({ port }) {
		const received = [];
		const client = new MQTTClient({
			clientId: "mqtt5-sid", server, port, protocolVersion: 5, push: true,
			callback: (topic, msg, properties) => received.push({ topic: text(topic), msg: text(msg), ids: properties.subscriptionIdentifiers ?? [] })
		});
		await client.connect(true, 2);
		const granted = [
			await client.subscribe("sid/+", { qos: 1, subscriptionIdentifier: 7 }),
			await client.subscribe("sid/#", { qos: 1, subscriptionIdentifier: 268435455 }),
			await client.subscribe("sid/a", 1)
		];
		await client.publish("sid/a", "both", false, 1);
		await client.publish("sid/b/c", "one", false, 1);
		for (let i = 0; i < 200 && received.length < 4; i++)
			await delay(10);
		await delay(100);	// anything more would come now
		await client.disconnect();
		return { granted, received };
	},

	/**
	 * subscribe()'s Subscription Identifier checks, each before anything is
	 * sent; then, against a CONNACK of Subscription Identifiers Available 0,
	 * its named error, and a plain subscribe that goes.
	 */
	async subscriptionIdChecks({ port, port2 }) {
		const client = new MQTTClient({ clientId: "sid-checks", server, port, protocolVersion: 5, callback: () => {} });
		await client.connect(true, 2);
		const result = {
			zero: outcome(() => client.subscribe("c/t", { qos: 1, subscriptionIdentifier: 0 })),
			tooLarge: outcome(() => client.subscribe("c/t", { qos: 1, subscriptionIdentifier: 268435456 })),
			fraction: outcome(() => client.subscribe("c/t", { qos: 1, subscriptionIdentifier: 1.5 })),
			string: outcome(() => client.subscribe("c/t", { qos: 1, subscriptionIdentifier: "7" })),
			mixed: outcome(() => client.subscribe(["c/a", "c/b"], [{ qos: 1, subscriptionIdentifier: 1 }, { qos: 1, subscriptionIdentifier: 2 }])),
			oneAndNone: outcome(() => client.subscribe(["c/a", "c/b"], [{ qos: 1, subscriptionIdentifier: 1 }, 1])),
			shared: await settled(client.subscribe(["c/a", "c/b"], { qos: 1, subscriptionIdentifier: 3 }))
		};
		await client.disconnect();
		const refusing = new MQTTClient({ clientId: "sid-unavailable", server, port: port2, protocolVersion: 5, callback: () => {} });
		await refusing.connect(true, 2);
		result.unavailable = outcome(() => refusing.subscribe("c/t", { qos: 1, subscriptionIdentifier: 7 }));
		result.plain = await settled(refusing.subscribe("c/t", 1));
		await refusing.disconnect();
		return result;
	},

	/**
	 * Subscriptions of identifiers 1, 2 and none; a QoS 1 publish whose
	 * connection the broker ends: after the reconnect (no session) the
	 * client subscribes again, and the publish settles behind it.
	 */
	async resubscribeIds({ port }) {
		const client = new MQTTClient({ clientId: "sid-again", server, port, protocolVersion: 5, callback: () => {}, reconnect: { minDelay: 50, maxDelay: 100 } });
		await client.connect(true, 2);
		await client.subscribe(["r/a", "r/d"], { qos: 1, subscriptionIdentifier: 1 });
		await client.subscribe("r/b", { qos: 0, subscriptionIdentifier: 2 });
		await client.subscribe("r/c", 1);
		await client.subscribe(["r/e", "r/x"], 1);	// r/x refused
		const result = await settled(client.publish("r/go", "x", false, 1));
		await client.disconnect();
		return result;
	},

	/**
	 * A Server Reference followed: connect() to `ports` (one server, or a
	 * `servers` list), with `reconnect` or not; with it, waits for
	 * `connections` in all. What settled, the connections made and the losses seen.
	 */
	async serverReference({ ports, reconnect = false, connections = 2 }) {
		let connects = 0;
		const losses = [];
		const options = { clientId: "referred", protocolVersion: 5, onConnect: () => connects++, onDisconnect: error => losses.push(refusal(error)) };
		if (ports.length > 1)
			options.servers = ports.map(port => ({ server, port }));
		else
			Object.assign(options, { server, port: ports[0] });
		if (reconnect)
			options.reconnect = { minDelay: 50, maxDelay: 100 };
		const client = new MQTTClient(options);
		const present = await settled(client.connect(true, 2));
		for (let i = 0; reconnect && i < 150 && connects < connections; i++)
			await delay(20);
		await client.disconnect();
		return { present, connects, losses };
	},

	/** protocolVersion 4 (manifest.json): publish's properties are ignored; a subscription options object is not a QoS. */
	async v4Extras({ port }) {
		const client = new MQTTClient({ clientId: "v4", server, port, callback: () => {} });
		await client.connect(true, 2);
		const result = {
			published: await settled(client.publish("v4/t", "x", false, 1, { contentType: "text/plain" })),
			options: outcome(() => client.subscribe("v4/s", { qos: 1, noLocal: true }))
		};
		await client.disconnect();
		return result;
	},

	/** negotiate: connect, then one QoS 1 publish and a subscribe under whichever version was agreed. */
	async negotiate({ port, protocolVersion = "negotiate" }) {
		const client = new MQTTClient({ clientId: "negotiator", server, port, protocolVersion, callback: () => {} });
		try {
			const present = await client.connect(true, 2);
			const granted = await client.subscribe("n/t", 1);
			await client.publish("n/t", "x", false, 1);
			await client.disconnect();
			return { present, granted };
		}
		catch (error) {
			return { error: `${error.name}: ${error.message}` };
		}
	},

	/**
	 * Enhanced authentication (4.12): connect() with an Authentication
	 * Method, onAuthenticate answering the server's data (`answer`: "sync"
	 * a string, "async" a Promise of one, "throw"/"reject" at `failAt`'s
	 * reason code, "none": no onAuthenticate); then `reauth`: data for
	 * reauthenticate() (4.12.1). A publish tried inside the callback before
	 * CONNACK shows what the client sends then (MQTT-3.1.2-33).
	 */
	async authenticate({ port, method = "SCRAM-SHA-1", data = "client-first", answer = "sync", failAt, reauth, reauthTwice = false, tryDuring = true, ackTimeout }) {
		const calls = [];
		let client, during, disconnected;
		const onAuthenticate = (m, d, code) => {
			calls.push([m, d === undefined ? null : text(d), code]);
			if (tryDuring)
				during ??= outcome(() => client.publish("auth/during", "x").catch(() => {}));	// the publish's Promise rejects before CONNACK: caught
			if (code === failAt) {
				const error = new Error(`bad server data at 0x${code.toString(16)}`);
				if (answer === "reject")
					return Promise.reject(error);
				throw error;
			}
			if (!code)
				return undefined;
			const reply = `client-final-${calls.length}`;
			return answer === "async" ? delay(30).then(() => reply) : reply;
		};
		const properties = method === null ? { sessionExpiryInterval: 0 } : { authenticationMethod: method, authenticationData: data };
		client = new MQTTClient({
			clientId: "auth5", server, port, protocolVersion: 5, properties, callback: () => {}, ackTimeout,
			onAuthenticate: answer === "none" ? undefined : onAuthenticate, onDisconnect: error => { disconnected = refusal(error); }
		});
		const result = { calls };
		try {
			result.present = await client.connect(true, 2);
		}
		catch (error) {
			result.error = refusal(error);
			result.connected = client.connected;
			return result;
		}
		result.during = during;
		if (reauth !== undefined) {
			const publishing = client.publish("auth/while", "x", false, 1);	// other traffic goes on during a re-authentication (4.12.1)
			const reauthenticated = client.reauthenticate(reauth);
			result.again = reauthTwice ? await settled(client.reauthenticate("again")) : undefined;
			result.reauth = await rejection(Promise.race([reauthenticated, delay(3000).then(() => { throw new Error("no end of the re-authentication within 3 s"); })]));
			result.published = await settled(publishing);
			for (let i = 0; i < 50 && result.reauth !== "resolved" && !disconnected; i++)
				await delay(20);
			result.disconnected = disconnected;
		}
		result.connected = client.connected;
		if (client.connected)
			await client.disconnect();
		return result;
	},

	/** The exchange and a re-authentication with few names (for an ESP8266's stack, tests/mcsim-esp8266.test.js): the reason codes the app saw. */
	async authenticateLean({ port }) {
		const codes = [];
		const client = new MQTTClient({
			clientId: "auth5", server, port, protocolVersion: 5, properties: { authenticationMethod: "SCRAM-SHA-1", authenticationData: "client-first" },
			onAuthenticate: (method, data, code) => { codes.push(code); return code ? `client-final-${codes.length}` : undefined; }
		});
		await client.connect(true, 2);
		await client.reauthenticate("re-first");
		const connected = client.connected;
		await client.disconnect();
		return { codes, connected };
	},

	/** The checks made before anything is sent: the option, the properties, reauthenticate()'s use and data. */
	async authenticateChecks({ port }) {
		const make = (properties, onAuthenticate) => new MQTTClient({ clientId: "auth5", server, port, protocolVersion: 5, properties, onAuthenticate });
		const connecting = async client => {
			try {
				await client.connect(true, 2);
				return "connected";
			}
			catch (error) {
				return `${error.name}: ${error.message}`;
			}
		};
		const plain = make({}, undefined);
		const result = {
			withoutMethod: await connecting(make({}, () => "x")),
			notFunction: await connecting(make({ authenticationMethod: "M" }, "x")),
			dataWithoutMethod: await connecting(make({ authenticationData: "x" }, undefined)),
			methodNotUTF8: await connecting(make({ authenticationMethod: "a\u0000b" }, () => "x")),
			beforeConnect: outcome(() => plain.reauthenticate("x")),
			under4: outcome(() => new MQTTClient({ clientId: "auth5", server, port }).reauthenticate("x"))
		};
		await plain.connect(true, 2);
		result.withoutMethodConnected = outcome(() => plain.reauthenticate("x"));
		await plain.disconnect();
		const client = make({ authenticationMethod: "M" }, () => "x");
		await client.connect(true, 2);
		result.badData = outcome(() => client.reauthenticate(42));
		await client.disconnect();
		result.notConnected = await settled(client.reauthenticate("x"));
		return result;
	},
});
