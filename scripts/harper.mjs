#!/usr/bin/env node
/**
 * `npm run dev` (node scripts/harper.mjs dev) and `npm start` (node scripts/harper.mjs run).
 *
 * Runs this app in the Harper installed in node_modules. On a machine where Harper has never been installed,
 * it installs it first without asking anything: data in $ROOTPATH (default ~/hdb), an `admin` user whose
 * generated password is written to a file only you can read. `dev` also recompiles the TypeScript on change
 * (tsc --watch), and Harper's dev mode restarts the app when the compiled output changes.
 *
 * `run` never serves with dev mode's conveniences, even on a root that `npm run dev` installed (whose
 * harperdb-config.yaml says `authorizeLocal: true`), and installs with the same settings: see RUN_OVERRIDES.
 */
import { spawn, spawnSync } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const mode = process.argv[2];
if (mode !== 'dev' && mode !== 'run') {
	console.error('usage: node scripts/harper.mjs dev|run');
	process.exit(2);
}

const project = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const harperBin = join(project, 'node_modules/harperdb/bin/harperdb.js');
const tscBin = join(project, 'node_modules/typescript/bin/tsc');

/**
 * Installs Harper non-interactively, showing its output only if the install fails. Answers the admin account it
 * made, for a `run` to hash its password again once Harper is up (see rehashAdminPassword).
 */
function installHarper() {
	const rootPath = process.env.ROOTPATH ?? join(homedir(), 'hdb');
	const username = process.env.HDB_ADMIN_USERNAME ?? 'admin';
	const chosenPassword = process.env.HDB_ADMIN_PASSWORD;
	const passwordFile = join(homedir(), '.marquee-admin-password');
	const password = chosenPassword ?? randomBytes(12).toString('base64url');
	console.log(`First run: installing Harper with its data in ${rootPath} ...`);
	mkdirSync(rootPath, { recursive: true });
	const install = spawnSync(process.execPath, [harperBin, 'install'], {
		cwd: project,
		encoding: 'utf8',
		env: {
			...harperEnv(),
			TC_AGREEMENT: 'yes',
			ROOTPATH: rootPath,
			HDB_ADMIN_USERNAME: username,
			HDB_ADMIN_PASSWORD: password,
			// dev: HTTP on 9926, MQTT on 1883, requests from this machine need no login. run (production-style):
			// Harper's secure defaults, HTTPS only and every request authenticated.
			DEFAULTS_MODE: mode === 'dev' ? 'dev' : 'prod',
			REPLICATION_HOSTNAME: process.env.REPLICATION_HOSTNAME ?? 'localhost',
		},
	});
	if (install.status !== 0) {
		console.error(install.stdout, install.stderr);
		console.error('Harper install failed; see the output above.');
		process.exit(1);
	}
	if (!chosenPassword) writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
	console.log(
		`Installed. Log in as "${username}" with the password ${chosenPassword ? 'from HDB_ADMIN_PASSWORD' : `in ${passwordFile}`}.`
	);
	if (mode === 'dev') console.log('In dev mode, requests from this machine (127.0.0.1) need no login.');
	return { rootPath, username, password };
}

/**
 * Harper 4.7.29's installer hashes the admin's password with SHA-256 whatever `authentication.hashFunction` says
 * (tried). Setting the same password again once Harper runs stores it with the configured argon2id. This goes
 * through the operations API's Unix socket in the root, which only this machine's user can open and which
 * Harper serves as the super user, so no password travels over the network for it.
 */
async function rehashAdminPassword({ rootPath, username, password }) {
	const body = JSON.stringify({ operation: 'alter_user', username, password });
	const deadline = Date.now() + 120_000;
	while (Date.now() < deadline) {
		const status = await new Promise((resolve) => {
			const request = httpRequest(
				{
					socketPath: join(rootPath, 'operations-server'),
					path: '/',
					method: 'POST',
					headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
				},
				(response) => {
					response.resume();
					resolve(response.statusCode);
				}
			);
			request.on('error', () => resolve(0));
			request.end(body);
		});
		if (status === 200) return;
		if (harper.exitCode !== null) return;
		await new Promise((done) => setTimeout(done, 500));
	}
	console.error(`Could not store the admin's password with argon2id; run: npm run user -- reset ${username}`);
}

const children = [];
if (mode === 'dev') {
	// The server's TypeScript and the panel's, each recompiled on change.
	for (const tsconfig of ['tsconfig.json', 'web/tsconfig.json']) {
		children.push(
			spawn(process.execPath, [tscBin, '-p', tsconfig, '--watch', '--preserveWatchOutput'], {
				cwd: project,
				stdio: ['ignore', 'inherit', 'inherit'],
			})
		);
	}
}
/**
 * Settings `run` forces on Harper, whatever its config file says: no login-free access from this machine
 * (authorizeLocal), passwords hashed with argon2id, no anonymous MQTT, no Node inspector. They go in HARPER_SET_CONFIG, which Harper applies over
 * harperdb-config.yaml and also writes into it; but Harper records each value it replaced
 * (<root>/backup/.harper-config-state.json) and puts it back at the next start without the override, so a later
 * `npm run dev` on the same root still has its auto-login. (The environment variable
 * AUTHENTICATION_AUTHORIZELOCAL cannot do this: Harper reads even "false" as on, so it is removed instead.)
 */
const RUN_OVERRIDES = {
	// argon2id: a password hash made to be slow to guess (Harper's default is one round of SHA-256). It applies to
	// each password set from now on: the admin's at install, every account `npm run user` adds or resets.
	authentication: { authorizeLocal: false, hashFunction: 'argon2id' },
	mqtt: { requireAuthentication: true },
	threads: { debug: false },
};

/** `over` laid onto `base`, object by object. */
function merged(base, over) {
	const result = { ...base };
	for (const [key, value] of Object.entries(over)) {
		const current = result[key];
		const bothObjects = [current, value].every((it) => typeof it === 'object' && it !== null && !Array.isArray(it));
		result[key] = bothObjects ? merged(current, value) : value;
	}
	return result;
}

/** The environment Harper runs with: for `run`, the overrides above on top of any HARPER_SET_CONFIG of yours. */
function harperEnv() {
	if (mode === 'dev') return process.env;
	const { AUTHENTICATION_AUTHORIZELOCAL: _ignored, DEV_MODE: _notDev, ...env } = process.env;
	let yours = {};
	if (env.HARPER_SET_CONFIG) {
		try {
			yours = JSON.parse(env.HARPER_SET_CONFIG);
		} catch {
			console.error('HARPER_SET_CONFIG is not valid JSON.');
			process.exit(2);
		}
	}
	return { ...env, HARPER_SET_CONFIG: JSON.stringify(merged(yours, RUN_OVERRIDES)) };
}

// Harper records where it is installed in ~/.harperdb; without that file it would prompt for everything.
const installed = existsSync(join(homedir(), '.harperdb', 'hdb_boot_properties.file')) ? undefined : installHarper();

const harper = spawn(process.execPath, [harperBin, mode, project], {
	cwd: project,
	stdio: 'inherit',
	env: harperEnv(),
});
children.push(harper);
if (installed && mode === 'run') void rehashAdminPassword(installed);

function stopAll(signal) {
	for (const child of children) if (child.exitCode === null) child.kill(signal);
}
process.on('SIGINT', () => stopAll('SIGINT'));
process.on('SIGTERM', () => stopAll('SIGTERM'));
harper.on('exit', (code, signal) => {
	stopAll('SIGTERM');
	process.exitCode = code ?? (signal ? 1 : 0);
});
