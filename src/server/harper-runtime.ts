/**
 * The few Harper runtime pieces Marquee uses, with the types Harper 4.7's declarations lack or leave as `any`.
 * Keeping the casts here means the rest of the code sees only typed values.
 */
import { createRequire } from 'node:module';
import { tables } from 'harperdb';
import type { LedSignRecord } from '../sign-rules.ts';

/** Who a write is made as; Harper records it in the audit log and checks it against the role's permissions. */
export interface WriteContext {
	user?: unknown;
}

// Harper assigns `transaction` to its exports after start-up and leaves it out of its 4.7 type declarations,
// so ESM's static named imports cannot see it; the CommonJS view of the same module can.
const harper = createRequire(import.meta.url)('harperdb') as { transaction: unknown };

/** Runs `work` in a transaction of its own and resolves once that transaction has committed. */
export const transaction = harper.transaction as <T>(
	context: WriteContext,
	work: (txn: object) => Promise<T>
) => Promise<T>;

/** A table's static read/write methods, typed for sign records. */
export interface SignStore {
	get(id: string, context: WriteContext): Promise<LedSignRecord | undefined>;
	put(record: LedSignRecord, context: WriteContext): Promise<unknown>;
}

const table = tables.LedSign;
if (!table) throw new Error('The LedSign table is missing: is schema.graphql loaded before resources.js?');

/** The table class Harper built from schema.graphql, to extend. */
export const LedSignTable = table;

/** Writes straight to the table, below the hooks: only for records the sign rules have already accepted. */
export const bareSignStore = table as unknown as Pick<SignStore, 'put'>;
