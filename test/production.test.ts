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
import { request as httpsRequest } from 'node:https';
import { connect as netConnect } from 'node:net';
import { connect as tlsConnect, type PeerCertificate } from 'node:tls';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localAuthPosture, isUnsafeOutsideDev } from '../src/server/local-auth.ts';
import {
	freePort,
	PROJECT,
	requestStatus,
	startHarper,
	type Credentials,
	type HarperInstance,
} from '../harness/harper.ts';

/** Self-signed: accepted for the loopback server this file started, nowhere else. */
const TRUST_SELF_SIGNED = { rejectUnauthorized: false } as const;

interface Answer {
	status: number;
	body: unknown;
}

function basicAuth(user: Credentials): string {
	return `Basic ${Buffer.from(`${user.username}:${user.password}`).toString('base64')}`;
}

/** One HTTPS request; `user: null` sends no credentials. */
function https(
	server: HarperInstance,
	method: string,
	path: string,
	options: { user?: Credentials | null; body?: unknown; accept?: string } = {}
): Promise<Answer> {
	const user = options.user === undefined ? server.admin : options.user;
	const headers: Record<string, string> = { accept: options.accept ?? 'application/json' };
	if (user) headers.authorization = basicAuth(user);
	const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
	if (payload) headers['content-type'] = 'application/json';
	return new Promise((resolve, reject) => {
		const request = httpsRequest(
			new URL(path, server.httpUrl),
			{ method, headers, ...TRUST_SELF_SIGNED },
			(response) => {
				const chunks: Buffer[] = [];
				response.on('data', (chunk: Buffer) => chunks.push(chunk));
				response.on('end', () => {
					const text = Buffer.concat(chunks).toString('utf8');
					resolve({ status: response.statusCode ?? 0, body: parseJson(text) });
				});
			}
		);
		request.on('error', reject);
		request.setTimeout(10_000, () => request.destroy(new Error(`${method} ${path} timed out`)));
		request.end(payload);
	});
}

function parseJson(text: string): unknown {
	try {
		return JSON.parse(text);
	} catch {
		return text;
	}
}

/** Opens an SSE stream over HTTPS: its status, and (when 200) the first `data:` event, or null if none came. */
function sse(
	server: HarperInstance,
	path: string,
	user: Credentials | null
): Promise<{ status: number; first: unknown }> {
	const headers: Record<string, string> = { accept: 'text/event-stream' };
	if (user) headers.authorization = basicAuth(user);
	return new Promise((resolve, reject) => {
		const request = httpsRequest(new URL(path, server.httpUrl), { headers, ...TRUST_SELF_SIGNED }, (response) => {
			const status = response.statusCode ?? 0;
			if (status !== 200) {
				response.resume();
				resolve({ status, first: null });
				return;
			}
			let text = '';
			const timer = setTimeout(() => finish(null), 5000);
			function finish(first: unknown): void {
				clearTimeout(timer);
				request.destroy();
				resolve({ status, first });
			}
			response.on('data', (chunk: Buffer) => {
				text += chunk.toString('utf8');
				const data = /^data: (.*)$/m.exec(text);
				if (data?.[1]) finish(parseJson(data[1]));
			});
		});
		request.on('error', reject);
		request.end();
	});
}

/** Opens a WebSocket over TLS: the first message when it opens, or how it was refused (HTTP status or close code). */
function webSocket(
	server: HarperInstance,
	path: string,
	user: Credentials | null
): Promise<{ opened: boolean; refusal?: number; first?: unknown }> {
	const headers: Record<string, string> = user ? { authorization: basicAuth(user) } : {};
	const socket = new WebSocket(`${server.wsUrl}${path}`, { headers, ...TRUST_SELF_SIGNED });
	return new Promise((resolve) => {
		const timer = setTimeout(() => done({ opened: socket.readyState === WebSocket.OPEN }), 5000);
		function done(result: { opened: boolean; refusal?: number; first?: unknown }): void {
			clearTimeout(timer);
			socket.terminate();
			resolve(result);
		}
		socket.on('message', (data: Buffer) => done({ opened: true, first: parseJson(data.toString('utf8')) }));
		socket.on('close', (code) => done({ opened: false, refusal: code }));
		socket.on('unexpected-response', (_request, response) => done({ opened: false, refusal: response.statusCode }));
		socket.on('error', () => undefined);
	});
}

