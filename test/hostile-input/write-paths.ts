/**
 * Every way the attacker can write a sign, behind one interface: send a payload to the path's target sign and get
 * the server's answer as an Outcome. REST (PATCH, PUT, POST), MQTT (retained, not, over WebSocket), WebSocket.
 */
import WebSocket from 'ws';
import { rest } from '../../harness/clients.ts';
import type { Payload } from './corpus.ts';
import { DEADLINE_MS, mqttLink, wsLink, type MqttLink, type WsLink } from './links.ts';
import type { Siege } from './siege.ts';
import { httpOutcome, wsOutcome, type Outcome } from './verdicts.ts';

export interface WritePath {
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
			link ??= await mqttLink(siege.harper, siege.attacker, { url });
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

export const PATHS: { name: string; open(siege: Siege): WritePath }[] = [
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
