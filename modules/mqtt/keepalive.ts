// Automatic keep-alive (MQTT 3.1.1, 3.1.2.10): the client must see that the
// interval between the packets it sends never exceeds the keep-alive
// [MQTT-3.1.2-23], so a PINGREQ goes out once it has sent nothing for three
// quarters of it (room for a late timer). And a dead link must be found
// whatever the app sends: a PINGREQ also goes out when nothing has arrived
// for as long, and when nothing at all arrives within half an interval after
// it, the connection is dead. So a link that goes silent is found within 1.25
// intervals of its last arrival, idle or busy publishing.
//
// One timer per connection, rescheduled lazily: the send and receive paths
// only record a time stamp. Times are Time.ticks, compared with Time.delta:
// on a device they are a signed 32-bit counter that rolls over.
import Timer from "timer";
import Time from "time";
import { isFromApp } from "mqtt/errors";

export interface KeepAliveLink {
	/** Time.ticks of the last byte written, and of the last byte that arrived. */
	readonly lastSend: number;
	readonly lastReceive: number;
	/** Bytes wait unread in the socket: the broker is alive, the client is just not reading. */
	readonly backlog: boolean;
}

export interface KeepAliveOwner {
	sendPing(): void;
	dead(silence: number): void;
	/** A fault of the library's own in a check: the connection closes, saying so. */
	failed(error: Error): void;
}

interface OwnedTimer extends Timer {
	keepAlive: KeepAlive;
}

export class KeepAlive {
	readonly #interval: number;	// ms
	readonly #link: KeepAliveLink;
	readonly #owner: KeepAliveOwner;
	#timer: OwnedTimer | undefined;
	#pingSentAt: number | undefined;	// a PINGREQ went out then and nothing has arrived since

	constructor(seconds: number, link: KeepAliveLink, owner: KeepAliveOwner) {
		this.#interval = seconds * 1000;
		this.#link = link;
		this.#owner = owner;
		// Counted from the last write, the CONNECT, not from now (its CONNACK):
		// a broker slow to answer must not stretch the first interval past the
		// keep-alive [MQTT-3.1.2-23].
		this.schedule(this.quiet - Time.delta(link.lastSend, Time.ticks));
	}

	/** The timer's callback: no exception of the library leaves it (the app's own, from a hook, goes on). */
	static #tick(timer: Timer): void {
		const keepAlive = (timer as OwnedTimer).keepAlive;
		try {
			keepAlive.check();
		}
		catch (error) {
			if (isFromApp(error))
				throw error;
			keepAlive.#owner.failed(new Error(`internal error: ${error instanceof Error ? error.message : String(error)}`));
		}
	}

	/** Nothing sent, or nothing received, for this long (ms): a PINGREQ goes out. */
	private get quiet(): number { return this.#interval - (this.#interval >> 2); }
	/** How long a PINGREQ has to be answered by anything at all (ms). */
	private get grace(): number { return this.#interval >> 1; }

	stop(): void {
		Timer.clear(this.#timer);
		this.#timer = undefined;
	}

	private check(): void {
		const link = this.#link, now = Time.ticks, pingSentAt = this.#pingSentAt;
		if (pingSentAt !== undefined) {
			if (Time.delta(pingSentAt, link.lastReceive) >= 0 || link.backlog)
				this.#pingSentAt = undefined;
			else {
				const silence = Time.delta(pingSentAt, now);
				if (silence >= this.grace)
					return this.#owner.dead(silence);
				return this.schedule(this.grace - silence);
			}
		}
		const quiet = Math.max(Time.delta(link.lastSend, now), Time.delta(link.lastReceive, now));
		if (quiet < this.quiet)
			return this.schedule(this.quiet - quiet);
		this.#pingSentAt = now;
		this.#owner.sendPing();
		this.schedule(this.grace);
	}

	/**
	 * The next check, on a one-shot timer of its own. One callback for every
	 * keep-alive: the timer carries its owner, and no closure is kept per
	 * connection. Not a repeating timer rescheduled from its own callback:
	 * measured in mcsim (SDK 8.2.3, lin), Timer.schedule there leaves a second
	 * glib source behind, which fires later into whatever timer reuses the
	 * freed memory (a 5 s connect timeout fired after 19 ms).
	 */
	private schedule(delay: number): void {
		const timer = this.#timer = Timer.set(KeepAlive.#tick, Math.max(delay, 1)) as OwnedTimer;
		timer.keepAlive = this;
	}
}
