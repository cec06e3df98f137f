// Nothing listens on the port: onError, before any onWritable.
import TCP from "embedded:io/socket/tcp";

export default function refused({ port }) {
	return new Promise(resolve => {
		let writable = false;
		new TCP({
			address: "127.0.0.1", port,
			onWritable() { writable = true; },
			onError() { resolve({ writable }); }
		});
	});
}
