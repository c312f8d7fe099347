/**
 * The ESP32 firmware's portable core, on the host: built with g++, unit-tested, checked frame for frame against
 * the TypeScript renderer, and run as a sign on libmosquitto against the real server.
 * The build goes to a temporary folder: Harper serves the project folder while the tests run.
 */
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { fontHeader, goldenFrames } from '../devices/golden/generate.ts';
import { rulesHeader } from '../devices/golden/rules-header.ts';
import { frameAt, frameToText } from '../src/shared/display/frames.ts';
import type { LedSignRecord, SignStatusRecord } from '../src/shared/sign-rules.ts';
import { Inbox, rest } from '../harness/clients.ts';

const server = inject('harper');
const PROJECT = resolve(import.meta.dirname, '..');
const HOST = join(PROJECT, 'devices/esp32/host');
const CORE = join(PROJECT, 'devices/esp32/marquee_sign/src/core');
const GOLDEN = join(PROJECT, 'devices/golden/frames.txt');
const build = mkdtempSync(join(tmpdir(), 'marquee-firmware-'));

beforeAll(() => {
	const make = spawnSync('make', ['-C', HOST, `BUILD=${build}`], { encoding: 'utf8' });
	if (make.status !== 0) throw new Error(`building the firmware core failed:\n${make.stdout}\n${make.stderr}`);
});

describe('the firmware core', () => {
	it('uses the font, rules and golden frames generated from the TypeScript (npm run golden)', () => {
		expect(readFileSync(join(CORE, 'font5x7.h'), 'utf8')).toBe(fontHeader());
		expect(readFileSync(join(CORE, 'sign_rules.h'), 'utf8')).toBe(rulesHeader());
		expect(readFileSync(GOLDEN, 'utf8')).toBe(goldenFrames());
	});

	it('passes its unit tests and draws every golden frame exactly as the TypeScript renderer does', () => {
		const run = spawnSync(join(build, 'test_core'), [GOLDEN], { encoding: 'utf8' });
		expect(run.stderr).toBe('');
		expect(run.stdout).toMatch(/golden frames: (1\d|[2-9]\d) cases drawn/);
		expect(run.stdout).toMatch(/^\d+ passed, 0 failed$/m);
		expect(run.status).toBe(0);
	});
});

interface HostSignEvent {
	event: string;
	text?: string;
	version?: number;
	row0?: string;
}

/** Runs host_sign for sign `id` against the test server; `stop` ends it cleanly (SIGTERM) and waits for it. */
function startHostSign(id: string): { events: Inbox<HostSignEvent>; stop: () => Promise<void> } {
	const port = new URL(server.mqttUrl).port;
	const sign = spawn(join(build, 'host_sign'), ['--id', id, '--port', port, '--username', server.admin.username], {
		env: { ...process.env, MARQUEE_MQTT_PASSWORD: server.admin.password },
		stdio: ['ignore', 'pipe', 'inherit'],
	});
	const events = new Inbox<HostSignEvent>();
	createInterface({ input: sign.stdout }).on('line', (line) => events.push(JSON.parse(line) as HostSignEvent));
	return {
		events,
		stop: async (): Promise<void> => {
			if (sign.exitCode !== null || sign.signalCode !== null) return;
			const exited = once(sign, 'exit');
			sign.kill('SIGTERM');
			await exited;
		},
	};
}

describe('the firmware core as a sign, on libmosquitto', () => {
	it('follows a change made over REST, reports it, and says offline when stopped', async () => {
		await rest(server, 'PUT', '/LedSign/host-sign', { text: 'Hi', effect: 'static' });
		const { events, stop } = startHostSign('host-sign');
		try {
			await events.waitFor((event) => event.event === 'showing' && event.text === 'Hi', 'the current state');
			const { body } = await rest(server, 'PATCH', '/LedSign/host-sign', { text: 'From REST' });
			const record = body as LedSignRecord;
			const shown = await events.waitFor((event) => event.text === 'From REST', 'the REST change');
			expect(shown.version).toBe(record.version);
			expect(shown.row0).toBe(frameToText(frameAt(record, 0)).split('\n')[0]);
			await expect
				.poll(async () => ((await rest(server, 'GET', '/SignStatus/host-sign')).body as SignStatusRecord).shownVersion)
				.toBe(record.version);
		} finally {
			await stop();
		}
		expect((await rest(server, 'GET', '/SignStatus/host-sign')).body).toMatchObject({
			online: false,
			firmware: 'marquee-host 1.0.0',
			rssi: null,
		});
	});

	it('shows a sign deleted and created again, though its version starts again at 1', async () => {
		await rest(server, 'PUT', '/LedSign/host-again', { text: 'one' });
		await rest(server, 'PATCH', '/LedSign/host-again', { text: 'two' });
		const { body } = await rest(server, 'PATCH', '/LedSign/host-again', { text: 'three' });
		expect((body as LedSignRecord).version).toBeGreaterThanOrEqual(3);
		const { events, stop } = startHostSign('host-again');
		try {
			await events.waitFor((event) => event.event === 'showing' && event.text === 'three', 'the current state');
			expect((await rest(server, 'DELETE', '/LedSign/host-again')).status).toBeLessThan(300);
			await events.waitFor((event) => event.event === 'deleted', 'the delete');
			const created = await rest(server, 'PUT', '/LedSign/host-again', { text: 'created again' });
			expect((created.body as LedSignRecord).version).toBe(1);
			const answer = await events.waitFor(
				(event) => (event.event === 'showing' && event.text === 'created again') || event.event === 'ignored',
				'the sign created again, shown or ignored'
			);
			expect(answer).toMatchObject({ event: 'showing', version: 1 });
		} finally {
			await stop();
		}
	});
});
