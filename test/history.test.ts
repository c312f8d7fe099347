/**
 * SignHistory on two worker threads: every accepted LedSign change, whoever made it over whatever protocol (REST,
 * MQTT, WebSocket, the server's own code, a preset applied, a delete), gets exactly one entry, written with the change,
 * with who, how, what and the sign's look after it; nothing else gets one (a flash, a refusal). Read newest first a page
 * at a time, followed live over SSE, WebSocket and MQTT; concurrent changes from many clients and every thread get as
 * many entries as versions; a sign deleted and created again keeps both lives' entries; a revert is a new change, never
 * a rewrite; entries expire after MARQUEE_HISTORY_DAYS; only the server writes it, and a device reads none of it.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HistoryEntry, HistoryPage } from '../src/shared/history.ts';
import { HISTORY_RULES, revertChange } from '../src/shared/history.ts';
import type { LedSignRecord, SignSettings } from '../src/shared/sign-rules.ts';
import {
	mqttPeer,
	mqttPublish,
	mqttPublishAck,
	operation,
	rest,
	ssePeer,
	wsFirstAnswer,
	wsPeer,
	type Credentials,
	type MqttPeer,
	type ServerInfo,
} from '../harness/clients.ts';
import { PROJECT } from '../harness/harper.ts';
import { subackCodes, subackReason } from '../harness/mqtt-codes.ts';
import { useHarper } from '../harness/use-harper.ts';
import { addUser, bindDevice } from '../harness/users.ts';

const THREADS = 2;
const harper = useHarper({
	config: {
		threads: { count: THREADS },
		crossThreadWriter: { package: join(PROJECT, 'test/fixtures/cross-thread-writer') },
	},
});

const operator: Credentials = { username: 'hist-operator', password: 'hist-operator-Password' };
const viewer: Credentials = { username: 'hist-viewer', password: 'hist-viewer-Password' };
const device: Credentials = { username: 'hist-device', password: 'hist-device-Password' };

const LOOK: SignSettings = { text: 'first', color: '#102030', brightness: 20, power: true, effect: 'static', speed: 3 };

/** Every entry of `sign`'s history, newest first, read page by page. */
async function allEntries(server: ServerInfo, sign: string, limit = HISTORY_RULES.maxLimit): Promise<HistoryEntry[]> {
	const entries: HistoryEntry[] = [];
	let before: string | null = null;
	for (let pages = 0; pages < 100; pages++) {
		const query = `?limit=${limit}${before ? `&before=${before}` : ''}`;
		const answer = await rest(server, 'GET', `/SignHistory/${sign}${query}`);
		expect(answer.status).toBe(200);
		const page = answer.body as HistoryPage;
		entries.push(...page.entries);
		if (page.next === null) return entries;
		before = page.next;
	}
	throw new Error(`more than 100 pages of ${sign}'s history`);
}

const sign = async (id: string): Promise<LedSignRecord> =>
	(await rest(harper, 'GET', `/LedSign/${id}`)).body as LedSignRecord;

beforeAll(async () => {
	await addUser(harper, operator, 'marquee_operator');
	await addUser(harper, viewer, 'marquee_viewer');
	await addUser(harper, device, 'marquee_device');
	await bindDevice(harper, device.username, 'hist-device-sign');
	expect((await rest(harper, 'PUT', '/Preset/hist-open', { ...LOOK, text: 'OPEN', color: '#00ff00' })).status).toBe(
		200
	);
});

