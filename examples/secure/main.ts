// The seed's example over TLS, as on a device: the broker's CA certificate is
// carried as a resource (ca.der, DER), and the client checks the broker's
// certificate against it and against the server name.
//   mcconfig -d -m -p esp32 ssid=... password=... broker=mqtt.example.com
import { MQTTClient } from "mqtt";
import Resource from "Resource";
import config from "mc/config";

async function main(): Promise<void> {
	const client = new MQTTClient({
		clientId: "openmv-secure",
		server: config.broker ?? "mqtt.example.com",
		port: Number(config.port ?? 8883),
		ssl: { certificate: new Resource("ca.der") },	// the TLS socket's `secure` options
		user: config.user,
		password: config.mqttPassword
	});
	client.setCallback((topic, msg) => trace(`${String.fromArrayBuffer(topic)} ${String.fromArrayBuffer(msg)}\n`));
	await client.connect();
	await client.subscribe("openmv/in");
	await client.publish("openmv/out", "hello over TLS");
	for (;;)
		await client.checkMsg();
}

main().catch(error => trace(`secure: ${error}\n`));
