// The peer resets the connection: onError is called, with no argument (the
// SDK's TCP socket gives none), and nothing after it.
import TCP from "embedded:io/socket/tcp";
import { resources } from "harness";

export default function reset({ port }) {
	return new Promise(resolve => {
		let connected = false;
		new TCP({
			address: "127.0.0.1", port,
			onWritable() {
				connected = true;
				this.write(Uint8Array.of(1, 2, 3));
			},
			onReadable() {},
			onError(...args) {
				resolve({ connected, errorArguments: args.length, resources: resources() });
			}
		});
	});
}
