#!/usr/bin/env node
/**
 * `npm run user`: Marquee's accounts on a Harper node, through its operations API.
 *
 *   npm run user -- add <name> --role <admin|operator|viewer|device> [--sign <id>] [--password-stdin]
 *   npm run user -- list [--json]
 *   npm run user -- remove <name>
 *   npm run user -- reset <name> [--password-stdin]
 *
 * Passwords are never taken as arguments (shell history, `ps`): a chosen one comes from MARQUEE_USER_PASSWORD
 * or stdin, otherwise one is generated and printed once. The target and its admin are `npm run deploy`'s
 * settings (CLI_TARGET, CLI_TARGET_USERNAME, CLI_TARGET_PASSWORD); without CLI_TARGET, the local dev server.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadDotEnv, operationsClient } from './operations.mjs';

const ROLES = ['admin', 'operator', 'viewer', 'device'];
const MIN_PASSWORD_LENGTH = 12;
// Usable as an HTTP Basic and MQTT username and as a DeviceAccount id: no ':' (Basic auth splits on it), no spaces.
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;
const LOCAL_TARGET = 'http://127.0.0.1:9925';
const DEVICE_ACCOUNTS = { database: 'data', table: 'DeviceAccount' };

const USAGE = `Marquee accounts: npm run user -- <command>

  add <name> --role <admin|operator|viewer|device> [--sign <id>] [--password-stdin]
      Adds a user with the role marquee_<role>. A device needs --sign: the one sign it may drive.
  list [--json]
      Lists the users whose role is a marquee_* role (other users are not shown), with a device's sign.
  remove <name>
      Removes the user, and a device's binding to its sign.
  reset <name> [--password-stdin]
      Gives the user a new password.

The password (add, reset) is MARQUEE_USER_PASSWORD from the environment, or stdin with --password-stdin, or
else a generated one, printed once. It is never an argument. At least ${MIN_PASSWORD_LENGTH} characters.

The server: CLI_TARGET, CLI_TARGET_USERNAME and CLI_TARGET_PASSWORD (a super user) from the environment or
.env, as for npm run deploy. Without CLI_TARGET: the local dev server http://127.0.0.1:9925 as "admin"
(or HDB_ADMIN_USERNAME) with the password in ~/.marquee-admin-password (written by the first npm run dev).`;

// The sign rules the server enforces, compiled by `npm install` / `npm run build`.
const { checkSignId } = await import('../dist/src/shared/sign-rules.js').catch(() =>
	fail('dist/src/shared/sign-rules.js is missing: run npm run build first', 2)
);

/** A mistake in how the script was called or configured: exit code 2. Everything else that fails: 1. */
class UsageError extends Error {}

function fail(message, code = 1) {
	console.error(`npm run user: ${message}`);
	process.exit(code);
}

// Read before .env is loaded: a password kept in .env would silently become every new account's password.
const chosenPassword = process.env.MARQUEE_USER_PASSWORD;

try {
	await main(process.argv.slice(2));
} catch (err) {
	if (err instanceof UsageError) fail(err.message, 2);
	const hint = err.status === 0 && !process.env.CLI_TARGET ? ' (is npm run dev running? Or set CLI_TARGET.)' : '';
	fail(`${err.message}${hint}`);
}

async function main(argv) {
	const { command, name, options } = parseCommand(argv);
	if (command === 'help') {
		console.log(USAGE);
		return;
	}
	const admin = adminSettings();
	const operation = operationsClient(admin);
	const commands = { add, list, remove, reset };
	await commands[command]({ operation, target: admin.target, name, options });
}

/** What the user asked for, checked before anything is sent. */
function parseCommand(argv) {
	let parsed;
	try {
		parsed = parseArgs({
			args: argv,
			allowPositionals: true,
			options: {
				'role': { type: 'string' },
				'sign': { type: 'string' },
				'json': { type: 'boolean' },
				'password-stdin': { type: 'boolean' },
				'help': { type: 'boolean', short: 'h' },
			},
		});
	} catch (err) {
		if (/'--?password/.test(err.message)) {
			throw new UsageError('a password is never an argument: use MARQUEE_USER_PASSWORD or --password-stdin');
		}
		throw new UsageError(`${err.message.split('. ')[0]} (see npm run user -- --help)`);
	}
	const { values: options, positionals } = parsed;
	const [command, name, ...extra] = positionals;
	if (options.help || command === undefined || command === 'help') return { command: 'help' };

	const allowed = { add: ['role', 'sign', 'password-stdin'], list: ['json'], remove: [], reset: ['password-stdin'] };
	if (!(command in allowed)) throw new UsageError(`unknown command "${command}" (see npm run user -- --help)`);
	const misplaced = Object.keys(options).filter((option) => !allowed[command].includes(option));
	if (misplaced.length > 0) throw new UsageError(`${command} takes no --${misplaced[0]}`);
	// Not echoed: a stray argument may well be a password typed where it does not belong.
	if (extra.length > 0 || (command === 'list' && name !== undefined)) {
		throw new UsageError(`too many arguments for ${command} (see npm run user -- --help)`);
	}
	if (command !== 'list' && !name) throw new UsageError(`${command} needs a user name`);
	if (command === 'add') checkAdd(name, options);
	return { command, name, options };
}

