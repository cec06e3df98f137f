// MQTT 3.1.1 normative statements that need the XS engine itself (its
// ArrayBuffer.fromString, its client), for tests/conformance.test.js.
import { MQTTClient } from "mqtt";
import { PacketWriter } from "mqtt/writer";
import { resources } from "harness";
import { outcome, cases } from "./common";

const bytesOf = frame => [...frame.head, ...(frame.body ?? [])];

export default cases({
	/** The packets the writer makes on XS from strings holding a lone surrogate, as byte arrays. */
	loneSurrogates() {
		const writer = new PacketWriter();
		const packets = {};
		const attempt = (name, write) => {
			try {
				packets[name] = bytesOf(write());
			}
			catch (error) {
				packets[name] = `${error.name}: ${error.message}`;
			}
		};
		attempt("CONNECT client id", () => writer.connect({ clientId: "id\uD800", cleanSession: true, keepalive: 0 }));
		attempt("CONNECT user name", () => writer.connect({ clientId: "id", cleanSession: true, keepalive: 0, user: "u\uDC00", password: "p" }));
		attempt("CONNECT will topic", () => writer.connect({ clientId: "id", cleanSession: true, keepalive: 0, will: { topic: "w\uD83D", message: "m", qos: 0, retain: false } }));
		attempt("PUBLISH topic", () => writer.publish("t\uDC00", "m", 0, false, false, 0));
		attempt("SUBSCRIBE filter", () => writer.subscribe(1, ["f\uD800/#"], [0]));
		attempt("UNSUBSCRIBE filter", () => writer.unsubscribe(1, ["f\uDFFF"]));
		return packets;
	},

	/** connect(false) on a client whose id is empty: refused before any socket opens. */
	emptyClientIdNotClean({ port }) {
		const client = new MQTTClient("", "127.0.0.1", port);
		return { outcome: outcome(() => client.connect(false)), after: resources() };
	}
});
