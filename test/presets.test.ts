/**
 * Presets: named full looks in the Preset table, read and written like signs over REST, MQTT, WebSocket and SSE,
 * checked by the sign's own rules with every field required, deleted one at a time only; and applied to a sign in one
 * change (one version) with `{"preset":"<id>"}` over REST, MQTT and WebSocket, or flashed with `"transient": true`.
 * Every listener and a simulated device see what an apply did. Bad input is refused naming the field on each path and
 * changes nothing; the roles get what roles.yaml and src/access/access.ts say.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { LedSignRecord, PresetRecord, SignSettings } from '../src/shared/sign-rules.ts';
import {
	mqttPeer,
	mqttPublishAck,
	operation,
	rest,
	ssePeer,
	tryMqttPeer,
	wsFirstAnswer,
	wsPeer,
	type Credentials,
	type MqttPeer,
	type WsPeer,
} from '../harness/clients.ts';
import { subackCodes } from '../harness/mqtt-codes.ts';
import { READER_KINDS, openReader, type Reader, type SignEvent } from '../harness/readers.ts';
import { startSimulator, type SimulatorProcess } from '../harness/simulator.ts';
import { addUser, bindDevice, dropUser } from '../harness/users.ts';

const server = inject('harper');
const run = Math.random().toString(36).slice(2, 8);
const id = (name: string): string => `pr-${name}-${run}`;

const OPEN: SignSettings = { text: 'OPEN', color: '#00ff00', brightness: 70, power: true, effect: 'static', speed: 4 };
const CLOSED: SignSettings = {
	text: 'CLOSED',
	color: '#ff0000',
	brightness: 30,
	power: true,
	effect: 'blink',
	speed: 2,
};

const account = (name: string): Credentials => ({ username: id(name), password: `${id(name)}-Password` });
const operator = account('operator');
const viewer = account('viewer');
const device = account('device');
const signsOnly = account('signs-only');
const SIGNS_ONLY_ROLE = `pr_signs_only_${run}`;

const get = async (path: string): Promise<unknown> => (await rest(server, 'GET', path)).body;
const fields = (body: unknown): Record<string, string> => (body as { fields?: Record<string, string> }).fields ?? {};

/** The events readers delivered for `id` with this text, once every one has. */
function seenBy(readers: Reader[], recordId: string, text: string): Promise<SignEvent[]> {
	return Promise.all(
		readers.map((reader) =>
			reader.events.waitFor((event) => event.id === recordId && event.value?.text === text, `${reader.name}: ${text}`)
		)
	);
}

let roleId: string | undefined;

beforeAll(async () => {
	await addUser(server, operator, 'marquee_operator');
	await addUser(server, viewer, 'marquee_viewer');
	await addUser(server, device, 'marquee_device');
	await bindDevice(server, device.username, id('sign'));
	const role = (await operation(server, {
		operation: 'add_role',
		role: SIGNS_ONLY_ROLE,
		permission: {
			super_user: false,
			data: {
				tables: {
					LedSign: { read: true, insert: false, update: true, delete: false, attribute_permissions: [] },
				},
			},
		},
	})) as { id?: string };
	roleId = role.id;
	await addUser(server, signsOnly, SIGNS_ONLY_ROLE);
	for (const [name, look] of [
		['open', OPEN],
		['closed', CLOSED],
	] as const) {
		expect((await rest(server, 'PUT', `/Preset/${id(name)}`, look)).status).toBe(200);
	}
});

afterAll(async () => {
	for (const user of [operator, viewer, device, signsOnly]) await dropUser(server, user.username);
	if (roleId) await operation(server, { operation: 'drop_role', id: roleId });
});

