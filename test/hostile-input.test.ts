/**
 * Hostile input on every protocol (issue 5): oversize payloads, deep nesting, invalid UTF-8, NUL bytes, huge
 * numbers, prototype-pollution keys, topic and id injection, and floods of connections and changes, sent by an
 * operator account (the realistic attacker: a stolen or misused login) and by anonymous or wrong-password
 * clients. After each category the server must still answer, its memory stay bounded, and the guarded signs
 * (and sign statuses) be exactly as they were; after each input the sign it addressed is either unchanged
 * (refused) or a valid sign (accepted).
 *
 * Two Harpers, one after the other. The corpus runs on one whose rate limits are out of reach (MARQUEE_LIMITS),
 * so every input reaches the size and content checks instead of meeting a 429 part way through a category; the
 * floods run on one with the shipped limits, because those are what a flood meets. test/bad-input.test.ts covers
 * ordinary bad fields and ids; this file goes beyond them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import WebSocket from 'ws';
import { ABUSE_LIMITS } from '../src/admission/limits.ts';
import type { LedSignRecord } from '../src/shared/sign-rules.ts';
import { rest, sseGlance, type Credentials, type RestResponse } from '../harness/clients.ts';
import { errorCode, hex } from '../harness/mqtt-codes.ts';
import { useHarper } from '../harness/use-harper.ts';
import { addUser, bindDevice } from '../harness/users.ts';
import { CORPUS, INJECTED_PATHS, TOPICS, WS_PATHS } from './hostile-input/corpus.ts';
import { answered, mqttLink, wsLink } from './hostile-input/links.ts';
import { rawMqtt, rawWebSocket } from './hostile-input/raw-clients.ts';
import { allSigns, besiege, count, expectUnharmed, printSummary, type Siege } from './hostile-input/siege.ts';
import { invalidity, judge } from './hostile-input/verdicts.ts';
import { PATHS, type WritePath } from './hostile-input/write-paths.ts';

afterAll(printSummary);

// ---- the corpus, on every write path -------------------------------------------------------------------------------

const SETTINGS_AFTER_ACCEPTED_CHANGES = (id: string): boolean => id.startsWith('hi-') && !id.startsWith('hi-guard');

describe('the hostile corpus, on every write path', () => {
	let siege: Siege;
	const paths = new Map<string, WritePath>();
	const generous = { perSecond: 100_000, burst: 100_000 };
	const harper = useHarper({
		env: { MARQUEE_LIMITS: JSON.stringify({ writesPerAccount: generous, writesPerSign: generous }) },
	});

	beforeAll(async () => {
		const targets = [
			'hi-rest-patch',
			'hi-rest-put',
			'hi-mqtt-retained',
			'hi-mqtt-non-retained',
			'hi-mqtt-over-websocket',
			'hi-ws-one',
			'hi-ws-all',
			'hi-inj',
		];
		siege = await besiege(harper, 'corpus', targets);
		for (const path of PATHS) paths.set(path.name, path.open(siege));
	});

	afterAll(async () => {
		for (const path of paths.values()) await path.close();
	});

	/** Numbers each input sent, so every REST POST creates a sign id of its own. */
	let serial = 0;

	describe.each(Object.entries(CORPUS))('%s', (category, inputs) => {
		it.each(PATHS)(
			`over $name: each input answered as expected, the addressed sign unchanged or valid`,
			async ({ name }) => {
				const path = paths.get(name)!;
				const wrong: string[] = [];
				for (const input of inputs) {
					const n = ++serial;
					const id = path.target(n);
					const before = await rest(siege.harper, 'GET', `/LedSign/${id}`);
					const version = (before.body as Partial<LedSignRecord> | undefined)?.version ?? 0;
					const outcome = await path.send(input.payload, n, version);
					count(category, name);
					const after = await rest(siege.harper, 'GET', `/LedSign/${id}`);
					const expected = (name.startsWith('REST') && input.overRest) || input.expect;
					const problem = judge(expected, outcome, before, after, name === 'MQTT non-retained');
					if (problem) wrong.push(`${input.name}: ${problem}`);
				}
				expect(wrong).toEqual([]);
			}
		);

		it('leaves the server answering, its memory bounded and every other sign as it was', async () => {
			await expectUnharmed(siege, category, SETTINGS_AFTER_ACCEPTED_CHANGES);
		});
	});

	describe('prototype pollution, afterwards', () => {
		it('left no trace: a new sign, the rules and the list have no polluted key, and validation still refuses', async () => {
			const { harper, attacker } = siege;
			const created = await rest(harper, 'PUT', '/LedSign/hi-fresh', { text: 'fresh' }, { user: attacker });
			expect(created.status).toBe(200);
			const fresh = (await rest(harper, 'GET', '/LedSign/hi-fresh', undefined, { user: attacker })).body;
			expect(invalidity(fresh)).toBeUndefined();
			const rules = (await rest(harper, 'GET', '/SignRules', undefined, { user: null })).body as object;
			for (const body of [fresh, rules, ...((await rest(harper, 'GET', '/LedSign/')).body as object[])]) {
				expect(JSON.stringify(body)).not.toMatch(/polluted|inherited/);
			}
			const refused = await rest(harper, 'PATCH', '/LedSign/hi-fresh', { brightness: 101 }, { user: attacker });
			expect(refused).toMatchObject({ status: 422, body: { fields: { brightness: expect.any(String) as string } } });
			const status = await rest(harper, 'PATCH', '/LedSign/hi-fresh', { effect: 'polluted' }, { user: attacker });
			expect(status.status).toBe(422);
		});
	});

	describe('topic and id injection', () => {
		/** The one sign these may change (ids that resolve to it are fine); any other change is an injection. */
		const mayChange = (id: string): boolean => id === 'hi-inj';

		beforeAll(async () => {
			// What the corpus changed and created is the new starting point: from here on only hi-inj may change.
			siege.signs = await allSigns(siege.harper);
		});

		it.each(['PATCH', 'PUT', 'POST'])(
			'REST %s on injected paths: no 5xx, and nothing but hi-inj changes',
			async (method) => {
				const statuses: Record<string, number> = {};
				for (const path of INJECTED_PATHS) {
					const body = method === 'GET' ? undefined : { text: 'INJECTED' };
					const response = await rest(siege.harper, method, path, body, { user: siege.attacker });
					statuses[path.slice(0, 50)] = response.status;
					count('topic/id injection', `REST ${method}`);
				}
				expect(Object.entries(statuses).filter(([, status]) => status >= 500 || status === 0)).toEqual([]);
				await expectUnharmed(siege, `REST ${method} injection`, mayChange);
			}
		);

		it('SSE on injected paths, by a device bound to hi-inj: no 5xx, and no other sign ever streamed', async () => {
			// An operator may read every sign anyway; a device account is the one an injected path must not widen.
			const device = { username: 'hi-device', password: 'hi-device-password' };
			await addUser(siege.harper, device, 'marquee_device');
			await bindDevice(siege.harper, device.username, 'hi-inj');
			const statuses: Record<string, number> = {};
			for (const path of INJECTED_PATHS) {
				const { status, text } = await sseGlance(siege.harper, path, device, { forMs: 500 });
				statuses[path.slice(0, 50)] = status;
				for (const id of text.matchAll(/"id":"([^"]*)"/g)) expect(id[1], path).toBe('hi-inj');
				count('topic/id injection', 'SSE');
			}
			expect(Object.entries(statuses).filter(([, status]) => status >= 500 || status === 0)).toEqual([]);
			// The plain address of another sign is refused outright.
			expect((await sseGlance(siege.harper, '/LedSign/hi-guard-1', device, { forMs: 500 })).status).toBe(403);
			await expectUnharmed(siege, 'SSE injection', mayChange);
		});

		it('REST addresses with malformed percent-escapes: 400 naming the address, not a 500 and a logged error', async () => {
			const addresses = ['/LedSign/%ff%fe', '/LedSign/%E0%A4%A', '/LedSign/%', '/SignRules/%ff', '/LedSign/?text=%ff'];
			for (const method of ['GET', 'PATCH', 'PUT', 'POST']) {
				for (const address of addresses) {
					const body = method === 'GET' ? undefined : { text: 'INJECTED' };
					const answer = await rest(siege.harper, method, address, body, { user: siege.attacker });
					expect(answer, `${method} ${address}`).toMatchObject({
						status: 400,
						body: { fields: { url: expect.any(String) as string } },
					});
					count('topic/id injection', `REST ${method}`);
				}
			}
			expect(siege.harper.log()).not.toMatch(/URIError/);
			await expectUnharmed(siege, 'malformed percent-escapes', mayChange);
		});

		it('REST bodies whose id names another sign: refused', async () => {
			const { harper, attacker } = siege;
			const tries: [string, string, object][] = [
				['PATCH', '/LedSign/hi-inj', { id: 'hi-guard-1', text: 'pwned' }],
				['PUT', '/LedSign/hi-inj', { id: 'hi-guard-2', text: 'pwned' }],
				['POST', '/LedSign/', { id: 'hi-guard-1', text: 'pwned' }],
				['POST', '/LedSign/', { id: '../SignStatus/hi-guard-1', text: 'pwned' }],
				['POST', '/LedSign/', { id: ['hi-guard-1'], text: 'pwned' }],
				['POST', '/LedSign/', { id: { $ne: null }, text: 'pwned' }],
				['POST', '/LedSign/hi-inj-new', { id: 'hi-guard-2', text: 'pwned' }],
			];
			for (const [method, path, body] of tries) {
				const { status } = await rest(harper, method, path, body, { user: attacker });
				expect([400, 409, 422], `${method} ${path} ${JSON.stringify(body)}`).toContain(status);
				count('topic/id injection', `REST ${method}`);
			}
			await expectUnharmed(siege, 'REST body id injection', mayChange);
		});

		it.each([true, false])(
			'raw MQTT publishes to injected topics (retain %s): none accepted, nothing stored',
			async (retain) => {
				let client = await rawMqtt(siege.harper.ports.mqtt, siege.attacker);
				const answers: Record<string, string> = {};
				try {
					for (const topic of TOPICS) {
						if (client.ended()) client = await rawMqtt(siege.harper.ports.mqtt, siege.attacker);
						answers[topic.toString('latin1').slice(0, 50)] = await client.publish(topic, '{"text":"INJECTED"}', retain);
						count('topic/id injection', retain ? 'MQTT retained' : 'MQTT non-retained');
					}
				} finally {
					client.close();
				}
				// Accepted would be PUBACK 0x0 (or 0x10, "no matching subscribers"); every answer must be a refusal.
				expect(Object.entries(answers).filter(([, answer]) => /PUBACK 0x(0|10)$/.test(answer))).toEqual([]);
				await expectUnharmed(siege, `MQTT injection (retain ${retain})`, mayChange);
			}
		);

		it('WebSockets on injected paths (handshakes written by hand): no message changes another sign', async () => {
			const answers: Record<string, string> = {};
			for (const path of WS_PATHS) {
				answers[path] = await rawWebSocket(siege.harper, path, siege.attacker, '{"text":"INJECTED"}');
				count('topic/id injection', 'WebSocket');
			}
			// A refusal (4xx, on the socket or before the upgrade), a malformed address closed with 1008, or an event
			// of hi-inj itself; never an event of another sign, a server error (5xx, close 1011) or silence.
			const wrong = Object.entries(answers).filter(
				([, answer]) => !/^(error 4\d\d|HTTP 4\d\d|ws close 1008|event for hi-inj)$/.test(answer)
			);
			expect(wrong).toEqual([]);
			expect(answers['/LedSign/%ff']).toBe('ws close 1008');
			expect(siege.harper.log()).not.toMatch(/URIError/);
			await expectUnharmed(siege, 'WebSocket injection', mayChange);
		});
	});
});

