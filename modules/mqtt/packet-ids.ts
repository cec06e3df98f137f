// Packet identifiers: 1..65535, wrapping, skipping those still in flight.
import { MAX_PACKET_ID } from "mqtt/constants";

export class PacketIds {
	#last = 0;

	/** The next id not in `inFlight`; throws when all 65,535 are taken. */
	next(inFlight: { has(id: number): boolean; readonly size: number }): number {
		if (inFlight.size >= MAX_PACKET_ID)
			throw new Error("all 65535 packet ids are in flight");
		let id = this.#last;
		do
			id = id === MAX_PACKET_ID ? 1 : id + 1;
		while (inFlight.has(id));
		this.#last = id;
		return id;
	}
}
