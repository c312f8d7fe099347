/**
 * Listeners for the benchmarks: real MQTT, WebSocket and SSE clients that hand every sign record they receive
 * to a callback with the time it arrived, and keep nothing else (thousands run at once).
 */
import { performance } from 'node:perf_hooks';
import { EventSource } from 'eventsource';
import mqtt, { type MqttClient } from 'mqtt';
import WebSocket from 'ws';
import type { LedSignRecord } from '../src/shared/sign-rules.ts';
import { basicAuth, type ServerInfo } from '../harness/clients.ts';

export type ListenerKind = 'mqtt' | 'ws' | 'sse';
export type OnRecord = (record: LedSignRecord, at: number) => void;

export interface Listener {
	close(): void;
}

function parse(text: string): LedSignRecord | undefined {
	try {
		const message = JSON.parse(text) as LedSignRecord & { value?: LedSignRecord };
		return message.value ?? (typeof message.text === 'string' ? message : undefined);
	} catch {
		return undefined;
	}
}

export async function mqttListener(
	url: string,
	topic: string,
	onRecord: OnRecord,
	server?: ServerInfo
): Promise<Listener> {
	const client: MqttClient = await mqtt.connectAsync(url, {
		protocolVersion: 5,
		username: server?.admin.username,
		password: server?.admin.password,
		reconnectPeriod: 0,
		connectTimeout: 30_000,
	});
	client.on('message', (_topic, payload) => {
		const record = parse(payload.toString());
		if (record) onRecord(record, performance.now());
	});
	await client.subscribeAsync(topic, { qos: 1 });
	return { close: () => void client.endAsync(true) };
}

export async function wsListener(server: ServerInfo, path: string, onRecord: OnRecord): Promise<Listener> {
	const socket = new WebSocket(`${server.wsUrl}${path}`, { headers: { authorization: basicAuth(server.admin) } });
	socket.on('message', (data: Buffer) => {
		const record = parse(data.toString('utf8'));
		if (record) onRecord(record, performance.now());
	});
	await new Promise<void>((resolve, reject) => {
		socket.once('open', () => resolve());
		socket.once('error', reject);
	});
	return { close: () => socket.terminate() };
}

export async function sseListener(server: ServerInfo, path: string, onRecord: OnRecord): Promise<Listener> {
	const source = new EventSource(`${server.httpUrl}${path}`, {
		fetch: (input: string | URL, init?: RequestInit): Promise<Response> =>
			fetch(input, {
				...init,
				headers: { ...(init?.headers as Record<string, string>), authorization: basicAuth(server.admin) },
			}),
	});
	source.onmessage = (event): void => {
		const record = parse(String(event.data));
		if (record) onRecord(record, performance.now());
	};
	await new Promise<void>((resolve, reject) => {
		source.onopen = (): void => resolve();
		source.onerror = (event): void => reject(new Error(String(event.message)));
	});
	return { close: () => source.close() };
}

export function listen(server: ServerInfo, kind: ListenerKind, signId: string, onRecord: OnRecord): Promise<Listener> {
	switch (kind) {
		case 'mqtt':
			return mqttListener(server.mqttUrl, `LedSign/${signId}`, onRecord, server);
		case 'ws':
			return wsListener(server, `/LedSign/${signId}`, onRecord);
		case 'sse':
			return sseListener(server, `/LedSign/${signId}`, onRecord);
	}
}
