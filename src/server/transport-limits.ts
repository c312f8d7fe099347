/**
 * Message size limits at the transports, so an oversize message is refused before it is buffered whole:
 * Harper's WebSocket server accepts messages up to 100 MB and its MQTT listener any packet MQTT allows.
 * The resources check every parsed message against the same limit (abuse-guard.ts); these caps bound the
 * memory one connection can make the server hold before that check runs.
 */
import { server } from 'harperdb';
import { packetSizeGuard } from './mqtt-packet-size.ts';

/** MQTT v5 DISCONNECT, reason 0x95 "Packet too large". */
const DISCONNECT_TOO_LARGE = Uint8Array.of(0xe0, 0x01, 0x95);
/** WebSocket close code 1009, "Message Too Big". */
const MESSAGE_TOO_BIG = 1009;

interface TcpSocket {
	on(event: 'data', listener: (chunk: Uint8Array) => void): unknown;
	pause(): unknown;
	write(data: Uint8Array, done: () => void): unknown;
	destroy(): unknown;
}

interface WebSocketConnection {
	on(event: 'message', listener: (data: Uint8Array) => void): unknown;
	close(code: number, reason: string): unknown;
	/** ws's frame reader; it closes the socket with 1009 when a message exceeds `_maxPayload`. */
	_receiver?: { _maxPayload?: number };
}

interface MqttEvents {
	on(event: 'connection', listener: (socket: TcpSocket | WebSocketConnection) => void): unknown;
}

type WsListener = (ws: WebSocketConnection, request: unknown, completion: unknown, next?: WsListener) => unknown;

const isWebSocket = (socket: TcpSocket | WebSocketConnection): socket is WebSocketConnection =>
	'close' in socket && !('write' in socket);

/**
 * `messageBytes`: the largest message (JSON) a client may send. An MQTT packet also carries its topic and
 * properties, so packets get 1 KiB on top.
 */
export function limitTransportMessages(messageBytes: number): void {
	const packetBytes = messageBytes + 1024;
	// Every WebSocket on the HTTP port (REST WebSocket and MQTT over WebSocket), before any handler sees it.
	// ws has no public per-socket limit after the handshake; its receiver reads `_maxPayload` for each frame.
	const ws = (server as unknown as { ws?: (listener: WsListener, options: { runFirst: boolean }) => void }).ws;
	ws?.(
		(socket, request, completion, next) => {
			if (socket._receiver && typeof socket._receiver._maxPayload === 'number')
				socket._receiver._maxPayload = packetBytes;
			return next?.(socket, request, completion);
		},
		{ runFirst: true }
	);

	const events = (server as unknown as { mqtt?: { events?: MqttEvents } }).mqtt?.events;
	events?.on('connection', (socket) => {
		const withinLimit = packetSizeGuard(packetBytes);
		if (isWebSocket(socket)) {
			socket.on('message', (data) => {
				if (!withinLimit(data)) socket.close(MESSAGE_TOO_BIG, `MQTT packets are limited to ${packetBytes} bytes`);
			});
			return;
		}
		socket.on('data', (chunk) => {
			if (withinLimit(chunk)) return;
			// Stop reading at once, so Harper's parser gets no more of the packet; say why, then close.
			socket.pause();
			socket.write(DISCONNECT_TOO_LARGE, () => socket.destroy());
		});
	});
}
