// The host's TLS socket accounts for writes as the SDK's does
// (examples/io/tcp/tlssocket over modules/crypt/ssl/session_419.js): the
// same sequence of writes as measured in mcsim, with what each returned or
// threw. The transport is guarded, as an app must guard it, to catch what
// the TLS socket throws from inside its callbacks.
import TCP from "embedded:io/socket/tcp";
import TLS from "embedded:io/socket/tcp/tls";

function attempt(action) {
	try {
		return action();
	}
	catch (error) {
		return `${error.name}: ${error.message}`;
	}
}

export default function tlsWrites({ port }) {
	return new Promise(resolve => {
		const result = { onWritable: [], thisIsSocket: [] };
		let phase = 0;
		function GuardedTCP(options) {
			return new TCP({
				...options,
				onError(...args) {
					try {
						options.onError.apply(this, args);
					}
					catch (error) {
						result.thrown = `${error.name}: ${error.message}`;
						socket.close();
						resolve(result);
					}
				}
			});
		}
		const socket = new TLS({
			address: "127.0.0.1", port, host: "localhost", secure: { verify: false }, TCP: { io: GuardedTCP },
			onWritable(count) {
				result.onWritable.push(count);
				result.thisIsSocket.push(this === socket);
				result.thisHolds ??= Object.keys(this).sort().join(" ");
				if (phase === 0) {
					phase = 1;
					result.first = [
						socket.write(new Uint8Array(1)),
						socket.write(new Uint8Array(100)),
						socket.write(new Uint8Array(1000)),
						attempt(() => socket.write(new Uint8Array(16385))),
						socket.write(new Uint8Array(10), { more: true, byteLength: 30 }),
						socket.write(new Uint8Array(20))
					];
				}
				else if (phase === 1) {
					phase = 2;
					result.second = [
						socket.write(new Uint8Array(1000)),
						attempt(() => socket.write(new Uint8Array(600)))
					];
				}
				else if (phase === 2) {
					phase = 3;
					result.afterLostRecord = socket.write(new Uint8Array(10));
				}
			},
			onReadable() {
				socket.read();
			},
			onError() {
				result.onError = true;
				resolve(result);
			}
		});
	});
}
