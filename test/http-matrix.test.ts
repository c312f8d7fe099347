/**
 * The whole class, not the reported cases: every HTTP method Harper routes × every form of target (a record, the
 * collection, a query, the table) × every resource Marquee exports × every kind of account, on a real Harper
 * with two worker threads and authorizeLocal off (test/security/http-matrix.ts says what each must answer and
 * why). Then the operations API: every kind of read and write, by every kind of account. Every refused request
 * is checked to have changed nothing; an allowed write is undone before the next request. docs/security.md shows
 * the same tables; the last test fails if they differ.
 */
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import mqtt from 'mqtt';
import WebSocket from 'ws';
import { beforeAll, describe, expect, it } from 'vitest';
import { basicAuth, operation, rest, type Credentials } from '../harness/clients.ts';
import { useHarper } from '../harness/use-harper.ts';
import { addUser, bindDevice } from '../harness/users.ts';
import { tableCells } from './docs/markdown.ts';
import {
	expectedStatus,
	FORMS,
	HTTP_ACTORS,
	httpMatrixMarkdown,
	METHODS,
	TABLES,
	type Form,
	type HttpActor,
	type Method,
	type Table,
} from './security/http-matrix.ts';
import { credentialsOf as matrixCredentials, matrixAccounts } from './security/accounts.ts';

const OWN = 'hm-own';
const OTHER = 'hm-other';
const SIGNS = { [OWN]: { text: 'own sign', brightness: 11 }, [OTHER]: { text: 'other sign', brightness: 22 } };
const LOOK = { text: 'preset', color: '#123456', brightness: 33, power: true, effect: 'static', speed: 3 };
const PRESETS = { [OWN]: { ...LOOK, text: 'own preset' }, [OTHER]: { ...LOOK, text: 'other preset' } };
// Offline: the server vouches for no REST "online" and would take it offline in the middle of the matrix.
const STATUS = { online: false, shownVersion: 1, firmware: 'hm', width: 32, height: 8 };

// Two worker threads, as `npm start` runs on this machine; the limits out of the way of 2,520 requests.
const harper = useHarper({
	config: { threads: { count: 2 } },
	env: {
		MARQUEE_LIMITS: JSON.stringify({
			writesPerAccount: { perSecond: 1000, burst: 1000 },
			writesPerSign: { perSecond: 1000, burst: 1000 },
		}),
	},
});

const accounts = matrixAccounts('hm', 'Pass');
const credentialsOf = (actor: HttpActor): Credentials | null => matrixCredentials(actor, accounts, harper.admin);

const targetId = (actor: HttpActor): string => (actor === 'deviceOther' ? OTHER : OWN);

function pathOf(table: Table, form: Form, actor: HttpActor): string {
	switch (form) {
		case 'record':
			return `/${table}/${targetId(actor)}`;
		case 'collection':
			return `/${table}/`;
		case 'query':
			return `/${table}/?id=${targetId(actor)}`;
		case 'table':
			return `/${table}`;
	}
}

let created = 0;

/** The body each method sends: a valid change for its resource, so a refusal is never about the body. */
function bodyOf(table: Table, method: Method, form: Form): unknown {
	if (method === 'GET' || method === 'HEAD' || method === 'SSE' || method === 'DELETE' || method === 'OPTIONS') {
		return undefined;
	}
	if (table === 'Session') return {};
	if (table === 'SignStatus') return method === 'PATCH' ? { online: true } : { ...STATUS, shownVersion: 2 };
	if (table === 'Preset') {
		const look = { ...LOOK, text: `by the matrix ${++created}` };
		if (method === 'POST' && form !== 'record') return { id: `hm-new-${created}`, ...look };
		return method === 'PATCH' ? { text: look.text } : look;
	}
	// A history entry, as a client might try to write one: refused whatever it says.
	if (table === 'SignHistory') return { sign: OWN, version: 1, action: 'change', state: LOOK };
	if (method === 'POST' && form !== 'record') return { id: `hm-new-${++created}`, text: 'created' };
	return { text: `by the matrix ${++created}` };
}

