// What a small device does with the client, and nothing more: connect,
// subscribe, publish at QoS 0, 1 and 2 and receive each message back, then
// live through the broker's restart (reconnect) and do it again. Small
// payloads, no TLS: the case run on an ESP8266's memory and stack budget.
// The test restarts the broker when the case reports {restartBroker: true}.
// With `port2`, the client is given two servers (failover, `servers`), and
// the test may stop the first instead: the client goes on with the second.
import { MQTTClient } from "mqtt";
import { report, resources } from "harness";
import { text } from "./common";

const server = "127.0.0.1";

// No more locals than before port2 came: the test of the ESP8266's stack runs this frame.
// `protocolVersion` (5: the one-case-mqtt5 app) is read from the parameters, not made a local of its own.
export default async function device(params) {
	const { port, port2, clientId = "device" } = params;
	const received = [];
	let connects = 0, disconnects = 0, reconnected;
	const client = new MQTTClient({
		clientId, port, reconnect: { minDelay: 100, maxDelay: 400 }, protocolVersion: params.protocolVersion, topicAliases: params.topicAliases,
		server: port2 ? undefined : server, servers: port2 ? [{ server }, { server, port: port2 }] : undefined,
		callback(topic, msg) { received.push(`${text(topic)} ${text(msg)}`); },
		onConnect() { connects++; reconnected?.(); },
		onDisconnect() { disconnects++; }
	});
	const exchange = async round => {
		for (const qos of [0, 1, 2])
			await client.publish(`device/${qos}`, `round ${round}`, false, qos);
		while (received.length < 3 * round)
			await client.waitMsg();
	};
	const sessionPresent = await client.connect(true);
	const granted = await client.subscribe("device/#", 2);
	await exchange(1);
	const back = new Promise(resolve => { reconnected = resolve; });
	report({ restartBroker: true });
	await back;
	await exchange(2);
	await client.disconnect();
	return { sessionPresent, granted, received: received.sort(), connects, disconnects, after: resources() };
}
