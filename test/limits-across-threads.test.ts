/**
 * The abuse limits hold per server, not per worker thread (issue 13), on a Harper with two worker threads. Each
 * thread listens on the same ports (SO_REUSEPORT), so the kernel spreads new connections over both: the connection
 * quota per account, the change rates per account and per sign, and the cap on sockets not logged in must each let
 * in what they would with one thread, not up to twice as much as the per-thread counts they replace did.
 *
 * Each test also shows its requests landed on both threads: Harper tags every log entry with the thread that wrote
 * it, and both threads logged the test's refusals. A thread counting alone refuses only past what it has let in
 * itself; with exactly the limit let in overall, a refusal from each thread means each counted the other's too.
 */
import { connect as tcpConnect, type Socket } from 'node:net';
import WebSocket from 'ws';
import { afterAll, describe, expect, it } from 'vitest';
import {
	basicAuth,
	mqttPeer,
	mqttPublish,
	rest,
	tryMqttPeer,
	type Credentials,
	type MqttPeer,
} from '../harness/clients.ts';
import { withDeadline } from '../harness/deadline.ts';
import { threadsThatLogged } from '../harness/harper-log.ts';
import { loginConnect, packetReader } from '../harness/mqtt-wire.ts';
import { operation } from '../harness/operations.ts';
import { useHarper } from '../harness/use-harper.ts';
import { addUser } from '../harness/users.ts';

const THREADS = ['http/1', 'http/2'];
const QUOTA = 6;
const PER_ACCOUNT = { perSecond: 0.2, burst: 12 };
const PER_SIGN = { perSecond: 0.2, burst: 6 };
const NOT_LOGGED_IN = 64;
const DEADLINE_MS = 15_000;

const harper = useHarper({
	config: { threads: { count: THREADS.length } },
	// Harper logs each refusal at info, with the thread that made it.
	logLevel: 'info',
	env: {
		MARQUEE_LIMITS: JSON.stringify({
			connectionsPerAccount: QUOTA,
			writesPerAccount: PER_ACCOUNT,
			writesPerSign: PER_SIGN,
			unauthenticatedPerAddress: NOT_LOGGED_IN,
			// Longer than a test holds its silent sockets open.
			unauthenticatedSeconds: 60,
		}),
	},
});

/** What each test let in against what the limit allows, printed as a table at the end. */
const measured: { limit: string; allowed: number; letIn: number; attempts: number; seconds?: number }[] = [];
afterAll(() => {
	console.table(measured);
});

let accountNumber = 0;
async function newOperator(): Promise<Credentials> {
	const user = { username: `lat-operator-${++accountNumber}`, password: 'lat-operator-Pass' };
	await addUser(harper, user, 'marquee_operator');
	return user;
}

let signNumber = 0;
async function newSign(): Promise<string> {
	const id = `lat-sign-${++signNumber}`;
	expect((await rest(harper, 'PUT', `/LedSign/${id}`, { text: 'start' })).status).toBe(200);
	return id;
}

/** Runs `work`; answers what it answered, and the threads that have logged `text` since it began (read on call). */
async function watched<T>(text: string, work: () => Promise<T>): Promise<{ result: T; threads: () => string[] }> {
	const from = harper.log().length;
	const result = await work();
	return { result, threads: () => threadsThatLogged(harper.log().slice(from), text) };
}

/** Harper writes its log through a pipe: its last entries may take a moment to arrive. */
const LOG_WAIT = { timeout: 2000, interval: 100 };

const isPeer = (attempt: MqttPeer | number | string): attempt is MqttPeer => typeof attempt === 'object';

/** The tokens a bucket can have gained back over `seconds`: all a burst may exceed its size by. */
const refillMargin = (limit: { perSecond: number }, seconds: number): number => Math.ceil(seconds * limit.perSecond);

/** A WebSocket on `sign` as `user`: the open socket once its current record arrives, or the code it was closed with. */
function wsAttempt(user: Credentials, sign: string): Promise<WebSocket | number> {
	const socket = new WebSocket(`${harper.wsUrl}/LedSign/${sign}`, { headers: { authorization: basicAuth(user) } });
	socket.on('error', () => undefined);
	const answer = new Promise<WebSocket | number>((resolve) => {
		socket.once('message', () => resolve(socket));
		socket.once('close', (code) => resolve(code));
		socket.once('unexpected-response', (_request, response) => {
			resolve(response.statusCode ?? 0);
			socket.terminate();
		});
	});
	return withDeadline(answer, DEADLINE_MS, 'a WebSocket to open or be refused');
}

