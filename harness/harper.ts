/**
 * Starts a real Harper running this app, as the tests' server: its own root folder and HOME (so it never
 * touches ~/hdb or another instance), free loopback ports picked per run (Harper binds with SO_REUSEPORT,
 * so a clash would be silent), `authorizeLocal` off (so anonymous loopback requests are not super users),
 * one worker thread unless a test asks for more (`config: { threads: { count: 2 } }`), and no inspector.
 * With `production: true` it is installed with Harper's production defaults and speaks TLS only (HTTPS, MQTT over
 * TLS, the operations API over HTTPS), with Harper's generated self-signed certificate (see docs/security.md).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import {
	copyFileSync,
	createWriteStream,
	existsSync,
	mkdirSync,
	mkdtempSync,
	readdirSync,
	readFileSync,
	rmSync,
	writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { basicAuth, requestStatus } from './http.ts';
import type { Credentials, ServerInfo } from './types.ts';

export type { Credentials } from './types.ts';
export { requestStatus } from './http.ts';

/** The project folder: the nearest folder up with config.yaml (the harness also runs compiled, from dist/). */
function projectRoot(from: string): string {
	for (let dir = from; ; dir = dirname(dir)) {
		if (existsSync(join(dir, 'config.yaml')) && existsSync(join(dir, 'package.json'))) return dir;
		if (dirname(dir) === dir) throw new Error(`no project folder above ${from}`);
	}
}

export const PROJECT = projectRoot(import.meta.dirname);
const HARPER_BIN = join(PROJECT, 'node_modules/harperdb/bin/harperdb.js');
const READY_TIMEOUT_MS = 90_000;
const STOP_TIMEOUT_MS = 20_000;
/**
 * The longest restart() may take before it fails (a stop, then a start). A test that restarts its Harper needs at
 * least this on top of its own waits: on this 2-core machine, shared with other test runs, a start was seen to take
 * 25 s and more, so vitest's 30 s default cut tests off in the middle of a restart that would have succeeded.
 */
export const RESTART_WITHIN_MS = STOP_TIMEOUT_MS + READY_TIMEOUT_MS;

/** A worker thread that read harperdb-config.yaml while Harper was rewriting it (see start() in startHarper). */
const HALF_READ_CONFIG = /ERR_INVALID_ARG_TYPE[\s\S]{0,400}checkForUpdatedConfig/;

class HalfReadConfig extends Error {
	constructor() {
		super('a worker thread read harperdb-config.yaml half-written at start and died (Harper 4.7.29)');
	}
}

/**
 * No Harper outlives what started it. A plain Node process (the bench) kills its own when it exits, even on a
 * crash. A test file that ends without stopping its Harper (a hook that timed out, a worker cut short, which
 * exits without running exit handlers) must not leave it running either: each Harper's pid is noted in the folder
 * MARQUEE_HARPER_REGISTRY names (the suite's global setup makes one), and removed when it exits; the global
 * teardown kills any still noted (killLeftHarpers).
 */
const running = new Set<ChildProcess>();
process.once('exit', () => {
	for (const child of running) child.kill('SIGKILL');
});

function noteRunning(child: ChildProcess): void {
	running.add(child);
	child.once('exit', () => running.delete(child));
	const registry = process.env.MARQUEE_HARPER_REGISTRY;
	if (!registry || child.pid === undefined) return;
	const note = join(registry, String(child.pid));
	writeFileSync(note, '');
	child.once('exit', () => rmSync(note, { force: true }));
}

/** Kills every Harper still noted in `registry` (see noteRunning); answers their pids. */
export function killLeftHarpers(registry: string): number[] {
	const left = existsSync(registry) ? readdirSync(registry).map(Number) : [];
	for (const pid of left) {
		try {
			process.kill(pid, 'SIGKILL');
		} catch {
			// it ended after all
		}
	}
	rmSync(registry, { recursive: true, force: true });
	return left;
}

export interface HarperPorts {
	http: number;
	operations: number;
	mqtt: number;
}

