/**
 * The cross-protocol matrix: a change made by each writer reaches each reader with the right content.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { LedSignRecord, SignSettings } from '../src/shared/sign-rules.ts';
import {
	mqttPeer,
	mqttPublish,
	rest,
	wsPeer,
	type MqttPeer,
	type RestResponse,
	type WsPeer,
} from '../harness/clients.ts';
import { READER_KINDS, openReader, waitForText, type Reader } from '../harness/readers.ts';

const server = inject('harper');

const BASE: SignSettings = { text: 'base', color: '#123456', brightness: 33, power: true, effect: 'blink', speed: 4 };

interface Writer {
	name: string;
	/** Whether the change is stored (a transient MQTT message is delivered but not stored). */
	stored: boolean;
	write(id: string, text: string): Promise<void>;
	/** What the sign should hold after the write (all but the times), given what it held before. */
	expected(before: Timeless, text: string): Timeless & { transient?: boolean };
}

type Timeless = Omit<LedSignRecord, 'updatedAt' | 'commitTime'>;

function timeless(record: LedSignRecord): Timeless {
	const { updatedAt: _updatedAt, commitTime: _commitTime, ...rest } = record;
	return rest;
}

let publisher: MqttPeer;
const sockets: WsPeer[] = [];

const writers: Writer[] = [
	{
		name: 'REST PUT',
		stored: true,
		async write(id, text): Promise<void> {
			// A full replace: fields it leaves out take their defaults, so send every field but speed.
			const { speed: _speed, ...rest } = { ...BASE, text, color: '#abcdef' };
			expect((await restPut(id, rest)).status).toBe(200);
		},
		expected: (before, text) => ({ ...before, text, color: '#abcdef', speed: 5, version: before.version + 1 }),
	},
	{
		name: 'REST PATCH',
		stored: true,
		async write(id, text): Promise<void> {
			expect((await rest(server, 'PATCH', `/LedSign/${id}`, { text })).status).toBe(200);
		},
		expected: (before, text) => ({ ...before, text, version: before.version + 1 }),
	},
	{
		name: 'MQTT retained publish',
		stored: true,
		async write(id, text): Promise<void> {
			expect(await mqttPublish(publisher, `LedSign/${id}`, JSON.stringify({ text }), true)).toBe(0);
		},
		expected: (before, text) => ({ ...before, text, version: before.version + 1 }),
	},
	{
		name: 'MQTT non-retained publish',
		stored: false,
		async write(id, text): Promise<void> {
			expect(await mqttPublish(publisher, `LedSign/${id}`, JSON.stringify({ text }), false)).toBe(0);
		},
		expected: (before, text) => ({ ...before, text, transient: true }),
	},
	{
		name: 'WebSocket message',
		stored: true,
		async write(id, text): Promise<void> {
			const socket = await wsPeer(server, `/LedSign/${id}`);
			sockets.push(socket);
			socket.send({ text });
		},
		expected: (before, text) => ({ ...before, text, version: before.version + 1 }),
	},
];

function restPut(id: string, body: object): Promise<RestResponse> {
	return rest(server, 'PUT', `/LedSign/${id}`, body);
}

beforeAll(async () => {
	publisher = await mqttPeer(server);
});

afterAll(async () => {
	await publisher.close();
	await Promise.all(sockets.map((socket) => socket.close()));
});

describe.each(writers)('a change made by $name', (writer) => {
	const id = `matrix-${writer.name.replace(/[^A-Za-z]+/g, '-').toLowerCase()}`;
	const text = `from ${writer.name}`;
	const readers: Reader[] = [];
	let before: LedSignRecord;

	beforeAll(async () => {
		before = (await restPut(id, BASE)).body as LedSignRecord;
		for (const kind of READER_KINDS) readers.push(await openReader(server, kind, id));
		// Every reader is live once it has delivered the sign's current state.
		await Promise.all(readers.map((reader) => waitForText(reader, id, BASE.text)));
		await writer.write(id, text);
	});

	afterAll(async () => {
		await Promise.all(readers.map((reader) => reader.close()));
	});

	it.each(READER_KINDS)('reaches %s with the whole sign', async (kind) => {
		const reader = readers.find((candidate) => candidate.name === kind);
		if (!reader) throw new Error(`no ${kind} reader`);
		const event = await waitForText(reader, id, text);
		if (!event.value) throw new Error(`${kind} delivered no record`);
		expect(timeless(event.value)).toEqual(writer.expected(timeless(before), text));
		const changedAt = Date.parse(event.value.updatedAt);
		if (writer.stored) expect(changedAt).toBeGreaterThan(Date.parse(before.updatedAt));
		else expect(event.value.updatedAt).toBe(before.updatedAt);
		if (!kind.startsWith('mqtt')) expect(event.type).toBe(writer.stored ? 'put' : 'message');
	});

	it(
		writer.stored ? 'is what REST GET returns' : 'is not stored: REST GET still returns the sign as it was',
		async () => {
			// Every reader has seen the change by now, so the store has it too (or, for a transient, never will).
			await Promise.all(readers.map((reader) => waitForText(reader, id, text)));
			const got = await rest(server, 'GET', `/LedSign/${id}`);
			expect(got.status).toBe(200);
			if (writer.stored) {
				expect(timeless(got.body as LedSignRecord)).toEqual(writer.expected(timeless(before), text));
			} else {
				expect(got.body).toEqual(before);
			}
		}
	);
});