describe('every protocol, one entry per change', () => {
	const id = 'hist-protocols';
	let entries: HistoryEntry[] = [];
	let mqtt: MqttPeer;

	beforeAll(async () => {
		mqtt = await mqttPeer(harper, { user: operator });
		expect((await rest(harper, 'PUT', `/LedSign/${id}`, LOOK)).status).toBe(200);
		expect((await rest(harper, 'PATCH', `/LedSign/${id}`, { text: 'by rest' }, { user: operator })).status).toBe(200);
		expect(await mqttPublish(mqtt, `LedSign/${id}`, '{"text":"by mqtt"}', true)).toBe(0);
		const socket = await wsPeer(harper, `/LedSign/${id}`, operator);
		socket.send({ text: 'by websocket' });
		await socket.inbox.waitFor(
			(event) => (event as { value?: { text?: string } }).value?.text === 'by websocket',
			'the change'
		);
		await socket.close();
		expect(
			(await rest(harper, 'PATCH', `/LedSign/${id}`, { preset: 'hist-open', speed: 8 }, { user: operator })).status
		).toBe(200);
		// None of these is a change: a flash, refusals.
		expect((await rest(harper, 'PATCH', `/LedSign/${id}`, { transient: true, text: 'flash' })).status).toBe(200);
		expect(await mqttPublish(mqtt, `LedSign/${id}`, '{"text":"flash by mqtt"}', false)).toBe(0);
		expect((await rest(harper, 'PATCH', `/LedSign/${id}`, { brightness: 999 })).status).toBe(422);
		expect((await rest(harper, 'PATCH', `/LedSign/${id}`, { text: 'stale', version: 1 })).status).toBe(409);
		expect((await rest(harper, 'PATCH', `/LedSign/${id}`, { preset: 'hist-none' })).status).toBe(400);
		expect((await rest(harper, 'PATCH', `/LedSign/${id}`, { text: 'by a viewer' }, { user: viewer })).status).toBe(403);
		expect((await rest(harper, 'DELETE', `/LedSign/${id}`)).status).toBe(200);
		entries = await allEntries(harper, id);
	});
	afterAll(() => mqtt.close());

	it('gets exactly one entry per accepted change, newest first', () => {
		expect(entries.map((entry) => [entry.action, entry.version])).toEqual([
			['delete', 5],
			['change', 5],
			['change', 4],
			['change', 3],
			['change', 2],
			['create', 1],
		]);
	});

	it('says who made each change, over which protocol, with which preset, and the look after it', () => {
		const [deleted, preset, socket, mqttChange, restChange, created] = entries;
		const open = { ...LOOK, text: 'OPEN', color: '#00ff00' };
		expect(created).toMatchObject({ user: 'admin', protocol: 'rest', action: 'create', state: LOOK });
		expect(restChange).toMatchObject({
			user: operator.username,
			protocol: 'rest',
			state: { ...LOOK, text: 'by rest' },
		});
		expect(mqttChange).toMatchObject({
			user: operator.username,
			protocol: 'mqtt',
			state: { ...LOOK, text: 'by mqtt' },
		});
		expect(socket).toMatchObject({
			user: operator.username,
			protocol: 'websocket',
			state: { ...LOOK, text: 'by websocket' },
		});
		expect(preset).toMatchObject({
			user: operator.username,
			protocol: 'rest',
			preset: 'hist-open',
			state: { ...open, speed: 8 },
		});
		expect(deleted).toMatchObject({ user: 'admin', protocol: 'rest', action: 'delete', state: { ...open, speed: 8 } });
		for (const entry of entries.filter((each) => each !== preset)) expect(entry).not.toHaveProperty('preset');
	});

	it("dates each entry at its change's updatedAt, and orders and names entries by sign", () => {
		for (const entry of entries) {
			expect(entry.sign).toBe(id);
			expect(entry.id.startsWith(`${id}/`)).toBe(true);
			expect(Number.isNaN(Date.parse(entry.at))).toBe(false);
		}
		const times = entries.map((entry) => Date.parse(entry.at));
		expect([...times].sort((a, b) => b - a)).toEqual(times);
		expect(new Set(entries.map((entry) => entry.id)).size).toBe(entries.length);
	});
});

describe('changes made by the server itself, on every thread', () => {
	it('are entries of protocol "server", by the account the code wrote as', async () => {
		const id = 'hist-server';
		expect((await rest(harper, 'PUT', `/LedSign/${id}`, LOOK)).status).toBe(200);
		const writes = 5;
		const ordered = await rest(harper, 'PUT', '/CrossThreadBurst/hist-server', { sign: id, writes });
		expect(ordered.status).toBeLessThan(300);
		const final = 1 + THREADS * writes;
		await expect
			.poll(async () => (await sign(id)).version, { timeout: 30_000, message: `version ${final}` })
			.toBe(final);
		const entries = await allEntries(harper, id);
		expect(entries).toHaveLength(final);
		const byServer = entries.filter((entry) => entry.protocol === 'server');
		expect(byServer).toHaveLength(THREADS * writes);
		for (const entry of byServer) expect(entry.user).toBe('cross-thread-writer');
	});
});

