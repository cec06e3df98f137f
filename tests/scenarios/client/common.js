// Shared by the client scenarios.
import Timer from "timer";
import Resource from "Resource";
import { onMessage } from "harness";

export const text = buffer => String.fromArrayBuffer(buffer);

/** Bytes (an ArrayBuffer, a view or an array of numbers) as hex. */
export const hex = bytes => Array.from(new Uint8Array(bytes), byte => byte.toString(16).padStart(2, "0")).join("");

/** The next message the test sends (onMessage), as a Promise. */
export function nextMessage() {
	return new Promise(resolve => onMessage(resolve));
}

/** Runs `action`, returning "ok" or the error's name and message: for tables of outcomes. */
export function outcome(action) {
	try {
		action();
		return "ok";
	}
	catch (error) {
		return `${error.name}: ${error.message}`;
	}
}

/** Settles to "ok", the resolved value, or the rejection's name and message. */
export async function settled(promise) {
	try {
		const value = await promise;
		return value === undefined ? "ok" : value;
	}
	catch (error) {
		return `${error.name}: ${error.message}`;
	}
}

export const delay = ms => new Promise(resolve => Timer.set(resolve, ms));

/** A case table: the test names the case in params.case. */
export function cases(table) {
	return params => {
		const run = table[params.case];
		if (!run)
			throw new Error(`no case ${params.case}`);
		return run(params);
	};
}

export const fromHex = string => Uint8Array.from(string.match(/../g) ?? [], pair => parseInt(pair, 16));

/**
 * A case's TLS options (the client's sslParams): the CA to trust as a
 * resource built into the app (`ca`, the Moddable way), or as DER bytes in
 * hex (`caHex`) from a test that made the certificates at run time; a client
 * certificate and its PKCS#8 key in DER (`clientCertHex`, `clientKeyHex`);
 * the ALPN protocol to offer (`alpn`); the SNI name (`serverName`); `cache`
 * false: a full handshake, not a session resumed from an earlier case.
 */
export function sslParams({ ca, caHex, verify, clientCertHex, clientKeyHex, alpn, serverName, cache }) {
	const ssl = {};
	if (caHex)
		ssl.certificate = fromHex(caHex).buffer;
	else if (ca)
		ssl.certificate = new Resource(ca);
	if (verify !== undefined)
		ssl.verify = verify;
	if (clientCertHex) {
		ssl.clientCertificates = [fromHex(clientCertHex).buffer];
		ssl.clientKey = fromHex(clientKeyHex).buffer;
	}
	if (alpn)
		ssl.applicationLayerProtocolNegotiation = alpn;
	if (serverName)
		ssl.serverName = serverName;
	if (cache !== undefined)
		ssl.cache = cache;
	return ssl;
}