/** MQTT over TLS (mqtts://) or over secure WebSocket (wss://); no user means an anonymous CONNECT. */
function mqttConnect(url: string, user: Credentials | null): Promise<MqttClient> {
	const options: IClientOptions = {
		protocolVersion: 5,
		reconnectPeriod: 0,
		connectTimeout: 5000,
		...TRUST_SELF_SIGNED,
		...(user ? { username: user.username, password: user.password } : {}),
	};
	return mqtt.connectAsync(url, options);
}

/** The reason code of a refused CONNECT (from the CONNACK), or the error message when there was none. */
async function connectRefusal(url: string): Promise<number | string> {
	try {
		const client = await mqttConnect(url, null);
		await client.endAsync();
		return 'connected';
	} catch (err) {
		const code = (err as { code?: unknown }).code;
		return typeof code === 'number' ? code : String((err as Error).message);
	}
}

/** Publishes retained with QoS 1 and subscribes back: the PUBACK reason code and the record delivered. */
async function publishAndReceive(client: MqttClient, topic: string, payload: object): Promise<[number, unknown]> {
	const ack = await client.publishAsync(topic, JSON.stringify(payload), { qos: 1, retain: true });
	const received = new Promise<unknown>((resolve, reject) => {
		const timer = setTimeout(() => reject(new Error(`nothing arrived on ${topic}`)), 5000);
		client.on('message', (arrivedOn, message) => {
			if (arrivedOn !== topic) return;
			clearTimeout(timer);
			resolve(parseJson(message.toString('utf8')));
		});
	});
	await client.subscribeAsync(topic, { qos: 1 });
	return [ack && 'reasonCode' in ack ? (ack.reasonCode ?? 0) : 0, await received];
}

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

function serverCertificate(port: number): Promise<PeerCertificate> {
	return new Promise((resolve, reject) => {
		const socket = tlsConnect({ host: '127.0.0.1', port, servername: 'localhost', ...TRUST_SELF_SIGNED }, () => {
			resolve(socket.getPeerCertificate());
			socket.end();
		});
		socket.on('error', reject);
	});
}

/** An MQTT 3.1.1 CONNECT packet with client id "plain" and no credentials. */
const PLAIN_MQTT_CONNECT = Buffer.from([
	0x10, 0x11, 0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x04, 0x02, 0x00, 0x3c, 0x00, 0x05, 0x70, 0x6c, 0x61, 0x69, 0x6e,
]);

/** One operation over HTTPS as `user`: the status and the parsed answer. */
function operation(harper: HarperInstance, user: Credentials, body: object): Promise<Answer> {
	return new Promise((resolve, reject) => {
		const request = httpsRequest(
			harper.operationsUrl,
			{
				method: 'POST',
				headers: { 'content-type': 'application/json', 'authorization': basicAuth(user) },
				...TRUST_SELF_SIGNED,
			},
			(response) => {
				let text = '';
				response.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
				response.on('end', () => resolve({ status: response.statusCode ?? 0, body: parseJson(text) }));
			}
		);
		request.on('error', reject);
		request.end(JSON.stringify(body));
	});
}

