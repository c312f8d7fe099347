/**
 * Flash messages over REST and WebSocket: `PATCH /LedSign/<id>` or a WebSocket message with `"transient": true` is the
 * same transient message as an MQTT publish without retain. Checked like a merge onto the stored sign, delivered to
 * every listener (MQTT, WebSocket, SSE, a simulated device) marked transient with the stored version, and never
 * stored: the record, its version and its time stay as they were. Bad input is refused naming the field, on every
 * path, and changes nothing.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { LedSignRecord, SignMessage } from '../src/shared/sign-rules.ts';
import { mqttPeer, mqttPublishAck, rest, wsPeer, type MqttPeer } from '../harness/clients.ts';
import { READER_KINDS, openReader, waitForText, type Reader } from '../harness/readers.ts';
import { startSimulator, type SimulatorProcess } from '../harness/simulator.ts';
import { addUser, dropUser } from '../harness/users.ts';

const server = inject('harper');
const run = Math.random().toString(36).slice(2, 8);
const SIGN = `flash-${run}`;
const BASE = { text: 'stored', color: '#112233', brightness: 40, power: true, effect: 'static', speed: 3 };

const stored = async (id = SIGN): Promise<LedSignRecord> =>
	(await rest(server, 'GET', `/LedSign/${id}`)).body as LedSignRecord;

let readers: Reader[] = [];
let device: SimulatorProcess;
let before: LedSignRecord;

beforeAll(async () => {
	expect((await rest(server, 'PUT', `/LedSign/${SIGN}`, BASE)).status).toBe(200);
	before = await stored();
	readers = await Promise.all(READER_KINDS.map((kind) => openReader(server, kind, SIGN)));
	await Promise.all(readers.map((reader) => waitForText(reader, SIGN, BASE.text)));
	device = startSimulator(server, SIGN);
	await device.events.waitFor(
		(event) => event.event === 'showing' && event.record?.text === BASE.text,
		'the device showing the stored sign'
	);
});

afterAll(async () => {
	await Promise.all(readers.map((reader) => reader.close()));
	await device?.kill('SIGTERM');
});

/** Every listener and the device have received the flash with this text; answers the messages they got. */
async function seenEverywhere(text: string): Promise<SignMessage[]> {
	const events = await Promise.all(readers.map((reader) => waitForText(reader, SIGN, text)));
	const shown = await device.events.waitFor(
		(event) => event.event === 'showing' && event.record?.text === text,
		`the device showing "${text}"`
	);
	expect(shown.record?.transient).toBe(true);
	for (const [i, event] of events.entries()) {
		if (!READER_KINDS[i]?.startsWith('mqtt')) expect(event.type, READER_KINDS[i]).toBe('message');
	}
	return events.map((event) => event.value as SignMessage);
}

describe('a flash over REST (PATCH with "transient": true)', () => {
	let answer: { status: number; body: unknown };

	beforeAll(async () => {
		answer = await rest(server, 'PATCH', `/LedSign/${SIGN}`, { transient: true, text: 'REST flash', effect: 'blink' });
	});

	it('answers 200 with the message it delivered: merged onto the stored sign, transient, the stored version', () => {
		expect(answer.status).toBe(200);
		expect(answer.body).toEqual({
			...BASE,
			id: SIGN,
			text: 'REST flash',
			effect: 'blink',
			version: before.version,
			updatedAt: before.updatedAt,
			transient: true,
		});
	});

	it('reaches every listener (MQTT, WebSocket, SSE) and the device as that message', async () => {
		for (const message of await seenEverywhere('REST flash')) expect(message).toEqual(answer.body);
	});

	it('stores nothing: the record, its version and its time are as they were', async () => {
		expect(await stored()).toEqual(before);
	});
});

describe('a flash as a WebSocket message', () => {
	it('on /LedSign/<id> is delivered like the MQTT one and stores nothing', async () => {
		const socket = await wsPeer(server, `/LedSign/${SIGN}`);
		try {
			socket.send({ transient: true, text: 'socket flash' });
			const messages = await seenEverywhere('socket flash');
			for (const message of messages) expect(message).toMatchObject({ transient: true, version: before.version });
			expect(await stored()).toEqual(before);
		} finally {
			await socket.close();
		}
	});

	it('on /LedSign/ names its sign by id', async () => {
		const socket = await wsPeer(server, '/LedSign/');
		try {
			socket.send({ id: SIGN, transient: true, text: 'collection flash' });
			await seenEverywhere('collection flash');
			expect(await stored()).toEqual(before);
		} finally {
			await socket.close();
		}
	});
});

