// The seed's exception: a broker's refusal, with its return code.
import { returnCodeText } from "mqtt/constants";

export class MQTTException extends Error {
	/** The broker's return code: a CONNACK code (1..5) or 0x80 for a refused subscription. */
	readonly code: number;

	constructor(code: number) {
		super(`MQTT error ${code}: ${returnCodeText(code)}`);
		this.name = "MQTTException";
		this.code = code;
	}
}
