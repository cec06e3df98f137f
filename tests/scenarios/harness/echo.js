// Sends `size` bytes through the socket to an echo server, never past the
// write window, reads them back and checks every byte. On the way it proves
// the socket's contract: a write larger than the window throws "would block"
// and read(n) past what is readable throws "invalid".
import TCP from "embedded:io/socket/tcp";

export default function echo({ port, size }) {
	return new Promise((resolve, reject) => {
		const pattern = index => (index * 7 + (index >> 8)) & 0xFF;
		let sent = 0, received = 0, writes = 0, reads = 0, largestWindow = 0;
		let wouldBlock = "", invalid = "";
		const socket = new TCP({
			address: "127.0.0.1", port,
			onWritable(count) {
				largestWindow = Math.max(largestWindow, count);
				if (!wouldBlock) {
					try {
						this.write(new Uint8Array(count + 1));
					}
					catch (error) {
						wouldBlock = error.message;
					}
				}
				while (sent < size && count > 0) {
					const chunk = new Uint8Array(Math.min(count, size - sent));
					for (let i = 0; i < chunk.length; i++)
						chunk[i] = pattern(sent + i);
					this.write(chunk);
					sent += chunk.length;
					count -= chunk.length;
					writes++;
				}
			},
			onReadable(count) {
				reads++;
				if (!invalid) {
					try {
						this.read(count + 1);
					}
					catch (error) {
						invalid = error.message;
					}
				}
				const bytes = new Uint8Array(this.read());
				for (let i = 0; i < bytes.length; i++, received++)
					if (bytes[i] !== pattern(received))
						return reject(new Error(`byte ${received} is ${bytes[i]}, expected ${pattern(received)}`));
				if (received === size) {
					this.close();
					resolve({ received, writes, reads, largestWindow, wouldBlock, invalid });
				}
			},
			onError() {
				reject(new Error(`socket error after ${received} bytes`));
			}
		});
	});
}
