/**
 * The abuse limits on a real Harper, on every protocol: rate limits per sign and per account (HTTP 429 with
 * Retry-After; MQTT PUBACK 0x97, then DISCONNECT 0x96 for a client that keeps on; a WebSocket error), message
 * size (413; PUBACK 0x97 or DISCONNECT 0x95; WebSocket error or close 1009) and the
 * connection quota per account (CONNACK 0x97, HTTP 429). This file runs a Harper of its own with small limits
 * (MARQUEE_LIMITS), so the tests stay quick; docs/security.md gives the shipped values.
 */
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
	basicAuth,
	mqttConnectCode,
	mqttPeer,
	mqttPublish,
	rest,
	tryMqttPeer,
	wsPeer,
	type Credentials,
	type MqttPeer,
	type RestResponse,
} from '../harness/clients.ts';
import { useHarper } from '../harness/use-harper.ts';
import { addUser } from '../harness/users.ts';

const LIMITS = {
	writesPerAccount: { perSecond: 4, burst: 12 },
	writesPerSign: { perSecond: 2, burst: 4 },
	connectionsPerAccount: 3,
	messageBytes: 16 * 1024,
	failedLogins: { perSecond: 0.5, burst: 3 },
};
const DEADLINE_MS = 5000;

const harper = useHarper({ env: { MARQUEE_LIMITS: JSON.stringify(LIMITS) } });
let accountNumber = 0;

/** A new operator account, so each test starts with full buckets and no connections. */
async function newOperator(): Promise<Credentials> {
	const user = { username: `al-operator-${++accountNumber}`, password: 'al-operator-password' };
	await addUser(harper, user, 'marquee_operator');
	return user;
}

let signNumber = 0;
async function newSign(): Promise<string> {
	const id = `al-sign-${++signNumber}`;
	await rest(harper, 'PUT', `/LedSign/${id}`, { text: 'start' });
	return id;
}

const version = async (id: string): Promise<number> =>
	((await rest(harper, 'GET', `/LedSign/${id}`)).body as { version: number }).version;

/** The reason code of the DISCONNECT the server ends `peer`'s connection with (undefined: it just closed). */
const disconnectReason = (peer: MqttPeer): Promise<number | undefined> =>
	new Promise((resolve) => {
		peer.client.on('disconnect', (packet) => resolve(packet.reasonCode));
		peer.client.on('close', () => resolve(undefined));
	});

