// The Moddable "net" module on the simulator host: Net.resolve looks the name
// up on the Node side (IPv4, as lwIP does) and calls back in a later turn.
const host = __xsHost;
const { OP, EVENT } = host;

export default class Net {
	static get(what) {
		if (what === "IP")
			return "127.0.0.1";
		return undefined;
	}
	static resolve(name, callback) {
		if (typeof name !== "string" || typeof callback !== "function")
			throw new TypeError("Net.resolve(name, callback)");
		const id = host.newId();
		host.on(EVENT.RESOLVED, id, (_, payload) => {
			host.off(EVENT.RESOLVED, id);
			const address = host.decode(payload);
			callback(name, address || undefined);
		});
		host.send(OP.RESOLVE, id, 0, host.encode(name));
	}
}
