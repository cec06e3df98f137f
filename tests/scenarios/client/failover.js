// Failover across brokers (the `servers` option): connect() walks the list,
// a lost connection moves to another server after the backoff, the first
// server is preferred again at the next reconnection, never by dropping a
// healthy connection.
import { MQTTClient } from "mqtt";
import Time from "time";
import { report, resources, onMessage } from "harness";
import { settled, cases } from "./common";

const server = "127.0.0.1";

export default cases({
	/** connect() with servers at `ports`, in that order: its outcome; then disconnect(). */
	async connectWalk({ ports, timeout, clientId = "walker" }) {
		const client = new MQTTClient({ clientId, servers: ports.map(port => ({ server, port })) });
		const start = Time.ticks;
		const outcome = await settled(client.connect(true, timeout));
		const elapsed = Time.ticks - start;
		const connected = client.connected;
		await client.disconnect();
		return { outcome, elapsed, connected, after: resources() };
	},

	/**
	 * servers A then B, reconnect {minDelay, maxDelay}. After each connection
	 * the client publishes `failover/N` at QoS 1 (N: the connection's number)
	 * and reports {connected: N, gap}: gap, the ms from the loss that ended the
	 * connection before (onDisconnect) to this CONNACK. The test moves the
	 * brokers between connections, and sends {step: "end"} to finish.
	 */
	async failover({ ports, minDelay, maxDelay }) {
		const events = [];
		let connections = 0, lostAt;
		const client = new MQTTClient({
			clientId: "failover", servers: ports.map(port => ({ server, port })), reconnect: { minDelay, maxDelay },
			onConnect() {
				const n = ++connections, gap = lostAt === undefined ? undefined : Time.ticks - lostAt;
				events.push(gap === undefined ? `connected ${n}` : `connected ${n} after ${gap} ms`);
				client.publish(`failover/${n}`, `connection ${n}`, false, 1).then(
					() => report({ connected: n, gap }),
					error => report({ connected: n, gap, failed: error.message }));
			},
			onDisconnect(reason) {
				lostAt = Time.ticks;
				events.push(`disconnected: ${reason.message}`);
			}
		});
		return new Promise(resolve => {
			onMessage(async ({ step }) => {
				if (step !== "end")
					return;
				await client.disconnect();
				resolve({ events, connections, after: resources() });
			});
			client.connect(true).catch(error => resolve({ failed: error.message }));
		});
	}
});
