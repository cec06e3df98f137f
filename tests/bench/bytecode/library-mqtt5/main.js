// The same app under MQTT 5 (manifest_mqtt5.json), built in release to weigh what version 5 adds (tests/bench/bytecode.js).
import { MQTTClient } from "mqtt";

export default function main() {
	return new MQTTClient({ clientId: "bytecode", server: "127.0.0.1", ssl: {}, protocolVersion: 5 }).connect();
}
