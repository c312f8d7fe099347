/**
 * What Marquee knows about each MQTT connection, from its first byte to its close: the client's address, what
 * its CONNECT said, its connection-quota slot, and the refusals waiting for the packet that will report them.
 *
 * Harper's hooks do not say which connection they serve: `authorizeClient(packet, user)` has no socket, and the
 * packets it sends are built by one shared `generate()`. But every one of them runs in the continuation of the
 * socket's own data event, and this module's listener on that event runs just before Harper's parser (it is added
 * first, on the `connection` event Harper emits before it adds its own). So the listener enters the connection
 * into an AsyncLocalStorage, and whatever Harper does for that data, awaits included, can ask which connection
 * it is for (currentMqttConnection).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Socket } from 'node:net';
import { addressKey } from '../admission/admit.ts';
import type { SignError } from './refusals.ts';
import { harperMqtt } from './facade.ts';
import { isWebSocket } from './facade.ts';
import type { MqttSocket } from './shapes.ts';

export interface MqttConnection {
	socket: MqttSocket;
	/** The TCP socket it runs on (under the WebSocket, for MQTT over WebSocket). */
	tcpSocket: Socket | undefined;
	/** The client's address, as the limits key it. */
	address: string;
	/** From the CONNECT: 4 for MQTT 3.1.1, 5 for MQTT 5. */
	protocolVersion?: number;
	/** From the CONNECT: the largest packet the client accepts (MQTT 5), which reason strings must respect. */
	maximumPacketSize?: number;
	/** Who logged in, and the topic of its last will: what presence (src/presence) needs to know whose sign it is. */
	user?: unknown;
	willTopic?: string;
	/** Gives back the account's connection-quota slot (admission/admit.ts), once connected. */
	release?: () => void;
	/** Refused publishes, by message id, waiting for their PUBACK. */
	refusedPublishes: Map<number, SignError>;
	/** Why topics of the SUBSCRIBE being answered were refused, for its SUBACK. */
	refusedTopics: string[];
	/** Why the CONNECT is refused, for its CONNACK: the MQTT 5 reason code and the reason string. */
	refusedConnect?: { code: number; reason: string };
}

const connections = new WeakMap<MqttSocket, MqttConnection>();
const current = new AsyncLocalStorage<MqttConnection>();

/** The connection Harper is working for right now (in its hooks and while it builds a packet). */
export function currentMqttConnection(): MqttConnection | undefined {
	return current.getStore();
}

export function mqttConnectionOf(socket: MqttSocket): MqttConnection | undefined {
	return connections.get(socket);
}

let installed = false;

/** Starts tracking every MQTT connection; `onConnection` then runs for each new one, before Harper reads from it. */
export function trackMqttConnections(onConnection: (connection: MqttConnection) => void): void {
	const events = harperMqtt()?.events;
	if (!events || installed) return;
	installed = true;
	events.on('connection', (socket) => {
		const tcpSocket = isWebSocket(socket) ? socket._socket : (socket as unknown as Socket);
		const connection: MqttConnection = {
			socket,
			tcpSocket,
			address: addressKey(tcpSocket?.remoteAddress),
			refusedPublishes: new Map(),
			refusedTopics: [],
		};
		connections.set(socket, connection);
		const enter = (): void => current.enterWith(connection);
		if (isWebSocket(socket)) socket.on('message', enter);
		else socket.on('data', enter);
		onConnection(connection);
	});
}
