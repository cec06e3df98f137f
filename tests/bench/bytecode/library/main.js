// An MQTT 3.1.1 app with TLS, built in release to weigh the library's bytecode (tests/bench/bytecode.js).
import { MQTTClient } from "mqtt";

export default function main() {
	return new MQTTClient({ clientId: "bytecode", server: "127.0.0.1", ssl: {} }).connect();
}
