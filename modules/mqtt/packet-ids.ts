// Packet identifiers: 1..65535, wrapping, skipping those still in flight.
import { MAX_PACKET_ID } from "mqtt/constants";

/** The id after `last` that is not in `inFlight`; throws when all 65,535 are taken. */
export function nextPacketId(last: number, inFlight: { has(id: number): boolean; readonly size: number } | undefined): number {
	if (inFlight && inFlight.size >= MAX_PACKET_ID)
		throw new Error("all 65535 packet ids are in flight");
	let id = last;
	do
		id = id === MAX_PACKET_ID ? 1 : id + 1;
	while (inFlight?.has(id));
	return id;
}