function checkAdd(name, { role, sign }) {
	if (!NAME_PATTERN.test(name)) {
		throw new UsageError(
			`bad user name "${name}": 1-64 letters, digits, '.', '_', '@' or '-', starting with a letter or digit`
		);
	}
	if (!ROLES.includes(role)) {
		throw new UsageError(
			role === undefined ? `add needs --role <${ROLES.join('|')}>` : `bad role "${role}": one of ${ROLES.join(', ')}`
		);
	}
	if (role === 'device' && sign === undefined)
		throw new UsageError('a device needs --sign <id>: the one sign it drives');
	if (role !== 'device' && sign !== undefined)
		throw new UsageError(`--sign is only for devices; a ${role} is not bound to a sign`);
	const problem = sign === undefined ? undefined : checkSignId(sign);
	if (problem) throw new UsageError(`bad sign id: it ${problem}`);
}

/** The operations API and a super user on it: npm run deploy's settings, or the local dev server's admin. */
function adminSettings() {
	loadDotEnv();
	const { CLI_TARGET, CLI_TARGET_USERNAME, CLI_TARGET_PASSWORD } = process.env;
	if (CLI_TARGET) {
		const missing = ['CLI_TARGET_USERNAME', 'CLI_TARGET_PASSWORD'].filter((setting) => !process.env[setting]);
		if (missing.length > 0) {
			throw new UsageError(`CLI_TARGET is set: set ${missing.join(' and ')} too, in the environment or in .env`);
		}
		return { target: CLI_TARGET, username: CLI_TARGET_USERNAME, password: CLI_TARGET_PASSWORD };
	}
	const passwordFile = join(homedir(), '.marquee-admin-password');
	const password =
		CLI_TARGET_PASSWORD ||
		process.env.HDB_ADMIN_PASSWORD ||
		(existsSync(passwordFile) ? readFileSync(passwordFile, 'utf8').trim() : '');
	if (!password) {
		throw new UsageError(
			`no admin password for the local dev server ${LOCAL_TARGET}: run npm run dev once (it writes ${passwordFile}), ` +
				'or set CLI_TARGET, CLI_TARGET_USERNAME and CLI_TARGET_PASSWORD in the environment or in .env (see .env.example)'
		);
	}
	const username = CLI_TARGET_USERNAME || process.env.HDB_ADMIN_USERNAME || 'admin';
	return { target: LOCAL_TARGET, username, password };
}

/** The new account's password: chosen (environment or stdin) or generated; only a generated one is printed. */
async function newPassword(options) {
	if (options['password-stdin'] && chosenPassword !== undefined) {
		throw new UsageError('give the password one way: MARQUEE_USER_PASSWORD or --password-stdin, not both');
	}
	let password = chosenPassword;
	if (options['password-stdin']) password = await readStdinLine();
	if (password === undefined) return { password: randomBytes(18).toString('base64url'), generated: true };
	if (password.length < MIN_PASSWORD_LENGTH) {
		throw new UsageError(`the password is too short: at least ${MIN_PASSWORD_LENGTH} characters`);
	}
	return { password, generated: false };
}

async function readStdinLine() {
	// From a terminal the password would be echoed on screen: only a pipe or a file will do.
	if (process.stdin.isTTY) {
		throw new UsageError('--password-stdin reads a pipe, e.g. read -rs P && printf %s "$P" | npm run user -- ...');
	}
	let text = '';
	for await (const chunk of process.stdin) text += chunk;
	text = text.replace(/\r?\n$/, '');
	if (/[\r\n]/.test(text)) throw new UsageError('--password-stdin expects one line');
	return text;
}

function announcePassword(name, { password, generated }) {
	if (!generated) return;
	console.log(`Password for "${name}": ${password}`);
	console.log('It will not be shown again: store it now.');
}

