// "embedded:io/socket/tcp/tls" on the simulator host, with the SDK's shape and
// accounting (examples/io/tcp/tlssocket/tlssocket.js over
// modules/crypt/ssl/session_419.js). The TLS bytes are made by node:tls on the
// Node side; what the app sees is the SDK's:
//  - the constructor takes the TCP options plus `host` (SNI) and `secure`
//    (`certificate`, the trusted CA in DER; `verify`, default true;
//    `serverName`; `clientCertificates` and `clientKey`, DER, the key
//    PKCS#8; `applicationLayerProtocolNegotiation`, a name or several), and
//    builds its transport with `options.TCP.io`;
//  - the handshake is the SDK's as far as the peer can tell: TLS 1.2 only,
//    the SDK's cipher suites, DHE-RSA among them unless the app's manifest
//    sets config.tls.DHE_RSA false; and it fails where the SDK's fails: a
//    client certificate the broker asks for under DHE-RSA ends the handshake
//    with "certificateVerify: unimplemented" (tests/harness/host.js);
//  - callbacks are called as the SDK calls them, with `this` an object that
//    holds the three callbacks, not the socket;
//  - onWritable(count - 96) when the transport offers count > 96;
//  - each write() is one record, costing the transport's window its data plus
//    the suite's overhead (the host option tlsSuite), and returns the
//    transport's room less 32 (0 at least); the transport throws "would block"
//    when the record does not fit; a write of more than 16,384 bytes throws
//    "too large"; write(buffer, {more: true}) gathers pieces into the record
//    that the next plain write() sends;
//  - a record refused with "would block" had its sequence number taken: the
//    peer rejects the next record (bad_record_mac, a fatal alert) and the
//    socket throws TLSError "alert: 2, 20" from the transport's callback;
//  - a failed handshake throws TLSError from inside the transport's callback
//    (the SDK's reads "certificate: auth err"; here the reason is named);
//    uncaught, that is what aborts an app;
//  - write() after close() throws TypeError (the SDK's session is gone).
import TCP from "embedded:io/socket/tcp";

const host = __xsHost;
const OVERHEAD = 96;		// tlssocket.js: its estimate of a record's overhead, taken off onWritable
const RESERVE = 32;			// session_419.js: write() returns the transport's room less this
const MAX_FRAGMENT = 16384;	// session_419.js: the most data a record carries

// What a record of n bytes of data costs the window, by suite. Measured in
// mcsim: the SDK (TLS 1.2 only) negotiates DHE-RSA-AES128-CBC-SHA256 with
// mosquitto 2.0.11 and ECDHE-RSA-AES128-GCM-SHA256 with node:tls.
const RECORD_BYTES = {
	// header, IV, then data + 32-byte MAC + 1..16 padding bytes in 16-byte blocks
	"AES128-CBC-SHA256": n => 5 + 16 + ((n + 32 + 16) & ~15),
	// header, explicit nonce, data, tag
	"AES128-GCM-SHA256": n => 5 + 8 + n + 16
};
const recordBytes = RECORD_BYTES[host.options.tlsSuite];

class TLSError extends Error {}
Object.defineProperty(TLSError.prototype, "name", { value: "TLS" });	// ssl/error's, set at preload on a device

export default class TLSSocket {
	#socket;
	#link;
	#room = 0;			// the transport's room, as session_419.js keeps it (s.writable)
	#gathered;			// pieces of a record written with {more: true}
	#gatheredBytes = 0;
	#lost = false;		// a record was numbered, then refused by the transport
	#closed = false;

	constructor(options) {
		const secure = options.secure ?? {};
		if (typeof options.host !== "string")
			throw new TypeError("host required");
		const certificates = secure.certificate === undefined ? [] : [].concat(secure.certificate);
		const callbacks = { onReadable: options.onReadable, onWritable: options.onWritable, onError: options.onError };
		const Transport = options.TCP?.io ?? TCP;
		const alpn = secure.applicationLayerProtocolNegotiation;
		this.#link = {
			host: secure.serverName ?? options.host,
			verify: secure.verify ?? true,
			certificates: certificates.map(toBase64),
			clientCertificates: (secure.clientCertificates ?? []).map(toBase64),
			clientKey: secure.clientKey === undefined ? undefined : toBase64(secure.clientKey),
			alpn: alpn === undefined ? undefined : [].concat(alpn).map(name => typeof name === "string" ? name : latin1(name)),
			recordBytes
		};
		this.#socket = new Transport({
			...options,
			hostTLS: this.#link,
			onReadable: count => callbacks.onReadable?.(count),
			onWritable: count => {
				this.#room = count;
				if (count > OVERHEAD)
					callbacks.onWritable?.(count - OVERHEAD);
			},
			onError: reason => {
				if (reason)
					throw new TLSError(reason);
				callbacks.onError?.();
			}
		});
	}

	read(request) {
		return this.#socket.read(request);
	}

	write(buffer, options) {
		if (this.#closed)
			throw new TypeError("cannot coerce undefined to object");
		let data = ArrayBuffer.isView(buffer)
			? new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength)
			: new Uint8Array(buffer);
		if (options?.more) {
			(this.#gathered ??= []).push(data.slice());
			this.#gatheredBytes += data.length;
			return Math.max(0, this.#room - this.#gatheredBytes - RESERVE);
		}
		if (this.#gathered) {
			const record = new Uint8Array(this.#gatheredBytes + data.length);
			let position = 0;
			for (const piece of this.#gathered.concat(data)) {
				record.set(piece, position);
				position += piece.length;
			}
			data = record;
			this.#gathered = undefined;
			this.#gatheredBytes = 0;
		}
		if (data.length > MAX_FRAGMENT)
			throw new Error("too large");
		if (this.#lost) {
			this.#link.peerFails?.("alert: 2, 20");
			return Math.max(0, this.#room - RESERVE);
		}
		try {
			this.#room = this.#socket.write(data);
		}
		catch (error) {
			this.#lost = true;
			throw error;
		}
		return Math.max(0, this.#room - RESERVE);
	}

	close() {
		this.#closed = true;
		this.#gathered = undefined;
		return this.#socket.close();
	}

	get format() { return this.#socket.format; }
	set format(value) { this.#socket.format = value; }
}

function latin1(buffer) {
	return String.fromCharCode(...new Uint8Array(buffer));
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