/** One change to `sign` by `user` over HTTP, on a connection of its own: admitted, or refused (429). */
async function restChange(user: Credentials, sign: string, speed: number): Promise<number> {
	const headers = { connection: 'close' };
	return (await rest(harper, 'PATCH', `/LedSign/${sign}`, { speed }, { user, headers })).status;
}

/** One change to `sign` over `peer`'s MQTT connection, as its status would be over HTTP (PUBACK 0x97: 429). */
async function mqttChange(peer: MqttPeer, sign: string, speed: number): Promise<number> {
	const code = await mqttPublish(peer, `LedSign/${sign}`, JSON.stringify({ speed }), true);
	return code === 0 ? 200 : code === 0x97 ? 429 : code;
}

describe('the connection quota per account', () => {
	it('lets in exactly the quota of MQTT and WebSocket connections spread over both threads', async () => {
		const [user, sign] = [await newOperator(), await newSign()];
		const { result, threads } = await watched(`${user.username} already has`, () =>
			Promise.all([
				Promise.all(
					Array.from({ length: 2 * QUOTA }, () => tryMqttPeer(harper, { user, connectTimeout: DEADLINE_MS }))
				),
				Promise.all(Array.from({ length: 2 * QUOTA }, () => wsAttempt(user, sign))),
			])
		);
		const mqttOpen = result[0].filter(isPeer);
		const wsOpen = result[1].filter((attempt) => attempt instanceof WebSocket);
		try {
			const letIn = mqttOpen.length + wsOpen.length;
			measured.push({ limit: 'connections per account', allowed: QUOTA, letIn, attempts: 4 * QUOTA });
			expect(letIn, 'connections let in').toBe(QUOTA);
			await expect.poll(threads, LOG_WAIT).toEqual(THREADS);
		} finally {
			await Promise.all(mqttOpen.map((peer) => peer.close()));
			for (const socket of wsOpen) socket.terminate();
		}
	});

	it('gives a slot back exactly once when a connection closes, whichever thread it was on', async () => {
		const user = await newOperator();
		const open: MqttPeer[] = [];
		try {
			const attempts = await Promise.all(
				Array.from({ length: 4 * QUOTA }, () => tryMqttPeer(harper, { user, connectTimeout: DEADLINE_MS }))
			);
			open.push(...attempts.filter(isPeer));
			measured.push({
				limit: 'connections per account (MQTT)',
				allowed: QUOTA,
				letIn: open.length,
				attempts: 4 * QUOTA,
			});
			expect(open).toHaveLength(QUOTA);
			expect(attempts.filter((attempt) => attempt === 0x97)).toHaveLength(3 * QUOTA);
			await open.shift()!.close();
			// The thread that held it gives its slot back when it sees the close, maybe after the next CONNECT arrives.
			await expect
				.poll(
					async () => {
						const again = await tryMqttPeer(harper, { user });
						if (isPeer(again)) open.push(again);
						return open.length;
					},
					{ timeout: DEADLINE_MS, interval: 100 }
				)
				.toBe(QUOTA);
			// One slot came back, not more.
			const more = await Promise.all(Array.from({ length: 2 * QUOTA }, () => tryMqttPeer(harper, { user })));
			open.push(...more.filter(isPeer));
			expect(more.filter((attempt) => attempt === 0x97)).toHaveLength(2 * QUOTA);
		} finally {
			await Promise.all(open.map((peer) => peer.close()));
		}
	});
});

