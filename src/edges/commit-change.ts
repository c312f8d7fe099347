/**
 * A change, committed: read the record, let the rules decide, store what they accepted. In a transaction of its own,
 * one at a time per record on every thread (record-lock.ts), reading what the previous change committed, so a
 * change always builds on the one before it (a sign's version goes up by exactly one) and none is lost. Its commit
 * time is later than the stored record's, so Harper's last-writer-wins order (by commit time, which devices compare:
 * `commitTime`) is the order the changes were made in. Written as the caller, so the audit log names who made it.
 */
import type { ChangeMode, WriteDecision } from '../shared/sign-rules.ts';
import { refuse } from '../harper/refusals.ts';
import { commitNoEarlierThan, committedAt, readLatest, recordStore, transaction } from '../harper/facade.ts';
import { withRecordLock } from '../harper/record-lock.ts';
import type { RecordStore, WriteContext } from '../harper/shapes.ts';
import { decisionRefusal, type TableNames } from './edge-refusals.ts';

export interface ChangeRules<R> extends TableNames {
	/** Decides a write: the record to store, or why it is refused. */
	decide(id: unknown, current: R | undefined, input: unknown, mode: ChangeMode): WriteDecision<R>;
}

export interface Change {
	/** The record's id as the client named it; undefined when it names none (the rules refuse that). */
	id: unknown;
	/** Whether `id` could name a record at all; if not, there is nothing to read. */
	namesRecord: boolean;
	input: unknown;
	mode: ChangeMode;
	writer: WriteContext;
}

export interface ChangeStores<R> {
	/** Through the resource: plain records. */
	reads: Pick<RecordStore<R>, 'get'>;
	/** Straight to the table, below every hook. */
	writes: Pick<RecordStore<R>, 'put'>;
	/** Makes this thread's next read see every commit so far (another thread's included). */
	readLatest(): void;
	/** When record `id` was last committed (Harper's own time, the one its last-writer-wins compares), 0 for none. */
	committedAt(id: string): number;
}

/** The stores of Harper table `Table`: read through `reads` (a resource over it that answers plain records). */
export function tableStores<R>(Table: object, reads: object = Table): ChangeStores<R> {
	return {
		reads: recordStore<R>(reads),
		writes: recordStore<R>(Table),
		readLatest: (): void => readLatest(Table),
		committedAt: (id): number => committedAt(Table, id),
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
}

/**
 * Rewrites a record from what is stored: one rewrite at a time per record on every thread (record-lock.ts),
 * reading the latest commit, in a transaction of its own that commits later than the stored record did.
 */
export function rewriteRecord<R, N extends R | undefined>(
	stores: ChangeStores<R>,
	{ name, id, namesRecord, writer, next }: RecordRewrite<R, N>
): Promise<N> {
	return withRecordLock(`${name}/${String(id)}`, () => {
		stores.readLatest();
		// A context of its own: Harper runs a transaction on a context that already has an open one inside that one,
		// which reads its older snapshot and commits after this lock is released. Two rewrites sharing a caller's
		// context (presence's, made for many signs at once) then lost a device's report written in between.
		const context: WriteContext = { user: writer.user };
		return transaction(context, async (txn) => {
			const current = namesRecord ? await stores.reads.get(String(id), context) : undefined;
			const record = next(current);
			if (record === undefined) return record;
			if (namesRecord) commitNoEarlierThan(txn, stores.committedAt(String(id)));
			await stores.writes.put(record, context);
			return record;
		});
	});
}

export function commitChange<R>(
	rules: ChangeRules<R>,
	stores: ChangeStores<R>,
	{ id, namesRecord, input, mode, writer }: Change
): Promise<R> {
	const decide = (current: R | undefined): R => {
		const decision = rules.decide(id, current, input, mode);
		if (!decision.ok) refuse(decisionRefusal(rules, decision));
		return decision.record;
	};
	return rewriteRecord(stores, { name: rules.name, id, namesRecord, writer, next: decide });
}