describe('paging', () => {
	const id = 'hist-pages';
	const CHANGES = 7;

	beforeAll(async () => {
		expect((await rest(harper, 'PUT', `/LedSign/${id}`, { ...LOOK, text: 'change 1' })).status).toBe(200);
		for (let n = 2; n <= CHANGES; n++) {
			expect((await rest(harper, 'PATCH', `/LedSign/${id}`, { text: `change ${n}` })).status).toBe(200);
		}
	});

	it('answers pages of `limit`, newest first, each `next` reading on from the last entry, and null at the end', async () => {
		const pages: HistoryPage[] = [];
		let before: string | null = null;
		do {
			const path: string = `/SignHistory/${id}?limit=3${before ? `&before=${before}` : ''}`;
			const page = (await rest(harper, 'GET', path)).body as HistoryPage;
			pages.push(page);
			before = page.next;
		} while (before !== null && pages.length < 10);
		expect(pages.map((page) => page.entries.length)).toEqual([3, 3, 1]);
		expect(pages.every((page) => page.sign === id)).toBe(true);
		const versions = pages.flatMap((page) => page.entries.map((entry) => entry.version));
		expect(versions).toEqual([7, 6, 5, 4, 3, 2, 1]);
		expect(pages.at(-1)?.next).toBeNull();
	});

	it(`gives ${HISTORY_RULES.defaultLimit} entries when no limit is asked, and an empty page for a sign with none`, async () => {
		const page = (await rest(harper, 'GET', `/SignHistory/${id}`)).body as HistoryPage;
		expect(page.entries).toHaveLength(CHANGES); // fewer than the default limit
		expect(page.next).toBeNull();
		expect((await rest(harper, 'GET', '/SignHistory/hist-never')).body).toEqual({
			sign: 'hist-never',
			entries: [],
			next: null,
		});
	});

	it('refuses a bad limit, cursor or parameter with 400, naming it', async () => {
		for (const [query, field] of [
			['limit=0', 'limit'],
			[`limit=${HISTORY_RULES.maxLimit + 1}`, 'limit'],
			['limit=abc', 'limit'],
			['limit=1.5', 'limit'],
			['limit=-1', 'limit'],
			['before=yesterday', 'before'],
			['before=', 'before'],
			['sort=text', 'sort'],
		] as const) {
			const answer = await rest(harper, 'GET', `/SignHistory/${id}?${query}`);
			expect(answer.status, query).toBe(400);
			expect(Object.keys((answer.body as { fields: object }).fields), query).toEqual([field]);
		}
		const badSign = await rest(harper, 'GET', '/SignHistory/not%20a%20sign');
		expect(badSign.status).toBe(400);
		expect(badSign.body).toMatchObject({ fields: { sign: expect.stringMatching(/may contain only/) as string } });
		expect((await rest(harper, 'GET', '/SignHistory/')).status).toBe(405);
	});
});

