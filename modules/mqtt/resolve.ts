// Host name to IPv4 address. ECMA-419 sockets take only an address: a literal
// is used as is, "localhost" is the loopback, anything else goes to the SDK's
// resolver (the "net" module, as in the SDK's examples/manifest_net.json).
import Net from "net";

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

export function isAddress(host: string): boolean {
	return IPV4.test(host);
}

/** Calls back with the address, or with undefined when the name does not resolve. */
export function resolveHost(host: string, callback: (address: string | undefined) => void): void {
	if (isAddress(host))
		return callback(host);
	if (host === "localhost")
		return callback("127.0.0.1");
	Net.resolve(host, (_name, address) => callback(address));
}
