/**
 * `npm run user` against the suite's Harper, run as a child process the way a person runs it: accounts it adds
 * log in with the role they were given, a device is bound to its sign, reset and remove take effect at once,
 * the password never leaks, and every refusal exits non-zero with a message and leaves nothing behind.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { operation, rest, type RestResponse } from '../harness/clients.ts';
import type { Credentials } from '../harness/harper.ts';

const PROJECT = resolve(import.meta.dirname, '..');
const server = inject('harper');
const SIGN = 'us-sign';
// A HOME without ~/.marquee-admin-password, so the tests never pick up a developer's own admin password.
const home = mkdtempSync(join(tmpdir(), 'us-home-'));

interface Run {
	code: number | null;
	stdout: string;
	stderr: string;
	argv: string[];
}

interface RunOptions {
	env?: Record<string, string>;
	stdin?: string;
	/** Replaces the admin settings that point at the suite's Harper. */
	admin?: Record<string, string>;
}

/** Runs `node scripts/user.mjs <args>` with the suite's Harper as its target, as `npm run user -- <args>` does. */
async function user(args: string[], options: RunOptions = {}): Promise<Run> {
	const admin = options.admin ?? {
		CLI_TARGET: server.operationsUrl,
		CLI_TARGET_USERNAME: server.admin.username,
		CLI_TARGET_PASSWORD: server.admin.password,
	};
	const child = spawn(process.execPath, ['scripts/user.mjs', ...args], {
		cwd: PROJECT,
		env: { PATH: process.env.PATH, HOME: home, ...admin, ...options.env },
		stdio: ['pipe', 'pipe', 'pipe'],
	});
	let stdout = '';
	let stderr = '';
	child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
	child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
	child.stdin.end(options.stdin ?? '');
	const [code] = (await once(child, 'exit')) as [number | null];
	return { code, stdout, stderr, argv: child.spawnargs };
}

/** The generated password `add` or `reset` printed, checked to appear once and nowhere else. */
function generatedPassword(run: Run, name: string): string {
	const match = new RegExp(`^Password for "${name}": (\\S+)$`, 'm').exec(run.stdout);
	expect(match, run.stdout + run.stderr).not.toBeNull();
	const password = match![1]!;
	expect(password.length).toBeGreaterThanOrEqual(16);
	expect(run.stdout.split(password)).toHaveLength(2);
	expect(run.stdout).toContain('will not be shown again');
	expect(run.stderr).not.toContain(password);
	expect(run.argv.join(' ')).not.toContain(password);
	return password;
}

/** A chosen password must appear nowhere in what the script was given as arguments or printed. */
function expectNotLeaked(run: Run, password: string): void {
	expect(run.argv.join(' ')).not.toContain(password);
	expect(run.stdout).not.toContain(password);
	expect(run.stderr).not.toContain(password);
}

async function harperUsers(): Promise<string[]> {
	return ((await operation(server, { operation: 'list_users' })) as { username: string }[]).map((u) => u.username);
}

async function deviceAccount(name: string): Promise<unknown[]> {
	return (await operation(server, {
		operation: 'search_by_value',
		database: 'data',
		table: 'DeviceAccount',
		search_attribute: 'id',
		search_value: name,
		get_attributes: ['*'],
	})) as unknown[];
}

const getSign = (as: Credentials): Promise<RestResponse> =>
	rest(server, 'GET', `/LedSign/${SIGN}`, undefined, { user: as });
const patchSign = (as: Credentials, text: string): Promise<RestResponse> =>
	rest(server, 'PATCH', `/LedSign/${SIGN}`, { text }, { user: as });

beforeAll(async () => {
	expect((await rest(server, 'PUT', `/LedSign/${SIGN}`, { text: 'set by admin' })).status).toBe(200);
});

afterAll(() => {
	rmSync(home, { recursive: true, force: true });
});

