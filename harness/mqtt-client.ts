/** A real MQTT 5 client (mqtt.js) on Harper, over mqtt:// or, for a TLS-only Harper, mqtts:// and wss://. */
import mqtt, { type MqttClient } from 'mqtt';
import { parseJsonOr } from './http.ts';
import { Inbox } from './inbox.ts';
import { connectRefusal, errorCode } from './mqtt-codes.ts';
import type { Credentials, ServerInfo } from './types.ts';

export interface MqttMessage {
	topic: string;
	payload: string;
	json: unknown;
}

export interface MqttPeer {
	client: MqttClient;
	inbox: Inbox<MqttMessage>;
	close(): Promise<void>;
}

export interface MqttPeerOptions {
	/** Who connects (the admin unless told); null: an anonymous CONNECT. */
	user?: Credentials | null;
	subscribe?: string[];
	clientId?: string;
	/** Another listener of the server's, e.g. `${server.wsUrl}/mqtt` for MQTT over WebSocket. */
	url?: string;
	connectTimeout?: number;
	/**
	 * Connect as the device of this sign does: with its last will on `SignStatus/<id>`. The server vouches for an
	 * admin's "online" only on the sign its will names (src/presence); any other is taken offline within a sweep.
	 */
	deviceOf?: string;
}

export async function mqttPeer(server: ServerInfo, options: MqttPeerOptions = {}): Promise<MqttPeer> {
	const user = options.user === undefined ? server.admin : options.user;
	const client = await mqtt.connectAsync(options.url ?? server.mqttUrl, {
		protocolVersion: 5,
		...(user ? { username: user.username, password: user.password } : {}),
		clientId: options.clientId,
		reconnectPeriod: 0,
		connectTimeout: options.connectTimeout ?? 5000,
		...(options.deviceOf ? { will: offlineWill(options.deviceOf) } : {}),
		...server.tls,
	});
	const inbox = new Inbox<MqttMessage>();
	client.on('message', (topic, payload) => {
		const text = payload.toString();
		inbox.push({ topic, payload: text, json: parseJsonOr(text) });
	});
	for (const topic of options.subscribe ?? []) await client.subscribeAsync(topic, { qos: 1 });
	return { client, inbox, close: () => client.endAsync() };
}

function offlineWill(sign: string): { topic: string; payload: Buffer; qos: 1; retain: true } {
	return { topic: `SignStatus/${sign}`, payload: Buffer.from('{"online":false}'), qos: 1, retain: true };
}

/** A connection, or why there is none: the CONNACK reason code, or the error's message when no CONNACK came. */
export async function tryMqttPeer(
	server: ServerInfo,
	options: MqttPeerOptions = {}
): Promise<MqttPeer | number | string> {
	try {
		return await mqttPeer(server, options);
	} catch (err) {
		return connectRefusal(err);
	}
}

/** 0 when the connect is accepted (the connection is closed again at once), else what refused it (tryMqttPeer). */
export async function mqttConnectCode(server: ServerInfo, options: MqttPeerOptions = {}): Promise<number | string> {
	const peer = await tryMqttPeer(server, options);
	if (typeof peer !== 'object') return peer;
	await peer.close();
	return 0;
}

/** Publishes with QoS 1 and returns the PUBACK reason code (0 = accepted). */
export async function mqttPublish(peer: MqttPeer, topic: string, payload: string, retain: boolean): Promise<number> {
	return (await mqttPublishAck(peer, topic, payload, retain)).code;
}

/** Publishes with QoS 1 and returns the PUBACK: its reason code (0 = accepted) and its MQTT 5 Reason String. */
export function mqttPublishAck(
	peer: MqttPeer,
	topic: string,
	payload: string,
	retain: boolean
): Promise<{ code: number; reason?: string }> {
	return new Promise((resolve, reject) => {
		peer.client.publish(topic, payload, { qos: 1, retain }, (err, packet) => {
			// mqtt.js rejects a PUBACK reason code of 0x80 or more with an error carrying the code; the packet it came in
			// is then the callback's second argument.
			const ack = packet as { reasonCode?: number; properties?: { reasonString?: string } } | undefined;
			const code = err ? errorCode(err) : (ack?.reasonCode ?? 0);
			if (code === undefined) reject(err ?? new Error('no PUBACK reason code'));
			else resolve({ code, reason: ack?.properties?.reasonString });
		});
	});
}