async function add({ operation, target, name, options }) {
	const role = `marquee_${options.role}`;
	const secret = await newPassword(options);
	try {
		await operation({ operation: 'add_user', username: name, password: secret.password, role, active: true });
	} catch (err) {
		if (err.status === 409) throw new Error(`user "${name}" already exists on ${target}`);
		if (err.status === 404 && /role/i.test(err.harperError ?? '')) {
			throw new Error(`${target} has no role ${role}: is Marquee deployed there?`);
		}
		throw err;
	}
	if (options.role === 'device') {
		try {
			await operation({ operation: 'upsert', ...DEVICE_ACCOUNTS, records: [{ id: name, sign: options.sign }] });
		} catch (err) {
			// A device account without its binding may touch nothing, but it would still be a login: take it back.
			const undone = await operation({ operation: 'drop_user', username: name }).then(
				() => 'the user was removed again',
				(dropErr) => `removing the user again failed too (${dropErr.message}): run npm run user -- remove ${name}`
			);
			throw new Error(`could not bind "${name}" to sign "${options.sign}" (${err.message}); ${undone}`);
		}
		console.log(`Added device "${name}" (${role}), bound to sign "${options.sign}".`);
	} else {
		console.log(`Added "${name}" (${role}).`);
	}
	announcePassword(name, secret);
}

async function list({ operation, target, options }) {
	const users = (await marqueeUsers(operation)).sort((a, b) => a.username.localeCompare(b.username));
	const signs = (await deviceSigns(operation)) ?? new Map();
	const rows = users.map((user) => ({
		username: user.username,
		role: user.role.role,
		sign: signs.get(user.username) ?? null,
		active: user.active !== false,
	}));
	if (options.json) {
		console.log(JSON.stringify(rows, null, '\t'));
		return;
	}
	if (rows.length === 0) {
		console.log(`No users with a marquee_* role on ${target}.`);
		return;
	}
	console.log(`Users with a marquee_* role on ${target} (other users are not shown):\n`);
	const table = [
		['USER', 'ROLE', 'SIGN', 'ACTIVE'],
		...rows.map((row) => [row.username, row.role, row.sign ?? '-', row.active ? 'yes' : 'no']),
	];
	const widths = table[0].map((_, column) => Math.max(...table.map((cells) => cells[column].length)));
	for (const cells of table)
		console.log(
			cells
				.map((cell, column) => cell.padEnd(widths[column]))
				.join('  ')
				.trimEnd()
		);
}

async function remove({ operation, name }) {
	await marqueeUser(operation, name);
	await operation({ operation: 'drop_user', username: name });
	const sign = (await deviceSigns(operation))?.get(name);
	if (sign !== undefined) {
		try {
			await operation({ operation: 'delete', ...DEVICE_ACCOUNTS, ids: [name] });
		} catch (err) {
			throw new Error(`removed "${name}", but not its binding to sign "${sign}": ${err.message}`);
		}
	}
	console.log(`Removed "${name}"${sign === undefined ? '' : ` and its binding to sign "${sign}"`}.`);
}

async function reset({ operation, name, options }) {
	await marqueeUser(operation, name);
	const secret = await newPassword(options);
	const answer = await operation({ operation: 'alter_user', username: name, password: secret.password });
	// alter_user answers 200 even for a user that does not exist (it was dropped since the check above).
	if (!answer?.update_hashes?.includes(name)) throw new Error(`user "${name}" no longer exists`);
	console.log(`Changed the password of "${name}".`);
	announcePassword(name, secret);
}

async function marqueeUsers(operation) {
	const users = await operation({ operation: 'list_users' });
	return users.filter((user) => typeof user.role?.role === 'string' && user.role.role.startsWith('marquee_'));
}

/** The user with a marquee_* role called `name`; other accounts (such as the admin itself) are not ours to touch. */
async function marqueeUser(operation, name) {
	const users = await operation({ operation: 'list_users' });
	const user = users.find((candidate) => candidate.username === name);
	if (!user) throw new Error(`no user "${name}" on the target`);
	const role = user.role?.role ?? 'no role';
	if (!role.startsWith('marquee_')) {
		throw new Error(
			`"${name}" has the role ${role}, not a marquee_* role: npm run user manages Marquee's accounts only`
		);
	}
	return user;
}

/** Username → bound sign, from DeviceAccount; undefined on a target without that table (Marquee not deployed). */
async function deviceSigns(operation) {
	try {
		const records = await operation({
			operation: 'search_by_value',
			...DEVICE_ACCOUNTS,
			search_attribute: 'id',
			search_value: '*',
			get_attributes: ['id', 'sign'],
		});
		return new Map(records.map((record) => [record.id, record.sign]));
	} catch (err) {
		if (/does not exist/.test(err.harperError ?? '')) return undefined;
		throw err;
	}
}
