// A raw CONNECT/CONNACK exchange over the ECMA-419 socket, with the codec
// only: proves the host's socket, the module linking and a broker together.
import TCP from "embedded:io/socket/tcp";
import { PacketWriter } from "mqtt/writer";
import { PacketParser } from "mqtt/parser";

export default function rawConnect({ address = "127.0.0.1", port, clientId = "raw-connect" }) {
	return new Promise((resolve, reject) => {
		const writer = new PacketWriter();
		const parser = new PacketParser();
		let sent = false;
		new TCP({
			address, port,
			onWritable() {
				if (sent)
					return;
				sent = true;
				this.write(writer.connect({ clientId, cleanSession: true, keepalive: 0 }).head);
			},
			onReadable(count) {
				const bytes = new Uint8Array(this.read());
				parser.parse(bytes, 0, bytes.length);
				if (!parser.ready)
					return;
				const { type, returnCode, sessionPresent } = parser.packet;
				this.close();
				resolve({ type, returnCode, sessionPresent, count });
			},
			onError() {
				reject(new Error("connection failed"));
			}
		});
	});
}