/** The status the operations API answers to a request without credentials, over HTTPS. */
function anonymousOperation(harper: HarperInstance): Promise<number> {
	return new Promise<number>((resolve, reject) => {
		const request = httpsRequest(
			harper.operationsUrl,
			{ method: 'POST', headers: { 'content-type': 'application/json' }, ...TRUST_SELF_SIGNED },
			(response) => {
				response.resume();
				resolve(response.statusCode ?? 0);
			}
		);
		request.on('error', reject);
		request.end('{"operation":"describe_all"}');
	});
}

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
	let harper: HarperInstance;
	let wssUrl: string;

	beforeAll(async () => {
		harper = await startHarper({ production: true });
		wssUrl = `${harper.wsUrl}/mqtt`;
		expect((await https(harper, 'PUT', '/LedSign/front', { body: { text: 'as the admin left it' } })).status).toBe(200);
	});

	afterAll(async () => {
		await harper?.destroy();
	});

	describe('refuses anonymous clients on 127.0.0.1 (authorizeLocal is off)', () => {
		it('over REST, reading and writing, and the sign is unchanged', async () => {
			const read = await https(harper, 'GET', '/LedSign/front', { user: null });
			const write = await https(harper, 'PATCH', '/LedSign/front', { user: null, body: { text: 'anon' } });
			expect([read.status, write.status]).toEqual([401, 401]);
			expect((await https(harper, 'GET', '/LedSign/front')).body).toMatchObject({ text: 'as the admin left it' });
		});

		it('over SSE', async () => {
			expect((await sse(harper, '/LedSign/front', null)).status).toBe(401);
		});

		it('over WebSocket', async () => {
			const { opened, refusal } = await webSocket(harper, '/LedSign/front', null);
			expect(opened).toBe(false);
			expect([401, 3000]).toContain(refusal);
		});

		// CONNACK 0x86 "Bad user name or password" (Harper 4.7 alone would send MQTT 5 clients the 3.1.1 code 4;
		// src/server/mqtt-refusals.ts corrects it).
		it('over MQTT on TLS (port 8883 in production)', async () => {
			expect(await connectRefusal(harper.mqttUrl)).toBe(0x86);
		});

		it('over MQTT on secure WebSocket', async () => {
			expect(await connectRefusal(wssUrl)).toBe(0x86);
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
			for (const { role, ...user } of accounts)
				await operation(harper, harper.admin, { operation: 'add_user', role, active: true, ...user });
		});

		it.each(accounts)('refuses $role reads, writes and SQL with 403', async ({ username, password }) => {
			for (const body of [
				{ operation: 'search_by_value', database: 'data', table: 'LedSign', attribute: 'id', value: '*' },
				{ operation: 'update', database: 'data', table: 'LedSign', records: [{ id: 'front', brightness: 99999 }] },
				{ operation: 'sql', sql: "UPDATE data.LedSign SET version = 1 WHERE id = 'front'" },
			]) {
				expect((await operation(harper, { username, password }, body)).status).toBe(403);
			}
			expect((await https(harper, 'GET', '/LedSign/front')).body).toMatchObject({ brightness: 50 });
		});

		it('hashes their passwords with argon2id', async () => {
			const { body } = await operation(harper, harper.admin, {
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
			const changed = await https(harper, 'PATCH', '/LedSign/front', { body: { text: 'patched over https' } });
			expect(changed.status).toBe(200);
			expect(changed.body).toMatchObject({ text: 'patched over https' });
			expect((await https(harper, 'GET', '/LedSign/front')).body).toMatchObject({ text: 'patched over https' });
		});

		it('over SSE', async () => {
			const { status, first } = await sse(harper, '/LedSign/front', harper.admin);
			expect(status).toBe(200);
			expect(first).toMatchObject({ id: 'front', value: { id: 'front' } });
		});

		it('over WebSocket', async () => {
			const { opened, first } = await webSocket(harper, '/LedSign/front', harper.admin);
			expect(opened).toBe(true);
			expect(first).toMatchObject({ id: 'front', value: { id: 'front' } });
		});

		it.each([
			['MQTT on TLS', 'mqttUrl'],
			['MQTT on secure WebSocket', 'wss'],
		])('over %s', async (_name, which) => {
			const client = await mqttConnect(which === 'wss' ? wssUrl : harper.mqttUrl, harper.admin);
			try {
				const topic = `LedSign/tls-${which}`;
				const [reasonCode, record] = await publishAndReceive(client, topic, { text: `over ${which}` });
				expect(reasonCode).toBe(0);
				expect(record).toMatchObject({ id: `tls-${which}`, text: `over ${which}` });
			} finally {
				await client.endAsync();
			}
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
			const certificate = await serverCertificate(harper.ports.http);
			expect(String(certificate.issuer.CN)).toMatch(/^HarperDB-Certificate-Authority/);
			expect(certificate.subjectaltname).toContain('DNS:localhost');
			expect(certificate.subjectaltname).toContain('IP Address:127.0.0.1');
			// The same certificate serves MQTT over TLS.
			expect((await serverCertificate(harper.ports.mqtt)).fingerprint256).toBe(certificate.fingerprint256);
		});

		it('lets a client verify it with the CA that list_certificates returns (docs/security.md, TLS step 1)', async () => {
			const listed = await new Promise<string>((resolve, reject) => {
				const request = httpsRequest(
					harper.operationsUrl,
					{
						method: 'POST',
						headers: { 'content-type': 'application/json', 'authorization': basicAuth(harper.admin) },
						...TRUST_SELF_SIGNED,
					},
					(response) => {
						let text = '';
						response.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
						response.on('end', () => resolve(text));
					}
				);
				request.on('error', reject);
				request.end('{"operation":"list_certificates"}');
			});
			const authorities = (JSON.parse(listed) as { is_authority?: boolean; certificate?: string }[]).filter(
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
	let harper: HarperInstance;

	beforeAll(async () => {
		harper = await startHarper({ production: true, config: { authentication: { authorizeLocal: true } } });
	});

	afterAll(async () => {
		await harper?.destroy();
	});

	it('really lets this machine in without a login (the operations API says so)', async () => {
		expect(await anonymousOperation(harper)).toBe(200);
	});

	it('gets no sign from Marquee: every request is refused with the fix, logged loudly at start', async () => {
		for (const user of [null, harper.admin]) {
			const read = await https(harper, 'GET', '/LedSign/front', { user });
			expect(read.status).toBe(503);
			expect(read.body).toMatchObject({ error: expect.stringContaining('authorizeLocal: false') as unknown });
			expect((await https(harper, 'PUT', '/LedSign/front', { user, body: { text: 'x' } })).status).toBe(503);
		}
		expect((await sse(harper, '/LedSign/front', null)).status).toBe(503);
		expect(harper.log()).toContain('Marquee is refusing requests');
	});

	it('refuses MQTT publishes and subscriptions from a local anonymous client, which Harper let connect', async () => {
		const client = await mqttConnect(harper.mqttUrl, null);
		try {
			const ack = await client.publishAsync('LedSign/front', '{"text":"anon"}', { qos: 1, retain: true }).then(
				(packet) => (packet && 'reasonCode' in packet ? packet.reasonCode : 0),
				(err: { code?: number }) => err.code
			);
			expect(ack).toBe(0x80);
			const subscribed = await client.subscribeAsync('LedSign/front', { qos: 1 }).then(
				(granted) => granted[0]?.qos,
				(err: { packet?: { granted?: number[] } }) => err.packet?.granted?.[0]
			);
			expect(subscribed).toBe(0x80);
		} finally {
			await client.endAsync();
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
			(await operation(server, admin, { operation: 'add_user', role: 'marquee_operator', active: true, ...operator }))
				.status
		).toBe(200);
		const hashes = async (): Promise<unknown> =>
			(
				await operation(server, admin, {
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
		expect((await operation(server, operator, { operation: 'describe_all' })).status).toBe(403);
		expect((await https(server, 'GET', '/LedSign/', { user: operator })).status).toBe(200);
		expect(await anonymousOperation(server)).toBe(401);
	});
});