describe('the change rates', () => {
	it('let a sign take one burst of changes from HTTP and MQTT clients on both threads, plus what refilled', async () => {
		const sign = await newSign();
		// Four writers, each well within its own account's burst: the sign's limit is the one that binds.
		const writers = await Promise.all([1, 2, 3, 4].map(() => newOperator()));
		const peers = await Promise.all(writers.map((user) => mqttPeer(harper, { user })));
		try {
			const started = Date.now();
			const { result: statuses, threads } = await watched(`Too many changes to LedSign/${sign}`, () =>
				Promise.all([
					...writers.flatMap((user) => [1, 2, 3, 4, 5].map((speed) => restChange(user, sign, speed))),
					...peers.map((peer) => mqttChange(peer, sign, 6)),
				])
			);
			const seconds = (Date.now() - started) / 1000;
			const admitted = statuses.filter((status) => status === 200).length;
			const allowed = PER_SIGN.burst + refillMargin(PER_SIGN, seconds);
			measured.push({ limit: 'changes per sign', allowed, letIn: admitted, attempts: statuses.length, seconds });
			expect(statuses.filter((status) => status !== 200 && status !== 429)).toEqual([]);
			expect(admitted).toBeGreaterThanOrEqual(PER_SIGN.burst);
			expect(admitted, `changes admitted in ${seconds} s`).toBeLessThanOrEqual(allowed);
			await expect.poll(threads, LOG_WAIT).toEqual(THREADS);
		} finally {
			await Promise.all(peers.map((peer) => peer.close()));
		}
	});

	it('let an account make one burst of changes over HTTP and MQTT on both threads, plus what refilled', async () => {
		const user = await newOperator();
		const signs = await Promise.all(Array.from({ length: 3 * PER_ACCOUNT.burst }, () => newSign()));
		// One change per sign, so no sign's own limit is reached: the account's is the one that binds.
		const [overMqtt, overHttp] = [signs.slice(0, QUOTA), signs.slice(QUOTA)];
		const peers = await Promise.all(overMqtt.map(() => mqttPeer(harper, { user })));
		try {
			const started = Date.now();
			const { result: statuses, threads } = await watched(`Too many changes from ${user.username}`, () =>
				Promise.all([
					...overHttp.map((sign) => restChange(user, sign, 1)),
					...peers.map((peer, i) => mqttChange(peer, overMqtt[i]!, 2)),
				])
			);
			const seconds = (Date.now() - started) / 1000;
			const admitted = statuses.filter((status) => status === 200).length;
			const allowed = PER_ACCOUNT.burst + refillMargin(PER_ACCOUNT, seconds);
			measured.push({ limit: 'changes per account', allowed, letIn: admitted, attempts: statuses.length, seconds });
			expect(statuses.filter((status) => status !== 200 && status !== 429)).toEqual([]);
			expect(admitted).toBeGreaterThanOrEqual(PER_ACCOUNT.burst);
			expect(admitted, `changes admitted in ${seconds} s`).toBeLessThanOrEqual(allowed);
			await expect.poll(threads, LOG_WAIT).toEqual(THREADS);
		} finally {
			await Promise.all(peers.map((peer) => peer.close()));
		}
	});
});

interface SilentSocket {
	socket: Socket;
	/** Resolves once the server has closed it. */
	closed: Promise<void>;
	isClosed(): boolean;
}

/** A TCP connection to `port` from `localAddress` that sends nothing; resolves once connected. */
function silentSocket(port: number, localAddress: string): Promise<SilentSocket> {
	return new Promise((resolve, reject) => {
		const socket = tcpConnect({ port, host: '127.0.0.1', localAddress });
		let isClosed = false;
		const closed = new Promise<void>((done) =>
			socket.once('close', () => {
				isClosed = true;
				done();
			})
		);
		socket.once('error', reject);
		socket.once('connect', () => {
			socket.removeListener('error', reject);
			socket.on('error', () => undefined); // a reset from the server is one way to be closed
			resolve({ socket, closed, isClosed: () => isClosed });
		});
	});
}

/** Resolves once `count` of `sockets` have been closed by the server. */
function closedAtTheDoor(sockets: SilentSocket[], count: number): Promise<void> {
	let closed = 0;
	const enough = new Promise<void>((resolve) => {
		for (const socket of sockets) {
			void socket.closed.then(() => {
				closed++;
				if (closed === count) resolve();
			});
		}
	});
	return withDeadline(enough, DEADLINE_MS, `${count} of ${sockets.length} silent sockets to be closed at once`);
}

/** The first answer on a socket held open: the status of an HTTP response, or a CONNACK's return code. */
function firstAnswer(socket: Socket, request: Buffer | string, mqtt: boolean): Promise<number> {
	const read = packetReader();
	const answer = new Promise<number>((resolve) => {
		socket.on('data', (chunk: Buffer) => {
			if (!mqtt) resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(chunk.toString('latin1'))?.[1] ?? -1));
			else for (const packet of read(chunk)) if (packet.type === 2) resolve(packet.body[1] ?? -1);
		});
		socket.once('close', () => resolve(-1));
	});
	socket.write(request);
	return withDeadline(answer, DEADLINE_MS, 'an answer on a socket that was let in');
}

