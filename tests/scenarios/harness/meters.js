// A measured section for the meter self-test: each message from the test is
// one turn whose work is `n` iterations of a fixed loop.
import { onMessage } from "harness";

export default function meters() {
	const kept = [];
	onMessage(({ n, keep }) => {
		let sum = 0;
		for (let i = 0; i < n; i++)
			sum += i;
		if (keep)
			kept.push(new Uint8Array(64));
		return sum;
	});
	return new Promise(() => {});
}