/** The status of one request; an SSE stream is read only as far as its status. */
function send(method: Method, path: string, user: Credentials | null, body: unknown): Promise<number> {
	const headers: Record<string, string> = { accept: method === 'SSE' ? 'text/event-stream' : 'application/json' };
	if (user) headers.authorization = basicAuth(user);
	const payload = body === undefined ? undefined : JSON.stringify(body);
	if (payload) {
		headers['content-type'] = 'application/json';
		headers['content-length'] = String(Buffer.byteLength(payload));
	}
	const { hostname, port } = new URL(harper.httpUrl);
	return new Promise((resolve, reject) => {
		const request = httpRequest(
			{ hostname, port, path, method: method === 'SSE' ? 'GET' : method, headers },
			(response) => {
				resolve(response.statusCode ?? 0);
				if (method === 'SSE') request.destroy();
				else response.resume();
			}
		);
		request.on('error', (err) => (request.destroyed ? undefined : reject(err)));
		request.setTimeout(10_000, () => request.destroy(new Error(`${method} ${path} timed out`)));
		request.end(payload);
	});
}

type Snapshot = unknown[];

/** Every sign, status and preset, and the two signs' history: what no refused request may change. */
const snapshot = async (): Promise<Snapshot> => [
	(await rest(harper, 'GET', '/LedSign/')).body,
	(await rest(harper, 'GET', '/SignStatus/')).body,
	(await rest(harper, 'GET', '/Preset/')).body,
	(await rest(harper, 'GET', `/SignHistory/${OWN}?limit=500`)).body,
	(await rest(harper, 'GET', `/SignHistory/${OTHER}?limit=500`)).body,
];

/** Puts the fixtures back after an allowed write: the two signs, their statuses and presets as they were, nothing else. */
async function restore(): Promise<void> {
	const signs = (await rest(harper, 'GET', '/LedSign/')).body as { id: string }[];
	for (const { id } of signs) if (!(id in SIGNS)) await rest(harper, 'DELETE', `/LedSign/${id}`);
	const presets = (await rest(harper, 'GET', '/Preset/')).body as { id: string }[];
	for (const { id } of presets) if (!(id in PRESETS)) await rest(harper, 'DELETE', `/Preset/${id}`);
	for (const [id, sign] of Object.entries(SIGNS)) {
		await rest(harper, 'PUT', `/LedSign/${id}`, sign);
		await rest(harper, 'PUT', `/SignStatus/${id}`, STATUS);
	}
	for (const [id, preset] of Object.entries(PRESETS)) await rest(harper, 'PUT', `/Preset/${id}`, preset);
}

beforeAll(async () => {
	for (const account of Object.values(accounts)) await addUser(harper, account, account.role);
	await bindDevice(harper, accounts.device.username, OWN);
	await restore();
});

describe.each(TABLES)('%s over HTTP', (table) => {
	it.each(HTTP_ACTORS)(
		'as %s: every method on every target answers as expected, and a refusal changes nothing',
		async (actor) => {
			const expected: Record<string, string> = {};
			const actual: Record<string, string> = {};
			const changedByRefusal: string[] = [];
			for (const method of METHODS) {
				for (const form of FORMS) {
					const cell = `${method} ${pathOf(table, form, actor)}`;
					expected[cell] = expectedStatus(table, method, form, actor);
					const before = await snapshot();
					const status = await send(
						method,
						pathOf(table, form, actor),
						credentialsOf(actor),
						bodyOf(table, method, form)
					);
					actual[cell] = String(status);
					if (status >= 400) {
						if (JSON.stringify(await snapshot()) !== JSON.stringify(before)) changedByRefusal.push(cell);
					} else if (method !== 'GET' && method !== 'HEAD' && method !== 'SSE' && method !== 'OPTIONS') {
						await restore();
					}
				}
			}
			expect(actual).toEqual(expected);
			expect(changedByRefusal, 'refused requests that changed something').toEqual([]);
		}
	);
});

