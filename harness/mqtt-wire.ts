/**
 * MQTT packets by hand, for tests that must send what a conforming client never would (topics that are not UTF-8,
 * lengths MQTT does not allow), speak MQTT to a port that should not answer it, or speak it on a socket they opened
 * and held themselves. One encoding of MQTT's variable-length integer ("remaining length") for every test.
 */
import type { Credentials } from './types.ts';

/** MQTT's variable-length integer: 7 bits a byte, least significant first, the top bit set on all but the last. */
export function varint(n: number): Buffer {
	const out: number[] = [];
	do {
		out.push((n % 128) | (n >= 128 ? 0x80 : 0));
		n = Math.floor(n / 128);
	} while (n > 0);
	return Buffer.from(out);
}

/** A two-byte big-endian integer (packet ids, string lengths, keep-alive). */
export const u16 = (n: number): Buffer => Buffer.of(n >> 8, n & 0xff);

/** MQTT's length-prefixed string or binary data: the bytes as given (a Buffer may hold invalid UTF-8). */
export function lengthPrefixed(bytes: Buffer | string): Buffer {
	const buffer = Buffer.from(bytes);
	return Buffer.concat([u16(buffer.length), buffer]);
}

/** A packet's fixed header: its first byte (type and flags) and the remaining length. */
export const fixedHeader = (firstByte: number, remainingLength: number): Buffer =>
	Buffer.concat([Buffer.of(firstByte), varint(remainingLength)]);

/** A whole packet: the fixed header, then the parts of its body in order. */
export function mqttPacket(firstByte: number, ...body: Buffer[]): Buffer {
	const content = Buffer.concat(body);
	return Buffer.concat([fixedHeader(firstByte, content.length), content]);
}

export interface WirePacket {
	/** The packet type, the first byte's top four bits (2 CONNACK, 4 PUBACK, 14 DISCONNECT, ...). */
	type: number;
	body: Buffer;
}

/**
 * Splits a byte stream into packets as they complete, whatever the chunks: feed it every chunk received, and it
 * hands back the packets that chunk completed (a packet split over chunks waits for the rest).
 */
export function packetReader(): (chunk: Buffer) => WirePacket[] {
	let pending = Buffer.alloc(0);
	return (chunk) => {
		pending = Buffer.concat([pending, chunk]);
		const packets: WirePacket[] = [];
		for (;;) {
			let [length, at, multiplier, complete] = [0, 1, 1, false];
			while (!complete && at < pending.length) {
				const byte = pending[at++]!;
				length += (byte & 0x7f) * multiplier;
				multiplier *= 128;
				complete = !(byte & 0x80);
			}
			if (!complete || pending.length < at + length) return packets;
			packets.push({ type: pending[0]! >> 4, body: pending.subarray(at, at + length) });
			pending = pending.subarray(at + length);
		}
	};
}

/** An MQTT 3.1.1 CONNECT with this client id and no credentials: what a plain-text client would open with. */
export const plainConnect = (clientId: string): Buffer =>
	mqttPacket(0x10, lengthPrefixed('MQTT'), Buffer.of(4, 0x02), u16(60), lengthPrefixed(clientId));

/** An MQTT 3.1.1 CONNECT with this client id that logs in as `username` with `password` (a clean session). */
export const loginConnect = (clientId: string, { username, password }: Credentials): Buffer =>
	mqttPacket(
		0x10,
		lengthPrefixed('MQTT'),
		Buffer.of(4, 0xc2),
		u16(60),
		lengthPrefixed(clientId),
		lengthPrefixed(username),
		lengthPrefixed(password)
	);
