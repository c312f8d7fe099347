/**
 * The few Harper runtime pieces Marquee uses, typed (their shapes are in shapes.ts). Harper 4.7's declarations lack
 * them or leave them as `any`; keeping the casts here means the rest of the code sees only typed values.
 */
import { createRequire } from 'node:module';
import { databases, server, tables, type IterableEventQueue, type RequestTarget } from 'harperdb';
import { closeCodeFor } from './refusals.ts';
import type {
	AuthorizeClient,
	HarperConfig,
	HarperMqtt,
	HarperResponse,
	HarperTable,
	HarperUser,
	HarperWebSocket,
	HookContext,
	HttpMiddleware,
	HttpServer,
	LoginRequest,
	MqttGenerate,
	MqttSocket,
	Ports,
	RecordStore,
	WebSocketMiddleware,
	WriteContext,
} from './shapes.ts';

type Transaction = <T>(context: WriteContext, work: (txn: object) => Promise<T>) => Promise<T>;
let harperExports: { transaction: Transaction } | undefined;

/** Runs `work` in a transaction of its own and resolves once that transaction has committed. */
export function transaction<T>(context: WriteContext, work: (txn: object) => Promise<T>): Promise<T> {
	// Harper assigns `transaction` to its exports after start-up and leaves it out of its 4.7 type declarations,
	// so ESM's static named imports cannot see it; the CommonJS view of the same module can.
	harperExports ??= createRequire(import.meta.url)('harperdb') as { transaction: Transaction };
	return harperExports.transaction(context, work);
}

/**
 * Commits `txn` at a time later than `after` (ms since 1970, fractional), and no earlier than now. Harper times a
 * transaction by its own thread's clock, which can lag another thread's by up to a millisecond; a change committed
 * with a time older than the stored record's would lose Harper's last-writer-wins comparison and be dropped.
 * Answers the time it set: every write of the transaction commits at it.
 */
export function commitNoEarlierThan(txn: object, after: number): number {
	const now = performance.timeOrigin + performance.now();
	const timestamp = Math.max(now, after + 0.001);
	(txn as { timestamp?: number }).timestamp = timestamp;
	return timestamp;
}

/** When record `id` of `Table` was last committed: Harper's version of its entry (ms since 1970), 0 for none. */
export function committedAt(Table: object, id: string): number {
	type Store = { getEntry?(id: string): { version?: number } | undefined };
	const version = (Table as { primaryStore?: Store }).primaryStore?.getEntry?.(id)?.version;
	return typeof version === 'number' ? version : 0;
}

/**
 * Makes this thread's next read of `Table`'s database see every commit so far, another thread's included: lmdb
 * keeps a thread's read snapshot until its next timer tick, which can be older than a commit that has completed.
 */
export function readLatest(Table: object): void {
	(Table as { primaryStore?: { resetReadTxn?(): void } }).primaryStore?.resetReadTxn?.();
}

/** This node's name in a cluster (its replication hostname; `localhost` alone). */
export function nodeName(): string {
	return (server as unknown as { hostname?: string }).hostname ?? 'localhost';
}

/** The table `name` from schema.graphql, to extend. */
export function tableNamed(name: string): HarperTable {
	const table = tables[name];
	if (!table) throw new Error(`The ${name} table is missing: is schema.graphql loaded before resources.js?`);
	return table;
}

/**
 * `bytes` of memory every worker thread of this Harper process shares, by `name` (zeroed the first time), for as
 * long as the process runs: a worker that Harper restarts gets the same block back. Taken from the database
 * Marquee's tables live in; a plain SharedArrayBuffer (this thread's own) where there is none.
 */
export function sharedMemory(name: string, bytes: number): ArrayBufferLike {
	// lmdb's memory block shared by every thread that opens the database, made from `initial` the first time. A block
	// keeps the size it was first made with, so the size is part of its name: code deployed with another layout
	// (workers restarted, the process not) gets a block of its own instead of one it would misread.
	type LmdbStore = { getUserSharedBuffer?(key: string, initial: ArrayBuffer): ArrayBuffer };
	const store = (tables.DeviceAccount as unknown as { primaryStore?: LmdbStore } | undefined)?.primaryStore;
	const key = `marquee:${name}:${bytes}`;
	return store?.getUserSharedBuffer?.(key, new ArrayBuffer(bytes)) ?? new SharedArrayBuffer(bytes);
}