describe('the resources that answer HTTP only, over the other protocols', () => {
	it('refuses MQTT subscriptions and publishes to SignRules and Session, saying why', async () => {
		const client = await mqtt.connectAsync(harper.mqttUrl, { ...harper.admin, protocolVersion: 5, reconnectPeriod: 0 });
		try {
			for (const topic of ['SignRules/x', 'SignRules/#', 'Session/x']) {
				const refused = await client.subscribeAsync(topic, { qos: 1 }).then(
					() => undefined,
					(err: { packet?: { granted?: number[]; properties?: { reasonString?: string } } }) => err.packet
				);
				expect(refused?.granted, topic).toEqual([0x8f]);
				expect(refused?.properties?.reasonString).toMatch(/MQTT subscription is not supported/);
			}
			for (const [topic, retain] of [
				['SignRules/x', true],
				['Session/x', true],
				['Session/x', false],
			] as const) {
				const ack = await new Promise<{ code?: number; reason?: string }>((resolve) =>
					client.publish(topic, '{"username":"a","password":"b"}', { qos: 1, retain }, (err, packet) =>
						resolve({
							code: (err as { code?: number } | undefined)?.code,
							reason: (packet as { properties?: { reasonString?: string } } | undefined)?.properties?.reasonString,
						})
					)
				);
				expect(ack, `${topic} retain ${retain}`).toMatchObject({
					code: 0x83,
					reason: expect.stringMatching(/not supported/) as string,
				});
			}
		} finally {
			await client.endAsync();
		}
	});

	it('answers a subscription to a topic no resource serves (an unexported table) with 0x8F, saying so', async () => {
		const client = await mqtt.connectAsync(harper.mqttUrl, {
			...accounts.operator,
			protocolVersion: 5,
			reconnectPeriod: 0,
		});
		try {
			const refused = await client.subscribeAsync('DeviceAccount/#', { qos: 1 }).then(
				() => undefined,
				(err: { packet?: { granted?: number[]; properties?: { reasonString?: string } } }) => err.packet
			);
			expect(refused?.granted).toEqual([0x8f]);
			expect(refused?.properties?.reasonString).toMatch(/DeviceAccount\/# does not exist/);
		} finally {
			await client.endAsync();
		}
	});

	it('closes a WebSocket on SignRules or Session with 1008, saying why', async () => {
		for (const path of ['/SignRules', '/Session']) {
			const { code, reason } = await new Promise<{ code: number; reason: string }>((resolve) => {
				const socket = new WebSocket(`${harper.wsUrl}${path}`, { headers: { authorization: basicAuth(harper.admin) } });
				socket.on('close', (closeCode, closeReason) => resolve({ code: closeCode, reason: closeReason.toString() }));
			});
			expect({ code, reason }).toEqual({
				code: 1008,
				reason: `A WebSocket or SSE stream is not supported on ${path.slice(1)}.`,
			});
		}
	});
});

describe('the operations API', () => {
	const SCRATCH = 'hm-ops-scratch';
	// Whole records: Harper's schema (not Marquee's rules) is all that checks what an administrator stores here.
	const SCRATCH_SIGN = {
		id: SCRATCH,
		text: 'x',
		color: '#ffffff',
		brightness: 1,
		power: true,
		effect: 'static',
		speed: 1,
		version: 1,
		updatedAt: '2026-01-01T00:00:00.000Z',
	};
	/** Every kind of operation that reaches the data: reads, writes, SQL both ways, and the account's own info. */
	const OPERATIONS: [string, object][] = [
		['describe_all', { operation: 'describe_all' }],
		['describe_table', { operation: 'describe_table', database: 'data', table: 'LedSign' }],
		[
			'search_by_id',
			{ operation: 'search_by_id', database: 'data', table: 'LedSign', ids: [OWN], get_attributes: ['*'] },
		],
		[
			'search_by_value',
			{
				operation: 'search_by_value',
				database: 'data',
				table: 'SignStatus',
				attribute: 'id',
				value: '*',
				get_attributes: ['*'],
			},
		],
		[
			'search_by_conditions',
			{
				operation: 'search_by_conditions',
				database: 'data',
				table: 'LedSign',
				get_attributes: ['*'],
				conditions: [{ search_attribute: 'id', search_type: 'equals', search_value: OTHER }],
			},
		],
		['sql SELECT', { operation: 'sql', sql: 'SELECT * FROM data.LedSign' }],
		['insert', { operation: 'insert', database: 'data', table: 'LedSign', records: [SCRATCH_SIGN] }],
		[
			'update',
			{ operation: 'update', database: 'data', table: 'LedSign', records: [{ id: SCRATCH, brightness: 99999 }] },
		],
		['upsert', { operation: 'upsert', database: 'data', table: 'SignStatus', records: [{ id: OTHER, online: false }] }],
		['sql UPDATE', { operation: 'sql', sql: `UPDATE data.LedSign SET version = 0 WHERE id = '${SCRATCH}'` }],
		[
			'sql INSERT',
			{
				operation: 'sql',
				sql:
					'INSERT INTO data.SignStatus (id, online, lastSeen, shownVersion, firmware, width, height) ' +
					`VALUES ('${SCRATCH}', true, '2026-01-01T00:00:00.000Z', 1, 'x', 32, 8)`,
			},
		],
		['sql DELETE', { operation: 'sql', sql: `DELETE FROM data.SignStatus WHERE id = '${SCRATCH}'` }],
		['delete', { operation: 'delete', database: 'data', table: 'LedSign', ids: [SCRATCH] }],
		['user_info', { operation: 'user_info' }],
		['list_users', { operation: 'list_users' }],
	];

	async function operationStatus(user: Credentials | null, body: object): Promise<number> {
		const response = await fetch(harper.operationsUrl, {
			method: 'POST',
			headers: { 'content-type': 'application/json', ...(user ? { authorization: basicAuth(user) } : {}) },
			body: JSON.stringify(body),
		});
		await response.arrayBuffer();
		return response.status;
	}

	const deviceBindings = async (): Promise<unknown> =>
		operation(harper, { operation: 'sql', sql: 'SELECT * FROM data.DeviceAccount ORDER BY id' });

	it.each(HTTP_ACTORS.filter((actor) => actor !== 'admin'))(
		'refuses every operation to %s (401 without a login, else 403), and nothing changes',
		async (actor) => {
			const user = credentialsOf(actor);
			const expected = actor === 'anonymous' ? 401 : 403;
			const before = [await snapshot(), await deviceBindings()];
			const answers = Object.fromEntries(
				await Promise.all(OPERATIONS.map(async ([name, body]) => [name, await operationStatus(user, body)] as const))
			);
			expect(answers).toEqual(Object.fromEntries(OPERATIONS.map(([name]) => [name, expected])));
			expect([await snapshot(), await deviceBindings()]).toEqual(before);
		}
	);

	it('serves the admin every one of them', async () => {
		const answers: Record<string, number> = {};
		for (const [name, body] of OPERATIONS) answers[name] = await operationStatus(harper.admin, body);
		expect(answers).toEqual(Object.fromEntries(OPERATIONS.map(([name]) => [name, 200])));
		await restore();
	});

	it('answers its health check to anyone', async () => {
		const response = await fetch(`${harper.operationsUrl}/health`);
		expect(response.status).toBe(200);
	});
});

describe('docs/security.md', () => {
	it('shows the tables these tests check', () => {
		const doc = readFileSync(new URL('../docs/security.md', import.meta.url), 'utf8');
		const tables = /<!-- http-matrix:start -->\n([\s\S]*?)\n<!-- http-matrix:end -->/.exec(doc)?.[1];
		expect(tables, 'the tables between the http-matrix markers').toBeDefined();

		expect(tableCells(tables ?? '')).toEqual(tableCells(TABLES.map(httpMatrixMarkdown).join('\n\n')));
	});
});