/** A running Harper: where it listens (ServerInfo; https, wss and mqtts in production), and how to drive it. */
export interface HarperInstance extends ServerInfo {
	rootPath: string;
	ports: HarperPorts;
	/** wss://<host>:<port>, when started with replicationHost. */
	replicationUrl?: string;
	/** The Authorization header value for a user. */
	basicAuth(user?: Credentials): string;
	/** Stops Harper and starts it again on the same root and ports. */
	restart(): Promise<void>;
	/** Stops Harper (SIGTERM to the process it started, SIGKILL if it does not exit in time). */
	stop(): Promise<void>;
	/** Kills Harper at once (SIGKILL, no chance to flush or clean up), as a crash would; resolves once it is gone. */
	kill(): Promise<void>;
	/** Stops Harper and deletes its root folder and HOME. */
	destroy(): Promise<void>;
	/** Everything Harper printed so far. */
	log(): string;
	/** The Harper process, while it runs. */
	pid(): number | undefined;
}

export async function freePort(): Promise<number> {
	const server = createServer();
	server.listen(0, '127.0.0.1');
	await once(server, 'listening');
	const address = server.address();
	server.close();
	await once(server, 'close');
	if (typeof address !== 'object' || !address) throw new Error('could not pick a free port');
	return address.port;
}

async function pickPorts(): Promise<HarperPorts> {
	const ports = new Set<number>();
	while (ports.size < 3) ports.add(await freePort());
	const [http, operations, mqtt] = [...ports] as [number, number, number];
	return { http, operations, mqtt };
}

function harperConfig(ports: HarperPorts, production: boolean, logLevel: string): Record<string, unknown> {
	// In production every listener is the TLS one and every plain one is off (null).
	const listener = (port: number): { port: number | null; securePort: number | null } =>
		production ? { port: null, securePort: port } : { port, securePort: null };
	return {
		http: listener(ports.http),
		operationsApi: { network: listener(ports.operations) },
		mqtt: { network: listener(ports.mqtt), webSocket: true, requireAuthentication: true },
		// A JSON boolean: the env form AUTHENTICATION_AUTHORIZELOCAL=false is read as a truthy string. Production
		// hashes passwords with argon2id, as docs/security.md configures it.
		authentication: production ? { authorizeLocal: false, hashFunction: 'argon2id' } : { authorizeLocal: false },
		threads: { count: 1, debug: false },
		localStudio: { enabled: false },
		replication: { securePort: null },
		logging: { stdStreams: true, level: logLevel },
	};
}

export interface StartOptions {
	/** Run this app (the default), or none: an empty node, as a deploy target. */
	withApp?: boolean;
	/** Run the component in this folder instead of Marquee (the benchmarks' bare table). */
	appPath?: string;
	/**
	 * Take part in replication as this node: its hostname is a loopback address of its own (127.0.0.2, ...), and
	 * node-to-node traffic uses WSS on a port of its own (Harper authenticates nodes by their certificates).
	 */
	replicationHost?: string;
	/** The admin account; nodes of one cluster share their users, so they need the same one. */
	admin?: Credentials;
	/** More environment for the Harper process (the app reads MARQUEE_* settings from it). */
	env?: Record<string, string>;
	/**
	 * Install with Harper's production defaults (DEFAULTS_MODE=prod) and serve TLS only: HTTPS, MQTT over TLS and
	 * the operations API over HTTPS on the picked ports, every plain listener off. The URLs use https/wss/mqtts.
	 */
	production?: boolean;
	/** Settings laid over the harness's own (same shape as harperdb-config.yaml), e.g. to test a misconfiguration. */
	config?: Record<string, unknown>;
	/** Harper's log level (default: $HARPER_LOG_LEVEL, else warn); a test of what reaches the log sets it. */
	logLevel?: string;
	/**
	 * Serve as `npm run dev` does: `harperdb dev`, which sets DEV_MODE for the run (one worker thread, and the mode
	 * in which Marquee lets authorizeLocal stand). Without it the harness runs `harperdb run`, as `npm start` does.
	 */
	devMode?: boolean;
}

