/**
 * Message size limits at the transports, so an oversize message is refused before it is buffered whole:
 * Harper's WebSocket server accepts messages up to 100 MB and its MQTT listener any packet MQTT allows.
 * The resources check every parsed message against the same limit (admission/admit.ts); these caps bound the
 * memory one connection can make the server hold before that check runs.
 */
import { harperMqtt, isWebSocket, webSocketFirst } from './facade.ts';
import { disconnectWithReason } from './mqtt-disconnect.ts';
import { DISCONNECT } from './mqtt-reason-codes.ts';
import { packetSizeGuard } from './mqtt-packet-size.ts';

/**
 * `messageBytes`: the largest message (JSON) a client may send. An MQTT packet also carries its topic and
 * properties, so packets get 1 KiB on top.
 */
let installed = false;

export function installTransportLimits(messageBytes: number): void {
	if (installed) return;
	installed = true;
	const packetBytes = messageBytes + 1024;
	// Every WebSocket on the HTTP port (REST WebSocket and MQTT over WebSocket), before any handler sees it.
	// ws has no public per-socket limit after the handshake; its receiver reads `_maxPayload` for each frame.
	webSocketFirst((socket, request, completion, next) => {
		if (socket._receiver && typeof socket._receiver._maxPayload === 'number')
			socket._receiver._maxPayload = packetBytes;
		return next?.(socket, request, completion);
	});

	const events = harperMqtt()?.events;
	events?.on('connection', (socket) => {
		const withinLimit = packetSizeGuard(packetBytes);
		const tooLarge = `MQTT packets are limited to ${packetBytes} bytes`;
		const check = (data: Uint8Array): void => {
			if (!withinLimit(data)) disconnectWithReason(socket, DISCONNECT.packetTooLarge, tooLarge);
		};
		if (isWebSocket(socket)) socket.on('message', check);
		else socket.on('data', check);
	});
}
