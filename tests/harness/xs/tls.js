// "embedded:io/socket/tcp/tls" on the simulator host, with the SDK's shape
// (examples/io/tcp/tlssocket): the constructor takes the TCP options plus
// `host` (SNI) and `secure` (the TLS session's options: `certificate`, the
// trusted CA in DER; `verify`, default true; `serverName`), and builds its
// transport with `options.TCP.io`. The TLS itself runs on the Node side
// (node:tls). Like the SDK's socket, a failed handshake throws from inside
// the transport's callback (the SDK throws TLSError "certificate: auth err";
// here the error names the reason); uncaught, that is what aborts an app.
import TCP from "embedded:io/socket/tcp";

const TLS_OVERHEAD = 96;	// the SDK's TLS socket offers the TCP window less this estimate

export default class TLSSocket {
	#socket;

	constructor(options) {
		const secure = options.secure ?? {};
		if (typeof options.host !== "string")
			throw new TypeError("host required");
		const certificates = secure.certificate === undefined ? [] : [].concat(secure.certificate);
		const { onReadable, onWritable, onError } = options;
		const Transport = options.TCP?.io ?? TCP;
		this.#socket = new Transport({
			...options,
			hostTLS: {
				host: secure.serverName ?? options.host,
				verify: secure.verify ?? true,
				certificates: certificates.map(toBase64)
			},
			onReadable: count => onReadable?.call(this, count),
			onWritable: count => {
				if (count > TLS_OVERHEAD)
					onWritable?.call(this, count - TLS_OVERHEAD);
			},
			onError: reason => {
				if (reason) {
					const error = new Error(reason);
					error.name = "TLS";
					throw error;
				}
				onError?.call(this);
			}
		});
	}
	read(request) { return this.#socket.read(request); }
	write(buffer) { return this.#socket.write(buffer); }
	close() { return this.#socket.close(); }
	get format() { return this.#socket.format; }
	set format(value) { this.#socket.format = value; }
}

function toBase64(certificate) {
	const bytes = ArrayBuffer.isView(certificate)
		? new Uint8Array(certificate.buffer, certificate.byteOffset, certificate.byteLength)
		: new Uint8Array(certificate);
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	let text = "";
	for (let i = 0; i < bytes.length; i += 3) {
		const n = (bytes[i] << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
		text += alphabet[n >> 18] + alphabet[(n >> 12) & 63] +
			(i + 1 < bytes.length ? alphabet[(n >> 6) & 63] : "=") +
			(i + 2 < bytes.length ? alphabet[n & 63] : "=");
	}
	return text;
}
