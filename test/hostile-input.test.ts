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
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { connect as tcpConnect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import WebSocket from 'ws';
import { ABUSE_LIMITS } from '../src/server/abuse-limits.ts';
import { checkField, SETTING_FIELDS, type LedSignRecord } from '../src/sign-rules.ts';
import { basicAuth, Inbox, operation, rest, type RestResponse } from '../harness/clients.ts';
import { startHarper, type Credentials, type HarperInstance } from '../harness/harper.ts';

const DEADLINE_MS = 10_000;
/** How far Harper's resident memory may grow over its warmed-up baseline while under attack. */
const RSS_BOUND_MB = 300;
const APP_LIMIT = ABUSE_LIMITS.messageBytes;

// ---- the server under attack --------------------------------------------------------------------------------

/** Signs the attacker never addresses on purpose; every injection tries to reach them. `other` is the id `?id=` names. */
const GUARDED: Record<string, object> = {
	'hi-guard-1': { text: 'GUARDED ONE', color: '#123456', brightness: 11, power: true, effect: 'blink', speed: 3 },
	'hi-guard-2': { text: 'guarded two', color: '#abcdef', brightness: 99, power: false, effect: 'scroll', speed: 9 },
	'other': { text: 'the other sign', brightness: 42 },
};
const GUARDED_STATUS = { online: true, shownVersion: 1, firmware: 'hi-guard', width: 32, height: 8 };

interface Siege {
	harper: HarperInstance;
	attacker: Credentials;
	/** Every sign and sign status, as the admin read them before the attack. */
	signs: Record<string, LedSignRecord>;
	statuses: unknown;
	baselineMb: number;
}

function rssMb(harper: HarperInstance): number {
	// Harper's worker threads live in the process the harness started, so its VmRSS is the whole server.
	const status = readFileSync(`/proc/${harper.pid() ?? 'missing'}/status`, 'utf8');
	return Math.round(Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1]) / 1024);
}

async function allSigns(harper: HarperInstance): Promise<Record<string, LedSignRecord>> {
	const list = (await rest(harper, 'GET', '/LedSign/')).body as LedSignRecord[];
	return Object.fromEntries(list.map((sign) => [sign.id, sign]));
}

const allStatuses = async (harper: HarperInstance): Promise<unknown> =>
	(await rest(harper, 'GET', '/SignStatus/')).body;

/** Starts a Harper, creates the attacker and the guarded signs, warms every protocol up and notes its memory. */
async function besiege(name: string, env: Record<string, string>, targets: string[]): Promise<Siege> {
	const harper = await startHarper({ env });
	const attacker = { username: `hi-${name}`, password: `hi-${name}-password` };
	await operation(harper, { operation: 'add_user', role: 'marquee_operator', active: true, ...attacker });
	for (const [id, settings] of Object.entries(GUARDED)) {
		expect((await rest(harper, 'PUT', `/LedSign/${id}`, settings)).status).toBe(200);
	}
	expect((await rest(harper, 'PUT', '/SignStatus/hi-guard-1', GUARDED_STATUS)).status).toBe(200);
	for (const id of targets) await rest(harper, 'PUT', `/LedSign/${id}`, { text: `target ${id}` });
	// Warm-up: one ordinary change over each protocol, so the baseline includes what serving them loads.
	await rest(harper, 'PATCH', `/LedSign/${targets[0]}`, { text: 'warm' }, { user: attacker });
	const link = await mqttLink(harper.mqttUrl, attacker);
	await link.publish(`LedSign/${targets[0]}`, '{"text":"warm"}', true);
	await link.close();
	const socket = await wsLink(harper, `/LedSign/${targets[0]}`, attacker);
	socket.close();
	return {
		harper,
		attacker,
		signs: await allSigns(harper),
		statuses: await allStatuses(harper),
		baselineMb: rssMb(harper),
	};
}

const memoryRows: { harper: string; after: string; rssMb: number; baselineMb: number }[] = [];

/** After a category: the server answers, its memory is bounded, and no sign it was not asked to change changed. */
async function expectUnharmed(siege: Siege, after: string, changeable: (id: string) => boolean): Promise<void> {
	const started = Date.now();
	expect((await rest(siege.harper, 'GET', '/SignRules', undefined, { user: null })).status).toBe(200);
	expect(Date.now() - started, 'GET /SignRules answered slowly').toBeLessThan(5000);
	const now = await allSigns(siege.harper);
	for (const [id, sign] of Object.entries(siege.signs)) {
		if (!changeable(id)) expect(now[id], `sign ${id}`).toEqual(sign);
	}
	const created = Object.keys(now).filter((id) => !(id in siege.signs) && !changeable(id));
	expect(created, 'signs created outside the addressed ones').toEqual([]);
	for (const sign of Object.values(now)) expect(invalidity(sign), `stored sign ${sign.id}`).toBeUndefined();
	expect(await allStatuses(siege.harper)).toEqual(siege.statuses);
	const mb = rssMb(siege.harper);
	memoryRows.push({ harper: siege.attacker.username, after, rssMb: mb, baselineMb: siege.baselineMb });
	expect(mb, `RSS after ${after}`).toBeLessThan(siege.baselineMb + RSS_BOUND_MB);
}

