// The MQTT 5 codec's sample (./sample.js) on XS, with the codec as an app
// that asks for version 5 loads it (manifest_mqtt5.json).
import { PacketWriter5 } from "mqtt/v5/writer";
import { PacketParser5 } from "mqtt/v5/parser";
import { sample } from "./sample";

export default function run(params) {
	return sample(PacketWriter5, PacketParser5, params);
}