// ---- floods, against the shipped limits ------------------------------------------------------------------------------

describe('floods, against the shipped limits', () => {
	let siege: Siege;
	const { writesPerSign, connectionsPerAccount } = ABUSE_LIMITS;
	const harper = useHarper();

	beforeAll(async () => {
		siege = await besiege(harper, 'flood', [
			'hi-flood-qos0',
			'hi-flood-qos1',
			'hi-flood-rest',
			'hi-flood-ws',
			'hi-flood-warm',
		]);
	});

	const floodTargets = (id: string): boolean => id.startsWith('hi-flood');
	/** Changes a sign may take in `ms` under the per-sign limit (Harper runs one worker thread in these tests). */
	const allowedIn = (ms: number): number => writesPerSign.burst + Math.ceil((writesPerSign.perSecond * ms) / 1000);

	async function newOperator(name: string): Promise<Credentials> {
		const user = { username: `hi-flood-${name}`, password: 'hi-flood-password' };
		await addUser(siege.harper, user, 'marquee_operator');
		return user;
	}

	/** The client once connected; else its CONNACK code, or "closed" for a socket the server closed first. */
	async function connectOutcome(user: Credentials | null): Promise<MqttClient | string> {
		try {
			const { client } = await mqttLink(siege.harper, user, { connectTimeout: 30_000 });
			// Past the cap on connections an address may hold before they log in, the server closes one at once.
			return client.connected ? client : 'closed';
		} catch (err) {
			const code = errorCode(err);
			return code === undefined ? String(err) : `CONNACK ${hex(code)}`;
		}
	}

	it('300 wrong-password and 300 anonymous MQTT connects at once: all refused, and the server answers', async () => {
		const wrong = { username: siege.attacker.username, password: 'not-the-password' };
		const attempts = await Promise.all([
			...Array.from({ length: 300 }, () => connectOutcome(wrong)),
			...Array.from({ length: 300 }, () => connectOutcome(null)),
		]);
		count('floods', 'MQTT connect', attempts.length);
		const connected = attempts.filter((attempt): attempt is MqttClient => typeof attempt !== 'string');
		await Promise.all(connected.map((client) => client.endAsync(true)));
		expect(connected).toHaveLength(0);
		// 0x86 bad credentials; past the failed-login limit for this address, 0x9F "Connection rate exceeded"; past
		// the connections an address may hold before they log in, closed at once.
		const codes = [...new Set(attempts.filter((attempt) => typeof attempt === 'string'))];
		expect(
			codes.every((code) => /^(CONNACK 0x(8[67]|9f)|closed)$/.test(code)),
			codes.join(', ')
		).toBe(true);
		await expectUnharmed(siege, 'connect flood (bad credentials)', floodTargets);
	});

	it(`200 connects at once by one operator: at most ${connectionsPerAccount} admitted, the rest CONNACK 0x97`, async () => {
		const user = await newOperator('connects');
		const attempts = await Promise.all(Array.from({ length: 200 }, () => connectOutcome(user)));
		count('floods', 'MQTT connect', attempts.length);
		const connected = attempts.filter((attempt): attempt is MqttClient => typeof attempt !== 'string');
		await Promise.all(connected.map((client) => client.endAsync(true)));
		expect(connected.length).toBeLessThanOrEqual(connectionsPerAccount);
		expect(attempts.filter((attempt) => attempt === 'CONNACK 0x97')).toHaveLength(200 - connected.length);
		await expectUnharmed(siege, 'connect flood (one operator)', floodTargets);
	});

	it.each([0, 1] as const)(
		'5 000 publishes at QoS %i from one connection: throttled and cut off; the sign takes only what the limit allows',
		async (qos) => {
			const user = await newOperator(`qos${qos}`);
			const sign = `hi-flood-qos${qos}`;
			const start = (await rest(siege.harper, 'GET', `/LedSign/${sign}`)).body as LedSignRecord;
			const link = await mqttLink(siege.harper, user);
			// mqtt.js waits for 'drain' once per publish queued behind a full socket: 5 000 are this test's, not a leak.
			link.client.stream.setMaxListeners(5000 + 100);
			const codes: number[] = [];
			const started = Date.now();
			for (let i = 0; i < 5000 && !link.isEnded(); i++) {
				// PUBACK reason codes (QoS 1); publishes cut off by the disconnect fail without one and are not counted.
				link.client.publish(`LedSign/${sign}`, `{"speed":${(i % 10) + 1}}`, { qos, retain: true }, (err, packet) => {
					const code = err ? errorCode(err) : (packet as { reasonCode?: number } | undefined)?.reasonCode;
					if (code !== undefined) codes.push(code);
				});
			}
			count('floods', `MQTT publish QoS ${qos}`, 5000);
			const ended = await answered(link.ended, 'the throttled connection to be cut off', 30_000);
			await link.close();
			expect(ended.detail).toBe('DISCONNECT 0x96');
			if (qos === 1) expect(codes).toContain(0x97);
			const end = (await rest(siege.harper, 'GET', `/LedSign/${sign}`)).body as LedSignRecord;
			expect(end.version - start.version).toBeLessThanOrEqual(allowedIn(Date.now() - started));
			expect(invalidity(end)).toBeUndefined();
			await expectUnharmed(siege, `publish flood QoS ${qos}`, floodTargets);
		}
	);

	it('1 000 REST PATCHes, 50 at a time: mostly 429 with Retry-After; the sign takes only what the limit allows', async () => {
		const user = await newOperator('rest');
		const sign = 'hi-flood-rest';
		const start = (await rest(siege.harper, 'GET', `/LedSign/${sign}`)).body as LedSignRecord;
		const answers: RestResponse[] = [];
		const started = Date.now();
		for (let batch = 0; batch < 20; batch++) {
			const requests = Array.from({ length: 50 }, (_, i) =>
				rest(siege.harper, 'PATCH', `/LedSign/${sign}`, { brightness: (batch * 50 + i) % 101 }, { user })
			);
			answers.push(...(await Promise.all(requests)));
		}
		count('floods', 'REST PATCH', answers.length);
		const elapsed = Date.now() - started;
		const accepted = answers.filter((answer) => answer.status === 200).length;
		const limited = answers.filter((answer) => answer.status === 429);
		expect(accepted + limited.length).toBe(1000);
		expect(accepted).toBeLessThanOrEqual(allowedIn(elapsed));
		expect(limited.every((answer) => Number(answer.headers['retry-after']) >= 1)).toBe(true);
		const end = (await rest(siege.harper, 'GET', `/LedSign/${sign}`)).body as LedSignRecord;
		expect(end.version - start.version).toBe(accepted);
		await expectUnharmed(siege, 'REST PATCH flood', floodTargets);
	});

	it('5 000 WebSocket messages: answered with 429 errors; the socket and the server keep answering', async () => {
		const user = await newOperator('ws');
		const sign = 'hi-flood-ws';
		const start = (await rest(siege.harper, 'GET', `/LedSign/${sign}`)).body as LedSignRecord;
		const link = await wsLink(siege.harper, `/LedSign/${sign}`, user);
		const started = Date.now();
		try {
			for (let i = 0; i < 5000; i++) link.socket.send(`{"speed":${(i % 10) + 1}}`);
			count('floods', 'WebSocket message', 5000);
			const errors = (): number => link.inbox.received.filter((message) => message.type === 'error').length;
			// Every message is answered: by an error, or by the change it made (each accepted one adds one version).
			await expect
				.poll(
					async () =>
						errors() +
						((await rest(siege.harper, 'GET', `/LedSign/${sign}`)).body as LedSignRecord).version -
						start.version,
					{
						timeout: 30_000,
						interval: 250,
					}
				)
				.toBe(5000);
			const statuses = new Set(
				link.inbox.received.filter((message) => message.type === 'error').map((message) => message.statusCode)
			);
			expect([...statuses]).toEqual([429]);
			expect(link.socket.readyState).toBe(WebSocket.OPEN);
			const end = (await rest(siege.harper, 'GET', `/LedSign/${sign}`)).body as LedSignRecord;
			expect(end.version - start.version).toBeLessThanOrEqual(allowedIn(Date.now() - started));
		} finally {
			link.close();
		}
		await expectUnharmed(siege, 'WebSocket flood', floodTargets);
	});
});