const RECORD_KEYS = ['id', ...SETTING_FIELDS, 'version', 'updatedAt'].sort();

/** Why a stored record is not a valid sign (a field the rules refuse, a key too many), or undefined. */
function invalidity(record: unknown): string | undefined {
	if (typeof record !== 'object' || record === null) return `not a record: ${JSON.stringify(record)}`;
	const sign = record as Record<string, unknown>;
	if (JSON.stringify(Object.keys(sign).sort()) !== JSON.stringify(RECORD_KEYS))
		return `keys ${Object.keys(sign).join(', ')}`;
	for (const field of SETTING_FIELDS) {
		const problem = checkField(field, sign[field]);
		if (problem) return `${field} ${problem}`;
	}
	if (!Number.isInteger(sign.version) || (sign.version as number) < 1) return `version ${String(sign.version)}`;
	return undefined;
}

// ---- what came back -------------------------------------------------------------------------------------------

/** How the server answered, whatever the protocol: a change it took, refused as too large, or refused as invalid. */
type Verdict = 'accepted' | 'tooLarge' | 'refused';

interface Outcome {
	verdict: Verdict | 'unexpected';
	/** What the wire said: "HTTP 422", "PUBACK 0x97", "DISCONNECT 0x95", "ws close 1009". */
	detail: string;
}

const hex = (code: number): string => `0x${code.toString(16)}`;

function httpOutcome(status: number): Outcome {
	const detail = `HTTP ${status}`;
	if (status >= 200 && status < 300) return { verdict: 'accepted', detail };
	if (status === 413) return { verdict: 'tooLarge', detail };
	if ([400, 405, 409, 422].includes(status)) return { verdict: 'refused', detail };
	return { verdict: 'unexpected', detail };
}

/**
 * PUBACK or DISCONNECT reason codes: 0x97 quota (size), 0x95 packet too large; refusals: 0x80 unspecified, 0x82
 * protocol error, 0x83 not accepted here, 0x87 not authorized, 0x90 topic name invalid, 0x99 payload invalid.
 */
function mqttOutcome(packet: 'PUBACK' | 'DISCONNECT', code: number): Outcome {
	const detail = `${packet} ${hex(code)}`;
	if (packet === 'PUBACK' && code === 0) return { verdict: 'accepted', detail };
	if (code === 0x97 || code === 0x95) return { verdict: 'tooLarge', detail };
	if ([0x80, 0x82, 0x83, 0x87, 0x90, 0x99].includes(code)) return { verdict: 'refused', detail };
	return { verdict: 'unexpected', detail };
}

/** A WebSocket error message carries an HTTP status; a close, ws's code (1009 too big, 1007 not UTF-8). */
function wsOutcome(answer: { statusCode?: number; close?: number }): Outcome {
	if (answer.close !== undefined) {
		const detail = `ws close ${answer.close}`;
		if (answer.close === 1009) return { verdict: 'tooLarge', detail };
		return { verdict: answer.close === 1007 ? 'refused' : 'unexpected', detail };
	}
	if (answer.statusCode === undefined) return { verdict: 'accepted', detail: 'ws change event' };
	return { ...httpOutcome(answer.statusCode), detail: `ws error ${answer.statusCode}` };
}

