/**
 * A sign's history, as pure data and functions shared by the server and its clients: one entry per accepted change
 * of a sign (created, changed, deleted), whoever made it over whatever protocol, with the sign's whole look after it.
 * The server writes an entry in the same transaction as its change (src/history/); clients read a sign's entries
 * newest first, a page at a time, from `GET /SignHistory/<sign>`, and follow new ones on its stream.
 *
 * Reverting is not a server feature: a client writes an older entry's look back as an ordinary compare-and-set change
 * (revertChange), which makes a new version and a new entry. History is never rewritten.
 */
import { lookOf, type FieldErrors, type LedSignRecord, type SignSettings } from './sign-rules.ts';

/** How the change reached the server: a REST request, an MQTT publish, a WebSocket message, or the server's own code. */
export const HISTORY_PROTOCOLS = ['rest', 'mqtt', 'websocket', 'server'] as const;
export type HistoryProtocol = (typeof HISTORY_PROTOCOLS)[number];

export const HISTORY_ACTIONS = ['create', 'change', 'delete'] as const;
export type HistoryAction = (typeof HISTORY_ACTIONS)[number];

/** One accepted change of a sign. */
export interface HistoryEntry {
	/** `<sign>/<position>`: unique, also across a sign deleted and created again, and across nodes. */
	id: string;
	sign: string;
	/** The sign's version after the change; for a delete, the version that was deleted. */
	version: number;
	/** When: the change's updatedAt (ISO 8601, UTC); for a delete, when it was deleted. */
	at: string;
	/** Who: the username, or null when no account made it. */
	user: string | null;
	protocol: HistoryProtocol;
	action: HistoryAction;
	/** The preset the change applied, when it applied one. */
	preset?: string;
	/** The sign's whole look after the change; for a delete, the look it had when it was deleted. */
	state: SignSettings;
}

/** One page of a sign's history, newest first; `next` is the `before` cursor of the page after it, or null. */
export interface HistoryPage {
	sign: string;
	entries: HistoryEntry[];
	next: string | null;
}

/** How many entries a page has when the client does not say, and at most. */
export const HISTORY_RULES = Object.freeze({ defaultLimit: 50, maxLimit: 500 });

// ---- Entry ids: ordered by commit time --------------------------------------------------------------------------

/**
 * An entry's position in its sign's history: the change's commit time (ms since 1970, fractional) as 20 digits, so
 * that positions sort as text in commit order, then a short random tag so two nodes committing one sign's changes at
 * the same instant keep both entries. A sign's changes commit at strictly increasing times, each at least a
 * microsecond after the one before (src/edges/commit-change.ts), which 6 decimals tell apart (toFixed rounds the same
 * double the same way every time, and never puts a later time before an earlier one).
 */
export function entryPosition(committedAt: number, tag: string): string {
	return `${committedAt.toFixed(6).replace('.', '').padStart(20, '0')}-${tag}`;
}

const POSITION = /^\d{20}-[0-9a-z]{4}$/;

/** The id of an entry at `position` in the history of `sign`: `<sign>/<position>`, a child of the sign's topic. */
export function entryId(sign: string, position: string): string {
	return `${sign}/${position}`;
}

/** What an accepted change did, as the server saw it: the entry is made from this. */
export interface ChangeFacts {
	sign: string;
	/** The record before the change (undefined: it did not exist) and after it (undefined: it was deleted). */
	before: LedSignRecord | undefined;
	after: LedSignRecord | undefined;
	position: string;
	/** For a delete (which has no updatedAt of its own): when it was made. */
	now: Date;
	user: string | null;
	protocol: HistoryProtocol;
	preset?: string;
}

/** The history entry of an accepted change; undefined when it changed nothing (no record before or after). */
export function historyEntry(facts: ChangeFacts): HistoryEntry | undefined {
	const { sign, before, after, position, user, protocol, preset } = facts;
	const record = after ?? before;
	if (!record) return undefined;
	const entry: HistoryEntry = {
		id: entryId(sign, position),
		sign,
		version: record.version,
		at: after ? after.updatedAt : facts.now.toISOString(),
		user,
		protocol,
		action: !after ? 'delete' : before ? 'change' : 'create',
		state: lookOf(record),
	};
	if (preset !== undefined) entry.preset = preset;
	return entry;
}

// ---- Reading a page ---------------------------------------------------------------------------------------------

/** What a client asked of `GET /SignHistory/<sign>`: how many entries, and before which position. */
export interface HistoryQuery {
	limit: number;
	/** Only entries before this position (a page's `next`); undefined: from the newest. */
	before?: string;
}

/**
 * Checks the query parameters of a history request (each value as the URL gave it, or null when absent): `limit` a
 * whole number from 1 to HISTORY_RULES.maxLimit, `before` a cursor a page answered as `next`, nothing else.
 */
export function checkHistoryQuery(
	params: Iterable<[string, string]>
): { ok: true; value: HistoryQuery } | { ok: false; errors: FieldErrors } {
	const errors: FieldErrors = {};
	const query: HistoryQuery = { limit: HISTORY_RULES.defaultLimit };
	for (const [name, value] of params) {
		if (name === 'limit') {
			const limit = /^\d+$/.test(value) ? Number(value) : NaN;
			if (limit >= 1 && limit <= HISTORY_RULES.maxLimit) query.limit = limit;
			else errors.limit = `must be a whole number from 1 to ${HISTORY_RULES.maxLimit} (got "${value.slice(0, 20)}")`;
		} else if (name === 'before') {
			if (POSITION.test(value)) query.before = value;
			else errors.before = `must be the "next" cursor a page of this history answered (got "${value.slice(0, 40)}")`;
		} else {
			errors[name.slice(0, 40)] = 'is not a history query parameter (parameters: limit, before)';
		}
	}
	return Object.keys(errors).length > 0 ? { ok: false, errors } : { ok: true, value: query };
}

/** The id range a page of `sign`'s history reads, newest first: from just before `before` (or the end) down. */
export function pageRange(sign: string, query: HistoryQuery): { from: string; to: string } {
	// A sign id has no '/', and '0' sorts right after '/': every entry of the sign, and no other, lies in this range.
	return { from: entryId(sign, ''), to: query.before ? entryId(sign, query.before) : `${sign}0` };
}

/** A page from what the server read: up to `limit` entries, and a cursor when it read one more than that. */
export function historyPage(sign: string, read: HistoryEntry[], { limit }: HistoryQuery): HistoryPage {
	const entries = read.slice(0, limit);
	const last = entries.at(-1);
	const next = read.length > limit && last ? last.id.slice(sign.length + 1) : null;
	return { sign, entries, next };
}

// ---- Reverting ----------------------------------------------------------------------------------------------

/**
 * The change that brings an older entry's look back, as an ordinary compare-and-set write (`PATCH /LedSign/<sign>`):
 * the entry's six settings, based on the sign's current version, so it is refused (409) if the sign moved on meanwhile.
 */
export function revertChange(entry: HistoryEntry, currentVersion: number): SignSettings & { version: number } {
	return { ...lookOf(entry.state), version: currentVersion };
}
