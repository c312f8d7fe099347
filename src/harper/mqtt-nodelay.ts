/**
 * Harper's MQTT listener leaves Nagle's algorithm on for its TCP sockets, so a small message (a sign record)
 * can wait for the client's delayed ACK. Measured with the simulator (which answers each delivery with a
 * PUBACK and a status report), REST → device took 4–49 ms, about 45 ms in half the changes; without Nagle,
 * 2–12 ms. The HTTP server, which carries REST, SSE and WebSocket, already runs without it (Node's default).
 */
import { harperMqtt } from './facade.ts';
import { isWebSocket } from './facade.ts';

let installed = false;

export function installMqttNoDelay(): void {
	if (installed) return;
	installed = true;
	// The benchmark's before/after switch (npm run bench): MARQUEE_MQTT_NODELAY=off keeps Harper's behaviour.
	if (process.env.MARQUEE_MQTT_NODELAY === 'off') return;
	harperMqtt()?.events?.on('connection', (socket) => {
		if (!isWebSocket(socket)) socket.setNoDelay?.(true);
	});
}