function withDeadline<T>(promise: Promise<T>, what: string, ms = DEADLINE_MS): Promise<T> {
	let timer: NodeJS.Timeout | undefined;
	const late = new Promise<never>((_resolve, reject) => {
		timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms to ${what}: the server hangs`)), ms);
	});
	return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

// ---- clients ----------------------------------------------------------------------------------------------------

interface MqttLink {
	client: MqttClient;
	/** Resolves when the server ends the connection (with its DISCONNECT reason if it sent one). */
	ended: Promise<Outcome>;
	isEnded(): boolean;
	publish(topic: string, payload: string | Buffer, retain: boolean): Promise<Outcome>;
	close(): Promise<void>;
}

async function mqttLink(url: string, user: Credentials | null, options: IClientOptions = {}): Promise<MqttLink> {
	const client = await mqtt.connectAsync(url, {
		protocolVersion: 5,
		reconnectPeriod: 0,
		connectTimeout: DEADLINE_MS,
		...(user ?? {}),
		...(url.startsWith('ws') ? { wsOptions: {} } : {}),
		...options,
	});
	let done = false;
	const ended = new Promise<Outcome>((resolve) => {
		client.once('disconnect', (packet) => resolve(mqttOutcome('DISCONNECT', packet.reasonCode ?? 0)));
		// Over MQTT-over-WebSocket a 1009 close ends it before any DISCONNECT; mqtt.js does not pass the code on.
		client.once('close', () => resolve({ verdict: 'unexpected', detail: 'connection closed' }));
	}).finally(() => (done = true));
	return {
		client,
		ended,
		isEnded: () => done,
		async publish(topic, payload, retain): Promise<Outcome> {
			const acked = client.publishAsync(topic, payload, { qos: 1, retain }).then(
				(ack) => mqttOutcome('PUBACK', ack && 'reasonCode' in ack ? (ack.reasonCode ?? 0) : 0),
				(err: { code?: unknown; message?: unknown }) =>
					typeof err.code === 'number'
						? mqttOutcome('PUBACK', err.code)
						: { verdict: 'unexpected' as const, detail: String(err.message) }
			);
			return withDeadline(Promise.race([acked, ended]), `a publish on ${topic.slice(0, 60)}`);
		},
		close: () => client.endAsync(true),
	};
}

interface WsLink {
	socket: WebSocket;
	inbox: Inbox<{ type?: string; id?: string; statusCode?: number; value?: { version?: number } }>;
	closed: Promise<number>;
	close(): void;
}

async function wsLink(harper: HarperInstance, path: string, user: Credentials): Promise<WsLink> {
	const socket = new WebSocket(`${harper.wsUrl}${path}`, { headers: { authorization: basicAuth(user) } });
	const inbox: WsLink['inbox'] = new Inbox();
	socket.on('message', (data: Buffer) => inbox.push(JSON.parse(data.toString('utf8')) as never));
	const closed = new Promise<number>((resolve) => socket.on('close', (code) => resolve(code)));
	await withDeadline(
		new Promise((resolve, reject) => {
			socket.once('open', resolve);
			socket.once('error', reject);
		}),
		`a WebSocket on ${path}`
	);
	return { socket, inbox, closed, close: () => socket.terminate() };
}

/**
 * A raw MQTT 5 client on a TCP socket, packets written by hand: mqtt.js (like any conforming client) only sends
 * topics that are valid UTF-8 strings, and the point here is to send what a conforming client never would.
 */
interface RawMqtt {
	publish(topic: Buffer, payload: string, retain: boolean): Promise<string>;
	ended(): boolean;
	close(): void;
}

const u16 = (n: number): Buffer => Buffer.of(n >> 8, n & 0xff);
const lengthPrefixed = (bytes: Buffer | string): Buffer => {
	const buffer = Buffer.from(bytes);
	return Buffer.concat([u16(buffer.length), buffer]);
};
function varint(n: number): Buffer {
	const out: number[] = [];
	do {
		out.push((n % 128) | (n >= 128 ? 0x80 : 0));
		n = Math.floor(n / 128);
	} while (n > 0);
	return Buffer.from(out);
}
const mqttPacket = (firstByte: number, ...body: Buffer[]): Buffer => {
	const content = Buffer.concat(body);
	return Buffer.concat([Buffer.of(firstByte), varint(content.length), content]);
};

async function rawMqtt(port: number, user: Credentials): Promise<RawMqtt> {
	const socket = tcpConnect(port, '127.0.0.1');
	const packets = new Inbox<{ type: number; body: Buffer }>();
	let pending = Buffer.alloc(0);
	let closed = false;
	socket.on('data', (chunk: Buffer) => {
		pending = Buffer.concat([pending, chunk]);
		for (;;) {
			// Fixed header: the type byte, then the remaining length, 7 bits a byte, least significant first.
			let [length, at, multiplier, complete] = [0, 1, 1, false];
			while (!complete && at < pending.length) {
				const byte = pending[at++]!;
				length += (byte & 0x7f) * multiplier;
				multiplier *= 128;
				complete = !(byte & 0x80);
			}
			if (!complete || pending.length < at + length) return;
			packets.push({ type: pending[0]! >> 4, body: pending.subarray(at, at + length) });
			pending = pending.subarray(at + length);
		}
	});
	socket.on('error', () => undefined);
	socket.on('close', () => {
		closed = true;
		packets.push({ type: -1, body: Buffer.alloc(0) });
	});
	// CONNECT, MQTT 5, clean start with user name and password, no properties, empty client id.
	socket.write(
		mqttPacket(
			0x10,
			lengthPrefixed('MQTT'),
			Buffer.of(5, 0xc2),
			u16(60),
			varint(0),
			lengthPrefixed(''),
			lengthPrefixed(user.username),
			lengthPrefixed(user.password)
		)
	);
	const connack = await packets.waitFor((packet) => packet.type === 2 || packet.type === -1, 'CONNACK', DEADLINE_MS);
	expect(connack.body[1], 'raw MQTT CONNACK reason').toBe(0);
	let packetId = 0;
	return {
		async publish(topic, payload, retain): Promise<string> {
			const id = (packetId = (packetId % 65535) + 1);
			packets.takeNew();
			socket.write(
				mqttPacket(0x32 | (retain ? 1 : 0), lengthPrefixed(topic), u16(id), varint(0), Buffer.from(payload))
			);
			const answer = await packets.waitForNext(
				(packet) =>
					(packet.type === 4 && packet.body.readUInt16BE(0) === id) || packet.type === 14 || packet.type === -1,
				`an answer to a raw PUBLISH on ${topic.toString('latin1').slice(0, 60)}`,
				DEADLINE_MS
			);
			if (answer.type === -1) return 'connection closed';
			if (answer.type === 14) return `DISCONNECT ${hex(answer.body[0] ?? 0)}`;
			return `PUBACK ${hex(answer.body[2] ?? 0)}`;
		},
		ended: () => closed,
		close: () => socket.destroy(),
	};
}

/**
 * A WebSocket handshake and one text frame written by hand: WHATWG-URL clients (ws, browsers) resolve `/LedSign/..`
 * to `/` before connecting, so only a hand-made upgrade request reaches the server with the dots in place.
 * What came back: `HTTP <status>` (no upgrade), `error <status>` (the message refused), `ws close <code>`, or a
 * record event (`event for <id>`).
 */
function rawWebSocket(harper: HarperInstance, path: string, user: Credentials, message: string): Promise<string> {
	const { hostname, port } = new URL(harper.httpUrl);
	return withDeadline(
		new Promise<string>((resolve, reject) => {
			const request = httpRequest({
				hostname,
				port,
				path,
				headers: {
					'connection': 'Upgrade',
					'upgrade': 'websocket',
					'sec-websocket-version': '13',
					'sec-websocket-key': randomBytes(16).toString('base64'),
					'authorization': basicAuth(user),
				},
			});
			request.on('response', (response) => {
				response.resume();
				resolve(`HTTP ${response.statusCode ?? 0}`);
			});
			request.on('error', reject);
			request.on('upgrade', (_response, socket, head: Buffer) => {
				// One masked text frame (the mask may be zeros: XOR with 0 leaves the payload as it is).
				const payload = Buffer.from(message);
				socket.write(Buffer.concat([Buffer.of(0x81, 0x80 | payload.length, 0, 0, 0, 0), payload]));
				// Frames the server sent at once (a close, say) arrive in `head`, read along with the handshake.
				let received = Buffer.alloc(0);
				const read = (chunk: Buffer): void => {
					received = Buffer.concat([received, chunk]);
					const [first] = serverFrames(received);
					if (first === undefined) return;
					socket.destroy();
					resolve(first);
				};
				socket.on('data', read);
				socket.on('close', () => resolve('closed without an answer'));
				read(head);
			});
			request.end();
		}),
		`a raw WebSocket on ${path.slice(0, 60)}`
	);
}

/** Unmasked server frames in `bytes`, each described: a close, an error, or an event for a record. */
function serverFrames(bytes: Buffer): string[] {
	const frames: string[] = [];
	for (let at = 0; at + 2 <= bytes.length;) {
		let length = bytes[at + 1]! & 0x7f;
		let start = at + 2;
		if (length === 126) [length, start] = [bytes.readUInt16BE(at + 2), at + 4];
		if (start + length > bytes.length) break;
		const data = bytes.subarray(start, start + length);
		if ((bytes[at]! & 0x0f) === 0x8) frames.push(`ws close ${data.length >= 2 ? data.readUInt16BE(0) : 1005}`);
		else {
			const event = JSON.parse(data.toString('utf8')) as { type?: string; statusCode?: number; id?: string };
			frames.push(event.type === 'error' ? `error ${event.statusCode}` : `event for ${event.id}`);
		}
		at = start + length;
	}
	return frames;
}

// ---- the corpus ------------------------------------------------------------------------------------------------

type Payload = string | Buffer;

interface HostileInput {
	name: string;
	payload: Payload;
	/** What every protocol must answer. `accepted` only where the JSON, once parsed, is a valid change. */
	expect: Verdict;
	/**
	 * Where REST differs: MQTT and WebSocket cap a message's bytes before it is parsed, but Harper parses a REST
	 * body (up to its own 10 MB cap) before the app measures it, so a body the parser cannot take is a 400 first.
	 */
	overRest?: Verdict;
}

const bytes = (...parts: (string | number[])[]): Buffer<ArrayBufferLike> =>
	Buffer.concat(parts.map((part) => (typeof part === 'string' ? Buffer.from(part, 'utf8') : Buffer.from(part))));
const text = (length: number): string => JSON.stringify({ text: 'x'.repeat(length) });
const deepArray = (depth: number): string => `{"text":${'['.repeat(depth)}${']'.repeat(depth)}}`;
const deepObject = (depth: number): string => `{"text":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}`;
const numbers = (field: string, values: string[]): HostileInput[] =>
	values.map((value) => ({ name: `${field} ${value}`, payload: `{"${field}":${value}}`, expect: 'refused' }));

const CORPUS: Record<string, HostileInput[]> = {
	'oversize': [
		{ name: '1.5 MB text', payload: text(1_500_000), expect: 'tooLarge' },
		{ name: "12 MB text (over Harper's own 10 MB REST body cap)", payload: text(12_000_000), expect: 'tooLarge' },
		{
			name: '1.5 MB of keys',
			payload: `{${Array.from({ length: 150_000 }, (_, i) => `"k${i}":1`).join(',')}}`,
			expect: 'tooLarge',
		},
		{ name: '20 KB text (over the packet limit too)', payload: text(20_000), expect: 'tooLarge' },
		{ name: '17 KB text (just over the message limit)', payload: text(APP_LIMIT + 600), expect: 'tooLarge' },
	],
	'deep nesting': [
		{ name: 'arrays 5 000 deep (10 KB)', payload: deepArray(5000), expect: 'refused' },
		{ name: 'arrays 8 000 deep, never closed', payload: `{"text":${'['.repeat(8000)}`, expect: 'refused' },
		{ name: 'objects 2 000 deep (12 KB)', payload: deepObject(2000), expect: 'refused' },
		{ name: 'arrays 100 000 deep (200 KB)', payload: deepArray(100_000), expect: 'tooLarge', overRest: 'refused' },
		{ name: 'objects 100 000 deep (600 KB)', payload: deepObject(100_000), expect: 'tooLarge', overRest: 'refused' },
	],
	'invalid UTF-8': [
		{ name: '0xff 0xfe in text', payload: bytes('{"text":"', [0xff, 0xfe], '"}'), expect: 'refused' },
		{ name: 'overlong "/" (0xc0 0xaf)', payload: bytes('{"text":"a', [0xc0, 0xaf], '"}'), expect: 'refused' },
		{ name: 'overlong NUL (0xc0 0x80)', payload: bytes('{"text":"a', [0xc0, 0x80], '"}'), expect: 'refused' },
		{
			name: 'encoded surrogate (0xed 0xa0 0x80)',
			payload: bytes('{"text":"', [0xed, 0xa0, 0x80], '"}'),
			expect: 'refused',
		},
		{ name: 'truncated sequence', payload: bytes('{"text":"a', [0xe2, 0x82], '"}'), expect: 'refused' },
		{ name: 'invalid bytes in a key', payload: bytes('{"te', [0xff], 'xt":"a"}'), expect: 'refused' },
		{ name: 'lone surrogate escape \\ud800', payload: '{"text":"\\ud800"}', expect: 'refused' },
		{ name: 'lone surrogate escape in a key', payload: '{"\\udc00":"a"}', expect: 'refused' },
		{ name: 'no UTF-8 at all', payload: bytes([0xff, 0xfe, 0xfd, 0xfc]), expect: 'refused' },
		{
			name: 'UTF-16 with a BOM',
			payload: Buffer.concat([Buffer.of(0xff, 0xfe), Buffer.from('{"text":"hi"}', 'utf16le')]),
			expect: 'refused',
		},
	],
	'NUL bytes': [
		{ name: 'escaped NUL in text', payload: '{"text":"\\u0000"}', expect: 'refused' },
		{ name: 'raw NUL inside a string', payload: bytes('{"text":"a', [0], 'b"}'), expect: 'refused' },
		{ name: 'raw NUL after the JSON', payload: bytes('{"text":"a"}', [0]), expect: 'refused' },
		{ name: 'raw NUL before the JSON', payload: bytes([0], '{"text":"a"}'), expect: 'refused' },
		{ name: 'NUL in a key', payload: '{"te\\u0000xt":"a"}', expect: 'refused' },
		{ name: 'NUL in the body id', payload: '{"id":"hi\\u0000","text":"a"}', expect: 'refused' },
		{ name: '1 KB of NULs', payload: Buffer.alloc(1024), expect: 'refused' },
	],
	'huge numbers': [
		...numbers('brightness', ['1e400', '-1e400', '1e308', '123456789012345678901234567890', '9007199254740993']),
		...numbers('speed', ['1e400', '-1e308', '1.0000000001', '5e-324', '123456789012345678901234567890']),
		...numbers('version', ['1e400', '1e308', '123456789012345678901234567890', '9007199254740993', '-1']),
		...numbers('brightness', ['NaN', 'Infinity', '-Infinity', '0x10', '+5', '.5', '01']),
		{ name: 'brightness -0 (is 0)', payload: '{"brightness":-0}', expect: 'accepted' },
		{ name: 'speed 1.00000000000000001 (parses to 1)', payload: '{"speed":1.00000000000000001}', expect: 'accepted' },
		{ name: 'brightness 1e2 (is 100)', payload: '{"brightness":1e2}', expect: 'accepted' },
	],
	'prototype pollution': [
		{ name: '__proto__ with text', payload: '{"__proto__":{"polluted":true},"text":"x"}', expect: 'refused' },
		{
			name: 'constructor.prototype',
			payload: '{"constructor":{"prototype":{"polluted":true}},"text":"x"}',
			expect: 'refused',
		},
		{ name: '__proto__ null', payload: '{"text":"x","__proto__":null}', expect: 'refused' },
		{ name: 'nested __proto__', payload: '{"__proto__":{"__proto__":{"polluted":true}}}', expect: 'refused' },
		{ name: '__proto__ in a value', payload: '{"text":{"__proto__":{"polluted":true}}}', expect: 'refused' },
		{ name: 'prototype key', payload: '{"text":"x","prototype":{"polluted":true}}', expect: 'refused' },
		{ name: 'toString and valueOf', payload: '{"toString":"x","valueOf":1,"text":"x"}', expect: 'refused' },
		{ name: 'hasOwnProperty', payload: '{"hasOwnProperty":"x","text":"x"}', expect: 'refused' },
		{
			name: '__proto__ setting a field',
			payload: '{"__proto__":{"brightness":5,"text":"inherited"}}',
			expect: 'refused',
		},
	],
};

// ---- write paths ---------------------------------------------------------------------------------------------------

interface WritePath {
	name: string;
	/** The sign input `n` addresses: the path's own target (POST creates a new one each time). */
	target(n: number): string;
	/** Sends a payload as the attacker to the sign; `version` is its version before, to recognise the change event. */
	send(payload: Payload, n: number, version: number): Promise<Outcome>;
	close(): Promise<void>;
}

const slug = (name: string): string => `hi-${name.replace(/[^A-Za-z]+/g, '-').toLowerCase()}`.replace(/-$/, '');

function restPath(siege: Siege, method: 'PATCH' | 'PUT' | 'POST'): WritePath {
	const name = `REST ${method}`;
	const target = (n: number): string => (method === 'POST' ? `hi-post-${n}` : slug(name));
	return {
		name,
		target,
		async send(payload, n): Promise<Outcome> {
			const path = `/LedSign/${target(n)}`;
			const { status } = await rest(siege.harper, method, path, payload, { raw: true, user: siege.attacker });
			return httpOutcome(status);
		},
		close: () => Promise.resolve(),
	};
}

function mqttPath(siege: Siege, name: string, url: string, retain: boolean): WritePath {
	let link: MqttLink | undefined;
	const target = slug(name);
	return {
		name,
		target: () => target,
		async send(payload): Promise<Outcome> {
			link ??= await mqttLink(url, siege.attacker);
			const outcome = await link.publish(`LedSign/${target}`, payload, retain);
			if (link.isEnded()) {
				await link.close();
				link = undefined;
			}
			// A WebSocket closed for a message over its limit (ws's 1009, before Harper reads it) is a size refusal.
			if (outcome.detail === 'connection closed' && url.startsWith('ws'))
				return { verdict: 'tooLarge', detail: 'ws closed' };
			return outcome;
		},
		close: () => Promise.resolve(link?.close()),
	};
}

/** On /LedSign/ (all signs) each message names its sign by `id`: added in front of the hostile one's own fields. */
function withId(payload: Payload, id: string): Payload {
	const prefix = `{"id":"${id}"`;
	if (typeof payload === 'string')
		return payload.startsWith('{') ? prefix + (payload === '{}' ? '' : ',') + payload.slice(1) : payload;
	return payload[0] === 0x7b ? Buffer.concat([Buffer.from(`${prefix},`), payload.subarray(1)]) : payload;
}

function wsPath(siege: Siege, collection: boolean): WritePath {
	const name = collection ? 'WebSocket /LedSign/' : 'WebSocket /LedSign/<id>';
	const target = collection ? 'hi-ws-all' : 'hi-ws-one';
	let link: WsLink | undefined;
	return {
		name,
		target: () => target,
		async send(payload, _n, version): Promise<Outcome> {
			link ??= await wsLink(siege.harper, collection ? '/LedSign/' : `/LedSign/${target}`, siege.attacker);
			const { inbox, closed, socket } = link;
			const answer = inbox.waitForNext(
				(message) => message.type === 'error' || (message.id === target && (message.value?.version ?? 0) > version),
				'an error or the change',
				DEADLINE_MS
			);
			// Text as a text frame, bytes as a binary frame (a text frame that is not UTF-8 is ws's to refuse: 1007).
			const message = collection ? withId(payload, target) : payload;
			socket.send(message, { binary: Buffer.isBuffer(message) });
			const outcome = await Promise.race([
				answer.then((event) => wsOutcome({ statusCode: event.type === 'error' ? event.statusCode : undefined })),
				closed.then((code) => wsOutcome({ close: code })),
			]);
			answer.catch(() => undefined);
			if (socket.readyState !== WebSocket.OPEN) link = undefined;
			return outcome;
		},
		close: () => Promise.resolve(link?.close()),
	};
}

const PATHS: { name: string; open(siege: Siege): WritePath }[] = [
	{ name: 'REST PATCH', open: (siege) => restPath(siege, 'PATCH') },
	{ name: 'REST PUT', open: (siege) => restPath(siege, 'PUT') },
	{ name: 'REST POST', open: (siege) => restPath(siege, 'POST') },
	{ name: 'MQTT retained', open: (siege) => mqttPath(siege, 'MQTT retained', siege.harper.mqttUrl, true) },
	{ name: 'MQTT non-retained', open: (siege) => mqttPath(siege, 'MQTT non-retained', siege.harper.mqttUrl, false) },
	{
		name: 'MQTT over WebSocket',
		open: (siege) => mqttPath(siege, 'MQTT over WebSocket', `${siege.harper.wsUrl}/mqtt`, true),
	},
	{ name: 'WebSocket /LedSign/<id>', open: (siege) => wsPath(siege, false) },
	{ name: 'WebSocket /LedSign/', open: (siege) => wsPath(siege, true) },
];

// ---- the tally ------------------------------------------------------------------------------------------------------

/** category → protocol → inputs tried, for the summary (the issue note reports "hostile inputs tried"). */
const tally = new Map<string, Map<string, number>>();

/**
 * Opens an SSE stream on a raw path (node:http sends it unchanged, where fetch would resolve `..`) and reports
 * its status and whatever arrived within half a second, then closes it.
 */
function openEventStream(
	harper: HarperInstance,
	path: string,
	user: Credentials
): Promise<{ status: number; firstChunk: string }> {
	const { hostname, port } = new URL(harper.httpUrl);
	return new Promise((resolve, reject) => {
		const request = httpRequest(
			{ hostname, port, path, headers: { accept: 'text/event-stream', authorization: basicAuth(user) } },
			(response) => {
				let firstChunk = '';
				response.on('data', (chunk: Buffer) => (firstChunk += chunk.toString('utf8')));
				setTimeout(() => {
					request.destroy();
					resolve({ status: response.statusCode ?? 0, firstChunk });
				}, 500);
			}
		);
		// Closing the stream ourselves may surface as a socket error; only errors before an answer count.
		let answered = false;
		request.on('response', () => (answered = true));
		request.on('error', (err) => (answered ? undefined : reject(err)));
		request.setTimeout(5000, () => {
			if (answered) return;
			reject(new Error(`SSE ${path.slice(0, 50)} gave no answer`));
			request.destroy();
		});
		request.end();
	});
}

function count(category: string, protocol: string, n = 1): void {
	const row = tally.get(category) ?? new Map<string, number>();
	row.set(protocol, (row.get(protocol) ?? 0) + n);
	tally.set(category, row);
}

afterAll(() => {
	const protocols = [...new Set([...tally.values()].flatMap((row) => [...row.keys()]))];
	const table = [...tally].map(([category, row]) => ({
		category,
		...Object.fromEntries(protocols.map((protocol) => [protocol, row.get(protocol) ?? 0])),
		total: [...row.values()].reduce((sum, n) => sum + n, 0),
	}));
	const total = table.reduce((sum, row) => sum + row.total, 0);
	console.log(`Hostile inputs tried: ${total}`);
	console.table(table);
	console.log('Harper resident memory (MB):');
	console.table(memoryRows);
});

// ---- the corpus, on every write path -------------------------------------------------------------------------------

const SETTINGS_AFTER_ACCEPTED_CHANGES = (id: string): boolean => id.startsWith('hi-') && !id.startsWith('hi-guard');

describe('the hostile corpus, on every write path', () => {
	let siege: Siege;
	const paths = new Map<string, WritePath>();
	const generous = { perSecond: 100_000, burst: 100_000 };

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
		siege = await besiege(
			'corpus',
			{ MARQUEE_LIMITS: JSON.stringify({ writesPerAccount: generous, writesPerSign: generous }) },
			targets
		);
		for (const path of PATHS) paths.set(path.name, path.open(siege));
	});

	afterAll(async () => {
		for (const path of paths.values()) await path.close();
		await siege?.harper.destroy();
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
		const INJECTED_PATHS = [
			'/LedSign/..',
			'/LedSign/../SignStatus/hi-guard-1',
			'/LedSign/%2e%2e',
			'/LedSign/%2E%2E/SignStatus/hi-guard-1',
			'/LedSign/%252e%252e',
			'/LedSign/a%2Fb',
			'/LedSign/hi-guard-1%2F..',
			'/LedSign/a%00b',
			'/LedSign/hi-inj%00',
			'/LedSign/%00',
			'/LedSign/%ff%fe',
			`/LedSign/${'x'.repeat(33)}`,
			'/LedSign/a%23b',
			'/LedSign/a+b',
			'/LedSign/a%2Bb',
			'/LedSign/a%20b',
			'/LedSign/caf%C3%A9',
			'/LedSign/hi-inj?id=other',
			'/LedSign/hi-inj?id=hi-guard-1&text=pwned',
			'/LedSign/hi-inj;id=other',
			'/LedSign/hi-inj/extra',
			'/LedSign/hi-inj/..',
			'/LedSign//hi-guard-1',
			'/LedSign/hi-inj/../hi-guard-1',
			'/ledsign/hi-guard-1',
			'/SignStatus/hi-guard-1',
			`/LedSign/${'y'.repeat(60_000)}`,
		];
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
			await operation(siege.harper, { operation: 'add_user', role: 'marquee_device', active: true, ...device });
			await operation(siege.harper, {
				operation: 'upsert',
				database: 'data',
				table: 'DeviceAccount',
				records: [{ id: device.username, sign: 'hi-inj' }],
			});
			const statuses: Record<string, number> = {};
			for (const path of INJECTED_PATHS) {
				const { status, firstChunk } = await openEventStream(siege.harper, path, device);
				statuses[path.slice(0, 50)] = status;
				for (const id of firstChunk.matchAll(/"id":"([^"]*)"/g)) expect(id[1], path).toBe('hi-inj');
				count('topic/id injection', 'SSE');
			}
			expect(Object.entries(statuses).filter(([, status]) => status >= 500 || status === 0)).toEqual([]);
			// The plain address of another sign is refused outright.
			expect((await openEventStream(siege.harper, '/LedSign/hi-guard-1', device)).status).toBe(403);
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

		const TOPICS: Buffer[] = [
			'LedSign/../SignStatus/hi-guard-1',
			'LedSign/a/b',
			'LedSign/',
			'LedSign/+',
			'LedSign/#',
			'LedSign/hi-guard-1/..',
			'LedSign/..',
			'LedSign/%2e%2e',
			'LedSign/hi-guard-1/#',
			'+/hi-guard-1',
			'#',
			'LedSign',
			'ledsign/hi-guard-1',
			'/LedSign/hi-guard-1',
			'LedSign/hi-guard-1 ',
			'LedSign/a\u0000b',
			'LedSign/\u0000',
			'LedSign/hi-guard-1\u0000',
			`LedSign/${'x'.repeat(33)}`,
			'SignStatus/hi-guard-1',
			'SignStatus/../LedSign/hi-guard-1',
			'$SYS/hi-guard-1',
			'SignRules',
			`LedSign/${'z'.repeat(60_000)}`,
		]
			.map((topic): Buffer => Buffer.from(topic))
			.concat([
				bytes('LedSign/', [0xff, 0xfe]),
				bytes('LedSign/hi-guard-1', [0xc0, 0xaf]),
				bytes('LedSign/', [0xed, 0xa0, 0x80]),
			]);

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

		const WS_PATHS = [
			'/LedSign/..',
			'/LedSign/../SignStatus/hi-guard-1',
			'/LedSign/%2e%2e',
			'/LedSign/a%2Fb',
			'/LedSign/hi-guard-1%2F..',
			'/LedSign/a%00b',
			'/LedSign/%ff',
			'/LedSign/?text=%E0%A4%A',
			`/LedSign/${'x'.repeat(33)}`,
			'/LedSign/caf%C3%A9',
			'/LedSign/hi-inj?id=hi-guard-1',
			'/LedSign/hi-inj/..',
			'/LedSign/hi-inj/../hi-guard-1',
		];

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

	beforeAll(async () => {
		siege = await besiege('flood', {}, [
			'hi-flood-qos0',
			'hi-flood-qos1',
			'hi-flood-rest',
			'hi-flood-ws',
			'hi-flood-warm',
		]);
	});

	afterAll(async () => {
		await siege?.harper.destroy();
	});

	const floodTargets = (id: string): boolean => id.startsWith('hi-flood');
	/** Changes a sign may take in `ms` under the per-sign limit (Harper runs one worker thread in these tests). */
	const allowedIn = (ms: number): number => writesPerSign.burst + Math.ceil((writesPerSign.perSecond * ms) / 1000);

	async function newOperator(name: string): Promise<Credentials> {
		const user = { username: `hi-flood-${name}`, password: 'hi-flood-password' };
		await operation(siege.harper, { operation: 'add_user', role: 'marquee_operator', active: true, ...user });
		return user;
	}

	/** The client once connected; else its CONNACK code, or "closed" for a socket the server closed first. */
	async function connectOutcome(user: Credentials | null): Promise<MqttClient | string> {
		try {
			const { client } = await mqttLink(siege.harper.mqttUrl, user, { connectTimeout: 30_000 });
			// Past the cap on connections an address may hold before they log in, the server closes one at once.
			return client.connected ? client : 'closed';
		} catch (err) {
			const code = (err as { code?: unknown }).code;
			return typeof code === 'number' ? `CONNACK ${hex(code)}` : String(err);
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
			const link = await mqttLink(siege.harper.mqttUrl, user);
			// mqtt.js waits for 'drain' once per publish queued behind a full socket: 5 000 are this test's, not a leak.
			link.client.stream.setMaxListeners(5000 + 100);
			const codes: number[] = [];
			const started = Date.now();
			for (let i = 0; i < 5000 && !link.isEnded(); i++) {
				// PUBACK reason codes (QoS 1); publishes cut off by the disconnect fail without one and are not counted.
				link.client.publish(`LedSign/${sign}`, `{"speed":${(i % 10) + 1}}`, { qos, retain: true }, (err, packet) => {
					const code: unknown = err
						? (err as { code?: unknown }).code
						: (packet as { reasonCode?: number } | undefined)?.reasonCode;
					if (typeof code === 'number') codes.push(code);
				});
			}
			count('floods', `MQTT publish QoS ${qos}`, 5000);
			const ended = await withDeadline(link.ended, 'the throttled connection to be cut off', 30_000);
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

/** Compares what the server answered with what the input expects; and what it stored with the answer. */
function judge(
	expected: Verdict,
	outcome: Outcome,
	before: RestResponse,
	after: RestResponse,
	transient: boolean
): string | undefined {
	if (outcome.verdict !== expected) return `expected ${expected}, got ${outcome.detail}`;
	const stored = after.status === 200 ? after.body : undefined;
	if (outcome.verdict !== 'accepted' || transient) {
		if (after.status !== before.status || JSON.stringify(after.body) !== JSON.stringify(before.body)) {
			return `refused (${outcome.detail}) but the sign changed: ${JSON.stringify(after.body).slice(0, 200)}`;
		}
		return undefined;
	}
	const problem = invalidity(stored);
	return problem ? `accepted, and stored an invalid sign: ${problem}` : undefined;
}