describe('the MQTT flash it matches', () => {
	let publisher: MqttPeer;
	beforeAll(async () => (publisher = await mqttPeer(server)));
	afterAll(() => publisher.close());

	it('is delivered the same way, with or without "transient": true in the payload', async () => {
		for (const [text, payload] of [
			['mqtt flash', { text: 'mqtt flash' }],
			['mqtt flash, said', { text: 'mqtt flash, said', transient: true }],
		] as const) {
			expect(await mqttPublishAck(publisher, `LedSign/${SIGN}`, JSON.stringify(payload), false)).toEqual({
				code: 0,
				reason: undefined,
			});
			for (const message of await seenEverywhere(text)) expect(message).toMatchObject({ transient: true, text });
		}
		expect(await stored()).toEqual(before);
	});

	it('is refused for a sign that does not exist (0x90, naming it), as the REST one is (404)', async () => {
		const ghost = `flash-ghost-${run}`;
		const ack = await mqttPublishAck(publisher, `LedSign/${ghost}`, '{"text":"boo"}', false);
		expect(ack.code).toBe(0x90);
		expect(ack.reason).toMatch(/no sign "flash-ghost-.*" to flash/);
		const answer = await rest(server, 'PATCH', `/LedSign/${ghost}`, { transient: true, text: 'boo' });
		expect(answer.status).toBe(404);
		expect(answer.body).toMatchObject({ fields: { id: expect.stringMatching(/existing sign/) as string } });
		expect((await rest(server, 'GET', `/LedSign/${ghost}`)).status).toBe(404);
	});
});

describe('the rate limits', () => {
	it('count a flash like any change: past the burst for one sign, 429 with Retry-After, and nothing stored', async () => {
		const operator = { username: `flash-op-${run}`, password: `flash-op-${run}-Password` };
		await addUser(server, operator, 'marquee_operator');
		try {
			const answers = await Promise.all(
				Array.from({ length: 30 }, (_, n) =>
					rest(server, 'PATCH', `/LedSign/${SIGN}`, { transient: true, text: `burst ${n}` }, { user: operator })
				)
			);
			const statuses = answers.map((answer) => answer.status);
			expect(statuses.filter((status) => status === 200).length).toBeGreaterThan(0);
			const refused = answers.filter((answer) => answer.status === 429);
			expect(refused.length).toBeGreaterThan(0);
			expect(Number(refused[0]?.headers['retry-after'])).toBeGreaterThanOrEqual(1);
			expect(refused[0]?.body).toMatchObject({ error: expect.stringMatching(/Too many changes/) as string });
			expect(await stored()).toEqual(before);
		} finally {
			await dropUser(server, operator.username);
		}
	});
});

describe('bad input', () => {
	/** Each refused request names the field, and neither the record nor any listener hears of it. */
	async function refused(method: string, body: unknown, status: number, field: string): Promise<void> {
		const answer = await rest(server, method, `/LedSign/${SIGN}`, body);
		expect(answer.status, JSON.stringify(body)).toBe(status);
		expect((answer.body as { fields?: Record<string, string> }).fields, JSON.stringify(body)).toHaveProperty(field);
		expect(await stored()).toEqual(before);
	}

	it('refuses a flash with a field the rules refuse, naming it (422)', async () => {
		await refused('PATCH', { transient: true, brightness: 150 }, 422, 'brightness');
		await refused('PATCH', { transient: true, colour: '#ffffff' }, 422, 'colour');
	});

	it('refuses "transient" with any value but true (422, naming transient)', async () => {
		for (const value of [false, 'true', 1, null, {}])
			await refused('PATCH', { transient: value, text: 'x' }, 422, 'transient');
	});

	it('refuses "transient" on PUT and POST, which store (422, naming transient)', async () => {
		await refused('PUT', { ...BASE, transient: true }, 422, 'transient');
		const post = await rest(server, 'POST', '/LedSign/', { id: `flash-new-${run}`, text: 'x', transient: true });
		expect(post.status).toBe(422);
		expect(post.body).toMatchObject({ fields: { transient: expect.stringMatching(/never stored/) as string } });
		expect((await rest(server, 'GET', `/LedSign/flash-new-${run}`)).status).toBe(404);
	});

	it('refuses "transient" on a retained MQTT publish (0x99, naming transient)', async () => {
		const publisher = await mqttPeer(server);
		try {
			const ack = await mqttPublishAck(publisher, `LedSign/${SIGN}`, '{"transient":true,"text":"x"}', true);
			expect(ack.code).toBe(0x99);
			expect(ack.reason).toMatch(/transient is for a flash/);
			const wrong = await mqttPublishAck(publisher, `LedSign/${SIGN}`, '{"transient":false,"text":"x"}', false);
			expect(wrong.code).toBe(0x99);
			expect(wrong.reason).toMatch(/transient must be true/);
		} finally {
			await publisher.close();
		}
		expect(await stored()).toEqual(before);
	});

	it('answers a refused WebSocket flash on the socket, naming the field', async () => {
		const socket = await wsPeer(server, `/LedSign/${SIGN}`);
		try {
			socket.send({ transient: true, speed: 99 });
			const error = await socket.inbox.waitFor(
				(message) => (message as { type?: string }).type === 'error',
				'the refusal'
			);
			expect(error).toMatchObject({ statusCode: 422, fields: { speed: expect.any(String) as string } });
		} finally {
			await socket.close();
		}
		expect(await stored()).toEqual(before);
	});

	it('let no refused flash reach a listener or the device', async () => {
		// Messages arrive in order: once a flash sent after the refusals is everywhere, a leaked one would have been too.
		await rest(server, 'PATCH', `/LedSign/${SIGN}`, { transient: true, text: 'after the refusals' });
		await seenEverywhere('after the refusals');
		const shownByDevice = device.events.received.filter((event) => event.record?.text === 'x');
		expect(shownByDevice).toEqual([]);
		const leaked = readers.flatMap((reader) =>
			reader.events.received.filter((event) => event.value?.text === 'x' || event.value?.brightness === 150)
		);
		expect(leaked).toEqual([]);
	});
});