/** The record `id` of table `name`, as plain data, or undefined (no such table or record). */
export async function recordOf(name: string, id: string): Promise<Record<string, unknown> | undefined> {
	return ((await tables[name]?.get(id)) ?? undefined) as Record<string, unknown> | undefined;
}

/** Harper's configuration as it runs (harperdb-config.yaml with overrides applied: `server.config`). */
export function harperConfig(): HarperConfig | undefined {
	return (server as unknown as { config?: HarperConfig }).config;
}

/** A user as Harper's authentication hands it over (anything else reads as nobody). */
export function harperUser(user: unknown): HarperUser {
	return typeof user === 'object' && user !== null ? (user as HarperUser) : {};
}

/** The HTTP request of a call to the login resource, with the session Harper keeps for it. */
export function loginRequestOf(resource: { getContext(): unknown }): LoginRequest {
	return (resource.getContext() ?? {}) as LoginRequest;
}

/** The context of a resource call: the HTTP request, or what an MQTT session or a stored will made. */
export function contextOf(resource: { getContext(): unknown }): HookContext {
	return (resource.getContext() ?? {}) as HookContext;
}

// ---- what resource methods hand each other --------------------------------------------------------------

/** A table's record methods, typed for its records (`Table` is the class Harper built, or one extending it). */
export function recordStore<R>(Table: object): RecordStore<R> {
	return Table as unknown as RecordStore<R>;
}

/** The records of `Table` whose indexed `attribute` equals `value`, as plain data. */
export async function searchRecords<R>(Table: object, attribute: string, value: unknown): Promise<R[]> {
	type Searchable = { search(query: object): AsyncIterable<R> };
	const found: R[] = [];
	for await (const record of (Table as Searchable).search({ conditions: [{ attribute, value }] })) found.push(record);
	return found;
}

/** The ids of the records a table's `search()` found (Harper's declarations type its results `any`). */
export async function recordIds(found: AsyncIterable<unknown>): Promise<unknown[]> {
	const ids: unknown[] = [];
	for await (const record of found) ids.push((record as { id?: unknown } | null)?.id);
	return ids;
}

/**
 * Up to `limit` records of `Table` whose primary key is at least `from` and less than `to`, greatest key first: one
 * range of the primary index, read in reverse and no further than needed (Harper aligns a sort on the attribute of
 * the only condition with the index's order, so nothing is sorted in memory).
 */
export async function recordsInKeyRange<R>(
	Table: object,
	{ from, to, limit }: { from: string; to: string; limit: number }
): Promise<R[]> {
	type Searchable = { search(query: object): AsyncIterable<R> };
	const query = {
		conditions: [{ attribute: 'id', comparator: 'gelt', value: [from, to] }],
		sort: { attribute: 'id', descending: true },
		limit,
	};
	const found: R[] = [];
	for await (const record of (Table as Searchable).search(query)) found.push(record);
	return found;
}

/**
 * The changes of `Table`'s records from now on: of those under `parent` (`<parent>/...` ids, Harper's key hierarchy),
 * or of every record (null). Harper's own subscription, so MQTT, WebSocket and SSE deliver it as they do a table's.
 */
export function subscribeToChildren(Table: object, parent: string | null): Promise<IterableEventQueue> {
	type Subscribable = { subscribe(request: object): Promise<IterableEventQueue> };
	return (Table as Subscribable).subscribe({
		id: parent === null ? null : `${parent}/`,
		isCollection: true,
		omitCurrent: true,
	});
}

/**
 * Has Harper expire every record of `Table` `seconds` after it was written (its table record expiration: an expired
 * record is never served, and a scan every `scanSeconds` on one thread removes it). Not a change: nothing is told to
 * subscribers or replicated, each node expires its own copies.
 */
export function expireRecords(Table: object, { seconds, scanSeconds }: { seconds: number; scanSeconds: number }): void {
	type Expiring = { setTTLExpiration(options: { expiration: number; scanInterval: number }): void };
	(Table as Expiring).setTTLExpiration({ expiration: seconds, scanInterval: scanSeconds });
}

