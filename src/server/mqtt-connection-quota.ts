/**
 * The connection quota (abuse-guard.ts) for MQTT, over TCP and WebSocket alike. Harper calls
 * `server.mqtt.authorizeClient(connectPacket, user)` before it accepts a CONNECT and answers a throw carrying
 * `code` with that CONNACK reason code: 0x97 "Quota exceeded" tells a device to stop reconnecting in a loop.
 * The connection is counted from then until Harper reports it gone.
 */
import { admitConnection } from './abuse-guard.ts';
import { accountOf } from './accounts.ts';
import { isSignError } from './errors.ts';
import { harperMqtt } from './harper-runtime.ts';

const QUOTA_EXCEEDED = 0x97;

export function limitMqttConnections(): void {
	const mqtt = harperMqtt();
	if (!mqtt?.events) return;
	// Between authorizeClient and Harper's `connected` event the connection is known only by its client id.
	const admitted = new Map<string, (() => void)[]>();
	const releases = new WeakMap<object, () => void>();
	const take = (clientId = ''): (() => void) | undefined => {
		const waiting = admitted.get(clientId);
		const release = waiting?.shift();
		if (waiting?.length === 0) admitted.delete(clientId);
		return release;
	};

	mqtt.authorizeClient = (packet, user): void => {
		let release: () => void;
		try {
			release = admitConnection(accountOf(user));
		} catch (refusal) {
			const message = isSignError(refusal) ? refusal.error : 'too many connections';
			throw Object.assign(new Error(message), { code: QUOTA_EXCEEDED });
		}
		const clientId = packet.clientId ?? '';
		admitted.set(clientId, [...(admitted.get(clientId) ?? []), release]);
	};
	mqtt.events.on('connected', (session, socket) => {
		// A client that sent no client id gets one from Harper, so its admission is still filed under ''.
		const release = take(session?.sessionId) ?? take('');
		if (release) releases.set(socket, release);
	});
	mqtt.events.on('auth-failed', (packet) => take(packet.clientId)?.());
	mqtt.events.on('disconnected', (_session, socket) => releases.get(socket)?.());
}
