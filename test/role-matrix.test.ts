/**
 * Roles × protocols: every action in test/security/role-matrix.ts, tried by every kind of account, on a real
 * Harper with `authorizeLocal` off, with the roles Marquee ships (roles.yaml) and a device account bound to one
 * sign. Each refused write must leave the record as it was. The same expectations are the table in
 * docs/security.md; the last test fails if the two differ.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import mqtt from 'mqtt';
import WebSocket from 'ws';
import {
	basicAuth,
	Inbox,
	mqttPublish,
	operation,
	rest,
	tryMqttPeer,
	type Credentials,
	type MqttPeer,
} from '../harness/clients.ts';
import { hex, subackCodes } from '../harness/mqtt-codes.ts';
import { addUser, bindDevice, dropUser } from '../harness/users.ts';
import { credentialsOf as matrixCredentials, matrixAccounts } from './security/accounts.ts';
import { ACTIONS, ACTORS, EXPECTED, matrixMarkdown, type Action, type Actor } from './security/role-matrix.ts';
import { tableCells } from './docs/markdown.ts';

const server = inject('harper');
const DEADLINE_MS = 5000;
const OWN = 'rm-own';
const OTHER = 'rm-other';

const accounts = matrixAccounts('rm', 'password');
const credentialsOf = (actor: Actor): Credentials | null => matrixCredentials(actor, accounts, server.admin);

/** The sign an actor acts on: a device's own sign, another one, or (for everyone else) the device's sign. */
const signFor = (actor: Actor): string => (actor === 'deviceOther' ? OTHER : OWN);

let serial = 0;
const fresh = (prefix: string): string => `${prefix}-${++serial}`;

// ---- observers: what a real client sees -------------------------------------------------------------------

async function restOutcome(method: string, path: string, user: Credentials | null, body?: unknown): Promise<string> {
	const { status } = await rest(server, method, path, body, { user });
	return status >= 200 && status < 300 ? 'ok' : String(status);
}

/**
 * ok once the stream delivers `"<key>":"<id>"` (a record's current state; with `trigger`, what it causes), else the
 * HTTP status.
 */
async function sseOutcome(
	path: string,
	id: string,
	user: Credentials | null,
	{ key = 'id', trigger }: { key?: string; trigger?: () => Promise<unknown> } = {}
): Promise<string> {
	const abort = new AbortController();
	const timer = setTimeout(() => abort.abort(), DEADLINE_MS);
	try {
		const response = await fetch(`${server.httpUrl}${path}`, {
			headers: { accept: 'text/event-stream', ...(user ? { authorization: basicAuth(user) } : {}) },
			signal: abort.signal,
		});
		if (response.status !== 200) return String(response.status);
		const decoder = new TextDecoder();
		const reader = response.body!.getReader();
		let text = '';
		await trigger?.();
		for (let read = await reader.read(); !read.done; read = await reader.read()) {
			text += decoder.decode(read.value, { stream: true });
			if (text.includes(`"${key}":"${id}"`)) return 'ok';
		}
		return 'stream ended without the record';
	} finally {
		clearTimeout(timer);
		abort.abort();
	}
}

/** Opens a WebSocket and reports what happened first: a message (ok), a close code, or an HTTP refusal. */
async function wsOutcome(path: string, user: Credentials | null, change?: object): Promise<string> {
	const socket = new WebSocket(`${server.wsUrl}${path}`, { headers: user ? { authorization: basicAuth(user) } : {} });
	const inbox = new Inbox<{ type?: string; statusCode?: number; value?: { text?: string } }>();
	try {
		return await new Promise<string>((resolve) => {
			const timer = setTimeout(() => resolve('no answer'), DEADLINE_MS);
			const done = (outcome: string): void => {
				clearTimeout(timer);
				resolve(outcome);
			};
			socket.on('unexpected-response', (_request, response) => done(String(response.statusCode)));
			socket.on('close', (code) => done(`close ${code}`));
			socket.on('message', (data: Buffer) => inbox.push(JSON.parse(data.toString('utf8')) as never));
			socket.on('open', () => {
				inbox
					.waitFor((message) => message.type === 'put', 'the current record', DEADLINE_MS)
					.then(
						() => {
							if (!change) return done('ok');
							socket.send(JSON.stringify(change));
							const text = (change as { text?: string }).text;
							inbox
								.waitForNext(
									(message) => message.type === 'error' || message.value?.text === text,
									'the change or an error',
									DEADLINE_MS
								)
								.then(
									(answer) => done(answer.type === 'error' ? `error ${answer.statusCode}` : 'ok'),
									() => done('no answer')
								);
						},
						() => done('no current record')
					);
			});
		});
	} finally {
		socket.terminate();
	}
}

