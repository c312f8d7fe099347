/**
 * The server under attack: a Harper with an attacker account and guarded signs, warmed up, its state and memory
 * noted before the attack; the check after each category that it is unharmed; and the tally of inputs tried.
 */
import { expect } from 'vitest';
import type { LedSignRecord } from '../../src/shared/sign-rules.ts';
import { rest, type Credentials } from '../../harness/clients.ts';
import type { HarperInstance } from '../../harness/harper.ts';
import { rssMiB } from '../../harness/memory.ts';
import { addUser } from '../../harness/users.ts';
import { GUARDED, GUARDED_STATUS } from './corpus.ts';
import { mqttLink, wsLink } from './links.ts';
import { invalidity } from './verdicts.ts';

/** How far Harper's resident memory may grow over its warmed-up baseline while under attack. */
const RSS_BOUND_MB = 300;

export interface Siege {
	harper: HarperInstance;
	attacker: Credentials;
	/** Every sign and sign status, as the admin read them before the attack. */
	signs: Record<string, LedSignRecord>;
	statuses: unknown;
	baselineMb: number;
}

const rssMb = (harper: HarperInstance): number => Math.round(rssMiB(harper.pid()));

export async function allSigns(harper: HarperInstance): Promise<Record<string, LedSignRecord>> {
	const list = (await rest(harper, 'GET', '/LedSign/')).body as LedSignRecord[];
	return Object.fromEntries(list.map((sign) => [sign.id, sign]));
}

const allStatuses = async (harper: HarperInstance): Promise<unknown> =>
	(await rest(harper, 'GET', '/SignStatus/')).body;

/** Readies a started Harper: creates the attacker and the guarded signs, warms every protocol up, notes its memory. */
export async function besiege(harper: HarperInstance, name: string, targets: string[]): Promise<Siege> {
	const attacker = { username: `hi-${name}`, password: `hi-${name}-password` };
	await addUser(harper, attacker, 'marquee_operator');
	for (const [id, settings] of Object.entries(GUARDED)) {
		expect((await rest(harper, 'PUT', `/LedSign/${id}`, settings)).status).toBe(200);
	}
	expect((await rest(harper, 'PUT', '/SignStatus/hi-guard-1', GUARDED_STATUS)).status).toBe(200);
	for (const id of targets) await rest(harper, 'PUT', `/LedSign/${id}`, { text: `target ${id}` });
	// Warm-up: one ordinary change over each protocol, so the baseline includes what serving them loads.
	await rest(harper, 'PATCH', `/LedSign/${targets[0]}`, { text: 'warm' }, { user: attacker });
	const link = await mqttLink(harper, attacker);
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

export const memoryRows: { harper: string; after: string; rssMb: number; baselineMb: number }[] = [];

/** After a category: the server answers, its memory is bounded, and no sign it was not asked to change changed. */
export async function expectUnharmed(siege: Siege, after: string, changeable: (id: string) => boolean): Promise<void> {
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

/** category → protocol → inputs tried, for the summary (the issue note reports "hostile inputs tried"). */
const tally = new Map<string, Map<string, number>>();

export function count(category: string, protocol: string, n = 1): void {
	const row = tally.get(category) ?? new Map<string, number>();
	row.set(protocol, (row.get(protocol) ?? 0) + n);
	tally.set(category, row);
}

/** Prints how many inputs were tried, by category and protocol, and Harper's memory after each category. */
export function printSummary(): void {
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
}
