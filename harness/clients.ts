/**
 * Real protocol clients for the tests (fetch, mqtt, ws, eventsource), each feeding an Inbox that tests wait
 * on with a deadline instead of sleeping.
 */
import { EventSource } from 'eventsource';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import mqtt, { type MqttClient } from 'mqtt';
import WebSocket from 'ws';
import type { Credentials } from './harper.ts';

export interface ServerInfo {
	httpUrl: string;
	wsUrl: string;
	mqttUrl: string;
	operationsUrl: string;
	admin: Credentials;
}

/** Calls Harper's operations API as the admin (e.g. add_role, add_user); throws unless it succeeds. */
export async function operation(server: ServerInfo, body: object): Promise<unknown> {
	const response = await fetch(server.operationsUrl, {
		method: 'POST',
		headers: { 'content-type': 'application/json', 'authorization': basicAuth(server.admin) },
		body: JSON.stringify(body),
	});
	const result: unknown = await response.json();
	if (!response.ok) throw new Error(`operation ${JSON.stringify(body)} failed: ${JSON.stringify(result)}`);
	return result;
}

export const basicAuth = (user: Credentials): string =>
	`Basic ${Buffer.from(`${user.username}:${user.password}`).toString('base64')}`;

/** Messages as they arrive, and a way to wait for one that matches, with a deadline. */
export class Inbox<T> {
	readonly received: T[] = [];
	#waiters: { match: (item: T) => boolean; resolve: (item: T) => void }[] = [];
	#listeners: ((item: T) => void)[] = [];
	#cursor = 0;