describe('the live stream of new entries', () => {
	const id = 'hist-live';

	it('sends each new entry over SSE, WebSocket and MQTT (SignHistory/<sign>/# and /+), and nothing of other signs', async () => {
		expect((await rest(harper, 'PUT', `/LedSign/${id}`, LOOK)).status).toBe(200);
		const sse = await ssePeer(harper, `/SignHistory/${id}`, viewer);
		const socket = await wsPeer(harper, `/SignHistory/${id}`, operator);
		const mqtt = await mqttPeer(harper, { user: viewer, subscribe: [`SignHistory/${id}/#`] });
		const children = await mqttPeer(harper, { user: viewer, subscribe: [`SignHistory/${id}/+`] });
		const everySign = await mqttPeer(harper, { user: viewer, subscribe: ['SignHistory/#'] });
		const everySignSse = await ssePeer(harper, '/SignHistory/', viewer);
		try {
			expect((await rest(harper, 'PATCH', '/LedSign/hist-protocols-other', LOOK)).status).toBe(200);
			for (const text of ['live 1', 'live 2']) {
				expect((await rest(harper, 'PATCH', `/LedSign/${id}`, { text })).status).toBe(200);
			}
			const entries = await allEntries(harper, id);
			const [second, first] = entries;
			const isEntry =
				(entry: HistoryEntry | undefined) =>
				(value: unknown): boolean =>
					JSON.stringify(value) === JSON.stringify(entry);
			for (const entry of [first, second]) {
				const value = (event: unknown): unknown => (event as { value?: unknown }).value;
				await sse.inbox.waitFor((event) => isEntry(entry)(value(event)), `SSE: ${entry?.id}`);
				await socket.inbox.waitFor((event) => isEntry(entry)(value(event)), `WebSocket: ${entry?.id}`);
				await mqtt.inbox.waitFor((message) => isEntry(entry)(message.json), `MQTT: ${entry?.id}`);
			}
			const mqttTopics = mqtt.inbox.received.map((message) => message.topic);
			expect(mqttTopics).toEqual([`SignHistory/${first?.id}`, `SignHistory/${second?.id}`]);
			await children.inbox.waitFor((message) => isEntry(second)(message.json), `MQTT (+): ${second?.id}`);
			expect(children.inbox.received.map((message) => message.topic)).toEqual(mqttTopics);
			// Every sign's stream has the other sign's entry as well as this one's.
			const signOf = (value: unknown): unknown => (value as { sign?: unknown } | undefined)?.sign;
			for (const sign of ['hist-protocols-other', id]) {
				await everySign.inbox.waitFor((message) => signOf(message.json) === sign, `SignHistory/#: ${sign}`);
				await everySignSse.inbox.waitFor(
					(event) => signOf((event as { value?: unknown }).value) === sign,
					`SSE /SignHistory/: ${sign}`
				);
			}
			const sseEntries = sse.inbox.received.map((event) => (event as { value?: HistoryEntry }).value?.id);
			expect(sseEntries).toEqual([first?.id, second?.id]);
			expect(socket.inbox.received).toHaveLength(2);
		} finally {
			sse.close();
			await socket.close();
			await mqtt.close();
			await children.close();
			await everySign.close();
			everySignSse.close();
		}
	});

	it('over MQTT, refuses a subscription to SignHistory/<sign> alone, saying which filter to use (0x8F)', async () => {
		const mqtt = await mqttPeer(harper, { user: viewer });
		try {
			const refused = await mqtt.client.subscribeAsync(`SignHistory/${id}`, { qos: 1 }).then(
				() => undefined,
				(err: unknown) => ({ codes: subackCodes(err), reason: subackReason(err) })
			);
			expect(refused?.codes).toEqual([0x8f]);
			expect(refused?.reason).toMatch(`Subscribe to SignHistory/${id}/#`);
		} finally {
			await mqtt.close();
		}
	});

	it('answers a WebSocket message with a refusal: only the server writes history', async () => {
		const socket = await wsPeer(harper, `/SignHistory/${id}`);
		try {
			socket.send({ sign: id, action: 'change' });
			const error = await socket.inbox.waitFor(
				(message) => (message as { type?: string }).type === 'error',
				'the refusal'
			);
			expect(error).toMatchObject({
				statusCode: 405,
				error: expect.stringMatching(/Only the server writes SignHistory/) as string,
			});
		} finally {
			await socket.close();
		}
	});
});

describe('concurrent changes', () => {
	const id = 'hist-concurrent';
	const REST_WRITES = 15;
	const MQTT_CLIENTS = 3;
	const MQTT_WRITES_EACH = 5;
	const WS_WRITES = 10;
	const THREAD_WRITES = 10;
	const TOTAL = REST_WRITES + MQTT_CLIENTS * MQTT_WRITES_EACH + WS_WRITES + THREADS * THREAD_WRITES;

	it(`from many clients and every thread at once: ${TOTAL} changes, ${TOTAL} entries, ${TOTAL} consecutive versions`, async () => {
		expect((await rest(harper, 'PUT', `/LedSign/${id}`, LOOK)).status).toBe(200);
		const clients = await Promise.all(Array.from({ length: MQTT_CLIENTS }, () => mqttPeer(harper)));
		const socket = await wsPeer(harper, `/LedSign/${id}`);
		try {
			const thread = rest(harper, 'PUT', '/CrossThreadBurst/hist-concurrent', { sign: id, writes: THREAD_WRITES });
			for (let n = 0; n < WS_WRITES; n++) socket.send({ text: `ws ${n}` });
			await Promise.all([
				thread,
				...Array.from({ length: REST_WRITES }, (_, n) =>
					rest(harper, 'PATCH', `/LedSign/${id}`, { text: `rest ${n}` })
				),
				...clients.flatMap((client, c) =>
					Array.from({ length: MQTT_WRITES_EACH }, (_, n) =>
						mqttPublish(client, `LedSign/${id}`, JSON.stringify({ text: `mqtt ${c} ${n}` }), true)
					)
				),
			]);
			const final = 1 + TOTAL;
			await expect
				.poll(async () => (await sign(id)).version, { timeout: 30_000, message: `version ${final}` })
				.toBe(final);
			const entries = await allEntries(harper, id);
			expect(entries).toHaveLength(final);
			const versions = entries.map((entry) => entry.version);
			expect(versions).toEqual(Array.from({ length: final }, (_, i) => final - i));
			// Each entry's look is the one its version stored: the text that change wrote.
			const texts = entries.slice(0, -1).map((entry) => entry.state.text);
			expect(new Set(texts).size).toBe(TOTAL);
			expect((await sign(id)).text).toBe(entries[0]?.state.text);
		} finally {
			await Promise.all(clients.map((client) => client.close()));
			await socket.close();
		}
	});
});