describe('a preset, over every protocol', () => {
	const name = id('crud');
	let readers: Reader[] = [];

	beforeAll(async () => {
		readers = await Promise.all(READER_KINDS.map((kind) => openReader(server, kind, name, 'Preset')));
	});
	afterAll(async () => {
		await Promise.all(readers.map((reader) => reader.close()));
	});

	it('is created over REST (POST, 201 with its Location), version 1, and every listener hears of it', async () => {
		const created = await rest(server, 'POST', '/Preset/', { id: name, ...OPEN }, { user: operator });
		expect(created.status).toBe(201);
		expect(created.headers.location).toBe(`/Preset/${name}`);
		expect(created.body).toMatchObject({ id: name, ...OPEN, version: 1 });
		await seenBy(readers, name, OPEN.text);
		expect(await get(`/Preset/${name}`)).toEqual(created.body);
	});

	it('is replaced with PUT and merged with PATCH, one version each, heard by every listener', async () => {
		const put = await rest(server, 'PUT', `/Preset/${name}`, { ...CLOSED, text: 'put' }, { user: operator });
		expect(put.body).toMatchObject({ ...CLOSED, text: 'put', version: 2 });
		await seenBy(readers, name, 'put');
		const patch = await rest(server, 'PATCH', `/Preset/${name}`, { text: 'patched' }, { user: operator });
		expect(patch.body).toMatchObject({ ...CLOSED, text: 'patched', version: 3 });
		await seenBy(readers, name, 'patched');
	});

	it('is merged by a retained MQTT publish to Preset/<id>, and a subscriber gets its current state first', async () => {
		const peer = await mqttPeer(server, { user: operator, subscribe: [`Preset/${name}`] });
		try {
			await peer.inbox.waitFor((message) => message.topic === `Preset/${name}`, 'the current preset');
			const ack = await mqttPublishAck(peer, `Preset/${name}`, '{"brightness":99,"text":"by mqtt"}', true);
			expect(ack.code).toBe(0);
			await seenBy(readers, name, 'by mqtt');
			expect(await get(`/Preset/${name}`)).toMatchObject({ ...CLOSED, text: 'by mqtt', brightness: 99, version: 4 });
		} finally {
			await peer.close();
		}
	});

	it('is merged by a WebSocket message on /Preset/<id> and on /Preset/', async () => {
		const one = await wsPeer(server, `/Preset/${name}`, operator);
		const all = await wsPeer(server, '/Preset/', operator);
		try {
			one.send({ text: 'by socket' });
			await seenBy(readers, name, 'by socket');
			all.send({ id: name, speed: 10, text: 'by the collection' });
			await seenBy(readers, name, 'by the collection');
			expect(await get(`/Preset/${name}`)).toMatchObject({ text: 'by the collection', speed: 10, version: 6 });
		} finally {
			await Promise.all([one.close(), all.close()]);
		}
	});

	it('is in the list of every preset (GET /Preset/)', async () => {
		const all = (await get('/Preset/')) as PresetRecord[];
		expect(all.map((preset) => preset.id)).toEqual(expect.arrayContaining([name, id('open'), id('closed')]));
	});

	it('is deleted over REST, one at a time, and listeners get the delete', async () => {
		const deleted = await rest(server, 'DELETE', `/Preset/${name}`, undefined, { user: operator });
		expect(deleted.status).toBe(200);
		await Promise.all(
			readers.map((reader) =>
				reader.events.waitFor((event) => event.id === name && event.type === 'delete', `${reader.name}: the delete`)
			)
		);
		expect((await rest(server, 'GET', `/Preset/${name}`)).status).toBe(404);
	});
});

