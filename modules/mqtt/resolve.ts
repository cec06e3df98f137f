// Host name to IPv4 address. ECMA-419 sockets take only an address: a literal
// is used as is, "localhost" is the loopback, anything else goes to the SDK's
// resolver (the "net" module, as in the SDK's examples/manifest_net.json).
import Net from "net";

/**
 * The address of a host that needs no resolver (an IPv4 literal, or
 * "localhost"), else undefined. Read by hand, not by a RegExp: measured in
 * mcsim with an ESP8266's small chunk heap, a collection during a RegExp
 * match crashed the machine.
 */
export function literalAddress(host: string): string | undefined {
	if (host === "localhost")
		return "127.0.0.1";
	let parts = 0, value = 0, digits = 0;
	for (let i = 0; i <= host.length; i++) {
		const c = i < host.length ? host.charCodeAt(i) : 0x2E;	// the end closes the last part
		if (c >= 0x30 && c <= 0x39) {
			if (digits > 0 && value === 0)
				return undefined;	// no leading zero
			value = value * 10 + c - 0x30;
			if (++digits > 3 || value > 255)
				return undefined;
		}
		else if (c === 0x2E && digits > 0 && parts < 4) {
			parts++;
			value = digits = 0;
		}
		else
			return undefined;
	}
	return parts === 4 ? host : undefined;
}

/** Asks the SDK's resolver; calls back, in a later turn, with the address, or undefined when the name does not resolve. */
export function resolveHost(host: string, callback: (address: string | undefined) => void): void {
	Net.resolve(host, (_name, address) => callback(address));
}
