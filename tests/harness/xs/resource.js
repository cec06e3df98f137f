// The Moddable "Resource" module on the simulator host: `new Resource(name)`
// gives the bytes of a resource the app was built with (here, the host's
// `resources` option). On a device it is a read-only buffer in flash.
const host = __xsHost;

export default class Resource {
	constructor(name) {
		return host.resource(name);
	}
	static exists(name) {
		try {
			host.resource(name);
			return true;
		}
		catch {
			return false;
		}
	}
}