describe('bad preset input, on every path: refused naming the field, nothing changed', () => {
	const name = id('guarded');
	let before: unknown;
	let publisher: MqttPeer;
	let socket: WsPeer;

	beforeAll(async () => {
		await rest(server, 'PUT', `/Preset/${name}`, OPEN);
		before = await get(`/Preset/${name}`);
		publisher = await mqttPeer(server, { user: operator });
		socket = await wsPeer(server, `/Preset/${name}`, operator);
	});
	afterAll(async () => {
		await publisher.close();
		await socket.close();
		expect(await get(`/Preset/${name}`)).toEqual(before);
	});

	it.each([
		['PUT', { text: 'only a text' }, 422, ['color', 'brightness', 'power', 'effect', 'speed']],
		['PUT', { ...OPEN, brightness: 150 }, 422, ['brightness']],
		['PATCH', { color: 'green' }, 422, ['color']],
		['PATCH', { shade: 'x' }, 422, ['shade']],
		['PATCH', { transient: true, text: 'flash me' }, 422, ['transient']],
		['PATCH', { preset: id('open') }, 422, ['preset']],
		['PATCH', { id: 'another', text: 'x' }, 422, ['id']],
		['PATCH', { text: 'x', version: 99 }, 409, ['version']],
		['POST', { id: name, ...OPEN }, 409, ['id']],
	] as const)('REST %s %j: %i naming %j', async (method, body, status, named) => {
		const path = method === 'POST' ? '/Preset/' : `/Preset/${name}`;
		const answer = await rest(server, method, path, body, { user: operator });
		expect(answer.status).toBe(status);
		expect(Object.keys(fields(answer.body)).sort()).toEqual([...named].sort());
		expect(await get(`/Preset/${name}`)).toEqual(before);
	});

	it('says how to flash a preset when a preset is sent "transient"', async () => {
		const answer = await rest(server, 'PATCH', `/Preset/${name}`, { transient: true }, { user: operator });
		expect(fields(answer.body).transient).toMatch(/never flashed.*"preset":"<id>","transient":true/);
	});

	it('refuses a preset id that breaks the id rules (422 naming id)', async () => {
		const answer = await rest(server, 'PUT', '/Preset/not%20ok', OPEN, { user: operator });
		expect(answer.status).toBe(422);
		expect(fields(answer.body)).toHaveProperty('id');
		expect((await rest(server, 'GET', '/Preset/not%20ok')).status).toBe(404);
	});

	it('over MQTT: an invalid retained publish is 0x99 naming the field; a non-retained one 0x83 (stored only)', async () => {
		const invalid = await mqttPublishAck(publisher, `Preset/${name}`, '{"speed":0}', true);
		expect(invalid.code).toBe(0x99);
		expect(invalid.reason).toMatch(/speed must be an integer/);
		const flash = await mqttPublishAck(publisher, `Preset/${name}`, '{"text":"flash"}', false);
		expect(flash.code).toBe(0x83);
		expect(flash.reason).toMatch(/preset must be published with retain/);
		const empty = await mqttPublishAck(publisher, `Preset/${name}`, '', true);
		// An operator may delete a preset, but not with an empty retained payload (MQTT's delete): refused as a payload.
		expect(empty.code).toBe(0x99);
		expect(empty.reason).toMatch(/preset cannot be deleted over MQTT/);
		expect(await get(`/Preset/${name}`)).toEqual(before);
	});

	it('over WebSocket: the refusal comes back on the socket, naming the field', async () => {
		socket.send({ effect: 'wobble' });
		const error = await socket.inbox.waitFor(
			(message) => (message as { type?: string }).type === 'error',
			'the refusal'
		);
		expect(error).toMatchObject({ statusCode: 422, fields: { effect: expect.any(String) as string } });
	});

	it('refuses DELETE of every preset (the collection, or a query) with 405, to everyone, and deletes nothing', async () => {
		const all = await get('/Preset/');
		for (const user of [server.admin, operator]) {
			for (const path of ['/Preset/', `/Preset/?id=${name}`]) {
				const answer = await rest(server, 'DELETE', path, undefined, { user });
				expect(answer.status, `${user.username} DELETE ${path}`).toBe(405);
				expect((answer.body as { error?: string }).error).toMatch(/DELETE of .* is not supported; it takes one preset/);
			}
		}
		expect(await get('/Preset/')).toEqual(all);
	});
});

