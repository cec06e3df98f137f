// The seed's example (MicroPython/OpenMV mqtt), on Moddable.
// The broker comes from the manifest's config, overridable at build time:
//   mcconfig -d -m -p esp32 ssid=... password=... broker=192.168.1.10
// (The main module of a Moddable app must not use top-level await: the host
// aborts on it. The example runs in an async function instead.)
import { MQTTClient } from "mqtt";
import config from "mc/config";

async function main(): Promise<void> {
	// Values given to mcconfig on the command line arrive as strings.
	const client = new MQTTClient("openmv", config.broker ?? "broker.example.com", Number(config.port ?? 1883));
	client.setCallback((topic, msg) => trace(`${String.fromArrayBuffer(topic)} ${String.fromArrayBuffer(msg)}\n`));
	await client.connect();
	await client.subscribe("openmv/in");
	await client.publish("openmv/out", "hello");
	for (;;)
		await client.checkMsg();
}

main().catch(error => trace(`hello: ${error}\n`));
