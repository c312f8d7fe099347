/**
 * Which protocol a hook was called from. Harper calls `put()` for both a REST PUT and a retained MQTT publish,
 * and `delete()` for both a REST DELETE and an empty retained publish, but the two mean different things
 * for a sign (see resources.ts). HTTP calls run with the HTTP request as context, which has a `method`;
 * MQTT calls run with a context built by the MQTT session (or its stored last will), which has none.
 */
import type { HistoryProtocol } from '../shared/history.ts';
import { harperMqtt } from './facade.ts';
import type { HookContext, StoredWill } from './shapes.ts';

export function isMqtt(context: HookContext | undefined): boolean {
	return typeof context?.method !== 'string';
}

/**
 * The protocol a client's call came on: MQTT (no HTTP method), a WebSocket (its upgrade request is the context of
 * every message on it), or else a REST request. A call from the server's own code (no client: `fromClient` false,
 * Harper set no `checkPermission` on its target) is the server's.
 */
export function protocolOf(context: HookContext | undefined, fromClient: boolean): HistoryProtocol {
	if (!fromClient) return 'server';
	if (isMqtt(context)) return 'mqtt';
	return context?.isWebSocket ? 'websocket' : 'rest';
}

/** A stored last will being published (by Harper, with the will itself as context). */
export function isWill(context: HookContext | undefined): context is StoredWill {
	return isMqtt(context) && !context?.session && typeof context?.topic === 'string' && typeof context.id === 'string';
}

/**
 * Whether `context` is a last will from a client that is connected again: stale, so it must not mark a device
 * offline. Harper runs a will with the stored will as context (topic, client id, no session), both when a
 * connection dies and, about 2 s after a restart, for every connection that was open when the server stopped;
 * a device that reconnected within those 2 s would be marked offline by its own old will.
 * A dying connection publishes its will from inside Harper's close handler, before that handler removes the
 * session from `server.mqtt.sessions`; so this first lets the handler finish (one turn of the event loop),
 * then asks whether a session with the will's client id is still connected. Sessions are per worker thread.
 * (Harper still deletes the stored will after replaying it, so that client has no will until it reconnects;
 * devices report every minute, and lastSeen tells how fresh "online" is: see docs/device-protocol.md.)
 */
export async function isStaleWill(context: StoredWill): Promise<boolean> {
	await new Promise((resolve) => setImmediate(resolve));
	for (const session of harperMqtt()?.sessions ?? []) if (session.sessionId === context.id) return true;
	return false;
}