describe('applying a preset to a sign', () => {
	const sign = id('sign');
	const open = id('open');
	const closed = id('closed');
	let readers: Reader[] = [];
	let simulator: SimulatorProcess;
	let publisher: MqttPeer;
	let socket: WsPeer;

	const stored = async (): Promise<LedSignRecord> => (await get(`/LedSign/${sign}`)) as LedSignRecord;

	/**
	 * Every listener and the device got the sign with this text at this version (a flash: marked transient); answers
	 * what the listeners got.
	 */
	async function seenEverywhere(text: string, version: number, transient = false): Promise<SignEvent[]> {
		const matches = (value: { text?: string; version?: number; transient?: boolean } | null | undefined): boolean =>
			value?.text === text && value.version === version && (value.transient === true) === transient;
		const what = `"${text}" at version ${version}${transient ? ', flashed' : ''}`;
		const events = await Promise.all(
			readers.map((reader) =>
				reader.events.waitFor((event) => event.id === sign && matches(event.value), `${reader.name}: ${what}`)
			)
		);
		await simulator.events.waitFor(
			(event) => event.event === 'showing' && matches(event.record),
			`the device showing ${what}`
		);
		return events;
	}

	beforeAll(async () => {
		await rest(server, 'PUT', `/LedSign/${sign}`, { text: 'before any preset' });
		readers = await Promise.all(READER_KINDS.map((kind) => openReader(server, kind, sign)));
		simulator = startSimulator(server, sign);
		await seenEverywhere('before any preset', (await stored()).version);
		publisher = await mqttPeer(server, { user: operator });
		socket = await wsPeer(server, `/LedSign/${sign}`, operator);
	});
	afterAll(async () => {
		await Promise.all(readers.map((reader) => reader.close()));
		await publisher.close();
		await socket.close();
		await simulator.kill('SIGTERM');
	});

	/** Applies by `how`, then checks: one version more, the look the preset and overrides make, seen everywhere. */
	async function appliedBy(how: () => Promise<unknown>, look: SignSettings): Promise<void> {
		const before = await stored();
		await how();
		const events = await seenEverywhere(look.text, before.version + 1);
		const after = await stored();
		expect(after).toMatchObject({ ...look, version: before.version + 1 });
		for (const event of events) expect(event.value).toMatchObject({ ...look, version: before.version + 1 });
		// One change, one version: no listener heard an intermediate state between the two.
		for (const reader of readers) {
			const versions = reader.events.received.filter((event) => event.id === sign).map((event) => event.value?.version);
			expect(versions.filter((version) => version === before.version + 1)).toHaveLength(1);
		}
	}

	it('over REST: PATCH {"preset"} is one change, one version, seen by every listener and the device', async () => {
		await appliedBy(async () => {
			const answer = await rest(server, 'PATCH', `/LedSign/${sign}`, { preset: open }, { user: operator });
			expect(answer.status).toBe(200);
		}, OPEN);
	});

	it("over REST: the change's own fields override the preset's, and a version makes it compare-and-set", async () => {
		const { version } = await stored();
		await appliedBy(
			async () => {
				const body = { preset: closed, text: 'CLOSED AT 6', version };
				expect((await rest(server, 'PATCH', `/LedSign/${sign}`, body, { user: operator })).status).toBe(200);
			},
			{ ...CLOSED, text: 'CLOSED AT 6' }
		);
		const stale = await rest(server, 'PATCH', `/LedSign/${sign}`, { preset: open, version }, { user: operator });
		expect(stale.status).toBe(409);
		expect(fields(stale.body)).toHaveProperty('version');
		expect(await stored()).toMatchObject({ text: 'CLOSED AT 6', version: version + 1 });
	});

	it('over MQTT: a retained publish {"preset"} to LedSign/<id>', async () => {
		await appliedBy(async () => {
			expect((await mqttPublishAck(publisher, `LedSign/${sign}`, JSON.stringify({ preset: open }), true)).code).toBe(0);
		}, OPEN);
	});

	it('over WebSocket: a message {"preset"}', async () => {
		await appliedBy(() => {
			socket.send({ preset: closed });
			return Promise.resolve();
		}, CLOSED);
	});

	it('flashed: PATCH {"preset", "transient": true} shows its look everywhere and stores nothing', async () => {
		const before = await stored();
		const body = { preset: open, transient: true, speed: 9 };
		const answer = await rest(server, 'PATCH', `/LedSign/${sign}`, body, { user: operator });
		expect(answer.status).toBe(200);
		const flashed = { ...OPEN, speed: 9, transient: true, version: before.version, updatedAt: before.updatedAt };
		expect(answer.body).toMatchObject(flashed);
		for (const event of await seenEverywhere(OPEN.text, before.version, true))
			expect(event.value).toMatchObject(flashed);
		expect(await stored()).toEqual(before);
	});

	it('refuses a preset that does not exist, naming preset: 400 over REST, 0x99 over MQTT, an error on the socket', async () => {
		const before = await stored();
		const missing = id('missing');
		for (const body of [{ preset: missing }, { preset: missing, transient: true }]) {
			const answer = await rest(server, 'PATCH', `/LedSign/${sign}`, body, { user: operator });
			expect(answer.status).toBe(400);
			expect(fields(answer.body).preset).toBe(`there is no preset "${missing}"`);
		}
		for (const retain of [true, false]) {
			const ack = await mqttPublishAck(publisher, `LedSign/${sign}`, JSON.stringify({ preset: missing }), retain);
			expect(ack.code).toBe(0x99);
			expect(ack.reason).toMatch(/preset there is no preset/);
		}
		socket.send({ preset: missing });
		const error = await socket.inbox.waitForNext(
			(message) => (message as { type?: string }).type === 'error',
			'the refusal'
		);
		expect(error).toMatchObject({ statusCode: 400, fields: { preset: `there is no preset "${missing}"` } });
		expect(await stored()).toEqual(before);
	});

	it('refuses a preset that is not a preset id (422 naming preset)', async () => {
		const before = await stored();
		for (const preset of [3, '', 'a/b', null]) {
			const answer = await rest(server, 'PATCH', `/LedSign/${sign}`, { preset }, { user: operator });
			expect(answer.status, JSON.stringify(preset)).toBe(422);
			expect(fields(answer.body)).toHaveProperty('preset');
		}
		expect(await stored()).toEqual(before);
	});

	it('refuses a role that may change signs but not read presets (403 naming preset), and lets it change the sign', async () => {
		const before = await stored();
		const answer = await rest(server, 'PATCH', `/LedSign/${sign}`, { preset: open }, { user: signsOnly });
		expect(answer.status).toBe(403);
		expect(fields(answer.body)).toEqual({ preset: 'may not be applied: your role may not read presets' });
		expect(await stored()).toEqual(before);
		const plain = await rest(server, 'PATCH', `/LedSign/${sign}`, { text: 'no preset' }, { user: signsOnly });
		expect(plain.status).toBe(200);
		await seenEverywhere('no preset', before.version + 1);
	});
});

