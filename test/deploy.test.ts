/**
 * `npm run deploy` against a second, empty Harper (its own root, HOME and ports), then the deployed package
 * checked on that node: REST, MQTT, the panel and the roles. This catches a package without its build
 * output or config.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { LedSignRecord } from '../src/shared/sign-rules.ts';
import { mqttPeer, mqttPublish, operation, rest, type MqttPeer } from '../harness/clients.ts';
import { PROJECT, requestStatus } from '../harness/harper.ts';
import { useHarper } from '../harness/use-harper.ts';

const target = useHarper({ withApp: false });

interface Run {
	code: number | null;
	output: string;
}

/** Runs `npm run deploy`'s script with these settings in the environment, as a user would. */
async function deploy(settings: Record<string, string>): Promise<Run> {
	const child = spawn(process.execPath, ['scripts/deploy.mjs'], {
		cwd: PROJECT,
		env: { PATH: process.env.PATH, HOME: process.env.HOME, ...settings },
		stdio: ['ignore', 'pipe', 'pipe'],
	});
	let output = '';
	child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
	child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
	const [code] = (await once(child, 'exit')) as [number | null];
	return { code, output };
}

async function subscribedPeer(topic: string, deadlineMs: number): Promise<MqttPeer> {
	const deadline = Date.now() + deadlineMs;
	for (;;) {
		let peer: MqttPeer | undefined;
		try {
			peer = await mqttPeer(target);
			await peer.client.subscribeAsync(topic, { qos: 1 });
			return peer;
		} catch (err) {
			await peer?.close();
			if (Date.now() > deadline) throw err;
			await new Promise((done) => setTimeout(done, 250));
		}
	}
}

async function untilServing(deadlineMs: number): Promise<void> {
	const deadline = Date.now() + deadlineMs;
	while (Date.now() < deadline) {
		if ((await requestStatus(`${target.httpUrl}/SignRules`)) === 200) return;
		await new Promise((done) => setTimeout(done, 250));
	}
	throw new Error(`the deployed app did not serve /SignRules within ${deadlineMs} ms:\n${target.log().slice(-3000)}`);
}

describe('npm run deploy', () => {
	it('fails loudly on wrong credentials, without printing them', async () => {
		const run = await deploy({
			CLI_TARGET: target.operationsUrl,
			CLI_TARGET_USERNAME: target.admin.username,
			CLI_TARGET_PASSWORD: 'not-the-password-4711',
		});
		expect(run.code).not.toBe(0);
		expect(run.output).not.toContain('not-the-password-4711');
	});

	it('fails loudly on a target that is not there', async () => {
		const run = await deploy({
			CLI_TARGET: 'http://127.0.0.1:9',
			CLI_TARGET_USERNAME: target.admin.username,
			CLI_TARGET_PASSWORD: target.admin.password,
		});
		expect(run.code).not.toBe(0);
	});

	it('refuses to run without its settings', async () => {
		const run = await deploy({});
		expect(run.code).toBe(2);
		expect(run.output).toContain('CLI_TARGET');
	});

	it('deploys a package that works on the target: REST, MQTT, the panel and the roles', async () => {
		const run = await deploy({
			CLI_TARGET: target.operationsUrl,
			CLI_TARGET_USERNAME: target.admin.username,
			CLI_TARGET_PASSWORD: target.admin.password,
		});
		expect(run.code, run.output).toBe(0);
		expect(run.output).not.toContain(target.admin.password);
		await untilServing(180_000);

		const { status, body } = await rest(target, 'PUT', '/LedSign/deployed', { text: 'Deployed' });
		expect(status).toBe(200);
		expect(body).toMatchObject({ id: 'deployed', version: 1 });
		expect((await rest(target, 'PATCH', '/LedSign/deployed', { brightness: 500 })).status).toBe(422);

		// Right after the restart the MQTT listener can take connections before the app's topics are registered
		// ("topic does not exist" on SUBSCRIBE, seen here): subscribe until it is accepted, 30 s at most.
		const device = await subscribedPeer('LedSign/deployed', 30_000);
		expect(await mqttPublish(device, 'LedSign/deployed', '{"text":"over MQTT"}', true)).toBe(0);
		await device.inbox.waitFor(
			(message) => (message.json as LedSignRecord | undefined)?.text === 'over MQTT',
			'the change'
		);
		await device.close();

		const page = await fetch(`${target.httpUrl}/sign/deployed`);
		expect(page.status).toBe(200);
		expect(await page.text()).toContain('/build/web/src/main.js');
		expect((await fetch(`${target.httpUrl}/build/web/src/main.js`)).status).toBe(200);

		const roles = (await operation(target, { operation: 'list_roles' })) as { role: string }[];
		expect(roles.map((role) => role.role)).toEqual(
			expect.arrayContaining(['marquee_admin', 'marquee_operator', 'marquee_viewer', 'marquee_device'])
		);
	}, 300_000);
});
