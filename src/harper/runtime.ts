/**
 * The few Harper runtime pieces Marquee uses, with the types Harper 4.7's declarations lack or leave as `any`.
 * Keeping the casts here means the rest of the code sees only typed values.
 */
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import { databases, server, tables, type Table } from 'harperdb';
import { closeCodeFor } from './refusals.ts';
import type { MqttSocket } from './mqtt-disconnect.ts';

/** Who a write is made as; Harper records it in the audit log and checks it against the role's permissions. */
export interface WriteContext {
	user?: unknown;
}

type Transaction = <T>(context: WriteContext, work: (txn: object) => Promise<T>) => Promise<T>;
let harperExports: { transaction: Transaction } | undefined;

/** Runs `work` in a transaction of its own and resolves once that transaction has committed. */
export function transaction<T>(context: WriteContext, work: (txn: object) => Promise<T>): Promise<T> {
	// Harper assigns `transaction` to its exports after start-up and leaves it out of its 4.7 type declarations,
	// so ESM's static named imports cannot see it; the CommonJS view of the same module can.
	harperExports ??= createRequire(import.meta.url)('harperdb') as { transaction: Transaction };
	return harperExports.transaction(context, work);
}

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

interface LmdbStore {
	/** lmdb's memory block shared by every thread that opens the database, made from `initial` the first time. */
	getUserSharedBuffer?(key: string, initial: ArrayBuffer): ArrayBuffer;
}

/**
 * `bytes` of memory every worker thread of this Harper shares, by `name` (zeroed the first time). Taken from the
 * database Marquee's tables live in; a plain SharedArrayBuffer (this thread's own) where there is none.
 */
export function sharedMemory(name: string, bytes: number): ArrayBufferLike {
	const store = (tables.DeviceAccount as unknown as { primaryStore?: LmdbStore } | undefined)?.primaryStore;
	return store?.getUserSharedBuffer?.(`marquee:${name}`, new ArrayBuffer(bytes)) ?? new SharedArrayBuffer(bytes);
}

// ---- HTTP ---------------------------------------------------------------------------------------------------

/** Harper's request headers: a view of Node's header object, keyed by lower-case name. */
export interface HarperHeaders {
	get(name: string): string | undefined;
	set(name: string, value: string): void;
	delete(name: string): void;
}

/** An HTTP request as Harper passes it to middleware and, as their context, to resources. */
export interface HarperRequest {
	method: string;
	url: string;
	headers: HarperHeaders;
	/** Set by Harper's authentication, which runs after `runFirst` middleware and before the rest. */
	user?: unknown;
	/** The client's address. */
	ip?: string;
	/** "http" or "https". */
	protocol?: string;
	isWebSocket?: boolean;
	/** The HTTP response Node is writing (for SSE: still open while the stream runs). */
	_nodeResponse?: { on(event: 'close', listener: () => void): unknown };
	/** The socket the request came on. */
	_nodeRequest?: { socket?: Socket };
}

/** A resource call's context when the call came over HTTP (REST, SSE, a WebSocket's upgrade), else undefined. */
export function httpRequestOf(context: unknown): HarperRequest | undefined {
	const request = context as Partial<HarperRequest> | undefined;
	return typeof request?.method === 'string' && typeof request.url === 'string'
		? (request as HarperRequest)
		: undefined;
}

/** What a middleware answers: Harper sends `body` with `status` and `headers`. */
export interface HarperResponse {
	status?: number;
	headers?: Map<string, unknown> | Record<string, unknown> | { set(name: string, value: string): void };
	body?: unknown;
}

export type HttpMiddleware = (
	request: HarperRequest,
	next: (request: HarperRequest) => Promise<HarperResponse | undefined>
) => Promise<HarperResponse | undefined>;

/** A listening Node HTTP server Harper made for one port. */
export interface HttpServer {
	on(event: 'connection', listener: (socket: Socket) => void): unknown;
}

type ServerHttp = (listener: HttpMiddleware, options: Record<string, unknown>) => HttpServer[] | undefined;

/**
 * HTTP middleware that runs ahead of Harper's own handlers, authentication included (`runFirst`), on the app's
 * HTTP ports; it gets the request and the rest of the chain. Answers the port's Node servers. Typed here because
 * Harper 4.7's declarations leave out `next`, the `runFirst` option and the servers it returns.
 */
export function httpFirst(listener: HttpMiddleware): HttpServer[] {
	return (server.http as unknown as ServerHttp)(listener, { runFirst: true }) ?? [];
}

/** A listener's ports: plain and TLS, each undefined when off. */
export interface Ports {
	port?: number;
	securePort?: number;
}

function configuredPorts(network: Record<string, unknown> | undefined): Ports {
	const port = (value: unknown): number | undefined => (typeof value === 'number' && value > 0 ? value : undefined);
	return { port: port(network?.port), securePort: port(network?.securePort) };
}

interface RootConfig {
	operationsApi?: { network?: Record<string, unknown> };
	replication?: Record<string, unknown>;
}

const rootConfig = (): RootConfig | undefined => (server as unknown as { config?: RootConfig }).config;

/** The operations API's ports, from Harper's configuration. */
export function operationsApiPorts(): Ports {
	return configuredPorts(rootConfig()?.operationsApi?.network);
}

/** The ports other nodes replicate over: replication's own, or (with none set) the operations API's, as Harper does. */
export function replicationPorts(): Ports {
	const own = configuredPorts(rootConfig()?.replication);
	return own.port === undefined && own.securePort === undefined ? operationsApiPorts() : own;
}

