/**
 * Bad input, on every write path: a clear error naming the field, and nothing changed (REST GET shows the old
 * sign, and listeners see no event: the next thing they receive is a later good change).
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { SIGN_RULES, type LedSignRecord } from '../src/shared/sign-rules.ts';
import { mqttPeer, mqttPublish, mqttPublishAck, rest, wsPeer, type MqttPeer, type WsPeer } from '../harness/clients.ts';
import { openReader, waitForText, type Reader, type ReaderKind } from '../harness/readers.ts';

const server = inject('harper');

/** MQTT v5 PUBACK reason codes. */
/** MQTT 5 PUBACK 0x99 "Payload format invalid": not JSON, a field the rules refuse, no payload at all. */
const PAYLOAD_FORMAT_INVALID = 0x99;
const TOPIC_NAME_INVALID = 0x90;

interface BadChange {
	name: string;
	/** The payload exactly as sent on the wire. */
	payload: string;
	/** The field the error must name. */
	field: string;
}

const BAD_CHANGES: BadChange[] = [
	{ name: 'wrong type', payload: '{"brightness":"50"}', field: 'brightness' },
	{ name: 'out of range', payload: '{"brightness":101}', field: 'brightness' },
	{ name: 'out of range speed', payload: '{"speed":0}', field: 'speed' },
	{ name: 'huge number', payload: '{"speed":1e400}', field: 'speed' },
	{ name: 'not a boolean', payload: '{"power":"off"}', field: 'power' },
	{ name: 'unknown effect', payload: '{"effect":"spin"}', field: 'effect' },
	{ name: 'bad colour', payload: '{"color":"red"}', field: 'color' },
	{
		name: 'over-long text',
		payload: JSON.stringify({ text: 'x'.repeat(SIGN_RULES.text.maxLength + 1) }),
		field: 'text',
	},
	{ name: 'undrawable text', payload: '{"text":"café ☕"}', field: 'text' },
	{ name: 'NUL in text', payload: '{"text":"a\\u0000b"}', field: 'text' },
	{ name: 'unknown field', payload: '{"text":"ok","font":"big"}', field: 'font' },
	{ name: 'prototype pollution key', payload: '{"__proto__":{"power":false}}', field: '__proto__' },
	{ name: 'id of another sign', payload: '{"id":"someone-else","text":"hi"}', field: 'id' },
	{ name: 'JSON that is not an object', payload: '[1,2]', field: 'body' },
	{ name: 'non-JSON payload', payload: 'hello', field: 'body' },
	{ name: 'malformed JSON', payload: '{"text":', field: 'body' },
	{ name: 'empty payload', payload: '', field: 'body' },
];

const BAD_IDS = ['a/b', 'a+b', 'a#b', '..', 'x'.repeat(33)];

type Outcome =
	| { kind: 'http'; status: number; body: unknown }
	| { kind: 'mqtt'; reasonCode: number; reason?: string }
	| { kind: 'ws'; message: unknown };

interface WritePath {
	name: string;
	send(id: string, payload: string): Promise<Outcome>;
	/** Ids this path cannot even address, and why (they are tested on another path). */
	unaddressable?: Record<string, string>;
}

let mqttWriter: MqttPeer;
const signSockets = new Map<string, WsPeer>();
let allSocket: WsPeer;

/** A sign id as a URL path segment, with the dots of ".." escaped so the URL is not normalised away. */
const pathSegment = (id: string): string => encodeURIComponent(id).replace(/\./g, '%2E');

function restWriter(method: string, name: string): WritePath {
	return {
		name,
		async send(id, payload): Promise<Outcome> {
			const response = await rest(server, method, `/LedSign/${pathSegment(id)}`, payload, { raw: true });
			return { kind: 'http', status: response.status, body: response.body };
		},
	};
}

function mqttWriter_(retain: boolean): WritePath {
	return {
		name: `MQTT ${retain ? 'retained' : 'non-retained'} publish`,
		async send(id, payload): Promise<Outcome> {
			const { code, reason } = await mqttPublishAck(mqttWriter, `LedSign/${id}`, payload, retain);
			return { kind: 'mqtt', reasonCode: code, reason };
		},
	};
}

/** Sends on a socket open on the sign itself, and waits for the error the server answers with. */
const webSocketWriter: WritePath = {
	name: 'WebSocket message',
	async send(id, payload) {
		let socket = signSockets.get(id);
		if (!socket) {
			socket = await wsPeer(server, `/LedSign/${pathSegment(id)}`);
			signSockets.set(id, socket);
		}
		const answer = socket.inbox.waitForNext(isErrorMessage, 'an error message');
		socket.send(payload);
		return { kind: 'ws', message: await answer };
	},
	unaddressable: {
		'..': 'WebSocket clients resolve /LedSign/.. to / before connecting; ".." is tested in messages on /LedSign/',
	},
};

const WRITE_PATHS: WritePath[] = [
	restWriter('PUT', 'REST PUT'),
	restWriter('PATCH', 'REST PATCH'),
	restWriter('POST', 'REST POST'),
	mqttWriter_(true),
	mqttWriter_(false),
	webSocketWriter,
];

function isErrorMessage(message: unknown): boolean {
	return typeof message === 'object' && message !== null && (message as { type?: unknown }).type === 'error';
}