describe('npm run user add', () => {
	it('gives an operator a generated password, printed once, that may change a sign', async () => {
		const run = await user(['add', 'us-operator', '--role', 'operator']);
		expect(run.code, run.stderr).toBe(0);
		const password = generatedPassword(run, 'us-operator');
		const { status, body } = await patchSign({ username: 'us-operator', password }, 'by the operator');
		expect(status).toBe(200);
		expect(body).toMatchObject({ text: 'by the operator' });
	});

	it('takes a viewer password from MARQUEE_USER_PASSWORD, never printing it; the viewer may read, not write', async () => {
		const viewer = { username: 'us-viewer', password: 'viewer-pass-from-env-1' };
		const run = await user(['add', viewer.username, '--role', 'viewer'], {
			env: { MARQUEE_USER_PASSWORD: viewer.password },
		});
		expect(run.code, run.stderr).toBe(0);
		expectNotLeaked(run, viewer.password);
		expect(run.stdout).not.toContain('Password for');
		expect((await getSign(viewer)).status).toBe(200);
		expect((await patchSign(viewer, 'by the viewer')).status).toBe(403);
	});

	it('takes a password from stdin with --password-stdin', async () => {
		const viewer = { username: 'us-viewer-stdin', password: 'viewer-pass-from-stdin-2' };
		const run = await user(['add', viewer.username, '--role', 'viewer', '--password-stdin'], {
			stdin: `${viewer.password}\n`,
		});
		expect(run.code, run.stderr).toBe(0);
		expectNotLeaked(run, viewer.password);
		expect((await getSign(viewer)).status).toBe(200);
	});

	it('binds a device to its sign in DeviceAccount, and list shows its role and sign', async () => {
		const run = await user(['add', 'us-device', '--role', 'device', '--sign', SIGN]);
		expect(run.code, run.stderr).toBe(0);
		generatedPassword(run, 'us-device');
		expect(await deviceAccount('us-device')).toEqual([{ id: 'us-device', sign: SIGN }]);

		const listed = await user(['list']);
		expect(listed.code, listed.stderr).toBe(0);
		expect(listed.stdout).toContain('marquee_* role');
		expect(listed.stdout).toMatch(/^us-device\s+marquee_device\s+us-sign\s+yes$/m);
		expect(listed.stdout).toMatch(/^us-operator\s+marquee_operator\s+-\s+yes$/m);
		expect(listed.stdout).not.toMatch(new RegExp(`^${server.admin.username}\\s`, 'm'));

		const json = await user(['list', '--json']);
		expect(json.code, json.stderr).toBe(0);
		const rows = JSON.parse(json.stdout) as { username: string }[];
		expect(rows).toContainEqual({ username: 'us-device', role: 'marquee_device', sign: SIGN, active: true });
		expect(rows).toContainEqual({ username: 'us-operator', role: 'marquee_operator', sign: null, active: true });
		expect(rows.map((row) => row.username)).not.toContain(server.admin.username);
	});
});

describe('npm run user reset', () => {
	it('replaces the password: the old one is refused at once, the new one works', async () => {
		const old = { username: 'us-reset', password: 'the-old-password-3' };
		expect(
			(await user(['add', old.username, '--role', 'viewer'], { env: { MARQUEE_USER_PASSWORD: old.password } })).code
		).toBe(0);
		expect((await getSign(old)).status).toBe(200);

		const run = await user(['reset', old.username]);
		expect(run.code, run.stderr).toBe(0);
		const password = generatedPassword(run, old.username);
		expect((await getSign(old)).status).toBe(401);
		expect((await getSign({ username: old.username, password })).status).toBe(200);

		const chosen = 'the-chosen-password-4';
		const again = await user(['reset', old.username], { env: { MARQUEE_USER_PASSWORD: chosen } });
		expect(again.code, again.stderr).toBe(0);
		expectNotLeaked(again, chosen);
		expect((await getSign({ username: old.username, password })).status).toBe(401);
		expect((await getSign({ username: old.username, password: chosen })).status).toBe(200);
	});
});

describe('npm run user remove', () => {
	it('removes a device: its login is refused and its DeviceAccount record is gone', async () => {
		const device = { username: 'us-device-gone', password: 'device-password-5' };
		const added = await user(['add', device.username, '--role', 'device', '--sign', SIGN], {
			env: { MARQUEE_USER_PASSWORD: device.password },
		});
		expect(added.code, added.stderr).toBe(0);
		expect(await deviceAccount(device.username)).toHaveLength(1);
		expect((await getSign(device)).status).toBe(200);

		const run = await user(['remove', device.username]);
		expect(run.code, run.stderr).toBe(0);
		expect((await getSign(device)).status).toBe(401);
		expect(await deviceAccount(device.username)).toEqual([]);
		expect(await harperUsers()).not.toContain(device.username);
		expect((await user(['list'])).stdout).not.toContain(device.username);
	});
});