	push(item: T): void {
		this.received.push(item);
		for (const listener of this.#listeners) listener(item);
		for (const waiter of [...this.#waiters]) {
			if (waiter.match(item)) {
				this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
				waiter.resolve(item);
			}
		}
	}

	/** The first message (received already or later) that matches, or a rejection after `timeoutMs`. */
	waitFor(match: (item: T) => boolean, what: string, timeoutMs = 5000): Promise<T> {
		const found = this.received.find(match);
		if (found !== undefined) return Promise.resolve(found);
		return this.waitForNext(match, what, timeoutMs);
	}

	/** The first message from now on that matches, or a rejection after `timeoutMs`. */
	waitForNext(match: (item: T) => boolean, what: string, timeoutMs = 5000): Promise<T> {
		return new Promise((resolve, reject) => {
			const waiter = {
				match,
				resolve: (item: T): void => {
					clearTimeout(timer);
					resolve(item);
				},
			};
			const timer = setTimeout(() => {
				this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
				reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; got ${JSON.stringify(this.received)}`));
			}, timeoutMs);
			this.#waiters.push(waiter);
		});
	}

	/** Calls `listener` with every message, those received already and those to come. */
	forEach(listener: (item: T) => void): void {
		this.received.forEach(listener);
		this.#listeners.push(listener);
	}

	/** Everything received since the last call (for "nothing else arrived in between" checks). */
	takeNew(): T[] {
		const fresh = this.received.slice(this.#cursor);
		this.#cursor = this.received.length;
		return fresh;
	}
}

// ---- REST -------------------------------------------------------------------------------------------------

export interface RestResponse {
	status: number;
	headers: IncomingHttpHeaders;
	body: unknown;
}

/**
 * An HTTP request with node:http, which sends the path exactly as given: WHATWG URL clients (fetch, browsers)
 * resolve `/LedSign/..` and even `/LedSign/%2E%2E` to `/` before sending, so only a raw client can test what
 * the server does with such ids.
 */
export function rest(
	server: ServerInfo,
	method: string,
	path: string,
	body?: unknown,
	options: {
		raw?: boolean;
		user?: Credentials | null;
		contentType?: string;
		/** Send from this loopback address (127.0.0.x), to be another client to the server's per-address limits. */
		localAddress?: string;
		headers?: Record<string, string>;
	} = {}
): Promise<RestResponse> {
	const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
	const user = options.user === undefined ? server.admin : options.user;
	if (user) headers.authorization = basicAuth(user);
	// raw: the body exactly as given, text or bytes (a Buffer can carry what no JS string can, e.g. invalid UTF-8).
	const payload = body === undefined ? undefined : options.raw ? (body as string | Buffer) : JSON.stringify(body);
	if (payload !== undefined) {
		headers['content-type'] = options.contentType ?? 'application/json';
		headers['content-length'] = String(Buffer.byteLength(payload));
	}
	return new Promise((resolve, reject) => {
		const { hostname, port } = new URL(server.httpUrl);
		const { localAddress } = options;
		const request = httpRequest({ hostname, port, path, method, headers, localAddress }, (response) => {
			const chunks: Buffer[] = [];
			response.on('data', (chunk: Buffer) => chunks.push(chunk));
			response.on('end', () => {
				const text = Buffer.concat(chunks).toString('utf8');
				resolve({ status: response.statusCode ?? 0, headers: response.headers, body: parseJsonOr(text) });
			});
			response.on('error', reject);
		});
		request.on('error', reject);
		request.setTimeout(10_000, () => request.destroy(new Error(`${method} ${path} timed out`)));
		request.end(payload);
	});
}

/** Parsed JSON, or the text itself when it is not JSON (a test will say what it expected). */
function parseJsonOr(text: string): unknown {
	if (!text) return undefined;
	try {
		return JSON.parse(text);
	} catch {
		return text;
	}
}

// ---- MQTT -------------------------------------------------------------------------------------------------

export interface MqttMessage {
	topic: string;
	payload: string;
	json: unknown;
}

export interface MqttPeer {
	client: MqttClient;
	inbox: Inbox<MqttMessage>;
	close(): Promise<void>;
}

export async function mqttPeer(
	server: ServerInfo,
	options: { user?: Credentials; subscribe?: string[]; clientId?: string } = {}
): Promise<MqttPeer> {
	const user = options.user ?? server.admin;
	const client = await mqtt.connectAsync(server.mqttUrl, {
		protocolVersion: 5,
		username: user.username,
		password: user.password,
		clientId: options.clientId,
		reconnectPeriod: 0,
		connectTimeout: 5000,
	});
	const inbox = new Inbox<MqttMessage>();
	client.on('message', (topic, payload) => {
		const text = payload.toString();
		inbox.push({ topic, payload: text, json: parseJsonOr(text) });
	});
	for (const topic of options.subscribe ?? []) await client.subscribeAsync(topic, { qos: 1 });
	return { client, inbox, close: () => client.endAsync() };
}

/** Publishes with QoS 1 and returns the PUBACK reason code (0 = accepted). */
export async function mqttPublish(peer: MqttPeer, topic: string, payload: string, retain: boolean): Promise<number> {
	return (await mqttPublishAck(peer, topic, payload, retain)).code;
}

/** Publishes with QoS 1 and returns the PUBACK: its reason code (0 = accepted) and its MQTT 5 Reason String. */
export function mqttPublishAck(
	peer: MqttPeer,
	topic: string,
	payload: string,
	retain: boolean
): Promise<{ code: number; reason?: string }> {
	return new Promise((resolve, reject) => {
		peer.client.publish(topic, payload, { qos: 1, retain }, (err, packet) => {
			// mqtt.js rejects a PUBACK reason code of 0x80 or more with an error carrying the code; the packet it came in
			// is then the callback's second argument.
			const ack = packet as { reasonCode?: number; properties?: { reasonString?: string } } | undefined;
			const code = err ? (err as { code?: unknown }).code : (ack?.reasonCode ?? 0);
			if (typeof code !== 'number') reject(err ?? new Error('no PUBACK reason code'));
			else resolve({ code, reason: ack?.properties?.reasonString });
		});
	});
}

// ---- WebSocket ----------------------------------------------------------------------------------------------

export interface WsPeer {
	socket: WebSocket;
	inbox: Inbox<unknown>;
	send(message: string | object): void;
	close(): Promise<void>;
}

export async function wsPeer(server: ServerInfo, path: string, user: Credentials = server.admin): Promise<WsPeer> {
	const socket = new WebSocket(`${server.wsUrl}${path}`, { headers: { authorization: basicAuth(user) } });
	const inbox = new Inbox<unknown>();
	socket.on('message', (data: Buffer) => inbox.push(parseJsonOr(data.toString('utf8'))));
	await once(socket, 'open');
	return {
		socket,
		inbox,
		send: (message) => socket.send(typeof message === 'string' ? message : JSON.stringify(message)),
		async close(): Promise<void> {
			if (socket.readyState === WebSocket.CLOSED) return;
			const closed = once(socket, 'close');
			socket.close();
			await closed;
		},
	};
}

function once(socket: WebSocket, event: 'open' | 'close'): Promise<void> {
	return new Promise((resolve, reject) => {
		socket.once(event, () => resolve());
		if (event === 'open') socket.once('error', reject);
	});
}

// ---- Server-Sent Events -------------------------------------------------------------------------------------

export interface SsePeer {
	inbox: Inbox<unknown>;
	close(): void;
}

export async function ssePeer(server: ServerInfo, path: string, user: Credentials = server.admin): Promise<SsePeer> {
	const inbox = new Inbox<unknown>();
	const source = new EventSource(`${server.httpUrl}${path}`, {
		fetch: (input: string | URL, init?: RequestInit): Promise<Response> =>
			fetch(input, {
				...init,
				headers: { ...(init?.headers as Record<string, string>), authorization: basicAuth(user) },
			}),
	});
	source.onmessage = (event): void => inbox.push(parseJsonOr(String(event.data)));
	await new Promise<void>((resolve, reject) => {
		const timer = setTimeout(() => reject(new Error(`SSE ${path} did not open within 5 s`)), 5000);
		source.onopen = (): void => {
			clearTimeout(timer);
			resolve();
		};
		source.onerror = (event): void => {
			clearTimeout(timer);
			source.close();
			reject(new Error(`SSE ${path} failed: ${String(event.message)}`));
		};
	});
	return { inbox, close: () => source.close() };
}