/**
 * What an outcome says was refused, after checking it is a refusal of the right kind for its protocol: the names
 * of the JSON body's or WebSocket message's `fields`, or, over MQTT 5, the PUBACK's Reason String (which names
 * each field and says why). undefined when the refusal cannot name anything (Harper's own 0x90).
 */
function expectRefusal(outcome: Outcome, mqttCode = PAYLOAD_FORMAT_INVALID): string | undefined {
	switch (outcome.kind) {
		case 'http':
			expect([400, 422]).toContain(outcome.status);
			expect(outcome.body).toMatchObject({ error: expect.any(String), fields: expect.any(Object) });
			return Object.keys((outcome.body as { fields: Record<string, string> }).fields).join(' ');
		case 'mqtt':
			expect(outcome.reasonCode).toBe(mqttCode);
			return outcome.reason;
		case 'ws':
			expect(outcome.message).toMatchObject({
				type: 'error',
				statusCode: expect.any(Number),
				error: expect.any(String),
			});
			expect([400, 422]).toContain((outcome.message as { statusCode: number }).statusCode);
			return Object.keys((outcome.message as { fields: Record<string, string> }).fields).join(' ');
	}
}

beforeAll(async () => {
	mqttWriter = await mqttPeer(server);
	allSocket = await wsPeer(server, '/LedSign/');
});

afterAll(async () => {
	await mqttWriter.close();
	await Promise.all([...signSockets.values()].map((socket) => socket.close()));
	await allSocket.close();
});

describe.each(WRITE_PATHS)('bad input over $name', (path) => {
	const id = `bad-${path.name.replace(/[^A-Za-z]+/g, '-').toLowerCase()}`;
	const baseline = { text: 'unchanged', color: '#00ff00', brightness: 20, power: true, effect: 'scroll', speed: 2 };
	const listenerKinds: ReaderKind[] = ['mqtt-record', 'ws-record', 'sse-record', 'mqtt-all'];
	const listeners: Reader[] = [];
	let stored: LedSignRecord;

	beforeAll(async () => {
		stored = (await rest(server, 'PUT', `/LedSign/${id}`, baseline)).body as LedSignRecord;
		for (const kind of listenerKinds) listeners.push(await openReader(server, kind, id));
		await Promise.all(listeners.map((listener) => waitForText(listener, id, baseline.text)));
		for (const listener of listeners) listener.events.takeNew();
	});

	afterAll(async () => {
		await Promise.all(listeners.map((listener) => listener.close()));
	});

	it.each(BAD_CHANGES)('$name: refused, naming "$field", and nothing changes', async ({ payload, field }) => {
		expect(expectRefusal(await path.send(id, payload)), 'what the refusal names').toContain(field);
		expect((await rest(server, 'GET', `/LedSign/${id}`)).body).toEqual(stored);
	});

	it.each(BAD_IDS.filter((badId) => !path.unaddressable?.[badId]))(
		'id %j: refused, and no sign is created',
		async (badId) => {
			const outcome = await path.send(badId, '{"text":"hi"}');
			const named = expectRefusal(outcome, TOPIC_NAME_INVALID);
			// Harper's own 0x90 (the topic cannot name a sign) carries no reason string.
			if (outcome.kind !== 'mqtt') expect(named, 'what the refusal names').toContain('id');
			const all = (await rest(server, 'GET', '/LedSign/')).body as LedSignRecord[];
			expect(all.map((sign) => sign.id)).not.toContain(badId);
		}
	);

	it('listeners saw none of it: the next event they get is the next good change', async () => {
		const { body } = await rest(server, 'PATCH', `/LedSign/${id}`, { text: 'next good change' });
		expect(body).toMatchObject({ version: stored.version + 1 });
		for (const listener of listeners) {
			await waitForText(listener, id, 'next good change');
			const ofThisSign = listener.events.takeNew().filter((event) => event.id === id);
			expect(
				ofThisSign.map((event) => event.value?.text),
				listener.name
			).toEqual(['next good change']);
		}
	});
});

describe('bad ids over a WebSocket on all signs', () => {
	it.each(BAD_IDS)('id %j in the message: refused on the socket', async (badId) => {
		const answer = allSocket.inbox.waitForNext(isErrorMessage, 'an error message');
		allSocket.send({ id: badId, text: 'hi' });
		expect(await answer).toMatchObject({ type: 'error', statusCode: 422, fields: { id: expect.any(String) } });
	});
});

describe('deleting a sign', () => {
	it('is refused over MQTT (an empty retained payload), and the sign stays', async () => {
		await rest(server, 'PUT', '/LedSign/keep-me', { text: 'still here' });
		expect(await mqttPublish(mqttWriter, 'LedSign/keep-me', '', true)).toBe(PAYLOAD_FORMAT_INVALID);
		expect((await rest(server, 'GET', '/LedSign/keep-me')).body).toMatchObject({ text: 'still here' });
	});

	it('is allowed over REST DELETE, and listeners hear of it', async () => {
		await rest(server, 'PUT', '/LedSign/delete-me', { text: 'bye' });
		const listener = await openReader(server, 'mqtt-record', 'delete-me');
		await waitForText(listener, 'delete-me', 'bye');
		expect((await rest(server, 'DELETE', '/LedSign/delete-me')).status).toBe(200);
		await listener.events.waitFor((event) => event.type === 'delete', 'a delete event');
		expect((await rest(server, 'GET', '/LedSign/delete-me')).status).toBe(404);
		await listener.close();
	});
});
