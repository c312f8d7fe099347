/**
 * Clients that write the wire by hand, to send what a conforming client never would: MQTT topics that are not
 * UTF-8, and WebSocket handshakes on paths a WHATWG-URL client would have resolved first.
 */
import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { connect as tcpConnect } from 'node:net';
import { expect } from 'vitest';
import { basicAuth, Inbox, type Credentials, type ServerInfo } from '../../harness/clients.ts';
import { hex } from '../../harness/mqtt-codes.ts';
import { lengthPrefixed, mqttPacket, packetReader, u16, varint, type WirePacket } from '../../harness/mqtt-wire.ts';
import { answered, DEADLINE_MS } from './links.ts';

/**
 * A raw MQTT 5 client on a TCP socket, packets written by hand: mqtt.js (like any conforming client) only sends
 * topics that are valid UTF-8 strings, and the point here is to send what a conforming client never would.
 */
export interface RawMqtt {
	publish(topic: Buffer, payload: string, retain: boolean): Promise<string>;
	ended(): boolean;
	close(): void;
}

export async function rawMqtt(port: number, user: Credentials): Promise<RawMqtt> {
	const socket = tcpConnect(port, '127.0.0.1');
	const packets = new Inbox<WirePacket>();
	const read = packetReader();
	let closed = false;
	socket.on('data', (chunk: Buffer) => read(chunk).forEach((packet) => packets.push(packet)));
	socket.on('error', () => undefined);
	socket.on('close', () => {
		closed = true;
		packets.push({ type: -1, body: Buffer.alloc(0) });
	});
	// CONNECT, MQTT 5, clean start with user name and password, no properties, empty client id.
	socket.write(
		mqttPacket(
			0x10,
			lengthPrefixed('MQTT'),
			Buffer.of(5, 0xc2),
			u16(60),
			varint(0),
			lengthPrefixed(''),
			lengthPrefixed(user.username),
			lengthPrefixed(user.password)
		)
	);
	const connack = await packets.waitFor((packet) => packet.type === 2 || packet.type === -1, 'CONNACK', DEADLINE_MS);
	expect(connack.body[1], 'raw MQTT CONNACK reason').toBe(0);
	let packetId = 0;
	return {
		async publish(topic, payload, retain): Promise<string> {
			const id = (packetId = (packetId % 65535) + 1);
			packets.takeNew();
			socket.write(
				mqttPacket(0x32 | (retain ? 1 : 0), lengthPrefixed(topic), u16(id), varint(0), Buffer.from(payload))
			);
			const answer = await packets.waitForNext(
				(packet) =>
					(packet.type === 4 && packet.body.readUInt16BE(0) === id) || packet.type === 14 || packet.type === -1,
				`an answer to a raw PUBLISH on ${topic.toString('latin1').slice(0, 60)}`,
				DEADLINE_MS
			);
			if (answer.type === -1) return 'connection closed';
			if (answer.type === 14) return `DISCONNECT ${hex(answer.body[0] ?? 0)}`;
			return `PUBACK ${hex(answer.body[2] ?? 0)}`;
		},
		ended: () => closed,
		close: () => socket.destroy(),
	};
}

/**
 * A WebSocket handshake and one text frame written by hand: WHATWG-URL clients (ws, browsers) resolve `/LedSign/..`
 * to `/` before connecting, so only a hand-made upgrade request reaches the server with the dots in place.
 * What came back: `HTTP <status>` (no upgrade), `error <status>` (the message refused), `ws close <code>`, or a
 * record event (`event for <id>`).
 */
export function rawWebSocket(harper: ServerInfo, path: string, user: Credentials, message: string): Promise<string> {
	const { hostname, port } = new URL(harper.httpUrl);
	return answered(
		new Promise<string>((resolve, reject) => {
			const request = httpRequest({
				hostname,
				port,
				path,
				headers: {
					'connection': 'Upgrade',
					'upgrade': 'websocket',
					'sec-websocket-version': '13',
					'sec-websocket-key': randomBytes(16).toString('base64'),
					'authorization': basicAuth(user),
				},
			});
			request.on('response', (response) => {
				response.resume();
				resolve(`HTTP ${response.statusCode ?? 0}`);
			});
			request.on('error', reject);
			request.on('upgrade', (_response, socket, head: Buffer) => {
				// One masked text frame (the mask may be zeros: XOR with 0 leaves the payload as it is).
				const payload = Buffer.from(message);
				socket.write(Buffer.concat([Buffer.of(0x81, 0x80 | payload.length, 0, 0, 0, 0), payload]));
				// Frames the server sent at once (a close, say) arrive in `head`, read along with the handshake.
				let received = Buffer.alloc(0);
				const read = (chunk: Buffer): void => {
					received = Buffer.concat([received, chunk]);
					const [first] = serverFrames(received);
					if (first === undefined) return;
					socket.destroy();
					resolve(first);
				};
				socket.on('data', read);
				socket.on('close', () => resolve('closed without an answer'));
				read(head);
			});
			request.end();
		}),
		`a raw WebSocket on ${path.slice(0, 60)}`
	);
}

/** Unmasked server frames in `bytes`, each described: a close, an error, or an event for a record. */
function serverFrames(bytes: Buffer): string[] {
	const frames: string[] = [];
	for (let at = 0; at + 2 <= bytes.length;) {
		let length = bytes[at + 1]! & 0x7f;
		let start = at + 2;
		if (length === 126) [length, start] = [bytes.readUInt16BE(at + 2), at + 4];
		if (start + length > bytes.length) break;
		const data = bytes.subarray(start, start + length);
		if ((bytes[at]! & 0x0f) === 0x8) frames.push(`ws close ${data.length >= 2 ? data.readUInt16BE(0) : 1005}`);
		else {
			const event = JSON.parse(data.toString('utf8')) as { type?: string; statusCode?: number; id?: string };
			frames.push(event.type === 'error' ? `error ${event.statusCode}` : `event for ${event.id}`);
		}
		at = start + length;
	}
	return frames;
}
