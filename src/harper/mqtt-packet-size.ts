/**
 * Reads MQTT fixed headers off a byte stream to learn each packet's size before it has arrived, so an
 * oversize packet is refused from its first bytes instead of after Harper's parser has buffered all of it
 * (MQTT allows packets up to 256 MB; Harper sets no limit).
 */

/** A function fed every chunk of one connection in order: false once a packet is announced bigger than `maxBytes`. */
export function packetSizeGuard(maxBytes: number): (chunk: Uint8Array) => boolean {
	let state: 'type' | 'length' | 'body' = 'type';
	let length = 0;
	let multiplier = 1;
	let left = 0;
	return (chunk) => {
		for (let i = 0; i < chunk.length;) {
			if (state === 'body') {
				const skipped = Math.min(left, chunk.length - i);
				left -= skipped;
				i += skipped;
				if (left === 0) state = 'type';
				continue;
			}
			const byte = chunk[i++] ?? 0;
			if (state === 'type') {
				state = 'length';
				length = 0;
				multiplier = 1;
				continue;
			}
			// The remaining length: 7 bits per byte, least significant first, at most 4 bytes.
			length += (byte & 0x7f) * multiplier;
			if (length > maxBytes) return false;
			if (byte & 0x80) {
				multiplier *= 128;
				if (multiplier > 128 ** 3) return false;
				continue;
			}
			left = length;
			state = left === 0 ? 'type' : 'body';
		}
		return true;
	};
}