/** A connection as `user` (null: anonymous), or what refused it. */
async function mqttClient(user: Credentials | null, overWebSocket = false): Promise<MqttPeer | string> {
	const url = overWebSocket ? `${server.wsUrl}/mqtt` : server.mqttUrl;
	const peer = await tryMqttPeer(server, { user, url, connectTimeout: DEADLINE_MS });
	if (typeof peer === 'number') return `CONNACK ${hex(peer)}`;
	return typeof peer === 'string' ? `connect failed: ${peer}` : peer;
}

/**
 * ok once a message on `topic` arrives after subscribing (Marquee sends the current state at once; a history stream
 * sends what `trigger` causes), else the SUBACK code.
 */
async function mqttSubscribeOutcome(
	user: Credentials | null,
	topic: string,
	overWebSocket = false,
	trigger?: () => Promise<unknown>
): Promise<string> {
	const peer = await mqttClient(user, overWebSocket);
	if (typeof peer === 'string') return peer;
	try {
		try {
			await peer.client.subscribeAsync(topic, { qos: 1 });
		} catch (err) {
			// mqtt.js rejects a refused subscription with the SUBACK's reason codes.
			const codes = subackCodes(err);
			if (codes?.[0] !== undefined) return hex(codes[0]);
			throw err;
		}
		const prefix = topic.replace('#', '');
		await trigger?.();
		await peer.inbox.waitFor((message) => message.topic.startsWith(prefix), `a message on ${topic}`, DEADLINE_MS);
		return 'ok';
	} finally {
		await peer.close();
	}
}

async function mqttPublishOutcome(
	user: Credentials | null,
	topic: string,
	payload: object,
	retain: boolean
): Promise<string> {
	const peer = await mqttClient(user);
	if (typeof peer === 'string') return peer;
	try {
		const code = await mqttPublish(peer, topic, JSON.stringify(payload), retain);
		return code === 0 ? 'ok' : hex(code);
	} finally {
		await peer.close();
	}
}

// ---- the actions ------------------------------------------------------------------------------------------

/** Which record an action writes, so a refusal can be checked to have changed nothing. */
const WRITES: Partial<Record<Action, 'LedSign' | 'SignStatus' | 'Preset' | 'SignHistory'>> = {
	restPatchSign: 'LedSign',
	restDeleteSign: 'LedSign',
	wsWriteSign: 'LedSign',
	mqttPublishRetained: 'LedSign',
	restPutStatus: 'SignStatus',
	mqttPublishStatus: 'SignStatus',
	restFlashSign: 'LedSign',
	restApplyPreset: 'LedSign',
	restPutPreset: 'Preset',
	restDeletePreset: 'Preset',
	mqttPublishPreset: 'Preset',
	restPutHistory: 'SignHistory',
};

const LOOK = { text: 'look', color: '#123456', brightness: 40, power: true, effect: 'static', speed: 5 };

/** A change of the sign an actor acts on, made by the admin: what a history stream then sends. */
const changeSign = (actor: Actor) => (): Promise<unknown> =>
	rest(server, 'PATCH', `/LedSign/${signFor(actor)}`, { text: fresh('history') });

