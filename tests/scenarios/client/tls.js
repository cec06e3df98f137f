// The client over TLS: sslParams forwarded as the TLS socket's `secure`
// options, the CA carried as a resource, as Moddable apps do (or as bytes
// from the test: see sslParams).
import { MQTTClient } from "mqtt";
import { resources } from "harness";
import { text, settled, cases, sslParams } from "./common";

export default cases({
	async roundTrip(params) {
		const { host, port, user, password } = params;
		const received = [];
		const client = new MQTTClient({ clientId: "xs-tls", server: host, port, ssl: sslParams(params), user, password });
		client.setCallback((topic, msg) => received.push([text(topic), text(msg)]));
		const sessionPresent = await client.connect();
		const granted = await client.subscribe("tls/#", 2);
		for (const qos of [0, 1, 2])
			await client.publish(`tls/${qos}`, `secret message ${qos} ✓`, false, qos);
		while (received.length < 3)
			await client.waitMsg();
		await client.disconnect();
		return { sessionPresent, granted, received: received.sort(), after: resources() };
	},

	async connectOutcome(params) {
		const { host, port, user, password, positional } = params;
		const client = positional
			? new MQTTClient("xs-tls", host, port, sslParams(params), user, password)
			: new MQTTClient({ clientId: "xs-tls", server: host, port, ssl: sslParams(params), user, password });
		const outcome = await settled(client.connect(true, 3));
		if (outcome === 0)
			await client.disconnect();
		return { outcome, after: resources() };
	}
});
