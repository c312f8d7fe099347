/**
 * Password guessing (issue 11, finding 7), on a Harper with two worker threads and a small failed-login limit:
 * wrong passwords are counted per username from an address and per address, on every way in (Basic auth over
 * REST, a WebSocket upgrade and the operations API, MQTT CONNECT, the panel's login). Past the limit a login from
 * that address gets 429 (MQTT: CONNACK 0x9F) before its password is even checked, the right one included, while
 * the same user logs in from anywhere else: failing on purpose locks no one out. The worker threads share the
 * counts, so a guesser gets the limit once, however its connections spread over them.
 *
 * Each test is another client to the server by the loopback address it sends from (127.0.0.x).
 */
import { connect as tcpConnect } from 'node:net';
import { MqttClient } from 'mqtt';
import WebSocket from 'ws';
import { describe, expect, it } from 'vitest';
import { basicAuth, rest, type Credentials } from '../harness/clients.ts';
import { useHarper } from '../harness/use-harper.ts';
import { addUser } from '../harness/users.ts';

const THREADS = 2;
const FAILED_LOGINS = { perSecond: 0.05, burst: 4 };
/**
 * The wrong guesses one username gets answered from one address before the 429s: the burst, once per server,
 * however the connections spread over its worker threads (they share the counts).
 */
const GUESSES = FAILED_LOGINS.burst;

const harper = useHarper({
	config: { threads: { count: THREADS } },
	env: { MARQUEE_LIMITS: JSON.stringify({ failedLogins: FAILED_LOGINS }) },
});
let accountNumber = 0;

async function newOperator(): Promise<Credentials> {
	const user = { username: `lt-operator-${++accountNumber}`, password: `lt-Pass-${accountNumber}-right` };
	await addUser(harper, user, 'marquee_operator');
	return user;
}

const wrong = (user: Credentials, i: number): Credentials => ({ ...user, password: `guess-${i}` });

/** A REST read with Basic auth from `address`: its status, and Retry-After on a 429. */
async function basicLogin(user: Credentials, address: string): Promise<{ status: number; retryAfter?: string }> {
	const { status, headers, body } = await rest(harper, 'GET', '/LedSign/', undefined, { user, localAddress: address });
	if (status === 429)
		expect(body).toMatchObject({ statusCode: 429, error: expect.stringMatching(/failed logins/) as string });
	return { status, retryAfter: headers['retry-after'] };
}

/** An MQTT 5 CONNECT from `address`: 0 when accepted (then closed again), else the CONNACK reason code. */
function mqttLogin(
	user: Credentials,
	address: string
): Promise<{ code: number; reason?: string; closed: Promise<void> }> {
	const { port } = new URL(harper.mqttUrl);
	const client = new MqttClient(() => tcpConnect({ host: '127.0.0.1', port: Number(port), localAddress: address }), {
		protocolVersion: 5,
		reconnectPeriod: 0,
		connectTimeout: 10_000,
		...user,
	});
	const closed = new Promise<void>((resolve) => client.stream.once('close', () => resolve()));
	let reason: string | undefined;
	client.on('packetreceive', (packet) => {
		if (packet.cmd === 'connack') reason = packet.properties?.reasonString;
	});
	return new Promise((resolve) => {
		client.once('connect', () => {
			client.end();
			resolve({ code: 0, closed });
		});
		client.once('error', (err) => {
			resolve({ code: (err as { code?: number }).code ?? -1, reason, closed });
			client.end(true);
		});
	});
}

/** A panel login (POST /Session) from `address`. */
const panelLogin = async (user: Credentials, address: string): Promise<number> =>
	(await rest(harper, 'POST', '/Session', user, { user: null, localAddress: address })).status;

