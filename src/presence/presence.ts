/**
 * Presence the server vouches for: a sign's status says online exactly while the server holds its device's MQTT
 * connection, however and whenever it connected, on any thread or node, and offline within moments of it closing.
 *
 * - Harper's MQTT events tell each thread when a connection opens and closes. A device's connection marks its
 *   sign online and is named in the status (connection-ids.ts); its close marks the sign offline, but only if the
 *   status still names that connection: a device that reconnected (on any thread, or another node) already
 *   replaced it, so an old connection's close (or its last will) cannot take it offline.
 * - A sweeper on each thread marks offline every online status whose connection is gone: of a previous run of
 *   this server (restarted or crashed, whatever it replayed of stored wills), of a thread that ended, of this
 *   thread but not open, or named by no connection at all (a report that claims online without one). A status of
 *   another node's connection is that node's to keep; if it stops reporting for OTHER_NODE_SILENT_MS it is gone.
 * - A last will is a fallback: it takes a sign offline only when the connection its status names is gone.
 *
 * Whose sign a connection is: a device account's bound sign; an administrator's (the simulator, tests) is the sign
 * of its last will's `SignStatus/<id>` topic.
 */
import { accountOf } from '../access/accounts.ts';
import { boundSign } from '../access/device-binding.ts';
import { ACCESS } from '../access/access.ts';
import { DEVICE_TIMING } from '../../devices/device-timing.ts';
import { harperMqtt, searchRecords, tableNamed } from '../harper/facade.ts';
import { mqttConnectionOf, type MqttConnection } from '../harper/mqtt-connections.ts';
import { rewriteRecord, tableStores } from '../edges/commit-change.ts';
import { checkSignId, decideStatusWrite, type SignStatusRecord } from '../shared/sign-rules.ts';
import { beat, nameConnection, parseConnection, SWEEP_MS, whereIs } from './connection-ids.ts';

/** A status claiming online that no connection vouches for keeps it this long (a report racing its CONNECT). */
const UNVOUCHED_MS = 2 * SWEEP_MS;
/** Another node's device reports at least this often while connected (its heartbeat), with room to spare. */
const OTHER_NODE_SILENT_MS = 3 * DEVICE_TIMING.heartbeatSeconds * 1000;

const SYSTEM = { user: { username: 'marquee-presence', role: { permission: { super_user: true } } } };

/** This thread's open device connections: name → sign. */
const open = new Map<string, string>();
const named = new WeakMap<MqttConnection, { name: string; sign: string }>();
/** Connections that closed, in case one closes while its sign is still being looked up. */
const closed = new WeakSet<MqttConnection>();

async function signOf(connection: MqttConnection): Promise<string | undefined> {
	const account = accountOf(connection.user);
	const bound = await boundSign(account);
	if (bound !== undefined) return bound ?? undefined;
	if (!account?.superUser) return undefined;
	const id = connection.willTopic?.startsWith(`${ACCESS.SignStatus.name}/`)
		? connection.willTopic.slice(ACCESS.SignStatus.name.length + 1)
		: undefined;
	return checkSignId(id) === undefined ? id : undefined;
}

/**
 * Writes `online` for `sign` (and the connection, when given), when `when(current)` holds: a status report of the
 * server's own, by the same rule and write path as a device's (one write at a time per status).
 */
async function setOnline(
	sign: string,
	online: boolean,
	connection: string | undefined,
	when: (current: SignStatusRecord | undefined) => boolean
): Promise<void> {
	const stores = tableStores<SignStatusRecord>(tableNamed(ACCESS.SignStatus.name));
	const next = (current: SignStatusRecord | undefined): SignStatusRecord | undefined => {
		if (!when(current)) return undefined;
		const decision = decideStatusWrite(sign, current, { online }, 'merge');
		if (!decision.ok) throw new Error(`presence: ${sign}: ${JSON.stringify(decision.errors)}`);
		if (connection !== undefined) decision.record.connection = connection;
		return decision.record;
	};
	await rewriteRecord(stores, { name: ACCESS.SignStatus.name, id: sign, namesRecord: true, writer: SYSTEM, next });
}

/** Whether the connection a status names is gone, seen from this thread. */
export function connectionIsGone(status: SignStatusRecord, now = Date.now()): boolean {
	const name = parseConnection(status.connection);
	const silentFor = now - Date.parse(status.lastSeen);
	if (!name) return silentFor > UNVOUCHED_MS;
	switch (whereIs(name, now)) {
		case 'this thread':
			return !open.has(status.connection ?? '');
		case 'live thread':
			return false;
		case 'other node':
			return silentFor > OTHER_NODE_SILENT_MS;
		case 'gone':
			return true;
	}
}

/**
 * A last will for `sign`: takes it offline only if the connection its status names is gone, decided under the
 * status's lock, so a device that reconnected meanwhile (on any thread) is not taken offline by its old will.
 */
export function applyWill(sign: string): Promise<void> {
	return setOnline(sign, false, undefined, (current) => current?.online === true && connectionIsGone(current));
}

async function onConnected(connection: MqttConnection): Promise<void> {
	const sign = await signOf(connection);
	if (sign === undefined || closed.has(connection)) return;
	const name = nameConnection();
	named.set(connection, { name, sign });
	open.set(name, sign);
	await setOnline(sign, true, name, () => true);
}

async function onDisconnected(connection: MqttConnection): Promise<void> {
	closed.add(connection);
	const mine = named.get(connection);
	if (!mine) return;
	open.delete(mine.name);
	await setOnline(mine.sign, false, undefined, (current) => current?.connection === mine.name && current.online);
}

/** Marks offline every online status whose connection is gone (answers how many), and online every one this thread holds. */
export async function sweep(now = Date.now()): Promise<number> {
	let marked = 0;
	const online = await searchRecords<SignStatusRecord>(tableNamed(ACCESS.SignStatus.name), 'online', true);
	for (const status of online) {
		if (!connectionIsGone(status, now)) continue;
		const seen = status.connection;
		await setOnline(status.id, false, undefined, (current) => current?.online === true && current.connection === seen);
		marked++;
	}
	// And the other way: a connection this thread holds whose status lost it (a write that raced its CONNECT).
	for (const [name, sign] of open) {
		await setOnline(sign, true, name, (current) => open.has(name) && (current?.connection !== name || !current.online));
	}
	return marked;
}

let installed = false;

/** Starts following this thread's MQTT connections, and its sweeper. */
export function installPresence(): void {
	const events = harperMqtt()?.events;
	if (!events || installed) return;
	installed = true;
	const report = (error: unknown): void => console.error('presence:', error);
	events.on('connected', (_session, socket) => {
		const connection = mqttConnectionOf(socket);
		if (connection) onConnected(connection).catch(report);
	});
	events.on('disconnected', (_session, socket) => {
		const connection = mqttConnectionOf(socket);
		if (connection) onDisconnected(connection).catch(report);
	});
	// The beat has a timer of its own: a sweep that waits on a busy status must not make this thread look ended.
	beat();
	setInterval(beat, SWEEP_MS).unref();
	let sweeping = false;
	setInterval(() => {
		if (sweeping) return;
		sweeping = true;
		sweep()
			.catch(report)
			.finally(() => (sweeping = false));
	}, SWEEP_MS).unref();
}
