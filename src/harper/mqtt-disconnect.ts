/**
 * Ends an MQTT connection with an MQTT 5 DISCONNECT that says why, over TCP or WebSocket. (A 3.1.1 client has
 * no DISCONNECT from the server; it just sees the connection close, which is all 3.1.1 offers.) Also closes one
 * whose CONNECT was refused, after its CONNACK: MQTT 5 requires it, and Harper would wait for another CONNECT.
 */
import { isWebSocket } from './facade.ts';
import { DISCONNECT } from './mqtt-reason-codes.ts';
import { truncateUtf8 } from './refusals.ts';
import type { MqttSocket } from './shapes.ts';

type DisconnectCode = (typeof DISCONNECT)[keyof typeof DISCONNECT];

/** The WebSocket close code for each: 1009, "Message Too Big"; 1008, "Policy Violation". */
const WS_CLOSE: Record<DisconnectCode, number> = {
	[DISCONNECT.packetTooLarge]: 1009,
	[DISCONNECT.messageRateTooHigh]: 1008,
};

/**
 * Connections already being ended. A flood calls for the same disconnect many times over (every publish Harper
 * had already read from a client that ignored its 0x97 is refused again); a second `end()` on a TCP socket is a
 * write after end, which destroys it at once and can drop the DISCONNECT still waiting to be sent, so the client
 * never learns why (test/hostile-input.test.ts, publish floods). Only the first call acts.
 */
const disconnecting = new WeakSet<MqttSocket>();

export function disconnectWithReason(socket: MqttSocket, reasonCode: DisconnectCode, reason: string): void {
	if (disconnecting.has(socket)) return;
	disconnecting.add(socket);
	const packet = Uint8Array.of(0xe0, 0x01, reasonCode);
	if (isWebSocket(socket)) {
		socket.send(packet);
		socket.close(WS_CLOSE[reasonCode], reason);
		return;
	}
	// Harper's parser gets nothing more from this client: what it still sends is read and dropped, so the
	// connection closes cleanly (closing with unread data would reset it, and the client could lose the reason).
	socket.removeAllListeners('data');
	socket.resume();
	socket.end(packet);
	setTimeout(() => socket.destroy(), 2000).unref();
}

/**
 * Closes a connection whose CONNECT was refused, once the CONNACK that says why (sent in the same turn of the
 * event loop) is on its way: a TCP socket is ended after what is written, a WebSocket closed with 1008.
 */
export function closeAfterConnack(socket: MqttSocket, reason: string): void {
	setImmediate(() => {
		if (isWebSocket(socket)) socket.close(1008, truncateUtf8(reason, 123));
		else socket.end(new Uint8Array(0));
	});
}
