/**
 * The production posture (docs/security.md): Harper installed with its production defaults, TLS only, and every
 * protocol refusing anonymous clients, even from 127.0.0.1 (the authorizeLocal trap: in dev mode a request from
 * this machine without credentials is the super user). Then the guard: a Harper that is not in dev mode but has
 * authorizeLocal on gets no sign data from Marquee at all.
 *
 * Harper's certificate is its own self-signed one, so the clients here accept it; they only talk to 127.0.0.1.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readlinkSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as netConnect } from 'node:net';
import { connect as tlsConnect, type PeerCertificate } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localAuthPosture, isUnsafeOutsideDev } from '../src/harper/local-auth.ts';
import {
	basicAuth,
	mqttPeer,
	mqttPublish,
	operationAnswer,
	rest,
	sseFirstEvent,
	mqttConnectCode,
	wsFirstAnswer,
	type ServerInfo,
} from '../harness/clients.ts';
import { freePort, PROJECT, requestStatus, type HarperInstance } from '../harness/harper.ts';
import { subackCodes } from '../harness/mqtt-codes.ts';
import { plainConnect } from '../harness/mqtt-wire.ts';
import { useHarper } from '../harness/use-harper.ts';
import { addUser } from '../harness/users.ts';

/** The reason code of a refused anonymous CONNECT (from the CONNACK), the error message when there was none, 0 if let in. */
const connectRefusal = (server: ServerInfo, url: string): Promise<number | string> =>
	mqttConnectCode(server, { url, user: null });

/** Publishes retained with QoS 1 and subscribes back: the PUBACK reason code and the record delivered. */
async function publishAndReceive(
	server: ServerInfo,
	url: string,
	topic: string,
	payload: object
): Promise<[number, unknown]> {
	const peer = await mqttPeer(server, { url });
	try {
		const code = await mqttPublish(peer, topic, JSON.stringify(payload), true);
		await peer.client.subscribeAsync(topic, { qos: 1 });
		const received = await peer.inbox.waitFor((message) => message.topic === topic, `a message on ${topic}`, 5000);
		return [code, received.json];
	} finally {
		await peer.close();
	}
}

/** The status the operations API answers to a request without credentials. */
const anonymousOperation = async (server: ServerInfo): Promise<number> =>
	(await operationAnswer(server, { operation: 'describe_all' }, null)).status;

/** The TCP ports a process listens on (Linux: its socket inodes matched against /proc/net/tcp{,6} LISTEN rows). */
function listeningPorts(pid: number): number[] {
	const inodes = new Set<string>();
	for (const fd of readdirSync(`/proc/${pid}/fd`)) {
		try {
			const socket = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
			if (socket?.[1]) inodes.add(socket[1]);
		} catch {
			// the descriptor closed while we read the list
		}
	}
	const ports = new Set<number>();
	for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
		for (const row of readFileSync(table, 'utf8').split('\n').slice(1)) {
			const columns = row.trim().split(/\s+/);
			const [local, state, inode] = [columns[1], columns[3], columns[9]];
			if (state === '0A' && inode && inodes.has(inode) && local) ports.add(parseInt(local.split(':')[1] ?? '', 16));
		}
	}
	return [...ports].sort((a, b) => a - b);
}

/** Sends `bytes` in clear text to a port and collects whatever comes back until the server closes or 2 s pass. */
function plainExchange(port: number, bytes: Buffer | string): Promise<string> {
	return new Promise((resolve) => {
		const socket = netConnect(port, '127.0.0.1');
		let reply = '';
		const timer = setTimeout(() => finish(), 2000);
		function finish(): void {
			clearTimeout(timer);
			socket.destroy();
			resolve(reply);
		}
		socket.on('connect', () => socket.write(bytes));
		socket.on('data', (chunk: Buffer) => (reply += chunk.toString('latin1')));
		socket.on('close', finish);
		socket.on('error', finish);
	});
}

function serverCertificate(server: ServerInfo, port: number): Promise<PeerCertificate> {
	return new Promise((resolve, reject) => {
		const socket = tlsConnect({ host: '127.0.0.1', port, servername: 'localhost', ...server.tls }, () => {
			resolve(socket.getPeerCertificate());
			socket.end();
		});
		socket.on('error', reject);
	});
}

/** An MQTT 3.1.1 CONNECT packet with client id "plain" and no credentials. */
const PLAIN_MQTT_CONNECT = plainConnect('plain');

