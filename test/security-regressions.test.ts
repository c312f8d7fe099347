/**
 * One regression test per breach the outside security test of issue 11 found on the suite's Harper (each failed
 * on the code before its fix), each extended to the resources added since (Preset, SignHistory): bulk and query DELETE, the QUERY method, the operations API for accounts that are
 * not super users, the connection quota after an SSE stream ends, session fixation, unreadable WebSocket close
 * reasons and MQTT session takeover. Each refused action is checked to have changed nothing. The bounded-memory,
 * password-guessing and dev-mode findings need a Harper of their own (test/bounded-memory.test.ts,
 * test/login-throttle.test.ts, test/local-origin.test.ts); the full method × target × table × account matrix is
 * test/http-matrix.test.ts.
 */
import mqtt from 'mqtt';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { basicAuth, mqttConnectCode, operationAnswer, rest, type OperationAnswer } from '../harness/clients.ts';
import type { Credentials } from '../harness/harper.ts';
import { postSession, sessionCookie } from '../harness/sessions.ts';
import { addUser, bindDevice, dropUser } from '../harness/users.ts';

const server = inject('harper');
const run = Math.random().toString(36).slice(2, 8);
const DEADLINE_MS = 5000;

const account = (name: string): Credentials => ({ username: `sr-${name}-${run}`, password: `sr-${name}-Pass-${run}` });
const operator = account('operator');
const otherOperator = account('operator2');
const viewer = account('viewer');
const device = account('device');

const SIGNS = [`sr-a-${run}`, `sr-b-${run}`, `sr-c-${run}`];
const [OWN, OTHER] = SIGNS as [string, string, string];

type Rows = Record<string, unknown>;

/** Every record of a table, by id, as the admin reads it. */
async function snapshot(table: string): Promise<Rows> {
	const { body } = await rest(server, 'GET', `/${table}/`);
	return Object.fromEntries((body as { id: string }[]).map((record) => [record.id, record]));
}

/** A sign's history as the admin reads it (one page: these tests make far fewer changes). */
async function historyOf(sign: string): Promise<unknown> {
	return (await rest(server, 'GET', `/SignHistory/${sign}?limit=500`)).body;
}

/** What Harper's operations API answers `body` from `user`: the status and the parsed body. */
const operationAs = (user: Credentials, body: object): Promise<OperationAnswer> => operationAnswer(server, body, user);

beforeAll(async () => {
	for (const [user, role] of [
		[operator, 'marquee_operator'],
		[otherOperator, 'marquee_operator'],
		[viewer, 'marquee_viewer'],
		[device, 'marquee_device'],
	] as const) {
		await addUser(server, user, role);
	}
	await bindDevice(server, device.username, OWN);
	const look = { text: 'preset', color: '#ffffff', brightness: 10, power: true, effect: 'static', speed: 1 };
	expect((await rest(server, 'PUT', `/Preset/sr-preset-${run}`, look)).status).toBe(200);
	for (const id of SIGNS) {
		expect((await rest(server, 'PUT', `/LedSign/${id}`, { text: `sign ${id}` })).status).toBe(200);
		const status = { online: false, shownVersion: 1, firmware: 'sr', width: 32, height: 8 };
		expect((await rest(server, 'PUT', `/SignStatus/${id}`, status)).status).toBe(200);
	}
});

afterAll(async () => {
	for (const { username } of [operator, otherOperator, viewer, device]) await dropUser(server, username);
});

