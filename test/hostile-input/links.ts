/**
 * The attacker's ordinary clients (mqtt.js, ws) on the server under attack, each answer translated into an
 * Outcome, and each wait bounded: a server that hangs fails the test saying so.
 */
import type { MqttClient } from 'mqtt';
import type WebSocket from 'ws';
import { mqttPeer, wsPeer, type Credentials, type Inbox, type ServerInfo } from '../../harness/clients.ts';
import { withDeadline } from '../../harness/deadline.ts';
import { errorCode, pubackCode } from '../../harness/mqtt-codes.ts';
import { mqttOutcome, type Outcome } from './verdicts.ts';

export const DEADLINE_MS = 10_000;

/** `promise`, or a failure saying the server hangs. */
export const answered = <T>(promise: Promise<T>, what: string, ms = DEADLINE_MS): Promise<T> =>
	withDeadline(promise, ms, `${what}: the server hangs`);

export interface MqttLink {
	client: MqttClient;
	/** Resolves when the server ends the connection (with its DISCONNECT reason if it sent one). */
	ended: Promise<Outcome>;
	isEnded(): boolean;
	publish(topic: string, payload: string | Buffer, retain: boolean): Promise<Outcome>;
	close(): Promise<void>;
}

/** MQTT 5 as `user` (null: anonymous), on the server's MQTT port or on `url` (MQTT over WebSocket). */
export async function mqttLink(
	server: ServerInfo,
	user: Credentials | null,
	options: { url?: string; connectTimeout?: number } = {}
): Promise<MqttLink> {
	const { client } = await mqttPeer(server, {
		user,
		url: options.url,
		connectTimeout: options.connectTimeout ?? DEADLINE_MS,
	});
	let done = false;
	const ended = new Promise<Outcome>((resolve) => {
		client.once('disconnect', (packet) => resolve(mqttOutcome('DISCONNECT', packet.reasonCode ?? 0)));
		// Over MQTT-over-WebSocket a 1009 close ends it before any DISCONNECT; mqtt.js does not pass the code on.
		client.once('close', () => resolve({ verdict: 'unexpected', detail: 'connection closed' }));
	}).finally(() => (done = true));
	return {
		client,
		ended,
		isEnded: () => done,
		async publish(topic, payload, retain): Promise<Outcome> {
			const acked = client.publishAsync(topic, payload, { qos: 1, retain }).then(
				(ack) => mqttOutcome('PUBACK', pubackCode(ack)),
				(err: unknown): Outcome => {
					const code = errorCode(err);
					return code === undefined
						? { verdict: 'unexpected', detail: String((err as { message?: unknown }).message) }
						: mqttOutcome('PUBACK', code);
				}
			);
			return answered(Promise.race([acked, ended]), `a publish on ${topic.slice(0, 60)}`);
		},
		close: () => client.endAsync(true),
	};
}

export interface WsLink {
	socket: WebSocket;
	inbox: Inbox<{ type?: string; id?: string; statusCode?: number; value?: { version?: number } }>;
	closed: Promise<number>;
	close(): void;
}

/** A WebSocket on `path` as `user`, its messages parsed, and the close code once the server closes it. */
export async function wsLink(server: ServerInfo, path: string, user: Credentials): Promise<WsLink> {
	const peer = await answered(wsPeer(server, path, user), `a WebSocket on ${path}`);
	const closed = new Promise<number>((resolve) => peer.socket.on('close', (code) => resolve(code)));
	return { socket: peer.socket, inbox: peer.inbox as WsLink['inbox'], closed, close: () => peer.socket.terminate() };
}
