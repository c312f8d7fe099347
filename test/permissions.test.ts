/**
 * Harper's permissions reach every write path: the tests' Harper has `authorizeLocal` off, so a request from
 * 127.0.0.1 without credentials is anonymous, not the super user, and a user's role is what it may do.
 * (Roles shipped with Marquee and per-sign device accounts are the security issue's work.)
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import mqtt from 'mqtt';
import WebSocket from 'ws';
import { mqttPeer, mqttPublish, operation, rest, wsPeer, type MqttPeer, type WsPeer } from '../harness/clients.ts';
import type { Credentials } from '../harness/harper.ts';
import { addUser } from '../harness/users.ts';

const server = inject('harper');
const viewer: Credentials = { username: 'perm-viewer', password: 'viewer-password-1' };

beforeAll(async () => {
	await operation(server, {
		operation: 'add_role',
		role: 'perm_viewer',
		permission: {
			super_user: false,
			data: {
				tables: { LedSign: { read: true, insert: false, update: false, delete: false, attribute_permissions: [] } },
			},
		},
	});
	await addUser(server, viewer, 'perm_viewer');
	await rest(server, 'PUT', '/LedSign/guarded', { text: 'as set by admin' });
});

describe('anonymous clients', () => {
	it('are refused over REST, for reads and writes', async () => {
		expect((await rest(server, 'GET', '/LedSign/guarded', undefined, { user: null })).status).toBe(401);
		expect((await rest(server, 'PATCH', '/LedSign/guarded', { text: 'x' }, { user: null })).status).toBe(401);
		expect((await rest(server, 'PUT', '/LedSign/guarded', { text: 'x' }, { user: null })).status).toBe(401);
		expect((await rest(server, 'POST', '/LedSign/', { id: 'anon', text: 'x' }, { user: null })).status).toBe(401);
	});

	it('are refused over SSE', async () => {
		const response = await fetch(`${server.httpUrl}/LedSign/guarded`, { headers: { accept: 'text/event-stream' } });
		expect(response.status).toBe(401);
		await response.body?.cancel();
	});

	it('are refused over WebSocket', async () => {
		const socket = new WebSocket(`${server.wsUrl}/LedSign/guarded`);
		const [code] = await new Promise<[number]>((resolve) => {
			socket.on('close', (closeCode) => resolve([closeCode]));
			socket.on('unexpected-response', (_request, response) => resolve([response.statusCode ?? 0]));
		});
		expect([401, 3000]).toContain(code);
		socket.terminate();
	});

	it('are refused over MQTT', async () => {
		await expect(mqtt.connectAsync(server.mqttUrl, { protocolVersion: 5, reconnectPeriod: 0 })).rejects.toThrow();
	});
});

describe('a read-only user', () => {
	let peer: MqttPeer;
	let socket: WsPeer;

	beforeAll(async () => {
		peer = await mqttPeer(server, { user: viewer });
		socket = await wsPeer(server, '/LedSign/guarded', viewer);
	});

	afterAll(async () => {
		await peer.close();
		await socket.close();
	});

	it('may read', async () => {
		expect((await rest(server, 'GET', '/LedSign/guarded', undefined, { user: viewer })).status).toBe(200);
	});

	it('may not write over REST', async () => {
		expect((await rest(server, 'PUT', '/LedSign/guarded', { text: 'x' }, { user: viewer })).status).toBe(403);
		expect((await rest(server, 'PATCH', '/LedSign/guarded', { text: 'x' }, { user: viewer })).status).toBe(403);
	});

	it('may not write over MQTT, retained or not: 0x87 Not authorized', async () => {
		expect(await mqttPublish(peer, 'LedSign/guarded', '{"text":"x"}', true)).toBe(0x87);
		expect(await mqttPublish(peer, 'LedSign/guarded', '{"text":"x"}', false)).toBe(0x87);
	});

	it('is refused before validation: no hint about what would be valid', async () => {
		const { status, body } = await rest(server, 'PATCH', '/LedSign/guarded', { brightness: 999 }, { user: viewer });
		expect(status).toBe(403);
		expect(body).not.toHaveProperty('fields.brightness');
	});

	it('may not write over WebSocket: the socket says why', async () => {
		const answer = socket.inbox.waitForNext((message) => (message as { type?: string }).type === 'error', 'an error');
		socket.send({ text: 'x' });
		expect(await answer).toMatchObject({ type: 'error', statusCode: 403 });
	});

	it('changed nothing', async () => {
		expect((await rest(server, 'GET', '/LedSign/guarded')).body).toMatchObject({ text: 'as set by admin', version: 1 });
	});
});