/** `over` laid onto `base`, object by object (values that are not plain objects replace). */
function merged(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
	const result = { ...base };
	for (const [key, value] of Object.entries(over)) {
		const current = result[key];
		result[key] = isPlainObject(current) && isPlainObject(value) ? merged(current, value) : value;
	}
	return result;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export async function startHarper({
	withApp = true,
	appPath = PROJECT,
	replicationHost,
	admin = { username: 'admin', password: `test-${Math.random().toString(36).slice(2)}` },
	env: extraEnv = {},
	production = false,
	config = {},
	logLevel = process.env.HARPER_LOG_LEVEL ?? 'warn',
	devMode = false,
}: StartOptions = {}): Promise<HarperInstance> {
	const base = mkdtempSync(join(tmpdir(), 'marquee-harper-'));
	const rootPath = join(base, 'root');
	const home = join(base, 'home');
	const logPath = join(base, 'harper.log');
	const ports = await pickPorts();
	const replicationPort = replicationHost ? await freePort() : undefined;
	const env = {
		...extraEnv,
		PATH: process.env.PATH,
		HOME: home,
		ROOTPATH: rootPath,
		TC_AGREEMENT: 'yes',
		HDB_ADMIN_USERNAME: admin.username,
		HDB_ADMIN_PASSWORD: admin.password,
		DEFAULTS_MODE: production ? 'prod' : 'dev',
		REPLICATION_HOSTNAME: replicationHost ?? 'localhost',
		HARPER_SET_CONFIG: JSON.stringify(
			merged(
				{
					...harperConfig(ports, production, logLevel),
					replication: replicationHost
						? {
								hostname: replicationHost,
								url: `wss://${replicationHost}:${replicationPort}`,
								securePort: replicationPort,
								databases: '*',
							}
						: { securePort: null },
				},
				config
			)
		),
	};
	const secure = production ? 's' : '';
	const httpUrl = `http${secure}://127.0.0.1:${ports.http}`;
	const operationsUrl = `http${secure}://127.0.0.1:${ports.operations}`;
	let child: ChildProcess | undefined;
	const logStream = createWriteStream(logPath, { flags: 'a' });

	/**
	 * Installs in a process of its own. Harper's installer sets DEV_MODE in its own process when DEFAULTS_MODE is dev,
	 * and a Harper that installs and then runs in one process keeps it: one worker thread whatever `threads.count`
	 * says, authorizeLocal's default on, the inspector opened. Installed apart, the run serves as configured.
	 */
	async function install(): Promise<void> {
		if (existsSync(join(rootPath, 'harperdb-config.yaml'))) return;
		const installer = spawn(process.execPath, [HARPER_BIN, 'install'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
		noteRunning(installer);
		installer.stdout?.pipe(logStream, { end: false });
		installer.stderr?.pipe(logStream, { end: false });
		const timer = setTimeout(() => installer.kill('SIGKILL'), READY_TIMEOUT_MS);
		const [code] = (await once(installer, 'exit')) as [number | null];
		clearTimeout(timer);
		if (code !== 0) throw new Error(`Harper's install failed (code ${String(code)}):\n${readLog().slice(-3000)}`);
	}

	/**
	 * Starts Harper, and once more if a worker thread read its config file half-written. Harper 4.7.29 rewrites
	 * harperdb-config.yaml at start (HARPER_SET_CONFIG, as `npm start` uses it too) while its workers may be reading
	 * it: seen once in a restart storm, a worker died in checkForUpdatedConfig (no rootPath) and Harper never
	 * reported its start. That start is Harper's failure, not the test's: it is said in the output and retried.
	 */
	async function start(): Promise<void> {
		try {
			await startOnce();
		} catch (error) {
			if (!(error instanceof HalfReadConfig)) throw error;
			console.warn(`Harper ${rootPath}: ${error.message}; starting it again`);
			await kill();
			await startOnce();
		}
	}

	async function startOnce(): Promise<void> {
		await install();
		const logFrom = readLog().length;
		const command = devMode ? 'dev' : 'run';
		const args = withApp ? [HARPER_BIN, command, appPath] : [HARPER_BIN, command];
		child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
		noteRunning(child);
		child.stdout?.pipe(logStream, { end: false });
		child.stderr?.pipe(logStream, { end: false });
		const exited = once(child, 'exit').then(([code]) => {
			throw new Error(`Harper exited during start-up (code ${String(code)}):\n${readLog().slice(-3000)}`);
		});
		// Handled here too, so that a start given up on (and its process killed) leaves no unhandled rejection.
		exited.catch(() => undefined);
		await Promise.race([waitUntilServing(logFrom), exited]);
	}

	/**
	 * Until every worker thread serves: the first one answers while the others may still be loading the app, so the
	 * app answering is not enough; Harper prints "successfully started" once all of them have started.
	 */
	async function waitUntilServing(logFrom: number): Promise<void> {
		const deadline = Date.now() + READY_TIMEOUT_MS;
		while (Date.now() < deadline) {
			// A resource module that fails to load does not stop Harper: it serves the bare table instead.
			if (readLog().includes('ResourceLoadError')) throw new Error(`Marquee's resources failed to load:\n${readLog()}`);
			const log = readLog().slice(logFrom);
			if (HALF_READ_CONFIG.test(log)) throw new HalfReadConfig();
			const allThreads = log.includes('successfully started');
			if (allThreads && (await isServing()) === 200) return;
			await new Promise((done) => setTimeout(done, 200));
		}
		throw new Error(`Harper did not serve within ${READY_TIMEOUT_MS} ms:\n${readLog().slice(-3000)}`);
	}

	/** With the app: its /SignRules. Without: the operations API. */
	function isServing(): Promise<number> {
		if (withApp && appPath === PROJECT) return requestStatus(`${httpUrl}/SignRules`);
		return requestStatus(operationsUrl, {
			method: 'POST',
			headers: { 'content-type': 'application/json', 'authorization': basicAuth(admin) },
			body: '{"operation":"get_components"}',
		});
	}

	function readLog(): string {
		try {
			return readFileSync(logPath, 'utf8');
		} catch {
			return '';
		}
	}

	async function stop(): Promise<void> {
		const running = child;
		child = undefined;
		if (!running || running.exitCode !== null || running.signalCode !== null) return;
		const exited = once(running, 'exit');
		running.kill('SIGTERM');
		const timer = setTimeout(() => running.kill('SIGKILL'), STOP_TIMEOUT_MS);
		await exited;
		clearTimeout(timer);
	}

	async function kill(): Promise<void> {
		const running = child;
		child = undefined;
		if (!running?.pid || running.exitCode !== null || running.signalCode !== null) return;
		const exited = once(running, 'exit');
		process.kill(running.pid, 'SIGKILL');
		await exited;
	}

	await start();
	return {
		httpUrl,
		wsUrl: `ws${secure}://127.0.0.1:${ports.http}`,
		mqttUrl: `mqtt${secure}://127.0.0.1:${ports.mqtt}`,
		operationsUrl,
		admin,
		// Self-signed: accepted for the loopback server this harness started, nowhere else.
		tls: production ? { rejectUnauthorized: false } : undefined,
		rootPath,
		ports,
		replicationUrl: replicationHost ? `wss://${replicationHost}:${replicationPort}` : undefined,
		basicAuth: (user = admin) => basicAuth(user),
		async restart(): Promise<void> {
			await stop();
			await start();
		},
		stop,
		kill,
		async destroy(): Promise<void> {
			await stop();
			logStream.end();
			// CI keeps every Harper's log with the test artifacts, for a failure that shows only in a full run.
			const artifacts = process.env.MARQUEE_ARTIFACTS;
			if (artifacts) {
				mkdirSync(artifacts, { recursive: true });
				copyFileSync(logPath, join(artifacts, `harper-${basename(base)}.log`));
				// Harper's own log file says the same with a timestamp on each line: what a race needs to be read.
				const timestamped = join(rootPath, 'log/hdb.log');
				if (existsSync(timestamped)) copyFileSync(timestamped, join(artifacts, `harper-${basename(base)}.hdb.log`));
			}
			rmSync(base, { recursive: true, force: true });
		},
		log: readLog,
		pid: () => child?.pid,
	};
}