describe('1. collection and query DELETE', () => {
	const attempts: [Credentials, string][] = [
		[viewer, '/LedSign/'],
		[viewer, '/LedSign/?id=ne=nothing'],
		[device, '/LedSign/'],
		[device, '/LedSign/?id=ne=nothing'],
		[operator, '/LedSign/'],
		[device, `/SignStatus/?id=${OTHER}`],
		[device, '/SignStatus/'],
	];

	it.each(attempts)('refuses %s DELETE %s, and deletes nothing', async (user, path) => {
		const [signs, statuses] = [await snapshot('LedSign'), await snapshot('SignStatus')];
		const answer = await rest(server, 'DELETE', path, undefined, { user });
		expect(answer.status).toBe(403);
		expect(answer.body).toMatchObject({ statusCode: 403, error: expect.any(String) as string });
		expect(await snapshot('LedSign')).toEqual(signs);
		expect(await snapshot('SignStatus')).toEqual(statuses);
	});

	// Presets are deleted one at a time only, and the history never through the API: no role gets past the form.
	const unsupported: [Credentials, string][] = [
		[server.admin, '/Preset/'],
		[server.admin, '/Preset/?id=ne=nothing'],
		[operator, '/Preset/'],
		[operator, `/SignHistory/${OWN}`],
		[server.admin, '/SignHistory/'],
		[server.admin, `/SignHistory/?sign=${OWN}`],
	];

	it.each(unsupported)('refuses %s DELETE %s with 405, and deletes nothing', async (user, path) => {
		const [presets, history] = [await snapshot('Preset'), await historyOf(OWN)];
		const answer = await rest(server, 'DELETE', path, undefined, { user });
		expect(answer.status).toBe(405);
		expect(answer.body).toMatchObject({ statusCode: 405, error: expect.any(String) as string });
		expect(await snapshot('Preset')).toEqual(presets);
		expect(await historyOf(OWN)).toEqual(history);
	});
});

describe('2. the HTTP QUERY method', () => {
	it.each([device, viewer, operator])('answers %s with 405 and a JSON body, and no sign', async (user) => {
		for (const path of ['/LedSign/', '/Preset/', `/SignHistory/${OTHER}`]) {
			const answer = await rest(server, 'QUERY', path, undefined, { user });
			expect(answer.status, path).toBe(405);
			expect(answer.body).toMatchObject({ statusCode: 405, error: expect.stringMatching(/QUERY/) as string });
			expect(JSON.stringify(answer.body)).not.toContain(OTHER);
		}
	});
});

describe('3. the operations API', () => {
	it.each([
		['device', device],
		['viewer', viewer],
		['operator', operator],
	] as const)('refuses every operation to a %s account, reads, writes and SQL alike', async (_name, user) => {
		const [signs, statuses, history] = [await snapshot('LedSign'), await snapshot('SignStatus'), await historyOf(OWN)];
		const operations = [
			{ operation: 'search_by_value', database: 'data', table: 'LedSign', attribute: 'id', value: '*' },
			{ operation: 'sql', sql: 'SELECT * FROM data.LedSign' },
			{ operation: 'update', database: 'data', table: 'SignStatus', records: [{ id: OTHER, online: true }] },
			{ operation: 'insert', database: 'data', table: 'SignStatus', records: [{ id: `sr-new-${run}` }] },
			{ operation: 'update', database: 'data', table: 'LedSign', records: [{ id: OWN, brightness: 99999 }] },
			{ operation: 'update', database: 'data', table: 'LedSign', records: [{ id: OWN, effect: 'explode' }] },
			{ operation: 'insert', database: 'data', table: 'LedSign', records: [{ id: '../../etc', text: 'x' }] },
			{ operation: 'sql', sql: `UPDATE data.LedSign SET version = 1 WHERE id = '${OWN}'` },
			// The history is written by the server alone: a role that may read it may not write it here either.
			{ operation: 'search_by_value', database: 'data', table: 'SignHistory', attribute: 'sign', value: OWN },
			{ operation: 'insert', database: 'data', table: 'SignHistory', records: [{ id: `${OWN}/forged`, sign: OWN }] },
			{ operation: 'sql', sql: `DELETE FROM data.SignHistory WHERE sign = '${OWN}'` },
			{ operation: 'upsert', database: 'data', table: 'Preset', records: [{ id: `sr-forged-${run}`, text: 'x' }] },
			{
				operation: 'insert',
				database: 'data',
				table: 'LedSign',
				records: Array.from({ length: 5000 }, (_, i) => ({ id: `sr-bulk-${run}-${i}`, text: 'bulk' })),
			},
			{ operation: 'user_info' },
		];
		for (const body of operations) {
			const answer = await operationAs(user, body);
			expect(answer.status, JSON.stringify(body).slice(0, 120)).toBe(403);
			expect(answer.body).toMatchObject({ statusCode: 403, error: expect.stringMatching(/super user/) as string });
		}
		expect(await snapshot('LedSign')).toEqual(signs);
		expect(await snapshot('SignStatus')).toEqual(statuses);
		expect(await historyOf(OWN)).toEqual(history);
	});

	it('still serves the admin', async () => {
		const answer = await operationAs(server.admin, { operation: 'user_info' });
		expect(answer.status).toBe(200);
		expect(answer.body).toMatchObject({ username: server.admin.username });
	});
});