/**
 * HTTP middleware on other ports than the app's (the operations API's, replication's). With `runFirst` it runs
 * before Harper authenticates the request; without, after (so it sees `request.user`) and before the rest.
 */
export function portMiddleware(ports: Ports, listener: HttpMiddleware, { runFirst }: { runFirst: boolean }): void {
	if (ports.port === undefined && ports.securePort === undefined) return;
	(server.http as unknown as ServerHttp)(listener, { ...ports, runFirst });
}

/**
 * A JSON answer from middleware (Harper's own handlers never see the request). Its headers are a Map, which has the
 * `set` Harper's authentication calls on any 401 that passes back through it.
 */
export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): HarperResponse {
	const all = new Map(
		Object.entries({ 'content-type': 'application/json', ...headers }).map(([k, v]) => [k.toLowerCase(), v])
	);
	return { status, headers: all, body: JSON.stringify(body) };
}

/** Sets a header on a response however Harper or a handler built its headers. */
export function setResponseHeader(response: HarperResponse, name: string, value: string): void {
	const { headers } = response;
	if (!headers) response.headers = { [name]: value };
	else if (headers instanceof Map) headers.set(name.toLowerCase(), value);
	else if (typeof (headers as { set?: unknown }).set === 'function') {
		(headers as { set(name: string, value: string): void }).set(name, value);
	} else (headers as Record<string, unknown>)[name] = value;
}

// ---- WebSocket ----------------------------------------------------------------------------------------------

/** A WebSocket on the HTTP port, as the ws library gives it. */
export interface WebSocketLike {
	close(code: number, reason: string): unknown;
	/** The TCP socket under it. */
	_socket?: Socket;
	/** ws's frame reader; it closes the socket with 1009 when a message exceeds `_maxPayload`. */
	_receiver?: { _maxPayload?: number };
}

/** The same as httpFirst for WebSocket connections on the HTTP port: the socket, its upgrade request, the rest. */
export function webSocketFirst<Socket, Request>(
	listener: (socket: Socket, request: Request, completion: unknown, next?: (...args: unknown[]) => unknown) => unknown
): void {
	(server.ws as unknown as (listener: unknown, options: { runFirst: boolean }) => void)(listener, { runFirst: true });
}

/** Each WebSocket by its upgrade request, which is also the context of the resource call it makes. */
const webSockets = new WeakMap<object, WebSocketLike>();

export function rememberWebSocket(request: object, socket: WebSocketLike): void {
	webSockets.set(request, socket);
}

/**
 * Closes the WebSocket whose upgrade request is `context`, if it is one, with the code that fits the refusal and
 * its sentence as the reason (Harper alone would close any refusal but 401 and 403 with 1011, "internal error").
 */
export function closeWebSocketFor(context: unknown, refusal: { statusCode: number; toString(): string }): void {
	const socket = typeof context === 'object' && context !== null ? webSockets.get(context) : undefined;
	socket?.close(closeCodeFor(refusal.statusCode), String(refusal));
}

// ---- sessions -----------------------------------------------------------------------------------------------

interface SessionTable {
	delete(id: string): unknown;
}

/** Deletes a browser session (Harper's `system.hdb_session` record), so its cookie names nobody from then on. */
export async function deleteSession(id: string): Promise<void> {
	const sessions = (databases as unknown as { system?: { hdb_session?: SessionTable } }).system?.hdb_session;
	await sessions?.delete(id);
}

// ---- MQTT ---------------------------------------------------------------------------------------------------

/** An MQTT packet as Harper's mqtt-packet parses or builds it, seen only as far as Marquee needs. */
export interface MqttPacket {
	cmd?: string;
	messageId?: number;
	qos?: number;
	reasonCode?: number;
	returnCode?: number;
	clientId?: string;
	username?: string;
	protocolVersion?: number;
	granted?: number[];
	properties?: { reasonString?: string; maximumPacketSize?: number };
}

/** One subscription of a session: Harper tags each with its topic. */
export interface MqttSubscription {
	topic?: string;
}

/** A connected MQTT client as Harper keeps it: its client id and its subscriptions. */
export interface MqttSession {
	sessionId?: string;
	subscriptions?: MqttSubscription[];
	/** Harper calls this for each topic of a SUBSCRIBE; a result's `qos` becomes that topic's SUBACK code. */
	addSubscription?: (subscription: { topic: string; qos?: number }, needsAck: boolean) => Promise<unknown>;
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
		on(event: 'auth-failed', listener: (connect: MqttPacket, socket: MqttSocket, error?: unknown) => void): unknown;
		on(event: 'error', listener: (error: unknown, socket: MqttSocket, packet?: MqttPacket) => void): unknown;
	};
}

/** Harper's MQTT server on this thread, when MQTT is on. */
export function harperMqtt(): HarperMqtt | undefined {
	return (server as unknown as { mqtt?: HarperMqtt }).mqtt;
}

interface MqttPacketModule {
	generate: ((packet: MqttPacket, options?: { protocolVersion?: number }) => Uint8Array) & { marquee?: boolean };
}

/** Harper's own copy of mqtt-packet: the one whose generate() its MQTT server calls for every packet it sends. */
export function harperMqttPacket(): MqttPacketModule {
	const harperRequire = createRequire(createRequire(import.meta.url).resolve('harperdb'));
	return harperRequire('mqtt-packet') as MqttPacketModule;
}
