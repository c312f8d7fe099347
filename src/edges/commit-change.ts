/**
 * A change, committed: read the record, let the rules decide, store what they accepted. In a transaction of its own,
 * one at a time per record on every thread (record-lock.ts), reading what the previous change committed, so a
 * change always builds on the one before it (a sign's version goes up by exactly one) and none is lost. Its commit
 * time is later than the stored record's, so Harper's last-writer-wins order (by commit time, which devices compare:
 * `commitTime`) is the order the changes were made in. Written as the caller, so the audit log names who made it.
 * A table with a journal (LedSign's history, src/history/) gets each change's entry written in that same
 * transaction: there is never a change without its entry, nor an entry without its change.
 */
import type { ChangeMode, Resolved, WriteDecision } from '../shared/sign-rules.ts';
import type { HistoryProtocol } from '../shared/history.ts';
import { refuse } from '../harper/refusals.ts';
import { commitNoEarlierThan, committedAt, readLatest, recordStore, transaction } from '../harper/facade.ts';
import { withRecordLock } from '../harper/record-lock.ts';
import type { RecordStore, WriteContext } from '../harper/shapes.ts';
import { decisionRefusal, type TableNames } from './edge-refusals.ts';

export interface ChangeRules<R> extends TableNames {
	/** Decides a write made `now`: the record to store, or why it is refused (with what the server read first). */
	decide(
		id: unknown,
		current: R | undefined,
		input: unknown,
		mode: ChangeMode,
		now: Date,
		resolved: Resolved
	): WriteDecision<R>;
}

/** How a change reached the server, and what it applied: what its journal entry says besides the records. */
export interface ChangeOrigin {
	protocol: HistoryProtocol;
	/** The preset the change applied, if it applied one. */
	preset?: string;
}

/** What the server's own code changes (no client asked): the origin when none is given. */
const SERVER_ORIGIN: ChangeOrigin = { protocol: 'server' };

export interface Change {
	/** The record's id as the client named it; undefined when it names none (the rules refuse that). */
	id: unknown;
	/** Whether `id` could name a record at all; if not, there is nothing to read. */
	namesRecord: boolean;
	input: unknown;
	mode: ChangeMode;
	writer: WriteContext;
	/** What the server read for the rules first (the preset a sign change names). */
	resolved?: Resolved;
	origin?: ChangeOrigin;
}

/** A committed change of record `id`, as its journal writes it. */
export interface CommittedChange<R> {
	id: string;
	/** The record before the change (undefined: it did not exist) and after it (undefined: it was deleted). */
	before: R | undefined;
	after: R | undefined;
	/** The change's commit time (ms since 1970, fractional): later than the record's previous change's. */
	committedAt: number;
	writer: WriteContext;
	origin: ChangeOrigin;
}

/** What keeps a record of each change to a table's records. */
export interface ChangeJournal<R> {
	/** Writes the entry of `change`, in the change's own transaction (that of `context`). */
	write(change: CommittedChange<R>, context: WriteContext): Promise<void>;
}

export interface ChangeStores<R> {
	/** Through the resource: plain records. */
	reads: Pick<RecordStore<R>, 'get'>;
	/** Straight to the table, below every hook. */
	writes: Pick<RecordStore<R>, 'put' | 'delete'>;
	/** Makes this thread's next read see every commit so far (another thread's included). */
	readLatest(): void;
	/** When record `id` was last committed (Harper's own time, the one its last-writer-wins compares), 0 for none. */
	committedAt(id: string): number;
	/** The table's journal, if it keeps one: written with every change. */
	journal?: ChangeJournal<R>;
}

/**
 * The stores of Harper table `Table`: read through `reads` (a resource over it that answers plain records), each
 * change also written to `journal` when there is one.
 */