/** What a table's own `get()` answered, as the record it is (Harper's declarations say only `object`). */
export function storedRecord<R>(value: unknown): R | undefined {
	return (value ?? undefined) as R | undefined;
}

/** A target for record `id` made from a client's target: the same checks (`checkPermission`) apply to it. */
export function recordTarget(id: unknown, from: RequestTarget): RequestTarget {
	return { id, checkPermission: from.checkPermission } as unknown as RequestTarget;
}

/**
 * The event queue a table's `connect()` or `subscribe()` resolves to. Harper's declarations promise an
 * AsyncIterable from connect, but the table's resolves to its queue asynchronously (Harper awaits either).
 */
export async function eventQueue(stream: unknown): Promise<IterableEventQueue> {
	return (await stream) as IterableEventQueue;
}

/** A response for `delete()` to return: Harper's types only know `boolean` there, but it sends any response. */
export function deleteAnswer(response: { status: number; headers: object; data: unknown }): boolean {
	return response as unknown as boolean;
}

/** A stream's incoming messages as Harper's declarations type them: Harper passes null for SSE, which has none. */
export function incomingOf(incoming: IterableEventQueue | null): IterableEventQueue {
	return incoming as IterableEventQueue;
}

/** A promise of an event queue, as the AsyncIterable that Harper's declarations say `connect()` (and a plain
 * resource's `subscribe()`) returns; Harper awaits either. */
export function asConnectResult(queue: Promise<IterableEventQueue>): AsyncIterable<unknown> {
	return queue as unknown as AsyncIterable<unknown>;
}

// ---- resource classes ---------------------------------------------------------------------------------------

/** A resource entry point: called on an instance (or, for a static, the class) with the request target first. */
export type EntryMethod = (this: ResourceInstance, target: unknown, ...rest: unknown[]) => unknown;

/** What a resource instance offers a hook that wraps its methods: who is asking, and the call's context. */
export interface ResourceInstance {
	getCurrentUser(): unknown;
	getContext(): unknown;
}

/** Replaces methods of a resource class; each replacement is made from the one it replaces. */
export interface Overrides {
	instance?: Record<string, (original: EntryMethod) => EntryMethod>;
	statics?: Record<string, (original: EntryMethod | undefined) => EntryMethod>;
}

/** Whether instances of resource class `Class` have a method `name` (their own or inherited). */
export function hasInstanceMethod(Class: unknown, name: string): boolean {
	return typeof (Class as { prototype?: Record<string, unknown> }).prototype?.[name] === 'function';
}

/** A subclass of the resource class `Base` with `overrides`, typed as `Base` (Harper routes to it the same way). */
export function resourceSubclass<C>(Base: C, overrides: Overrides): C {
	const Sub = class extends (Base as unknown as new () => ResourceInstance) {};
	const inherited = Base as unknown as { prototype: Record<string, EntryMethod | undefined> } & Record<string, unknown>;
	for (const [name, make] of Object.entries(overrides.instance ?? {})) {
		const original = inherited.prototype[name];
		if (typeof original !== 'function') throw new Error(`the resource has no ${name}() to wrap`);
		Object.defineProperty(Sub.prototype, name, { value: make(original), writable: true, configurable: true });
	}
	for (const [name, make] of Object.entries(overrides.statics ?? {})) {
		const original = inherited[name] as EntryMethod | undefined;
		Object.defineProperty(Sub, name, { value: make(original), writable: true, configurable: true });
	}
	return Sub as unknown as C;
}

/**
 * The names of the transactional statics of a resource class and its ancestors: the entry points Harper's REST and
 * MQTT dispatch can reach it by (Harper marks each with `reliesOnPrototype`).
 */
export function transactionalStatics(Class: object): string[] {
	const names = new Set<string>();
	for (let type: object | null = Class; type && type !== Function.prototype; type = Object.getPrototypeOf(type)) {
		for (const name of Object.getOwnPropertyNames(type)) {
			const value: unknown = Object.getOwnPropertyDescriptor(type, name)?.value;
			if (typeof value === 'function' && (value as { reliesOnPrototype?: boolean }).reliesOnPrototype) names.add(name);
		}
	}
	return [...names].sort();
}

