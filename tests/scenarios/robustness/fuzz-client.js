// The client behind a broker that answers with fuzzed bytes (tests/fuzz.test.js).
// One XS host runs many cases: for each message {index, ...} from the test,
// a new client connects (its client id names the case, so the broker knows
// which bytes to send), starts four operations at once (publish QoS 1,
// publish QoS 2, subscribe, waitMsg) and reports how each settled, whether
// it is still connected, and the timers and sockets left before and after
// disconnect(). An operation still pending after `deadline` ms is reported
// "pending" (a hang), and the case goes on.
import { MQTTClient } from "mqtt";
import Timer from "timer";
import { report, onMessage, resources } from "harness";

const server = "127.0.0.1";

function describeError(error) {
	if (!(error instanceof Error))
		return `reject non-Error ${typeof error} ${String(error)}`;
	return `reject ${error.name}: ${error.message}`;
}

/** Each Promise's outcome ("resolve <value>", "reject <name>: <message>") once all settled, or "pending" past the deadline. */
function settleAll(promises, deadline) {
	const outcomes = promises.map(() => "pending");
	let left = promises.length;
	return new Promise(resolve => {
		const timer = Timer.set(() => resolve(outcomes.slice()), deadline);	// a copy: what was pending at the deadline
		promises.forEach((promise, i) => {
			promise.then(
				value => { outcomes[i] = `resolve ${value}`; },
				error => { outcomes[i] = describeError(error); }
			).then(() => {
				if (--left === 0) {
					Timer.clear(timer);
					resolve(outcomes.slice());
				}
			});
		});
	});
}

async function runCase(port, { index, queueLength, maxPacketSize, push, deadline }) {
	let delivered = 0;
	const client = new MQTTClient({
		clientId: `fuzz-${index}`, server, port, queueLength, maxPacketSize, push,
		callback() { delivered++; }
	});
	const [connected] = await settleAll([client.connect(true, 5)], 6000);
	if (connected !== "resolve 0") {
		await client.disconnect();
		return { index, connected, after: resources() };
	}
	const operations = [
		client.publish("fuzz/1", "one", false, 1),
		client.publish("fuzz/2", "two", false, 2),
		client.subscribe("fuzz/s", 1),
		client.waitMsg()
	];
	const outcomes = await settleAll(operations, deadline);
	const connectedAfter = client.connected;
	const before = resources();
	await client.disconnect();
	return { index, connected, outcomes, connectedAfter, before, after: resources(), delivered };
}

export default function fuzzClient({ port }) {
	let count = 0;
	return new Promise(resolve => {
		onMessage(message => {
			if (message.stop)
				return resolve({ cases: count });
			if (message.throwInCallback) {	// the test's self-check: an exception escaping a callback must fail the run
				Timer.set(() => { throw new Error("thrown on purpose"); }, 0);
				return;
			}
			count++;
			runCase(port, message).then(report, error => report({ index: message.index, scenarioError: `${error.name}: ${error.message}` }));
		});
		report({ ready: true });
	});
}