export function tableStores<R>(Table: object, reads: object = Table, journal?: ChangeJournal<R>): ChangeStores<R> {
	return {
		reads: recordStore<R>(reads),
		writes: recordStore<R>(Table),
		readLatest: (): void => readLatest(Table),
		committedAt: (id): number => committedAt(Table, id),
		journal,
	};
}

export interface RecordRewrite<R, N extends R | undefined> {
	/** The table, and the record's id as the caller named it (whether it names one is `namesRecord`). */
	name: string;
	id: unknown;
	/** Whether `id` could name a record at all; if not, there is nothing to read. */
	namesRecord: boolean;
	writer: WriteContext;
	/** The record to store, given the stored one; undefined leaves it as it is. May throw to refuse. */
	next: (current: R | undefined) => N;
	/** How the change reached the server, for the journal; the server's own code by default. */
	origin?: ChangeOrigin;
}

/** `work` under record `id`'s lock, in a transaction of its own (its context's), after reading the latest commit. */
function lockedTransaction<R, T>(
	stores: ChangeStores<R>,
	key: string,
	writer: WriteContext,
	work: (txn: object, context: WriteContext) => Promise<T>
): Promise<T> {
	return withRecordLock(key, () => {
		stores.readLatest();
		// A context of its own: Harper runs a transaction on a context that already has an open one inside that one,
		// which reads its older snapshot and commits after this lock is released. Two rewrites sharing a caller's
		// context (presence's, made for many signs at once) then lost a device's report written in between.
		const context: WriteContext = { user: writer.user };
		return transaction(context, (txn) => work(txn, context));
	});
}

/**
 * Rewrites a record from what is stored: one rewrite at a time per record on every thread (record-lock.ts),
 * reading the latest commit, in a transaction of its own that commits later than the stored record did, with the
 * journal's entry for it when the table keeps one.
 */
export function rewriteRecord<R, N extends R | undefined>(
	stores: ChangeStores<R>,
	{ name, id, namesRecord, writer, next, origin = SERVER_ORIGIN }: RecordRewrite<R, N>
): Promise<N> {
	return lockedTransaction(stores, `${name}/${String(id)}`, writer, async (txn, context) => {
		const current = namesRecord ? ((await stores.reads.get(String(id), context)) ?? undefined) : undefined;
		const record = next(current);
		if (record === undefined || !namesRecord) return record;
		const at = commitNoEarlierThan(txn, stores.committedAt(String(id)));
		await stores.writes.put(record, context);
		const change = { id: String(id), before: current, after: record, committedAt: at, writer, origin };
		await stores.journal?.write(change, context);
		return record;
	});
}

/**
 * Deletes record `id` the way rewriteRecord changes one (under its lock, in a transaction of its own, with its
 * journal's entry). Answers whether there was a record to delete.
 */
export function deleteRecord<R>(
	stores: ChangeStores<R>,
	{
		name,
		id,
		writer,
		origin = SERVER_ORIGIN,
	}: { name: string; id: string; writer: WriteContext; origin?: ChangeOrigin }
): Promise<boolean> {
	return lockedTransaction(stores, `${name}/${id}`, writer, async (txn, context) => {
		const current = (await stores.reads.get(id, context)) ?? undefined;
		if (current === undefined) return false;
		const at = commitNoEarlierThan(txn, stores.committedAt(id));
		await stores.writes.delete(id, context);
		await stores.journal?.write({ id, before: current, after: undefined, committedAt: at, writer, origin }, context);
		return true;
	});
}

export function commitChange<R>(
	rules: ChangeRules<R>,
	stores: ChangeStores<R>,
	{ id, namesRecord, input, mode, writer, resolved = {}, origin }: Change
): Promise<R> {
	const decide = (current: R | undefined): R => {
		const decision = rules.decide(id, current, input, mode, new Date(), resolved);
		if (!decision.ok) refuse(decisionRefusal(rules, decision));
		return decision.record;
	};
	return rewriteRecord(stores, { name: rules.name, id, namesRecord, writer, next: decide, origin });
}