// ---- HTTP ---------------------------------------------------------------------------------------------------

/** `server.http`, typed: Harper 4.7's declarations leave out `next`, its options and the servers it returns. */
function serverHttp(listener: HttpMiddleware, options: Record<string, unknown>): HttpServer[] | undefined {
	type ServerHttp = (listener: HttpMiddleware, options: Record<string, unknown>) => HttpServer[] | undefined;
	return (server.http as unknown as ServerHttp)(listener, options);
}

/**
 * HTTP middleware that runs ahead of Harper's own handlers, authentication included (`runFirst`), on the app's
 * HTTP ports; it gets the request and the rest of the chain. Answers the port's Node servers.
 */

export function httpFirst(listener: HttpMiddleware): HttpServer[] {
	return serverHttp(listener, { runFirst: true }) ?? [];
}

function configuredPorts(network: Record<string, unknown> | undefined): Ports {
	const port = (value: unknown): number | undefined => (typeof value === 'number' && value > 0 ? value : undefined);
	return { port: port(network?.port), securePort: port(network?.securePort) };
}

/** The operations API's ports, from Harper's configuration. */
export function operationsApiPorts(): Ports {
	return configuredPorts(harperConfig()?.operationsApi?.network);
}

/** The ports other nodes replicate over: replication's own, or (with none set) the operations API's, as Harper does. */
export function replicationPorts(): Ports {
	const own = configuredPorts(harperConfig()?.replication);
	return own.port === undefined && own.securePort === undefined ? operationsApiPorts() : own;
}

/**
 * HTTP middleware on other ports than the app's (the operations API's, replication's). With `runFirst` it runs
 * before Harper authenticates the request; without, after (so it sees `request.user`) and before the rest.
 */
export function portMiddleware(ports: Ports, listener: HttpMiddleware, { runFirst }: { runFirst: boolean }): void {
	if (ports.port === undefined && ports.securePort === undefined) return;
	serverHttp(listener, { ...ports, runFirst });
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

/** The same as httpFirst for WebSocket connections on the HTTP port: the socket, its upgrade request, the rest. */
export function webSocketFirst(listener: WebSocketMiddleware): void {
	(server.ws as unknown as (listener: unknown, options: { runFirst: boolean }) => void)(listener, { runFirst: true });
}

/** Each WebSocket by its upgrade request, which is also the context of the resource call it makes. */
const webSockets = new WeakMap<object, HarperWebSocket>();

export function rememberWebSocket(request: object, socket: HarperWebSocket): void {
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

/** Deletes a browser session (Harper's `system.hdb_session` record), so its cookie names nobody from then on. */
export async function deleteSession(id: string): Promise<void> {
	type SessionTable = { delete(id: string): unknown };
	const sessions = (databases as unknown as { system?: { hdb_session?: SessionTable } }).system?.hdb_session;
	await sessions?.delete(id);
}

// ---- MQTT ---------------------------------------------------------------------------------------------------

/** Harper's MQTT server on this thread, when MQTT is on. */
export function harperMqtt(): HarperMqtt | undefined {
	return (server as unknown as { mqtt?: HarperMqtt }).mqtt;
}

/**
 * Harper's own copy of mqtt-packet: the one whose generate() its MQTT server calls for every packet it sends
 * (replace `generate` to change what it sends).
 */
export function harperMqttPacket(): { generate: MqttGenerate } {
	const harperRequire = createRequire(createRequire(import.meta.url).resolve('harperdb'));
	return harperRequire('mqtt-packet') as { generate: MqttGenerate };
}

/** Puts `hook` before Harper's CONNECT hook, and before any other already installed: each must pass. */
export function chainAuthorizeClient(mqtt: HarperMqtt, hook: AuthorizeClient): void {
	const previous = mqtt.authorizeClient;
	mqtt.authorizeClient = previous
		? (connect, user): void => {
				hook(connect, user);
				previous.call(mqtt, connect, user);
			}
		: hook;
}

/** Whether an MQTT client's socket is a WebSocket (MQTT over WebSocket) rather than TCP. */
export const isWebSocket = (socket: MqttSocket): socket is HarperWebSocket => 'send' in socket && !('write' in socket);