describe('a sign deleted and created again', () => {
	it("keeps both lives' entries, apart and in order, each with an id of its own", async () => {
		const id = 'hist-lives';
		await rest(harper, 'PUT', `/LedSign/${id}`, { ...LOOK, text: 'life 1' });
		await rest(harper, 'PATCH', `/LedSign/${id}`, { text: 'life 1, changed' });
		await rest(harper, 'DELETE', `/LedSign/${id}`);
		await rest(harper, 'PUT', `/LedSign/${id}`, { ...LOOK, text: 'life 2' });
		await rest(harper, 'PATCH', `/LedSign/${id}`, { text: 'life 2, changed' });
		const entries = await allEntries(harper, id);
		expect(entries.map((entry) => [entry.action, entry.version, entry.state.text])).toEqual([
			['change', 2, 'life 2, changed'],
			['create', 1, 'life 2'],
			['delete', 2, 'life 1, changed'],
			['change', 2, 'life 1, changed'],
			['create', 1, 'life 1'],
		]);
		expect(new Set(entries.map((entry) => entry.id)).size).toBe(5);
	});
});

describe('reverting', () => {
	it('is an ordinary compare-and-set change of an older look: a new version and a new entry, nothing rewritten', async () => {
		const id = 'hist-revert';
		await rest(harper, 'PUT', `/LedSign/${id}`, { ...LOOK, text: 'the good one', color: '#abcdef' });
		await rest(harper, 'PATCH', `/LedSign/${id}`, { text: 'a mistake', effect: 'blink', brightness: 90 });
		const before = await allEntries(harper, id);
		const good = before.find((entry) => entry.state.text === 'the good one');
		if (!good) throw new Error('no entry of the good look');
		const current = await sign(id);
		const reverted = await rest(harper, 'PATCH', `/LedSign/${id}`, revertChange(good, current.version), {
			user: operator,
		});
		expect(reverted.status).toBe(200);
		expect(reverted.body).toMatchObject({ ...good.state, version: current.version + 1 });
		const after = await allEntries(harper, id);
		expect(after).toHaveLength(before.length + 1);
		expect(after.slice(1)).toEqual(before);
		expect(after[0]).toMatchObject({
			action: 'change',
			version: current.version + 1,
			state: good.state,
			user: operator.username,
		});
		// Based on a version the sign has moved on from, the same revert is refused and writes no entry.
		const stale = await rest(harper, 'PATCH', `/LedSign/${id}`, revertChange(good, current.version));
		expect(stale.status).toBe(409);
		expect(await allEntries(harper, id)).toEqual(after);
	});
});