describe('changes per sign', () => {
	it('refuses a REST change beyond the burst with 429, Retry-After and a JSON reason, and stores nothing', async () => {
		const [user, sign] = [await newOperator(), await newSign()];
		const answers: RestResponse[] = [];
		for (let i = 0; i < LIMITS.writesPerSign.burst + 1; i++) {
			answers.push(await rest(harper, 'PATCH', `/LedSign/${sign}`, { text: `change ${i}` }, { user }));
		}
		expect(answers.slice(0, -1).map((answer) => answer.status)).toEqual(
			new Array(LIMITS.writesPerSign.burst).fill(200)
		);
		const refused = answers.at(-1)!;
		expect(refused.status).toBe(429);
		expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
		expect(refused.body).toMatchObject({ statusCode: 429, retryAfter: Number(refused.headers['retry-after']) });
		expect((refused.body as { error: string }).error).toMatch(`/LedSign/${sign}`.slice(1));
		expect(await version(sign)).toBe(1 + LIMITS.writesPerSign.burst);
	});

	it('accepts again once the sign has had its rest', async () => {
		const [user, sign] = [await newOperator(), await newSign()];
		for (let i = 0; i < LIMITS.writesPerSign.burst; i++)
			await rest(harper, 'PATCH', `/LedSign/${sign}`, { speed: 2 }, { user });
		const refused = await rest(harper, 'PATCH', `/LedSign/${sign}`, { speed: 3 }, { user });
		expect(refused.status).toBe(429);
		await expect
			.poll(async () => (await rest(harper, 'PATCH', `/LedSign/${sign}`, { speed: 4 }, { user })).status, {
				timeout: 1000 * Number(refused.headers['retry-after']) + DEADLINE_MS,
				interval: 250,
			})
			.toBe(200);
	});

	it('answers a publish beyond it with PUBACK 0x97, retained or not, and stores nothing', async () => {
		const [user, sign] = [await newOperator(), await newSign()];
		const peer = await mqttPeer(harper, { user });
		try {
			const codes: number[] = [];
			for (let i = 0; i < LIMITS.writesPerSign.burst; i++) {
				codes.push(await mqttPublish(peer, `LedSign/${sign}`, JSON.stringify({ text: `m${i}` }), i % 2 === 0));
			}
			expect(codes).toEqual(new Array(LIMITS.writesPerSign.burst).fill(0));
			expect(await mqttPublish(peer, `LedSign/${sign}`, '{"text":"one too many"}', true)).toBe(0x97);
			expect(await version(sign)).toBe(1 + LIMITS.writesPerSign.burst / 2);
		} finally {
			await peer.close();
		}
	});

	it('disconnects a client that publishes again without waiting, with DISCONNECT 0x96', async () => {
		const [user, sign] = [await newOperator(), await newSign()];
		const peer = await mqttPeer(harper, { user });
		const disconnected = disconnectReason(peer);
		for (let i = 0; i < LIMITS.writesPerSign.burst; i++)
			await mqttPublish(peer, `LedSign/${sign}`, '{"speed":3}', true);
		expect(await mqttPublish(peer, `LedSign/${sign}`, '{"speed":4}', true)).toBe(0x97);
		peer.client.publish(`LedSign/${sign}`, '{"speed":5}', { qos: 1, retain: true });
		expect(await disconnected).toBe(0x96);
		peer.client.end(true);
		expect(await version(sign)).toBe(1 + LIMITS.writesPerSign.burst);
	});

	it('disconnects a QoS 0 publisher beyond it at once (it has no PUBACK to be told by), with 0x96', async () => {
		const [user, sign] = [await newOperator(), await newSign()];
		const peer = await mqttPeer(harper, { user });
		const disconnected = disconnectReason(peer);
		for (let i = 0; i <= LIMITS.writesPerSign.burst; i++)
			peer.client.publish(`LedSign/${sign}`, '{"speed":6}', { qos: 0, retain: true });
		expect(await disconnected).toBe(0x96);
		peer.client.end(true);
	});

	it('answers a WebSocket change beyond it with an error message, and keeps the socket open', async () => {
		const [user, sign] = [await newOperator(), await newSign()];
		const socket = await wsPeer(harper, `/LedSign/${sign}`, user);
		try {
			for (let i = 0; i < LIMITS.writesPerSign.burst + 1; i++) socket.send({ text: `w${i}` });
			const error = await socket.inbox.waitFor((message) => (message as { type?: string }).type === 'error', 'a 429');
			expect(error).toMatchObject({ statusCode: 429, retryAfter: expect.any(Number) as number });
			expect(error).not.toHaveProperty('headers');
			expect(socket.socket.readyState).toBe(WebSocket.OPEN);
		} finally {
			await socket.close();
		}
	});

	it('applies to everyone writing the sign, but not to an administrator', async () => {
		const sign = await newSign();
		for (const user of [await newOperator(), await newOperator()]) {
			await rest(harper, 'PATCH', `/LedSign/${sign}`, { text: 'a' }, { user });
			await rest(harper, 'PATCH', `/LedSign/${sign}`, { text: 'b' }, { user });
		}
		expect((await rest(harper, 'PATCH', `/LedSign/${sign}`, { text: 'c' }, { user: await newOperator() })).status).toBe(
			429
		);
		for (let i = 0; i < 3 * LIMITS.writesPerSign.burst; i++) {
			expect((await rest(harper, 'PATCH', `/LedSign/${sign}`, { text: `admin ${i}` })).status).toBe(200);
		}
	});
});

describe('changes per account', () => {
	it('refuses an account writing many signs beyond its own burst', async () => {
		const user = await newOperator();
		const signs = await Promise.all(Array.from({ length: LIMITS.writesPerAccount.burst + 1 }, () => newSign()));
		const statuses: number[] = [];
		for (const sign of signs)
			statuses.push((await rest(harper, 'PATCH', `/LedSign/${sign}`, { text: 'x' }, { user })).status);
		expect(statuses.filter((status) => status === 200)).toHaveLength(LIMITS.writesPerAccount.burst);
		expect(statuses.at(-1)).toBe(429);
		// Another account is not held back by it.
		expect(
			(await rest(harper, 'PATCH', `/LedSign/${signs.at(-1)!}`, { text: 'y' }, { user: await newOperator() })).status
		).toBe(200);
	});
});

describe('message size', () => {
	const big = { text: 'x'.repeat(LIMITS.messageBytes) };

	it('refuses a REST body over the limit with 413 naming the body', async () => {
		const sign = await newSign();
		const { status, body } = await rest(harper, 'PATCH', `/LedSign/${sign}`, big, { user: await newOperator() });
		expect(status).toBe(413);
		expect(body).toMatchObject({
			statusCode: 413,
			fields: { body: expect.stringContaining(`${LIMITS.messageBytes}`) as string },
		});
		expect(await version(sign)).toBe(1);
	});

	it('answers an MQTT payload over the limit with PUBACK 0x97', async () => {
		const sign = await newSign();
		const peer = await mqttPeer(harper, { user: await newOperator() });
		try {
			expect(await mqttPublish(peer, `LedSign/${sign}`, JSON.stringify(big), true)).toBe(0x97);
		} finally {
			await peer.close();
		}
		expect(await version(sign)).toBe(1);
	});

	it('disconnects an MQTT client sending a 2 MB packet with DISCONNECT 0x95, from its first bytes', async () => {
		const peer = await mqttPeer(harper, { user: await newOperator() });
		const disconnected = disconnectReason(peer);
		peer.client.publish('LedSign/al-huge', Buffer.alloc(2 * 1024 * 1024, 0x41), { qos: 1 });
		expect(await disconnected).toBe(0x95);
		peer.client.end(true);
	});

	it('closes a WebSocket sending a 2 MB message with 1009, and refuses a 17 KB one with an error', async () => {
		const user = await newOperator();
		const sign = await newSign();
		const socket = await wsPeer(harper, `/LedSign/${sign}`, user);
		socket.send(big);
		expect(
			await socket.inbox.waitFor((message) => (message as { type?: string }).type === 'error', 'a 413')
		).toMatchObject({
			statusCode: 413,
		});
		const closed = new Promise<number>((resolve) => socket.socket.on('close', (code) => resolve(code)));
		socket.send({ text: 'y'.repeat(2 * 1024 * 1024) });
		expect(await closed).toBe(1009);
		expect(await version(sign)).toBe(1);
	});
});

