// Automatic keep-alive (MQTT 3.1.1 section 3.1.2.10): the client must send
// something at least every keep-alive interval, so a PINGREQ goes out when it
// has sent nothing for that long; receiving does not count. When nothing at
// all arrives within half an interval after a PINGREQ the connection is dead,
// which is at most 1.5 intervals after the client last sent. One timer,
// rescheduled lazily: the send path only records a time stamp.
import Timer from "timer";
import Time from "time";

export interface KeepAliveLink {
	/** Time.ticks of the last byte written, and of the last byte that arrived. */
	readonly lastSend: number;
	readonly lastReceive: number;
	/** Bytes wait unread in the socket: the broker is alive, the client is just not reading. */
	readonly backlog: boolean;
	sendPing(): void;
	dead(silence: number): void;
}

export class KeepAlive {
	readonly #interval: number;
	readonly #grace: number;
	readonly #link: KeepAliveLink;
	#timer: Timer | undefined;
	#pingSentAt = -1;

	constructor(seconds: number, link: KeepAliveLink) {
		this.#interval = seconds * 1000;
		this.#grace = this.#interval >> 1;
		this.#link = link;
		this.#schedule(this.#interval);
	}

	stop(): void {
		Timer.clear(this.#timer);
		this.#timer = undefined;
	}

	#schedule(delay: number): void {
		this.#timer = Timer.set(() => this.#check(), Math.max(delay, 1));
	}

	#check(): void {
		this.#timer = undefined;
		const link = this.#link, now = Time.ticks;
		if (this.#pingSentAt >= 0) {
			if (link.lastReceive >= this.#pingSentAt || link.backlog)
				this.#pingSentAt = -1;
			else {
				const silence = now - this.#pingSentAt;
				if (silence >= this.#grace)
					return link.dead(silence);
				return this.#schedule(this.#grace - silence);
			}
		}
		const idle = now - link.lastSend;
		if (idle < this.#interval)
			return this.#schedule(this.#interval - idle);
		this.#pingSentAt = now;
		link.sendPing();
		this.#schedule(this.#grace);
	}
}