async function attempt(action: Action, actor: Actor): Promise<string> {
	const user = credentialsOf(actor);
	const sign = signFor(actor);
	const text = fresh(`by ${actor}`);
	const status = { online: true, shownVersion: 1, firmware: `rm ${actor}`, rssi: -60, width: 32, height: 8 };
	switch (action) {
		case 'restGetSign':
			return restOutcome('GET', `/LedSign/${sign}`, user);
		case 'restGetAll':
			return restOutcome('GET', '/LedSign/', user);
		case 'restPatchSign':
			return restOutcome('PATCH', `/LedSign/${sign}`, user, { text });
		case 'restPostSign':
			return restOutcome('POST', '/LedSign/', user, { id: fresh('rm-new'), text });
		case 'restDeleteSign':
			return restOutcome('DELETE', `/LedSign/${await deletable(actor)}`, user);
		case 'sseSign':
			return sseOutcome(`/LedSign/${sign}`, sign, user);
		case 'wsReadSign':
			return wsOutcome(`/LedSign/${sign}`, user);
		case 'wsWriteSign':
			return wsOutcome(`/LedSign/${sign}`, user, { text });
		case 'mqttSubscribeSign':
			return mqttSubscribeOutcome(user, `LedSign/${sign}`);
		case 'mqttSubscribeAll':
			return mqttSubscribeOutcome(user, 'LedSign/#');
		case 'mqttPublishRetained':
			return mqttPublishOutcome(user, `LedSign/${sign}`, { text }, true);
		case 'mqttPublishTransient':
			return mqttPublishOutcome(user, `LedSign/${sign}`, { text }, false);
		case 'mqttWsSubscribeSign':
			return mqttSubscribeOutcome(user, `LedSign/${sign}`, true);
		case 'restGetStatus':
			return restOutcome('GET', `/SignStatus/${sign}`, user);
		case 'restPutStatus':
			return restOutcome('PUT', `/SignStatus/${sign}`, user, status);
		case 'mqttSubscribeStatus':
			return mqttSubscribeOutcome(user, `SignStatus/${sign}`);
		case 'mqttPublishStatus':
			return mqttPublishOutcome(user, `SignStatus/${sign}`, status, true);
		case 'restFlashSign':
			return restOutcome('PATCH', `/LedSign/${sign}`, user, { transient: true, text });
		case 'restApplyPreset':
			return restOutcome('PATCH', `/LedSign/${sign}`, user, { preset: sign, speed: 1 + (serial % 10) });
		case 'restGetPreset':
			return restOutcome('GET', `/Preset/${sign}`, user);
		case 'restPutPreset':
			return restOutcome('PUT', `/Preset/${sign}`, user, { ...LOOK, text });
		case 'restDeletePreset':
			return restOutcome('DELETE', `/Preset/${await deletablePreset(actor)}`, user);
		case 'ssePreset':
			return sseOutcome(`/Preset/${sign}`, sign, user);
		case 'mqttSubscribePreset':
			return mqttSubscribeOutcome(user, `Preset/${sign}`);
		case 'mqttPublishPreset':
			return mqttPublishOutcome(user, `Preset/${sign}`, { text }, true);
		case 'restGetHistory':
			return restOutcome('GET', `/SignHistory/${sign}`, user);
		case 'sseHistory':
			return sseOutcome(`/SignHistory/${sign}`, sign, user, { key: 'sign', trigger: changeSign(actor) });
		case 'mqttSubscribeHistory':
			return mqttSubscribeOutcome(user, `SignHistory/${sign}/#`, false, changeSign(actor));
		case 'restPutHistory':
			return restOutcome('PUT', `/SignHistory/${sign}`, user, { sign, action: 'change', state: LOOK });
	}
}

/** A device may only try to delete the preset of its own sign's name; anyone else gets a preset of their own. */
async function deletablePreset(actor: Actor): Promise<string> {
	if (actor === 'device' || actor === 'deviceOther' || actor === 'deviceUnbound') return signFor(actor);
	const id = fresh('rm-doomed-preset');
	await rest(server, 'PUT', `/Preset/${id}`, LOOK);
	return id;
}

