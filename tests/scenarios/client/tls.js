// The client over TLS: sslParams forwarded as the TLS socket's `secure`
// options, the CA carried as a resource, as Moddable apps do (or as bytes
// from the test: see sslParams).
import { MQTTClient } from "mqtt";
import { resources } from "harness";
import { text, settled, cases, sslParams, delay } from "./common";

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

	/**
	 * Large and many writes through the TLS socket's accounting (each write a
	 * record, its overhead taken from the TCP window): one QoS 1 publish of
	 * `size` bytes (if any), then `burst` QoS 1 publishes of `burstSize` bytes
	 * issued at once; each outcome, and how many came back intact.
	 */
	async volume(params) {
		const { host, port, size, burst, burstSize } = params;
		const payload = (length, seed) => {
			const bytes = new Uint8Array(length);
			for (let i = 0; i < length; i++)
				bytes[i] = (i * 31 + seed) & 0xFF;
			return bytes;
		};
		let received = 0, intact = 0;
		const client = new MQTTClient({ clientId: "xs-tls-volume", server: host, port, ssl: sslParams(params), push: true, outgoingLimit: Math.max(burst, 1) });
		client.setCallback((topic, msg) => {
			const name = text(topic).slice("tls/volume/".length);
			const expected = name === "large" ? payload(size, 1) : payload(burstSize, Number(name));
			const bytes = new Uint8Array(msg);
			received++;
			if (bytes.length === expected.length && bytes.every((byte, i) => byte === expected[i]))
				intact++;
		});
		await client.connect();
		await client.subscribe("tls/volume/#", 1);
		const large = size ? await settled(client.publish("tls/volume/large", payload(size, 1), false, 1)) : "none";
		const many = [];
		for (let i = 0; i < burst; i++)
			many.push(settled(client.publish(`tls/volume/${i}`, payload(burstSize, i), false, 1)));
		const refused = (await Promise.all(many)).filter(outcome => outcome !== "ok");
		for (let waited = 0; received < burst + (size ? 1 : 0) && waited < 10000; waited += 20)
			await delay(20);
		await client.disconnect();
		return { large, refused, received, intact, after: resources() };
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