describe('the roles', () => {
	const name = id('open');

	it('a viewer reads presets (REST, SSE, WebSocket, MQTT) and changes none (403, 0x87)', async () => {
		expect((await rest(server, 'GET', `/Preset/${name}`, undefined, { user: viewer })).status).toBe(200);
		expect((await rest(server, 'GET', '/Preset/', undefined, { user: viewer })).status).toBe(200);
		const sse = await ssePeer(server, `/Preset/${name}`, viewer);
		sse.close();
		expect((await wsFirstAnswer(server, `/Preset/${name}`, viewer)).first).toMatchObject({ id: name, type: 'put' });
		const peer = await mqttPeer(server, { user: viewer, subscribe: [`Preset/${name}`] });
		try {
			await peer.inbox.waitFor((message) => message.topic === `Preset/${name}`, 'the preset');
			expect((await mqttPublishAck(peer, `Preset/${name}`, '{"text":"viewer"}', true)).code).toBe(0x87);
		} finally {
			await peer.close();
		}
		for (const [method, path, body] of [
			['PATCH', `/Preset/${name}`, { text: 'viewer' }],
			['PUT', `/Preset/${name}`, OPEN],
			['POST', '/Preset/', { id: id('by-viewer'), ...OPEN }],
			['DELETE', `/Preset/${name}`, undefined],
		] as const) {
			const answer = await rest(server, method, path, body, { user: viewer });
			expect(answer.status, `${method} ${path}`).toBe(403);
		}
		expect(await get(`/Preset/${name}`)).toMatchObject(OPEN);
	});

	it('an operator creates, changes and deletes a preset (and may not delete them in bulk: 405 above)', async () => {
		const own = id('by-operator');
		expect((await rest(server, 'POST', '/Preset/', { id: own, ...OPEN }, { user: operator })).status).toBe(201);
		expect((await rest(server, 'PATCH', `/Preset/${own}`, { text: 'changed' }, { user: operator })).status).toBe(200);
		expect((await rest(server, 'DELETE', `/Preset/${own}`, undefined, { user: operator })).status).toBe(200);
		expect((await rest(server, 'GET', `/Preset/${own}`)).status).toBe(404);
	});

	it('a device account gets nothing: 403 with a readable message, on every protocol', async () => {
		for (const path of [`/Preset/${name}`, '/Preset/']) {
			const answer = await rest(server, 'GET', path, undefined, { user: device });
			expect(answer.status).toBe(403);
			expect((answer.body as { error?: string }).error).toMatch(/^Your role may not read (this|every) preset/);
		}
		expect((await rest(server, 'PUT', `/Preset/${name}`, OPEN, { user: device })).status).toBe(403);
		expect((await wsFirstAnswer(server, `/Preset/${name}`, device)).refusal).toBe(3003);
		const peer = await tryMqttPeer(server, { user: device });
		if (typeof peer !== 'object') throw new Error(`the device could not connect: ${peer}`);
		try {
			const refused = await peer.client.subscribeAsync(`Preset/${name}`, { qos: 1 }).then(
				() => undefined,
				(err: unknown) => subackCodes(err)
			);
			expect(refused).toEqual([0x87]);
		} finally {
			await peer.close();
		}
		expect(await get(`/Preset/${name}`)).toMatchObject(OPEN);
	});
});
