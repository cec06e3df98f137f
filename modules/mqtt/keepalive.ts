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
}

interface OwnedTimer extends Timer {
	keepAlive: KeepAlive;
}

export class KeepAlive {
	readonly #interval: number;	// ms
	readonly #link: KeepAliveLink;
	readonly #owner: KeepAliveOwner;
	readonly #timer: OwnedTimer;
	#pingSentAt: number | undefined;	// a PINGREQ went out then and nothing has arrived since

	constructor(seconds: number, link: KeepAliveLink, owner: KeepAliveOwner) {
		this.#interval = seconds * 1000;
		this.#link = link;
		this.#owner = owner;
		// One callback for every keep-alive: the timer carries its own, and no
		// closure is kept per connection. A repeating timer, rescheduled at each
		// check: the SDK drops a one-shot timer once its callback returns.
		this.#timer = Timer.repeat(KeepAlive.#tick, this.quiet) as OwnedTimer;
		this.#timer.keepAlive = this;
	}

	static #tick(timer: Timer): void {
		(timer as OwnedTimer).keepAlive.check();
	}

	/** Nothing sent, or nothing received, for this long (ms): a PINGREQ goes out. */
	private get quiet(): number { return this.#interval - (this.#interval >> 2); }
	/** How long a PINGREQ has to be answered by anything at all (ms). */
	private get grace(): number { return this.#interval >> 1; }

	stop(): void {
		Timer.clear(this.#timer);
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

	private schedule(delay: number): void {
		Timer.schedule(this.#timer, Math.max(delay, 1), this.quiet);
	}
}