describe('sockets not logged in', () => {
	it('holds an address to its cap over the HTTP and MQTT ports and both threads together', async () => {
		const address = '127.0.0.9';
		const sockets = await Promise.all([
			...Array.from({ length: 2 * NOT_LOGGED_IN }, () => silentSocket(harper.ports.http, address)),
			...Array.from({ length: 2 * NOT_LOGGED_IN }, () => silentSocket(harper.ports.mqtt, address)),
		]);
		try {
			// Past the cap the server closes a socket as soon as it accepts it; the ones it let in wait, silent.
			await closedAtTheDoor(sockets, 3 * NOT_LOGGED_IN).catch(() => undefined);
			const letIn = sockets.filter((socket) => !socket.isClosed());
			measured.push({
				limit: 'sockets not logged in, per address',
				allowed: NOT_LOGGED_IN,
				letIn: letIn.length,
				attempts: sockets.length,
			});
			expect(letIn).toHaveLength(NOT_LOGGED_IN);

			// Each one let in now asks for a connection an account at its quota may not have: every one is answered
			// (it was let in, and is alive), and the threads that refused them are the ones they were on.
			const full = await newOperator();
			const held = await Promise.all(Array.from({ length: QUOTA }, () => mqttPeer(harper, { user: full })));
			try {
				const sign = await newSign();
				const sse =
					`GET /LedSign/${sign} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n` +
					`Authorization: ${basicAuth(full)}\r\nConnection: close\r\n\r\n`;
				const { result: answers, threads } = await watched(`${full.username} already has`, () =>
					Promise.all(
						letIn.map(({ socket }, i) => {
							const mqtt = socket.remotePort === harper.ports.mqtt;
							return firstAnswer(socket, mqtt ? loginConnect(`lat-${i}`, full) : sse, mqtt);
						})
					)
				);
				// 429 over HTTP; over MQTT 3.1.1, CONNACK 3 (its code for the quota).
				expect(answers.filter((answer) => answer !== 429 && answer !== 3)).toEqual([]);
				await expect.poll(threads, LOG_WAIT).toEqual(THREADS);
			} finally {
				await Promise.all(held.map((peer) => peer.close()));
			}
		} finally {
			for (const { socket } of sockets) socket.destroy();
		}
	});
});

describe('a worker thread that ends', () => {
	/**
	 * Resolves once `count` worker threads started after `from` (a log position) serve: oversize changes by `user`
	 * (refused before any rate is counted) go out until that many threads not in THREADS have logged refusing one.
	 * Harper's restart job says it is complete before the last new thread may have started.
	 */
	async function newThreadsServing(from: number, user: Credentials, count: number): Promise<string[]> {
		const change = { text: 'x'.repeat(16_400) };
		const refusal = `The message is ${Buffer.byteLength(JSON.stringify(change))} bytes`;
		const newThreads = (): string[] =>
			threadsThatLogged(harper.log().slice(from), refusal).filter((thread) => !THREADS.includes(thread));
		const headers = { connection: 'close' };
		await expect
			.poll(
				async () => {
					const oversize = (): Promise<unknown> =>
						rest(harper, 'PATCH', '/LedSign/lat-probe', change, { user, headers });
					// Between the old threads and the new ones the ports may refuse connections for a moment.
					await Promise.all(Array.from({ length: 8 }, () => oversize().catch(() => undefined)));
					return newThreads().length;
				},
				{ timeout: 60_000, interval: 200 }
			)
			.toBe(count);
		return newThreads();
	}

	it('takes its counts with it: after a restart of the workers an account has its whole quota again, once', async () => {
		const user = await newOperator();
		const attempts = await Promise.all(Array.from({ length: 2 * QUOTA }, () => tryMqttPeer(harper, { user })));
		const held = attempts.filter(isPeer);
		expect(held).toHaveLength(QUOTA);
		// The old threads end with the connections they held (Harper cuts what is still open when it ends a thread).
		const cut = Promise.all(held.map(({ client }) => new Promise((resolve) => client.stream.once('close', resolve))));
		const from = harper.log().length;
		await operation(harper, { operation: 'restart_service', service: 'http_workers' });
		await withDeadline(cut, 60_000, 'the old threads to close their connections');
		const newThreads = await newThreadsServing(from, user, THREADS.length);

		const { result, threads } = await watched(`${user.username} already has`, () =>
			Promise.all(Array.from({ length: 4 * QUOTA }, () => tryMqttPeer(harper, { user, connectTimeout: DEADLINE_MS })))
		);
		const open = result.filter(isPeer);
		try {
			measured.push({
				limit: 'connections per account, after a restart',
				allowed: QUOTA,
				letIn: open.length,
				attempts: 4 * QUOTA,
			});
			expect(open, 'connections let in by the new threads').toHaveLength(QUOTA);
			await expect.poll(() => threads().filter((thread) => newThreads.includes(thread)), LOG_WAIT).toEqual(newThreads);
		} finally {
			await Promise.all(open.map((peer) => peer.close()));
		}
	}, 180_000);
});
