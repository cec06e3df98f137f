// The SDK's ECMA-419 MQTT client, built in release beside the library's app (tests/bench/bytecode.js).
import MQTTClient from "embedded:network/mqtt/client";

export default function main() {
	return MQTTClient;
}
