// "embedded:io/socket/tcp/tls" on the simulator host: the SDK's constructor
// shape ({address, port, host, secure, ...TCP options}) over node:tls. The
// `secure` dictionary is what the SDK's TLS session takes: `certificate` (the
// trusted CA, DER), `verify` (default true), `serverName` (defaults to host).
// Unlike the SDK's socket, whose handshake failure escapes as an exception,
// onError here receives an Error naming the TLS failure; the client uses it
// when present.
import { Socket } from "embedded:io/socket/tcp";

export default class TLSSocket extends Socket {
	constructor(options) {
		const secure = options.secure ?? {};
		if (typeof options.host !== "string")
			throw new TypeError("host required");
		const certificates = secure.certificate === undefined ? [] : [].concat(secure.certificate);
		super(options, {
			tls: {
				host: secure.serverName ?? options.host,
				verify: secure.verify ?? true,
				certificates: certificates.map(toBase64)
			}
		});
	}
	errorArguments(message) {
		return message ? [new Error(message)] : [];
	}
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