describe('who may read it, and that nobody writes it', () => {
	const id = 'hist-roles';

	beforeAll(async () => {
		await rest(harper, 'PUT', `/LedSign/${id}`, LOOK);
		await rest(harper, 'PUT', '/LedSign/hist-device-sign', LOOK);
	});

	it('serves an operator and a viewer (REST, SSE)', async () => {
		for (const user of [operator, viewer]) {
			const answer = await rest(harper, 'GET', `/SignHistory/${id}`, undefined, { user });
			expect(answer.status).toBe(200);
			expect((answer.body as HistoryPage).entries).toHaveLength(1);
			(await ssePeer(harper, `/SignHistory/${id}`, user)).close();
		}
	});

	it("refuses a device account all of it, its own sign's history too (403, 3003, 0x87)", async () => {
		for (const target of ['hist-device-sign', id]) {
			const answer = await rest(harper, 'GET', `/SignHistory/${target}`, undefined, { user: device });
			expect(answer.status).toBe(403);
			expect((answer.body as { error: string }).error).toMatch(/Your role may not read this sign history/);
			expect((await wsFirstAnswer(harper, `/SignHistory/${target}`, device)).refusal).toBe(3003);
		}
		const mqtt = await mqttPeer(harper, { user: device });
		try {
			const refused = await mqtt.client.subscribeAsync('SignHistory/hist-device-sign/#', { qos: 1 }).then(
				() => undefined,
				(err: unknown) => subackCodes(err)
			);
			expect(refused).toEqual([0x87]);
		} finally {
			await mqtt.close();
		}
	});

	it('refuses every write, to everyone (405, saying only the server writes it), and nothing changes', async () => {
		const before = await allEntries(harper, id);
		const entry = before[0];
		for (const user of [harper.admin, operator, viewer]) {
			for (const [method, path, body] of [
				['PUT', `/SignHistory/${id}`, entry],
				['PATCH', `/SignHistory/${id}`, { action: 'delete' }],
				['POST', '/SignHistory/', entry],
				['DELETE', `/SignHistory/${id}`, undefined],
				['DELETE', '/SignHistory/', undefined],
			] as const) {
				const answer = await rest(harper, method, path, body, { user });
				expect(answer.status, `${user.username} ${method} ${path}`).toBe(405);
				expect((answer.body as { error: string }).error).toMatch(/Only the server writes SignHistory/);
			}
		}
		const mqtt = await mqttPeer(harper);
		try {
			for (const retain of [true, false]) {
				const ack = await mqttPublishAck(mqtt, `SignHistory/${id}`, JSON.stringify(entry), retain);
				expect(ack.code).toBe(0x83);
				expect(ack.reason).toMatch(/Only the server writes SignHistory/);
			}
		} finally {
			await mqtt.close();
		}
		expect(await allEntries(harper, id)).toEqual(before);
	});
});

describe('retention', () => {
	// Four seconds: long enough to read the entries back, short enough to see them go.
	const RETENTION_S = 4;
	const short = useHarper({ env: { MARQUEE_HISTORY_DAYS: String(RETENTION_S / 86_400) } });

	const storedEntries = async (): Promise<number> => {
		const table = (await operation(short, { operation: 'describe_table', database: 'data', table: 'SignHistory' })) as {
			record_count?: number;
		};
		return table.record_count ?? -1;
	};

	it('expires entries MARQUEE_HISTORY_DAYS after they were written: no longer served, then removed', async () => {
		const id = 'hist-expiring';
		await rest(short, 'PUT', `/LedSign/${id}`, LOOK);
		await rest(short, 'PATCH', `/LedSign/${id}`, { text: 'second' });
		const written = Date.now();
		expect((await rest(short, 'GET', `/SignHistory/${id}`)).body).toMatchObject({ entries: [{}, {}] });
		expect(await storedEntries()).toBe(2);
		expect(
			((await rest(short, 'GET', '/SignRules')).body as { history: { retentionDays: number } }).history.retentionDays
		).toBe(RETENTION_S / 86_400);
		await expect
			.poll(async () => ((await rest(short, 'GET', `/SignHistory/${id}`)).body as HistoryPage).entries.length, {
				timeout: 30_000,
				interval: 250,
			})
			.toBe(0);
		expect(Date.now() - written).toBeGreaterThanOrEqual(RETENTION_S * 1000 - 250);
		await expect.poll(storedEntries, { timeout: 30_000, interval: 500 }).toBe(0);
		// The sign itself is kept, and its next change gets an entry again.
		expect((await rest(short, 'GET', `/LedSign/${id}`)).body).toMatchObject({ text: 'second', version: 2 });
		await rest(short, 'PATCH', `/LedSign/${id}`, { text: 'third' });
		expect((await rest(short, 'GET', `/SignHistory/${id}`)).body).toMatchObject({ entries: [{ version: 3 }] });
	});
});
