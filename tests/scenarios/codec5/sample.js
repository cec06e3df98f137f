// A sample of the MQTT 5 codec's work, run alike on XS (tests/scenarios/
// codec5/run.js) and on Node (tests/codec5.test.js), so that the test can
// hold the two engines' answers to each other. No imports: the caller hands
// in the codec's classes, each engine its own build of them.
//
// `limits`: the server's [Maximum Packet Size, Topic Alias Maximum] for the
// writer; `writes`: writer calls as [method, ...arguments], binary arguments
// as {hex}; `streams`: {hex, cuts, maxPacketSize, topicAliasMaximum}. Returns
// for each write its bytes as hex or its error as "Name: message", and for
// each stream the packets parsed (as plain JSON) and the error that ended it.

export function sample(PacketWriter5, PacketParser5, { limits = [], writes = [], streams = [] }) {
	const writer = new PacketWriter5();
	writer.setServerLimits(...limits);
	const written = writes.map(([method, ...args]) => {
		try {
			const frame = writer[method](...args.map(revive));
			return hexOf(frame.head) + (frame.body ? hexOf(frame.body) : "");
		}
		catch (error) {
			return `${error.name}: ${error.message}`;
		}
	});
	const parsed = streams.map(({ hex, cuts = [], maxPacketSize, topicAliasMaximum }) => {
		const parser = new PacketParser5(maxPacketSize, topicAliasMaximum);
		const bytes = bytesOf(hex);
		const packets = [];
		let previous = 0;
		try {
			for (const cut of [...cuts, bytes.length]) {
				const piece = bytes.slice(previous, cut);
				for (let at = 0; at < piece.length;) {
					at = parser.parse(piece, at, piece.length);
					if (parser.ready)
						packets.push(plain(parser.packet));
				}
				previous = cut;
			}
			return { packets };
		}
		catch (error) {
			return { packets, error: `${error.name}: ${error.message}` };
		}
	});
	return { written, parsed };
}

/** A parsed packet as JSON: binary as hex. */
export function plain(p) {
	const result = { type: p.type, flags: p.flags, id: p.id, reasonCode: p.reasonCode };
	if (p.type === 2)
		Object.assign(result, { sessionPresent: p.sessionPresent, legacy: p.legacy });
	if (p.type === 3)
		Object.assign(result, { topic: hexOf(new Uint8Array(p.topic)), payload: hexOf(new Uint8Array(p.payload)) });
	if (p.type === 9 || p.type === 11)
		result.reasonCodes = [...p.reasonCodes];
	const properties = {};
	for (const [name, value] of Object.entries(p.properties))
		properties[name] = value instanceof ArrayBuffer ? { hex: hexOf(new Uint8Array(value)) } : value;
	result.properties = properties;
	return result;
}

function revive(value) {
	if (value === null || typeof value !== "object")
		return value;
	if (typeof value.hex === "string" && Object.keys(value).length === 1)
		return bytesOf(value.hex);
	if (Array.isArray(value))
		return value.map(revive);
	const result = {};
	for (const [key, item] of Object.entries(value))
		result[key] = revive(item);
	return result;
}

function hexOf(bytes) {
	let text = "";
	for (let i = 0; i < bytes.length; i++)
		text += (bytes[i] < 16 ? "0" : "") + bytes[i].toString(16);
	return text;
}

function bytesOf(hex) {
	const bytes = new Uint8Array(hex.length / 2);
	for (let i = 0; i < bytes.length; i++)
		bytes[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
	return bytes;
}