describe('Basic auth', () => {
	it('answers a guesser 429 with Retry-After past the limit, even for the right password; not the user elsewhere', async () => {
		const user = await newOperator();
		const answers: number[] = [];
		for (let i = 0; i < 30; i++) answers.push((await basicLogin(wrong(user, i), '127.0.0.10')).status);
		expect(answers.filter((status) => status === 401)).toHaveLength(GUESSES);
		expect(answers.filter((status) => status === 429)).toHaveLength(30 - GUESSES);
		expect(answers.filter((status) => status !== 401 && status !== 429)).toEqual([]);
		const right = await basicLogin(user, '127.0.0.10');
		expect(right.status).toBe(429);
		expect(Number(right.retryAfter)).toBeGreaterThanOrEqual(1);
		// The same user from another address, and another user from the guesser's address, are not held up.
		expect((await basicLogin(user, '127.0.0.11')).status).toBe(200);
		expect((await basicLogin(await newOperator(), '127.0.0.10')).status).toBe(200);
	});

	it('counts wrong passwords on a WebSocket upgrade, and closes one past the limit saying why', async () => {
		const user = await newOperator();
		const closeOf = (credentials: Credentials): Promise<{ code: number; reason: string }> =>
			new Promise((resolve) => {
				const socket = new WebSocket(`${harper.wsUrl}/LedSign/`, {
					headers: { authorization: basicAuth(credentials) },
					localAddress: '127.0.0.12',
				});
				socket.on('error', () => undefined);
				socket.on('open', () => socket.close());
				socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
			});
		const codes: number[] = [];
		for (let i = 0; i < 20; i++) codes.push((await closeOf(wrong(user, i))).code);
		expect(codes.filter((code) => code === 3000)).toHaveLength(GUESSES);
		expect(codes.filter((code) => code === 1008)).toHaveLength(20 - GUESSES);
		const refused = await closeOf(user);
		expect(refused).toMatchObject({ code: 1008, reason: expect.stringMatching(/Too many failed logins/) as string });
	});

	it('throttles guesses at the operations API too', async () => {
		const statuses: number[] = [];
		for (let i = 0; i < 20; i++) {
			const { status } = await new Promise<{ status: number }>((resolve, reject) => {
				const url = new URL(harper.operationsUrl);
				const request = tcpConnect({ host: '127.0.0.1', port: Number(url.port), localAddress: '127.0.0.13' }, () => {
					const body = '{"operation":"user_info"}';
					request.write(
						`POST / HTTP/1.1\r\nHost: ${url.host}\r\nContent-Type: application/json\r\n` +
							`Authorization: ${basicAuth(wrong(harper.admin, i))}\r\nContent-Length: ${body.length}\r\n` +
							`Connection: close\r\n\r\n${body}`
					);
				});
				let text = '';
				request.on('data', (chunk: Buffer) => (text += chunk.toString()));
				request.on('end', () => resolve({ status: Number(/^HTTP\/1\.1 (\d+)/.exec(text)?.[1]) }));
				request.on('error', reject);
			});
			statuses.push(status);
		}
		expect(statuses.filter((status) => status === 401)).toHaveLength(GUESSES);
		expect(statuses.filter((status) => status === 429)).toHaveLength(20 - GUESSES);
	});
});

describe('MQTT CONNECT', () => {
	it('refuses a guesser with 0x86, then 0x9F past the limit, the right password included; closes each', async () => {
		const user = await newOperator();
		const codes: number[] = [];
		for (let i = 0; i < 20; i++) {
			const attempt = await mqttLogin(wrong(user, i), '127.0.0.20');
			codes.push(attempt.code);
			await attempt.closed; // MQTT 5: the server closes the connection after a refusing CONNACK
		}
		expect(codes.filter((code) => code === 0x86)).toHaveLength(GUESSES);
		expect(codes.filter((code) => code === 0x9f)).toHaveLength(20 - GUESSES);
		const right = await mqttLogin(user, '127.0.0.20');
		expect(right).toMatchObject({ code: 0x9f, reason: expect.stringMatching(/Too many failed logins/) as string });
		expect((await mqttLogin(user, '127.0.0.21')).code).toBe(0);
	});

	it('says why a CONNECT with a wrong password is refused', async () => {
		const user = await newOperator();
		expect(await mqttLogin(wrong(user, 0), '127.0.0.22')).toMatchObject({
			code: 0x86,
			reason: 'The username or password is not correct.',
		});
	});
});

describe('the panel login', () => {
	it('never locks the real user out: another address failing on purpose changes nothing for them', async () => {
		const user = await newOperator();
		const attacker: number[] = [];
		for (let i = 0; i < 12; i++) {
			attacker.push(await panelLogin(wrong(user, i), '127.0.0.30'));
			expect(await panelLogin(user, '127.0.0.31')).toBe(200);
		}
		expect(attacker.filter((status) => status === 401)).toHaveLength(GUESSES);
		expect(attacker.filter((status) => status === 429)).toHaveLength(12 - GUESSES);
		expect(await panelLogin(user, '127.0.0.30')).toBe(429);
	});

	it('counts a failed panel login and a failed Basic login from one address alike', async () => {
		const user = await newOperator();
		for (let i = 0; i < GUESSES; i++) await panelLogin(wrong(user, i), '127.0.0.32');
		expect((await basicLogin(user, '127.0.0.32')).status).toBe(429);
	});
});
