// Helpers shared by the codec tests and the fuzzers.

/** The fields of the parser's reused record that belong to its packet type, copied. */
export function snapshot(p) {
	switch (p.type) {
	case 2: return { type: 2, flags: p.flags, sessionPresent: p.sessionPresent, returnCode: p.returnCode };
	case 3:
		// The topic and payload are the reader's to keep: ArrayBuffers, copied
		// here, so that a parser reusing their memory for a later packet would show.
		if (!(p.topic instanceof ArrayBuffer) || !(p.payload instanceof ArrayBuffer))
			throw new Error('PUBLISH topic and payload must be ArrayBuffers');
		return { type: 3, flags: p.flags, qos: p.qos, retain: p.retain, dup: p.dup, id: p.id, topic: Buffer.from(p.topic), payload: Buffer.from(p.payload) };
	case 9: return { type: 9, flags: p.flags, id: p.id, granted: [...p.granted] };
	case 13: return { type: 13, flags: p.flags };
	default: return { type: p.type, flags: p.flags, id: p.id };
	}
}
