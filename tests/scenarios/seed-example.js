// The seed's example, as api.md writes it for a device, bounded so that it ends:
// the loop runs until `messages` messages arrived on openmv/in.
import { MQTTClient } from "mqtt";
import { report } from "harness";

export default async function seedExample({ server = "127.0.0.1", port = 1883, clientId = "openmv", messages = 1 }) {
	const received = [];
	const client = new MQTTClient(clientId, server, port);
	client.setCallback((topic, msg) => {
		trace(`${String.fromArrayBuffer(topic)} ${String.fromArrayBuffer(msg)}\n`);
		received.push([String.fromArrayBuffer(topic), String.fromArrayBuffer(msg)]);
	});
	const sessionPresent = await client.connect();
	await client.subscribe("openmv/in");
	report({ ready: true });
	await client.publish("openmv/out", "hello");
	while (received.length < messages)
		await client.checkMsg();
	await client.disconnect();
	return { sessionPresent, received };
}
