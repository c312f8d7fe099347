/**
 * A change, committed: read the record, let the rules decide, store what they accepted. In a transaction of its own,
 * one at a time per record (record-lock.ts), so a change always builds on the one before it (a sign's version goes
 * up by exactly one). Written as the caller, so the audit log names who made the change.
 */
import type { ChangeMode, WriteDecision } from '../shared/sign-rules.ts';
import { refuse } from '../harper/refusals.ts';
import { transaction } from '../harper/facade.ts';
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

/** `reads` go through the resource (plain records); `writes` straight to the table, below every hook. */
export function commitChange<R>(
	rules: ChangeRules<R>,
	stores: { reads: Pick<RecordStore<R>, 'get'>; writes: Pick<RecordStore<R>, 'put'> },
	{ id, namesRecord, input, mode, writer }: Change
): Promise<R> {
	return withRecordLock(`${rules.name}/${String(id)}`, () =>
		transaction(writer, async () => {
			const current = namesRecord ? await stores.reads.get(String(id), writer) : undefined;
			const decision = rules.decide(id, current, input, mode);
			if (!decision.ok) refuse(decisionRefusal(rules, decision));
			await stores.writes.put(decision.record, writer);
			return decision.record;
		})
	);
}
