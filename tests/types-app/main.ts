// A TypeScript app as an app developer writes it, type-checked against the
// library's declarations (types/) the way an editor sees them, and against
// the sources the way mcconfig maps them (tests/types.test.js). Each line
// after `// @ts-expect-error TSxxxx` must fail to compile with that error:
// the test removes the directives and checks each of those lines fails with
// its code, and nothing else fails.
import { MQTTClient, MQTTException, type ClientOptions, type TLSOptions, type Callback } from "mqtt";
import Resource from "Resource";

const onMessage: Callback = (topic, msg) => trace(`${String.fromArrayBuffer(topic)} ${String.fromArrayBuffer(msg)}\n`);

// With a store, a QoS 2 message's fourth argument: its key, and whether a power loss may have given it before.
let lastKey: number | undefined;
const exactlyOnce: Callback = (topic, msg, properties, delivery) => {
	if (delivery?.again && delivery.key === lastKey)
		return;
	lastKey = delivery?.key;
	// @ts-expect-error TS2540 the delivery's key is read-only
	if (delivery) delivery.key = 0;
};

// The TLS options are those of the SDK's TLS socket, each with its type.
const secure: TLSOptions = {
	certificate: new Resource("ca.der"),
	verify: true,
	serverName: "broker.example.com",
	protocolVersion: 0x0303,
	clientCertificates: [new Resource("client.der")],
	clientKey: new Resource("client-key.der"),
	applicationLayerProtocolNegotiation: ["mqtt"],
	cache: false,
};

// @ts-expect-error TS2561 a misspelt TLS option ("certificat") does not compile
const misspelt: TLSOptions = { certificat: new Resource("ca.der") };
// @ts-expect-error TS2322 verify is a boolean
const notBoolean: TLSOptions = { verify: "yes" };

const options: ClientOptions = {
	clientId: "types-app",
	server: "broker.example.com",
	ssl: secure,
	keepalive: 60,
	callback: exactlyOnce,
	reconnect: { minDelay: 500, maxDelay: 10_000 },
	onConnect: sessionPresent => trace(`connected, session present: ${sessionPresent}\n`),
	onDisconnect: reason => trace(`lost: ${reason.message}\n`),
};

async function main(): Promise<void> {
	const client = new MQTTClient(options);
	const plain = new MQTTClient("seed-style", "broker.example.com", 1883, null, "user", "password", 30, onMessage);
	const tls = new MQTTClient("seed-style-tls", "broker.example.com", 8883, { certificate: new Resource("ca.der") });
	// @ts-expect-error TS2561 the seed's positional form checks the TLS options too
	const typo = new MQTTClient("typo", "broker.example.com", 8883, { certificat: new Resource("ca.der") });
	// @ts-expect-error TS2561 and so does the options form
	const typo2 = new MQTTClient({ clientId: "typo", server: "broker.example.com", ssl: { verfy: false } });
	// Failover: brokers in order, each with its own port and TLS options where they differ.
	const cluster = new MQTTClient({ clientId: "fleet", servers: [{ server: "a.example.com" }, { server: "10.0.0.9", port: 1884, ssl: null }], ssl: {} });
	// @ts-expect-error TS2561 a server of the list checks its TLS options too
	const typo3 = new MQTTClient({ clientId: "typo", servers: [{ server: "a.example.com", ssl: { verfy: false } }] });

	const present: 0 | 1 = await client.connect(false, 10);
	client.setLastWill("status", "gone", true, 1);

	// One topic: the granted QoS, a number.
	const q: number = await client.subscribe("t", 1);
	// Several topics in one SUBSCRIBE: a return code each.
	const qs: number[] = await client.subscribe(["a", "b/#"], [0, 2]);
	const all: number[] = await client.subscribe(["c", "d"], 1);
	// @ts-expect-error TS2322 one topic does not resolve an array
	const notArray: number[] = await client.subscribe("t");
	// @ts-expect-error TS2322 several topics do not resolve a number
	const notNumber: number = await client.subscribe(["a", "b"]);
	// @ts-expect-error TS2769 one topic takes one QoS, not a list
	await client.subscribe("t", [0, 1]);

	await client.publish("t", "text");
	await client.publish("t", new Uint8Array([1, 2, 3]), false, 2);
	// @ts-expect-error TS2345 a payload is a string or bytes, not a number
	await client.publish("t", 42);
	await client.unsubscribe(["a", "b/#"]);
	const first: number | undefined = await client.waitMsg();
	const none: number | undefined = await client.checkMsg();
	await client.ping();
	const up: boolean = client.connected;
	await client.disconnect();
	trace(`${present} ${q} ${qs} ${all} ${first} ${none} ${up} ${plain.connected} ${tls.connected}\n`);
	trace(`${misspelt} ${notBoolean} ${typo} ${typo2} ${cluster} ${typo3} ${notArray} ${notNumber}\n`);
}

main().catch(error => {
	if (error instanceof MQTTException)
		trace(`refused: ${error.code}\n`);
	else
		trace(`failed: ${error}\n`);
});