describe('4. the connection quota after SSE streams end', () => {
	it('gives back the slot of a stream the client closed, at once: 50 quick SSE streams do not lock MQTT out', async () => {
		const user = account(`sse-${Math.random().toString(36).slice(2, 6)}`);
		await addUser(server, user, 'marquee_operator');
		try {
			for (let i = 0; i < 50; i++) {
				const abort = new AbortController();
				const response = await fetch(`${server.httpUrl}/LedSign/${OWN}`, {
					headers: { accept: 'text/event-stream', authorization: basicAuth(user) },
					signal: abort.signal,
				});
				expect(response.status).toBe(200);
				abort.abort();
			}
			// The sign has not changed since: every slot must come back from the closes alone.
			await expect.poll(() => mqttConnectCode(server, { user }), { timeout: DEADLINE_MS }).toBe(0);
		} finally {
			await dropUser(server, user.username);
		}
	});
});

describe('6. session fixation', () => {
	it('never adopts a session id planted before login: the login answers with a fresh one', async () => {
		const host = new URL(server.httpUrl).host;
		const planted = `${host.replace(/\W/, '_')}-hdb-session=planted-${run}`;
		const login = await postSession(server, JSON.stringify(operator), 'application/json', planted);
		expect(login.status).toBe(200);
		const fresh = sessionCookie(login);
		expect(fresh).not.toContain(`planted-${run}`);
		// The planted id is nobody's session.
		const asPlanted = await fetch(`${server.httpUrl}/Session`, { headers: { cookie: planted } });
		expect(await asPlanted.json()).toMatchObject({ username: null });
		const asFresh = await fetch(`${server.httpUrl}/Session`, { headers: { cookie: fresh } });
		expect(await asFresh.json()).toMatchObject({ username: operator.username });
	});

	it('gives a second login in the same browser a new id, and the old one stops working', async () => {
		const firstCookie = sessionCookie(await postSession(server, JSON.stringify(operator)));
		const second = await postSession(server, JSON.stringify(viewer), 'application/json', firstCookie);
		expect(sessionCookie(second)).not.toBe(firstCookie);
		const asFirst = await fetch(`${server.httpUrl}/Session`, { headers: { cookie: firstCookie } });
		expect(await asFirst.json()).toMatchObject({ username: null });
	});

	it('logout deletes the session: a copy of the cookie kept from before is nobody', async () => {
		const cookie = sessionCookie(await postSession(server, JSON.stringify(operator)));
		await fetch(`${server.httpUrl}/Session`, { method: 'DELETE', headers: { cookie } });
		const copy = await fetch(`${server.httpUrl}/Session`, { headers: { cookie } });
		expect(await copy.json()).toMatchObject({ username: null });
		const write = await fetch(`${server.httpUrl}/LedSign/${OWN}`, {
			method: 'PATCH',
			headers: { 'content-type': 'application/json', cookie },
			body: '{"text":"after logout"}',
		});
		expect(write.status).toBe(401);
	});
});

describe('8. WebSocket refusals', () => {
	/** The close code and reason a WebSocket gets. */
	function closeOf(path: string, user: Credentials | null): Promise<{ code: number; reason: string }> {
		const socket = new WebSocket(`${server.wsUrl}${path}`, { headers: user ? { authorization: basicAuth(user) } : {} });
		return new Promise((resolve) =>
			socket.on('close', (code, reason) => resolve({ code, reason: reason.toString('utf8') }))
		);
	}

	it('close with the same text as the REST error, never [object Object]', async () => {
		for (const [path, user] of [
			[`/LedSign/${OWN}`, null],
			[`/LedSign/${OTHER}`, device],
			['/LedSign/', device],
			['/SignStatus/', device],
			['/Preset/', device],
			[`/SignHistory/${OWN}`, device],
			[`/SignHistory/${OWN}`, null],
		] as const) {
			const { body } = await rest(server, 'GET', path, undefined, { user });
			const { code, reason } = await closeOf(path, user);
			expect(reason, `${path} as ${user?.username ?? 'anonymous'}`).toBe((body as { error: string }).error);
			expect(code).toBe(user ? 3003 : 3000);
		}
	});
});

