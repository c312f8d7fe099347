/**
 * LedSign's journal: the history entry of each accepted change, written by commit-change.ts in the change's own
 * transaction, so a change and its entry commit together or not at all, on every thread and node. Harper's audit
 * log records changes too, but it says nothing of the protocol or the preset, only super users may read it (through
 * the operations API), and its retention is one setting for every table; so the history is a table of its own
 * (docs/presets-and-history.md).
 */
import { randomInt } from 'node:crypto';
import { accountOf } from '../access/accounts.ts';
import type { ChangeJournal } from '../edges/commit-change.ts';
import { recordStore } from '../harper/facade.ts';
import { entryPosition, historyEntry, type HistoryEntry } from '../shared/history.ts';
import type { LedSignRecord } from '../shared/sign-rules.ts';

/** Four base-36 characters: tells apart two nodes' entries for one sign committed at the same instant. */
const tag = (): string =>
	randomInt(36 ** 4)
		.toString(36)
		.padStart(4, '0');

/** The journal that writes LedSign's history entries to table `History` (SignHistory). */
export function historyJournal(History: object): ChangeJournal<LedSignRecord> {
	const entries = recordStore<HistoryEntry>(History);
	return {
		async write({ id, before, after, committedAt, writer, origin }, context): Promise<void> {
			const entry = historyEntry({
				sign: id,
				before,
				after,
				position: entryPosition(committedAt, tag()),
				now: new Date(),
				user: accountOf(writer.user)?.username ?? null,
				protocol: origin.protocol,
				preset: origin.preset,
			});
			if (entry) await entries.put(entry, context);
		},
	};
}
