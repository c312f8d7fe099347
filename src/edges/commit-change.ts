/**
 * A change, committed: read the record, let the rules decide, store what they accepted. In a transaction of its own,
 * one at a time per record on every thread (record-lock.ts), reading what the previous change committed, so a
 * change always builds on the one before it (a sign's version goes up by exactly one) and none is lost. Its commit
 * time is later than the stored record's, so Harper's last-writer-wins order (by commit time, which devices compare:
 * `commitTime`) is the order the changes were made in. Written as the caller, so the audit log names who made it.
 */
import type { ChangeMode, WriteDecision } from '../shared/sign-rules.ts';
import { refuse } from '../harper/refusals.ts';
import { commitNoEarlierThan, transaction } from '../harper/facade.ts';
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
}

/** Harper's commit time of a stored record (its `@updatedTime` field), 0 for none. */
function commitTimeOf(record: unknown): number {
	const time = typeof record === 'object' && record !== null && 'commitTime' in record ? record.commitTime : 0;
	return typeof time === 'number' ? time : 0;
}

export function commitChange<R>(
	rules: ChangeRules<R>,
	stores: ChangeStores<R>,
	{ id, namesRecord, input, mode, writer }: Change
): Promise<R> {
	return withRecordLock(`${rules.name}/${String(id)}`, () => {
		stores.readLatest();
		return transaction(writer, async (txn) => {
			const current = namesRecord ? await stores.reads.get(String(id), writer) : undefined;
			const decision = rules.decide(id, current, input, mode);
			if (!decision.ok) refuse(decisionRefusal(rules, decision));
			commitNoEarlierThan(txn, commitTimeOf(current));
			await stores.writes.put(decision.record, writer);
			return decision.record;
		});
	});
}
