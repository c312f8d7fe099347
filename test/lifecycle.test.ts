/**
 * State outlives the server, and a sign that connects later is brought up to date at once.
 * This file starts a Harper of its own, so restarting it does not disturb the shared one.
 */
import { describe, expect, it } from 'vitest';
import type { LedSignRecord } from '../src/shared/sign-rules.ts';
import { mqttPeer, mqttPublish, rest } from '../harness/clients.ts';
import { useHarper } from '../harness/use-harper.ts';
import { READER_KINDS, openReader, waitForText } from '../harness/readers.ts';

const harper = useHarper();

describe('a restart of Harper', () => {
	it('keeps every sign, its version and when it changed', async () => {
		await rest(harper, 'PUT', '/LedSign/survivor', { text: 'before restart', color: '#ff00ff', effect: 'scroll' });
		const publisher = await mqttPeer(harper);
		expect(await mqttPublish(publisher, 'LedSign/survivor', '{"brightness":77}', true)).toBe(0);
		await publisher.close();
		const before = (await rest(harper, 'GET', '/LedSign/survivor')).body as LedSignRecord;
		expect(before).toMatchObject({ text: 'before restart', brightness: 77, version: 2 });

		await harper.restart();

		expect((await rest(harper, 'GET', '/LedSign/survivor')).body).toEqual(before);
		const { body } = await rest(harper, 'PATCH', '/LedSign/survivor', { speed: 9 });
		expect(body).toMatchObject({ version: 3, brightness: 77, speed: 9 });
	});

	it('lets listeners connect again and hear the next change', async () => {
		const listener = await openReader(harper, 'mqtt-record', 'survivor');
		await listener.events.waitFor((event) => event.value?.speed === 9, 'the state from before the restart');
		await harper.restart();
		const again = await openReader(harper, 'sse-record', 'survivor');
		await rest(harper, 'PATCH', '/LedSign/survivor', { text: 'after restart' });
		await waitForText(again, 'survivor', 'after restart');
		await Promise.all([listener.close(), again.close()]);
	});
});

describe('a listener that comes before the sign', () => {
	it.each(['sse-record', 'ws-record', 'mqtt-record'] as const)(
		'opens at once over %s and hears the sign created',
		async (kind) => {
			const id = `early-${kind}`;
			// Harper sends SSE headers only with a first event; LedSign.connect sends an empty one so this opens.
			const reader = await openReader(harper, kind, id);
			await rest(harper, 'POST', '/LedSign/', { id, text: 'born' });
			const event = await waitForText(reader, id, 'born');
			expect(event.value).toMatchObject({ id, version: 1 });
			await reader.close();
		}
	);
});

describe('a sign that connects later', () => {
	it.each(READER_KINDS)('gets the current state at once over %s', async (kind) => {
		const id = `late-${kind}`;
		await rest(harper, 'PUT', `/LedSign/${id}`, { text: 'first' });
		await rest(harper, 'PATCH', `/LedSign/${id}`, { text: 'current', brightness: 90 });
		const reader = await openReader(harper, kind, id);
		const event = await waitForText(reader, id, 'current');
		expect(event.value).toMatchObject({ id, text: 'current', brightness: 90, version: 2 });
		// The current state only, not the history before it.
		expect(reader.events.received.filter((seen) => seen.id === id).map((seen) => seen.value?.text)).toEqual([
			'current',
		]);
		await reader.close();
	});
});