describe('9. MQTT client ids', () => {
	/**
	 * Connects, with every message it gets (from the very first: a resumed session's arrive right behind the
	 * CONNACK, before connect() would resolve) pushed to `received`.
	 */
	const connect = (
		user: Credentials,
		clientId: string,
		clean: boolean,
		received: string[] = []
	): Promise<mqtt.MqttClient> => {
		const client = mqtt.connect(server.mqttUrl, {
			protocolVersion: 5,
			reconnectPeriod: 0,
			connectTimeout: DEADLINE_MS,
			clientId,
			clean,
			properties: { sessionExpiryInterval: 3600 },
			...user,
		});
		client.on('message', (_topic, payload) => received.push(payload.toString()));
		return new Promise((resolve, reject) => {
			client.once('connect', () => resolve(client));
			client.once('error', reject);
		});
	};

	it("does not let another account take over a persistent session: it never gets the owner's messages", async () => {
		const clientId = `sr-shared-${run}`;
		const owner = await connect(operator, clientId, false);
		await owner.subscribeAsync(`LedSign/${OWN}`, { qos: 1 });
		await owner.endAsync();
		// While the owner is away, its sign changes: the owner's session holds that message for it.
		expect((await rest(server, 'PATCH', `/LedSign/${OWN}`, { text: `queued ${run}` })).status).toBe(200);

		const stolen: string[] = [];
		const intruder = await connect(otherOperator, clientId, false, stolen);
		// A marker the intruder's own subscription delivers: everything queued for it would have come before.
		await intruder.subscribeAsync(`LedSign/${OTHER}`, { qos: 1 });
		expect((await rest(server, 'PATCH', `/LedSign/${OTHER}`, { text: `marker ${run}` })).status).toBe(200);
		await expect
			.poll(() => stolen.some((message) => message.includes(`marker ${run}`)), { timeout: DEADLINE_MS })
			.toBe(true);
		expect(stolen.join('\n')).not.toContain(`queued ${run}`);
		await intruder.endAsync();

		const received: string[] = [];
		const back = await connect(operator, clientId, false, received);
		await expect
			.poll(() => received.some((message) => message.includes(`queued ${run}`)), { timeout: DEADLINE_MS })
			.toBe(true);
		await back.endAsync();
		await connect(operator, clientId, true).then((client) => client.endAsync());
	});

	it("does not let another account replace a device's last will by connecting with its client id", async () => {
		const clientId = `sr-device-${run}`;
		const sign = await mqtt.connectAsync(server.mqttUrl, {
			protocolVersion: 5,
			reconnectPeriod: 0,
			clientId,
			...device,
			will: { topic: `SignStatus/${OWN}`, payload: Buffer.from('{"online":false}'), qos: 1, retain: true },
		});
		await sign.publishAsync(`SignStatus/${OWN}`, '{"online":true}', { qos: 1, retain: true });
		// Harper keeps one stored will per client id: the stranger's would be published in the device's name.
		const stranger = await mqtt.connectAsync(server.mqttUrl, {
			protocolVersion: 5,
			reconnectPeriod: 0,
			clientId,
			...operator,
			will: { topic: `SignStatus/${OWN}`, payload: Buffer.from('{"online":true,"firmware":"stranger"}'), retain: true },
		});
		(sign.stream as { destroy(): void }).destroy();
		await expect
			.poll(async () => ((await rest(server, 'GET', `/SignStatus/${OWN}`)).body as { online?: boolean }).online, {
				timeout: DEADLINE_MS,
			})
			.toBe(false);
		expect(await rest(server, 'GET', `/SignStatus/${OWN}`)).toMatchObject({ body: { firmware: 'sr' } });
		sign.end(true);
		await stranger.endAsync();
	});
});
