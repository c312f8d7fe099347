/**
 * Every kind of listener a sign has, behind one interface: open it on a sign (or on all signs), then wait for
 * the sign record it delivers. MQTT delivers the record itself; WebSocket and SSE wrap it in Harper's event
 * envelope `{ id, type, value }`. Readers normalise both to `{ id, type, value }`.
 */
import type { LedSignRecord } from '../src/shared/sign-rules.ts';
import { Inbox, mqttPeer, ssePeer, wsPeer, type ServerInfo } from './clients.ts';

export interface SignEvent {
	id: string;
	type: string;
	value: (LedSignRecord & { transient?: boolean }) | null;
}

export interface Reader {
	name: string;
	events: Inbox<SignEvent>;
	close(): Promise<void>;
}

export type ReaderKind = 'mqtt-record' | 'mqtt-all' | 'ws-record' | 'ws-all' | 'sse-record' | 'sse-all';
export const READER_KINDS: ReaderKind[] = ['mqtt-record', 'mqtt-all', 'ws-record', 'ws-all', 'sse-record', 'sse-all'];

function fromEnvelope(message: unknown): SignEvent | undefined {
	if (typeof message !== 'object' || message === null || !('type' in message) || !('id' in message)) return undefined;
	const { id, type, value } = message as { id: string; type: string; value?: SignEvent['value'] };
	return { id: String(id), type, value: value ?? null };
}

/** A new inbox fed from `source` through `map`, dropping what does not map (e.g. error messages). */
function relay<T>(source: Inbox<T>, map: (item: T) => SignEvent | undefined): Inbox<SignEvent> {
	const events = new Inbox<SignEvent>();
	source.forEach((item) => {
		const event = map(item);
		if (event) events.push(event);
	});
	return events;
}

/** A reader of sign `signId` (or, `-all`, of every sign); of a preset with `table` 'Preset' (it has a sign's fields). */
export async function openReader(
	server: ServerInfo,
	kind: ReaderKind,
	signId: string,
	table: 'LedSign' | 'Preset' = 'LedSign'
): Promise<Reader> {
	const all = kind.endsWith('-all');
	const path = all ? `/${table}/` : `/${table}/${signId}`;
	switch (kind) {
		case 'mqtt-record':
		case 'mqtt-all': {
			const peer = await mqttPeer(server, { subscribe: [all ? `${table}/#` : `${table}/${signId}`] });
			const events = relay(peer.inbox, (message) => ({
				id: message.topic.slice(table.length + 1),
				type: message.json === null ? 'delete' : 'put',
				value: message.json as SignEvent['value'],
			}));
			return { name: kind, events, close: () => peer.close() };
		}
		case 'ws-record':
		case 'ws-all': {
			const peer = await wsPeer(server, path);
			return { name: kind, events: relay(peer.inbox, fromEnvelope), close: () => peer.close() };
		}
		case 'sse-record':
		case 'sse-all': {
			const peer = await ssePeer(server, path);
			return {
				name: kind,
				events: relay(peer.inbox, fromEnvelope),
				close: () => Promise.resolve(peer.close()),
			};
		}
	}
}

/** Waits until the reader has delivered the sign's state with this text. */
export function waitForText(reader: Reader, signId: string, text: string, timeoutMs?: number): Promise<SignEvent> {
	return reader.events.waitFor(
		(event) => event.id === signId && event.value?.text === text,
		`${reader.name}: sign ${signId} showing "${text}"`,
		timeoutMs
	);
}
