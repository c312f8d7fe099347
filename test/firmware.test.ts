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

describe('the firmware core as a sign, on libmosquitto', () => {
	it('follows a change made over REST, reports it, and says offline when stopped', async () => {
		await rest(server, 'PUT', '/LedSign/host-sign', { text: 'Hi', effect: 'static' });
		const port = new URL(server.mqttUrl).port;
		const sign = spawn(
			join(build, 'host_sign'),
			['--id', 'host-sign', '--port', port, '--username', server.admin.username],
			{
				env: { ...process.env, MARQUEE_MQTT_PASSWORD: server.admin.password },
				stdio: ['ignore', 'pipe', 'inherit'],
			}
		);
		const events = new Inbox<{ event: string; text?: string; version?: number; row0?: string }>();
		createInterface({ input: sign.stdout }).on('line', (line) => events.push(JSON.parse(line) as never));
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
			const exited = once(sign, 'exit');
			sign.kill('SIGTERM');
			await exited;
		}
		expect((await rest(server, 'GET', '/SignStatus/host-sign')).body).toMatchObject({
			online: false,
			firmware: 'marquee-host 1.0.0',
			rssi: null,
		});
	});
});