describe('refusals: a clear message, a non-zero exit, nothing created', () => {
	const refusals: [string, string[], RegExp, Record<string, string>?][] = [
		['an unknown role', ['add', 'us-bad-role', '--role', 'superhero'], /bad role "superhero"/],
		['a role missing', ['add', 'us-no-role'], /needs --role/],
		['a device without --sign', ['add', 'us-no-sign', '--role', 'device'], /a device needs --sign/],
		['--sign on a viewer', ['add', 'us-viewer-sign', '--role', 'viewer', '--sign', SIGN], /only for devices/],
		['a bad sign id', ['add', 'us-bad-sign', '--role', 'device', '--sign', 'a/b'], /bad sign id/],
		['a user name Basic auth cannot carry', ['add', 'us:colon', '--role', 'viewer'], /bad user name/],
		[
			'a password as an argument',
			['add', 'us-argv', '--role', 'viewer', '--password=secret-12345'],
			/never an argument/,
		],
		['a short password', ['add', 'us-short', '--role', 'viewer'], /too short/, { MARQUEE_USER_PASSWORD: 'short' }],
	];

	it.each(refusals)('%s', async (_what, args, message, env) => {
		const run = await user(args, { env });
		expect(run.code).toBe(2);
		expect(run.stderr).toMatch(message);
		expect(run.stderr.trim().split('\n')).toHaveLength(1);
		expect(run.stdout).toBe('');
		expect(await harperUsers()).not.toContain(args[1]);
		expect(await deviceAccount(args[1]!)).toEqual([]);
	});

	it('a duplicate add, leaving the existing account as it was', async () => {
		const first = { username: 'us-twice', password: 'first-password-6' };
		expect(
			(await user(['add', first.username, '--role', 'viewer'], { env: { MARQUEE_USER_PASSWORD: first.password } })).code
		).toBe(0);
		const run = await user(['add', first.username, '--role', 'device', '--sign', SIGN]);
		expect(run.code).toBe(1);
		expect(run.stderr).toMatch(/"us-twice" already exists/);
		expect(run.stdout).toBe('');
		expect((await getSign(first)).status).toBe(200);
		expect(await deviceAccount(first.username)).toEqual([]);
	});

	it('remove or reset of an unknown user (alter_user itself answers 200 for one)', async () => {
		for (const command of ['remove', 'reset']) {
			const run = await user([command, 'us-nobody']);
			expect(run.code).toBe(1);
			expect(run.stderr).toMatch(/no user "us-nobody"/);
		}
		expect(await harperUsers()).not.toContain('us-nobody');
	});

	it('remove or reset of a user that is not a Marquee account, such as the admin itself', async () => {
		for (const command of ['remove', 'reset']) {
			const run = await user([command, server.admin.username]);
			expect(run.code).toBe(1);
			expect(run.stderr).toMatch(/not a marquee_\* role/);
		}
		expect((await getSign(server.admin)).status).toBe(200);
	});

	it('a wrong admin password, without printing it', async () => {
		const run = await user(['add', 'us-wrong-admin', '--role', 'viewer'], {
			admin: {
				CLI_TARGET: server.operationsUrl,
				CLI_TARGET_USERNAME: server.admin.username,
				CLI_TARGET_PASSWORD: 'not-the-admin-password-7',
			},
		});
		expect(run.code).toBe(1);
		expect(run.stderr).toMatch(/refused the credentials of/);
		expect(run.stdout + run.stderr).not.toContain('not-the-admin-password-7');
		expect(await harperUsers()).not.toContain('us-wrong-admin');
	});

	it('a target that is not there', async () => {
		const run = await user(['list'], {
			admin: { CLI_TARGET: 'http://127.0.0.1:9', CLI_TARGET_USERNAME: 'admin', CLI_TARGET_PASSWORD: 'x-password-8' },
		});
		expect(run.code).toBe(1);
		expect(run.stderr).toMatch(/cannot reach http:\/\/127\.0\.0\.1:9/);
	});

	it('no target and no local admin password: says what to set', async () => {
		const run = await user(['list'], { admin: {} });
		expect(run.code).toBe(2);
		expect(run.stderr).toMatch(/\.marquee-admin-password/);
		expect(run.stderr).toMatch(/CLI_TARGET, CLI_TARGET_USERNAME and CLI_TARGET_PASSWORD/);
	});
});

describe('a device whose binding cannot be stored', () => {
	let proxy: Server;
	let proxyUrl: string;

	// Between the script and Harper: passes every operation through, but fails `upsert` as a target can.
	beforeAll(async () => {
		proxy = createServer((request, response) => {
			const chunks: Buffer[] = [];
			request.on('data', (chunk: Buffer) => chunks.push(chunk));
			request.on('end', () => {
				const body = Buffer.concat(chunks).toString();
				if ((JSON.parse(body) as { operation: string }).operation === 'upsert') {
					response.writeHead(500, { 'content-type': 'application/json' });
					response.end('{"error":"injected upsert failure"}');
					return;
				}
				fetch(server.operationsUrl, {
					method: 'POST',
					headers: { 'content-type': 'application/json', 'authorization': request.headers.authorization ?? '' },
					body,
				}).then(
					async (answer) => {
						response.writeHead(answer.status, { 'content-type': 'application/json' });
						response.end(await answer.text());
					},
					() => response.destroy()
				);
			});
		});
		proxy.listen(0, '127.0.0.1');
		await once(proxy, 'listening');
		const address = proxy.address();
		if (typeof address !== 'object' || !address) throw new Error('no proxy address');
		proxyUrl = `http://127.0.0.1:${address.port}`;
	});

	afterAll(async () => {
		proxy.close();
		proxy.closeAllConnections();
		await once(proxy, 'close');
	});

	it('is not left half made: the user is removed again', async () => {
		const run = await user(['add', 'us-half', '--role', 'device', '--sign', SIGN], {
			admin: {
				CLI_TARGET: proxyUrl,
				CLI_TARGET_USERNAME: server.admin.username,
				CLI_TARGET_PASSWORD: server.admin.password,
			},
		});
		expect(run.code).toBe(1);
		expect(run.stderr).toMatch(/could not bind "us-half" to sign "us-sign".*injected upsert failure.*removed again/);
		expect(run.stdout).toBe('');
		expect(await harperUsers()).not.toContain('us-half');
		expect(await deviceAccount('us-half')).toEqual([]);
	});
});