/** A device may only try to delete its own sign; anyone else gets a sign of their own to delete. */
async function deletable(actor: Actor): Promise<string> {
	if (actor === 'device' || actor === 'deviceOther' || actor === 'deviceUnbound') return signFor(actor);
	const id = fresh('rm-doomed');
	await rest(server, 'PUT', `/LedSign/${id}`, { text: 'to be deleted' });
	return id;
}

const stored = async (table: string, id: string): Promise<unknown> =>
	(await rest(server, 'GET', `/${table}/${id}`)).body;

beforeAll(async () => {
	for (const account of Object.values(accounts)) await addUser(server, account, account.role);
	await bindDevice(server, accounts.device.username, OWN);
	for (const id of [OWN, OTHER]) {
		await rest(server, 'PUT', `/Preset/${id}`, { ...LOOK, text: `preset ${id}` });
		await rest(server, 'PUT', `/LedSign/${id}`, { text: `sign ${id}` });
		// Offline: the server vouches for no REST "online" and would take it offline between a refusal's two reads.
		await rest(server, 'PUT', `/SignStatus/${id}`, {
			online: false,
			shownVersion: 1,
			firmware: 'setup',
			width: 32,
			height: 8,
		});
	}
});

afterAll(async () => {
	for (const { username } of Object.values(accounts)) await dropUser(server, username);
});

describe.each(ACTORS)('%s', (actor) => {
	it.each(ACTIONS)(`%s`, async (action) => {
		const table = WRITES[action];
		const target = signFor(actor);
		const before = table ? await stored(table, target) : undefined;
		const outcome = await attempt(action, actor);
		expect(outcome).toBe(EXPECTED[action][actor]);
		const deletes = action === 'restDeleteSign' || action === 'restDeletePreset';
		if (table && outcome !== 'ok' && !deletes) expect(await stored(table, target)).toEqual(before);
	});
});

describe('the bound device', () => {
	it("never changed or deleted the other sign, or that sign's preset", async () => {
		expect(await stored('LedSign', OTHER)).toMatchObject({ text: `sign ${OTHER}`, version: 1 });
		expect(await stored('Preset', OTHER)).toMatchObject({ text: `preset ${OTHER}`, version: 1 });
		expect(await stored('SignStatus', OTHER)).toMatchObject({ firmware: 'setup' });
	});

	it('loses its sign when its binding is removed', async () => {
		await operation(server, {
			operation: 'delete',
			database: 'data',
			table: 'DeviceAccount',
			ids: [accounts.device.username],
		});
		try {
			expect(await attempt('restGetSign', 'device')).toBe('403');
			expect(await attempt('mqttPublishStatus', 'device')).toBe('0x87');
		} finally {
			await bindDevice(server, accounts.device.username, OWN);
		}
	});

	it('marks its sign offline with its last will', async () => {
		const { username, password } = accounts.device;
		const client = await mqtt.connectAsync(server.mqttUrl, {
			protocolVersion: 5,
			reconnectPeriod: 0,
			username,
			password,
			will: { topic: `SignStatus/${OWN}`, payload: Buffer.from('{"online":false}'), qos: 1, retain: true },
		});
		await client.publishAsync(`SignStatus/${OWN}`, '{"online":true}', { qos: 1, retain: true });
		expect(await stored('SignStatus', OWN)).toMatchObject({ online: true });
		(client.stream as { destroy(): void }).destroy();
		await expect
			.poll(async () => ((await stored('SignStatus', OWN)) as { online?: boolean }).online, { timeout: DEADLINE_MS })
			.toBe(false);
		client.end(true);
	});
});

describe('docs/security.md', () => {
	it('shows the table these tests check', () => {
		const doc = readFileSync(new URL('../docs/security.md', import.meta.url), 'utf8');
		const table = /<!-- role-matrix:start -->\n([\s\S]*?)\n<!-- role-matrix:end -->/.exec(doc)?.[1];
		expect(table, 'the table between the role-matrix markers').toBeDefined();
		expect(tableCells(table ?? '')).toEqual(tableCells(matrixMarkdown()));
	});
});
