/**
 * The few Harper runtime pieces Marquee uses, with the types Harper 4.7's declarations lack or leave as `any`.
 * Keeping the casts here means the rest of the code sees only typed values.
 */
import { createRequire } from 'node:module';
import { server, tables, type Table } from 'harperdb';
import type { MqttSocket } from './mqtt-disconnect.ts';

/** Who a write is made as; Harper records it in the audit log and checks it against the role's permissions. */
export interface WriteContext {
	user?: unknown;
}

// Harper assigns `transaction` to its exports after start-up and leaves it out of its 4.7 type declarations,
// so ESM's static named imports cannot see it; the CommonJS view of the same module can.
const harper = createRequire(import.meta.url)('harperdb') as { transaction: unknown };

/** Runs `work` in a transaction of its own and resolves once that transaction has committed. */
export const transaction = harper.transaction as <T>(
	context: WriteContext,
	work: (txn: object) => Promise<T>
) => Promise<T>;

/** A table class Harper built from schema.graphql. */
export type HarperTable = Table;

/** A table's static read/write methods, typed for its records. */
export interface RecordStore<R> {
	get(id: string, context: WriteContext): Promise<R | undefined>;
	put(record: R, context: WriteContext): Promise<unknown>;
}

/** The table `name` from schema.graphql, to extend. */
export function tableNamed(name: string): HarperTable {
	const table = tables[name];
	if (!table) throw new Error(`The ${name} table is missing: is schema.graphql loaded before resources.js?`);
	return table;
}

/**
 * An HTTP middleware that runs ahead of Harper's own handlers, authentication included (`runFirst`); it gets the
 * request and the rest of the chain. Typed here because Harper 4.7's declarations leave out both `next` and
 * the `runFirst` option.
 */
export function httpFirst<Request, Response>(
	listener: (request: Request, next: (request: Request) => Promise<Response>) => Promise<Response>
): void {
	(server.http as unknown as (listener: unknown, options: { runFirst: boolean }) => void)(listener, { runFirst: true });
}

/** The same for WebSocket connections on the HTTP port: the socket, its upgrade request, and the rest of the chain. */
export function webSocketFirst<Socket, Request>(
	listener: (socket: Socket, request: Request, completion: unknown, next?: (...args: unknown[]) => unknown) => unknown
): void {
	(server.ws as unknown as (listener: unknown, options: { runFirst: boolean }) => void)(listener, { runFirst: true });
}

/** An MQTT packet as Harper's mqtt-packet parses or builds it, seen only as far as Marquee needs. */
export interface MqttPacket {
	cmd?: string;
	messageId?: number;
	qos?: number;
	reasonCode?: number;
	returnCode?: number;
	clientId?: string;
}

/** A connected MQTT client as Harper keeps it: its client id. */
export interface MqttSession {
	sessionId?: string;
}

/**
 * Harper's MQTT server (`server.mqtt`, one per worker thread): its live sessions, the hook it calls before it
 * accepts a CONNECT, and the events it emits. None of it is in Harper 4.7's type declarations.
 */
export interface HarperMqtt {
	sessions?: Set<MqttSession>;
	/** A throw carrying `code` becomes the CONNACK's reason code. */
	authorizeClient?: (connect: MqttPacket, user: unknown) => void;
	events?: {
		on(event: 'connection', listener: (socket: MqttSocket) => void): unknown;
		on(
			event: 'connected' | 'disconnected',
			listener: (session: MqttSession | undefined, socket: MqttSocket) => void
		): unknown;
		on(event: 'auth-failed', listener: (connect: MqttPacket, socket: MqttSocket) => void): unknown;
		on(event: 'error', listener: (error: unknown, socket: MqttSocket, packet?: MqttPacket) => void): unknown;
	};
}

/** Harper's MQTT server on this thread, when MQTT is on. */
export function harperMqtt(): HarperMqtt | undefined {
	return (server as unknown as { mqtt?: HarperMqtt }).mqtt;
}