describe('connections per account', () => {
	const mqttConnect = (user: Credentials): Promise<MqttPeer | number | string> => tryMqttPeer(harper, { user });

	it('refuses an MQTT connection beyond the quota with CONNACK 0x97, and admits one again after a close', async () => {
		const user = await newOperator();
		const open: MqttPeer[] = [];
		try {
			for (let i = 0; i < LIMITS.connectionsPerAccount; i++) open.push((await mqttConnect(user)) as MqttPeer);
			expect(await mqttConnect(user)).toBe(0x97);
			await open.pop()!.close();
			const again = await mqttConnect(user);
			expect(typeof again).toBe('object');
			open.push(again as MqttPeer);
		} finally {
			await Promise.all(open.map((peer) => peer.close()));
		}
	});

	it('counts MQTT, WebSocket and SSE together, and refuses a WebSocket or SSE beyond it', async () => {
		const user = await newOperator();
		const sign = await newSign();
		const mqttClient = (await mqttConnect(user)) as MqttPeer;
		const socket = await wsPeer(harper, `/LedSign/${sign}`, user);
		const sse = await fetch(`${harper.httpUrl}/LedSign/${sign}`, {
			headers: { accept: 'text/event-stream', authorization: basicAuth(user) },
		});
		try {
			expect(sse.status).toBe(200);
			expect(await mqttConnect(user)).toBe(0x97);
			const refusedSse = await fetch(`${harper.httpUrl}/LedSign/${sign}`, {
				headers: { accept: 'text/event-stream', authorization: basicAuth(user) },
			});
			expect(refusedSse.status).toBe(429);
			// Harper sends the refusal in the format asked for: one SSE event.
			expect(await refusedSse.text()).toMatch(/^data: \{"statusCode":429,"error":"[^"]*connections open/);
			const refusedWs = new WebSocket(`${harper.wsUrl}/LedSign/${sign}`, {
				headers: { authorization: basicAuth(user) },
			});
			const code = await new Promise<number>((resolve) => refusedWs.on('close', (closeCode) => resolve(closeCode)));
			expect(code).not.toBe(1000);
		} finally {
			await sse.body?.cancel();
			await socket.close();
			await mqttClient.close();
		}
		// Every one of them was released: the account can open its full quota again.
		await expect.poll(() => mqttConnectCode(harper, { user }), { timeout: DEADLINE_MS }).toBe(0);
	});

	it('refuses a flood of 100 simultaneous connections beyond the quota, and the server keeps answering', async () => {
		const user = await newOperator();
		const attempts = await Promise.all(
			Array.from({ length: 100 }, () => tryMqttPeer(harper, { user, connectTimeout: DEADLINE_MS }))
		);
		const connected = attempts.filter((attempt) => typeof attempt === 'object');
		expect(connected.length).toBeLessThanOrEqual(LIMITS.connectionsPerAccount);
		expect(attempts.filter((attempt) => attempt === 0x97).length).toBeGreaterThanOrEqual(
			100 - LIMITS.connectionsPerAccount
		);
		await Promise.all(connected.map((peer) => peer.close()));
		expect((await rest(harper, 'GET', '/SignRules', undefined, { user: null })).status).toBe(200);
	});
});

describe('login attempts', () => {
	const login = (username: string, password: string): Promise<RestResponse> =>
		rest(harper, 'POST', '/Session', { username, password }, { user: null });

	it('refuses a guessing spree on one account with 429 and Retry-After, even for the right password', async () => {
		const user = await newOperator();
		for (let i = 0; i < LIMITS.failedLogins.burst; i++)
			expect((await login(user.username, `guess-${i}`)).status).toBe(401);
		const refused = await login(user.username, user.password);
		expect(refused.status).toBe(429);
		expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
		// Another account is not locked out by it.
		const other = await newOperator();
		expect((await login(other.username, other.password)).status).toBe(200);
	});
});
