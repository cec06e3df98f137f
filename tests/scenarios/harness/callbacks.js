// An exception escaping a callback of the host: `where` names the callback
// that throws. On a device the app aborts; the host fails the scenario and
// stops the machine. `late`: the scenario first resolves, then a timer
// throws, when no scenario is running any more.
import Timer from "timer";
import Net from "net";
import TCP from "embedded:io/socket/tcp";
import TLS from "embedded:io/socket/tcp/tls";

const fail = where => {
	throw new RangeError(`thrown by ${where}`);
};

export default function callbacks({ where, port, late }) {
	// Traces every 10 ms while the machine runs: it must stop at the exception.
	Timer.repeat(() => trace("tick\n"), 10);
	if (late) {
		Timer.set(() => fail(where), 50);
		return "resolved";
	}
	switch (where) {
	case "Timer.set":
		Timer.set(() => fail(where), 1);
		break;
	case "Timer.repeat":
		Timer.repeat(() => fail(where), 5);
		break;
	case "Net.resolve":
		Net.resolve("localhost", () => fail(where));
		break;
	case "TCP onWritable":
		new TCP({ address: "127.0.0.1", port, onWritable: () => fail(where) });
		break;
	case "TCP onReadable":
		new TCP({ address: "127.0.0.1", port, onWritable() { this.write(Uint8Array.of(1)); }, onReadable: () => fail(where) });
		break;
	case "TCP onError":
		new TCP({ address: "127.0.0.1", port, onError: () => fail(where) });
		break;
	case "TLS onWritable":
		new TLS({ address: "127.0.0.1", port, host: "localhost", secure: { verify: false }, TCP: { io: TCP }, onWritable: () => fail(where) });
		break;
	case "TLS onReadable": {
		const socket = new TLS({
			address: "127.0.0.1", port, host: "localhost", secure: { verify: false }, TCP: { io: TCP },
			onWritable() { socket.write(Uint8Array.of(1)); },
			onReadable: () => fail(where)
		});
		break;
	}
	case "TLS onError":
		new TLS({ address: "127.0.0.1", port, host: "localhost", secure: { verify: false }, TCP: { io: TCP }, onError: () => fail(where) });
		break;
	default:
		throw new Error(`no callback ${where}`);
	}
	return new Promise(() => {});
}