describe('the authorizeLocal rule the guard applies (Harper 4.7)', () => {
	it('reads the environment variable as text, so "false" turns it on', () => {
		const config = { authentication: { authorizeLocal: false } };
		expect(localAuthPosture({}, config).authorizeLocal).toBe(false);
		expect(localAuthPosture({ AUTHENTICATION_AUTHORIZELOCAL: 'false' }, config).authorizeLocal).toBe(true);
	});

	it('falls back to dev mode when the config does not say, and fails closed without a config', () => {
		expect(localAuthPosture({}, { authentication: {} }).authorizeLocal).toBe(false);
		expect(localAuthPosture({ DEV_MODE: 'true' }, { authentication: {} })).toEqual({
			devMode: true,
			authorizeLocal: true,
		});
		expect(localAuthPosture({}, undefined).authorizeLocal).toBe(true);
	});

	it('allows it in dev mode only', () => {
		expect(isUnsafeOutsideDev({ devMode: true, authorizeLocal: true })).toBe(false);
		expect(isUnsafeOutsideDev({ devMode: false, authorizeLocal: true })).toBe(true);
		expect(isUnsafeOutsideDev({ devMode: false, authorizeLocal: false })).toBe(false);
	});
});

describe('a production Harper', () => {
	const harper = useHarper({ production: true });
	let wssUrl: string;

	beforeAll(async () => {
		wssUrl = `${harper.wsUrl}/mqtt`;
		expect((await rest(harper, 'PUT', '/LedSign/front', { text: 'as the admin left it' })).status).toBe(200);
	});

	describe('refuses anonymous clients on 127.0.0.1 (authorizeLocal is off)', () => {
		it('over REST, reading and writing, and the sign is unchanged', async () => {
			const read = await rest(harper, 'GET', '/LedSign/front', undefined, { user: null });
			const write = await rest(harper, 'PATCH', '/LedSign/front', { text: 'anon' }, { user: null });
			expect([read.status, write.status]).toEqual([401, 401]);
			expect((await rest(harper, 'GET', '/LedSign/front')).body).toMatchObject({ text: 'as the admin left it' });
		});

		it('over SSE', async () => {
			expect((await sseFirstEvent(harper, '/LedSign/front', null)).status).toBe(401);
		});

		it('over WebSocket', async () => {
			const { opened, refusal } = await wsFirstAnswer(harper, '/LedSign/front', null);
			expect(opened).toBe(false);
			expect([401, 3000]).toContain(refusal);
		});

		// CONNACK 0x86 "Bad user name or password" (Harper 4.7 alone would send MQTT 5 clients the 3.1.1 code 4;
		// src/harper/mqtt-refusals.ts corrects it).
		it('over MQTT on TLS (port 8883 in production)', async () => {
			expect(await connectRefusal(harper, harper.mqttUrl)).toBe(0x86);
		});

		it('over MQTT on secure WebSocket', async () => {
			expect(await connectRefusal(harper, wssUrl)).toBe(0x86);
		});

		it('at the operations API', async () => {
			expect(await anonymousOperation(harper)).toBe(401);
		});
	});

	describe('keeps every account but a super user out of the operations API', () => {
		const accounts = [
			{ username: 'prod-operator', password: 'prod-operator-Pass', role: 'marquee_operator' },
			{ username: 'prod-device', password: 'prod-device-Pass', role: 'marquee_device' },
		];

		beforeAll(async () => {
			for (const account of accounts) await addUser(harper, account, account.role);
		});

		it.each(accounts)('refuses $role reads, writes and SQL with 403', async ({ username, password }) => {
			for (const body of [
				{ operation: 'search_by_value', database: 'data', table: 'LedSign', attribute: 'id', value: '*' },
				{ operation: 'update', database: 'data', table: 'LedSign', records: [{ id: 'front', brightness: 99999 }] },
				{ operation: 'sql', sql: "UPDATE data.LedSign SET version = 1 WHERE id = 'front'" },
			]) {
				expect((await operationAnswer(harper, body, { username, password })).status).toBe(403);
			}
			expect((await rest(harper, 'GET', '/LedSign/front')).body).toMatchObject({ brightness: 50 });
		});

		it('hashes their passwords with argon2id', async () => {
			const { body } = await operationAnswer(harper, {
				operation: 'sql',
				sql: "SELECT username, hash_function FROM system.hdb_user WHERE username LIKE 'prod-%'",
			});
			expect(body).toEqual(
				expect.arrayContaining(accounts.map(({ username }) => ({ username, hash_function: 'argon2id' })))
			);
		});
	});

	describe('serves the admin, with credentials, over TLS', () => {
		it('over REST', async () => {
			const changed = await rest(harper, 'PATCH', '/LedSign/front', { text: 'patched over https' });
			expect(changed.status).toBe(200);
			expect(changed.body).toMatchObject({ text: 'patched over https' });
			expect((await rest(harper, 'GET', '/LedSign/front')).body).toMatchObject({ text: 'patched over https' });
		});

		it('over SSE', async () => {
			const { status, first } = await sseFirstEvent(harper, '/LedSign/front', harper.admin);
			expect(status).toBe(200);
			expect(first).toMatchObject({ id: 'front', value: { id: 'front' } });
		});

		it('over WebSocket', async () => {
			const { opened, first } = await wsFirstAnswer(harper, '/LedSign/front', harper.admin);
			expect(opened).toBe(true);
			expect(first).toMatchObject({ id: 'front', value: { id: 'front' } });
		});

		it.each([
			['MQTT on TLS', 'mqttUrl'],
			['MQTT on secure WebSocket', 'wss'],
		])('over %s', async (_name, which) => {
			const url = which === 'wss' ? wssUrl : harper.mqttUrl;
			const topic = `LedSign/tls-${which}`;
			const [reasonCode, record] = await publishAndReceive(harper, url, topic, { text: `over ${which}` });
			expect(reasonCode).toBe(0);
			expect(record).toMatchObject({ id: `tls-${which}`, text: `over ${which}` });
		});
	});

	describe('speaks TLS only', () => {
		// Harper 4.7.29 also opens one plain-HTTP listener on a random port (all interfaces) with no route on it: it
		// answers 404 to everything. It is checked here so that it cannot start serving anything unnoticed.
		it('listens on the HTTPS, MQTT-over-TLS and operations ports; any other listener serves nothing', async () => {
			const pid = harper.pid();
			expect(pid).toBeDefined();
			const { http, mqtt: mqttPort, operations } = harper.ports;
			const listening = listeningPorts(pid ?? 0);
			expect(listening).toEqual(expect.arrayContaining([http, mqttPort, operations]));
			const others = listening.filter((port) => ![http, mqttPort, operations].includes(port));
			expect(others.length).toBeLessThanOrEqual(1);
			for (const port of others) {
				const sign = await plainExchange(port, 'GET /LedSign/front HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
				const operation = await plainExchange(
					port,
					`POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${basicAuth(harper.admin)}\r\n` +
						'Content-Type: application/json\r\nContent-Length: 28\r\n\r\n{"operation":"describe_all"}'
				);
				expect([sign, operation].map((reply) => reply.slice(0, 12))).toEqual(['HTTP/1.1 404', 'HTTP/1.1 404']);
				expect((await plainExchange(port, PLAIN_MQTT_CONNECT)).charCodeAt(0)).not.toBe(0x20);
			}
		});

		it('answers no plain HTTP on the HTTPS port and no plain MQTT on the MQTT port', async () => {
			const http = await plainExchange(harper.ports.http, 'GET /LedSign/front HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
			expect(http).not.toMatch(/^HTTP\/1\.1 [0-9]{3}/);
			const mqttReply = await plainExchange(harper.ports.mqtt, PLAIN_MQTT_CONNECT);
			expect(mqttReply.charCodeAt(0)).not.toBe(0x20); // no CONNACK
		});

		it("presents Harper's generated certificate, issued by its own CA, for localhost and 127.0.0.1", async () => {
			const certificate = await serverCertificate(harper, harper.ports.http);
			expect(String(certificate.issuer.CN)).toMatch(/^HarperDB-Certificate-Authority/);
			expect(certificate.subjectaltname).toContain('DNS:localhost');
			expect(certificate.subjectaltname).toContain('IP Address:127.0.0.1');
			// The same certificate serves MQTT over TLS.
			expect((await serverCertificate(harper, harper.ports.mqtt)).fingerprint256).toBe(certificate.fingerprint256);
		});

		it('lets a client verify it with the CA that list_certificates returns (docs/security.md, TLS step 1)', async () => {
			const listed = (await operationAnswer(harper, { operation: 'list_certificates' })).body;
			const authorities = (listed as { is_authority?: boolean; certificate?: string }[]).filter(
				(entry) => entry.is_authority && entry.certificate
			);
			expect(authorities.length).toBeGreaterThan(0);
			// Verified for real this time: the TLS handshake succeeds against one of the listed CAs.
			const verifiedBy = await Promise.all(
				authorities.map(
					(authority) =>
						new Promise<boolean>((resolve) => {
							const socket = tlsConnect(
								{ host: '127.0.0.1', port: harper.ports.http, servername: 'localhost', ca: authority.certificate },
								() => {
									resolve(socket.authorized);
									socket.end();
								}
							);
							socket.on('error', () => resolve(false));
						})
				)
			);
			expect(verifiedBy).toContain(true);
		});
	});
});

describe('a Harper outside dev mode with authorizeLocal on', () => {
	const harper = useHarper({ production: true, config: { authentication: { authorizeLocal: true } } });

	it('really lets this machine in without a login (the operations API says so)', async () => {
		expect(await anonymousOperation(harper)).toBe(200);
	});

	it('gets no sign from Marquee: every request is refused with the fix, logged loudly at start', async () => {
		for (const user of [null, harper.admin]) {
			const read = await rest(harper, 'GET', '/LedSign/front', undefined, { user });
			expect(read.status).toBe(503);
			expect(read.body).toMatchObject({ error: expect.stringContaining('authorizeLocal: false') as unknown });
			expect((await rest(harper, 'PUT', '/LedSign/front', { text: 'x' }, { user })).status).toBe(503);
			for (const path of ['/Preset/front', '/SignHistory/front', '/SignStatus/front']) {
				expect((await rest(harper, 'GET', path, undefined, { user })).status, path).toBe(503);
			}
		}
		expect((await sseFirstEvent(harper, '/LedSign/front', null)).status).toBe(503);
		expect((await sseFirstEvent(harper, '/SignHistory/front', null)).status).toBe(503);
		expect(harper.log()).toContain('Marquee is refusing requests');
	});

	it('refuses MQTT publishes and subscriptions from a local anonymous client, which Harper let connect', async () => {
		const peer = await mqttPeer(harper, { user: null });
		try {
			expect(await mqttPublish(peer, 'LedSign/front', '{"text":"anon"}', true)).toBe(0x80);
			const subscribed = await peer.client.subscribeAsync('LedSign/front', { qos: 1 }).then(
				(granted) => granted[0]?.qos,
				(err: unknown) => subackCodes(err)?.[0]
			);
			expect(subscribed).toBe(0x80);
		} finally {
			await peer.close();
		}
	});
});

describe('npm start (scripts/harper.mjs run) on a machine where Harper never ran', () => {
	const base = mkdtempSync(join(tmpdir(), 'marquee-npm-start-'));
	const admin = { username: 'admin', password: `start-${Math.random().toString(36).slice(2)}` };
	let started: ChildProcess | undefined;
	let server: HarperInstance;
	let log = '';

	beforeAll(async () => {
		const [http, operations, mqttPort] = await Promise.all([freePort(), freePort(), freePort()]);
		// Only the ports are ours (and no replication listener): everything else is what npm start makes of a fresh
		// machine, Harper's default thread count included.
		const config = {
			http: { port: null, securePort: http },
			operationsApi: { network: { port: null, securePort: operations } },
			mqtt: { network: { port: null, securePort: mqttPort } },
			replication: { securePort: null },
			logging: { stdStreams: true, level: 'warn' },
		};
		started = spawn(process.execPath, [join(PROJECT, 'scripts/harper.mjs'), 'run'], {
			env: {
				PATH: process.env.PATH,
				HOME: join(base, 'home'),
				ROOTPATH: join(base, 'root'),
				HDB_ADMIN_USERNAME: admin.username,
				HDB_ADMIN_PASSWORD: admin.password,
				HARPER_SET_CONFIG: JSON.stringify(config),
			},
			stdio: ['ignore', 'pipe', 'pipe'],
		});
		started.stdout?.on('data', (chunk: Buffer) => (log += chunk.toString()));
		started.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()));
		server = {
			httpUrl: `https://127.0.0.1:${http}`,
			operationsUrl: `https://127.0.0.1:${operations}`,
			admin,
			// Self-signed: accepted for the loopback server this file started, nowhere else.
			tls: { rejectUnauthorized: false },
		} as HarperInstance;
		const deadline = Date.now() + 90_000;
		while ((await requestStatus(`${server.httpUrl}/SignRules`)) !== 200) {
			if (Date.now() > deadline || started.exitCode !== null) throw new Error(`npm start did not serve:\n${log}`);
			await new Promise((done) => setTimeout(done, 250));
		}
	}, 120_000);

	afterAll(async () => {
		if (started?.exitCode === null) {
			const exited = once(started, 'exit');
			started.kill('SIGTERM');
			await exited;
		}
		rmSync(base, { recursive: true, force: true });
	});

	it('hashes passwords with argon2id, the admin’s included, and keeps other accounts out of the operations API', async () => {
		const operator = { username: 'start-operator', password: 'start-operator-Pass' };
		expect(
			(await operationAnswer(server, { operation: 'add_user', role: 'marquee_operator', active: true, ...operator }))
				.status
		).toBe(200);
		const hashes = async (): Promise<unknown> =>
			(
				await operationAnswer(server, {
					operation: 'sql',
					sql: `SELECT username, hash_function FROM system.hdb_user WHERE username IN ('admin', '${operator.username}')`,
				})
			).body;
		// npm start sets the admin's password again once Harper is up (its installer always uses SHA-256).
		await expect.poll(hashes, { timeout: 10_000 }).toEqual(
			expect.arrayContaining([
				{ username: 'admin', hash_function: 'argon2id' },
				{ username: operator.username, hash_function: 'argon2id' },
			])
		);
		expect((await operationAnswer(server, { operation: 'describe_all' }, operator)).status).toBe(403);
		expect((await rest(server, 'GET', '/LedSign/', undefined, { user: operator })).status).toBe(200);
		expect(await anonymousOperation(server)).toBe(401);
	});
});
