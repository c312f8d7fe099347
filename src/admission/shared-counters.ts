/**
 * Counts per key that every worker thread of one Harper process shares, each held to one limit: the connections an
 * account holds open, the sockets an address holds before they log in. take() counts one more unless the key is at
 * the limit, and answers the function that gives it back (once: calling it again does nothing).
 *
 * A count must not outlive what it counts, and what a thread counts (its connections) ends with the thread: its
 * sockets close when it does. So each thread counts in a column of its own, dropped when the thread ends:
 *   - a thread that exits (Harper ends a worker it restarts with process.exit; an uncaught error ends one) drops
 *     its column in its 'exit' handler;
 *   - a thread killed outright (Worker.terminate, out of memory) runs no handler. Every thread beats its column's
 *     heartbeat every BEAT_MS and drops the columns that have been silent for STALE_MS: a dead thread's counts are
 *     gone within that time.
 * A thread that was frozen that long and lives on (a debugger) finds its column gone when it wakes: it takes a new
 * one, and the connections it held then go uncounted until they close (the count errs low by those, at most).
 *
 * Bounded whatever the keys: a fixed table of slots (shared-slots.ts), one per key with a count (emptied when the
 * count is back to 0), and COLUMNS columns. A key whose neighbourhood of slots is full (about as many keys holding
 * counts at once as there are slots) is not counted: take() lets it in and its release does nothing. Threads beyond
 * the first COLUMNS - 1 at once count together in the last column, which is never dropped. A thread counts at most
 * 65,535 for one key.
 */
import { SharedSlots, sharedSlotsBytes } from './shared-slots.ts';

const COLUMNS = 32;
const SHARED_COLUMN = COLUMNS - 1;
const COLUMN_BYTES = 16; // in use (i32), generation (i32), heartbeat (f64)
const TABLE_OFFSET = COLUMNS * COLUMN_BYTES;
const SLOT_BYTES = 80; // hash (8), total (u32), 4 spare, a u16 count per column (64)
const TOTAL = 2; // in u32s from the slot's start
const COUNTS = 8; // in u16s from the slot's start
const MAX_PER_COLUMN = 0xffff;
const BEAT_MS = 1000;
const STALE_MS = 10_000;

/** The bytes of shared memory counters for `slots` keys at once take. */
export function sharedCountersBytes(slots: number): number {
	return TABLE_OFFSET + sharedSlotsBytes(slots, SLOT_BYTES);
}

/** What one take() counted: where, and in which generation of its column (a dropped column's are void). */
interface Held {
	slot: number;
	column: number;
	generation: number;
}

/** This thread's counters, to beat every BEAT_MS and to drop when the thread exits. */
const living = new Set<SharedCounters>();
let beating: NodeJS.Timeout | undefined;

function keepAlive(counters: SharedCounters): void {
	living.add(counters);
	if (beating) return;
	beating = setInterval(() => {
		for (const each of living) each.beat();
	}, BEAT_MS);
	beating.unref();
	process.once('exit', () => {
		for (const each of [...living]) each.close();
	});
}

export class SharedCounters {
	readonly #limit: number;
	readonly #table: SharedSlots;
	readonly #totals: Uint32Array;
	readonly #counts: Uint16Array;
	/** Per column: in use (1) or free (0), then its generation, which changes each time its counts are dropped. */
	readonly #columns: Int32Array;
	readonly #heartbeats: Float64Array;
	#column: number;
	#generation: number;

	/** `memory`: sharedCountersBytes(slots) bytes, the same block in every thread (zeroed when first made). */
	constructor(limit: number, memory: ArrayBufferLike, now = Date.now()) {
		this.#limit = limit;
		this.#table = new SharedSlots(memory, SLOT_BYTES, TABLE_OFFSET);
		this.#totals = this.#table.view(Uint32Array);
		this.#counts = this.#table.view(Uint16Array);
		this.#columns = new Int32Array(memory, 0, TABLE_OFFSET / 4);
		this.#heartbeats = new Float64Array(memory, 0, TABLE_OFFSET / 8);
		[this.#column, this.#generation] = this.#table.locked(() => {
			this.#dropSilent(now);
			return this.#claimColumn(now);
		});
		keepAlive(this);
	}

	/** Counts one more for `key`: the function that gives it back, or undefined when `key` is at the limit. */
	take(key: string): (() => void) | undefined {
		const hash = this.#table.hash(key);
		const held = this.#table.locked((): Held | 'refused' | 'uncounted' => {
			this.#keepColumn(Date.now());
			const claimed = this.#table.claim(hash, () => undefined);
			if (!claimed) return 'uncounted';
			const { slot } = claimed;
			const total = this.#totals[slot * (SLOT_BYTES / 4) + TOTAL] ?? 0;
			const mine = this.#counts[slot * (SLOT_BYTES / 2) + COUNTS + this.#column] ?? 0;
			if (total >= this.#limit || mine >= MAX_PER_COLUMN) {
				if (total === 0) this.#table.free(slot);
				return 'refused';
			}
			this.#totals[slot * (SLOT_BYTES / 4) + TOTAL] = total + 1;
			this.#counts[slot * (SLOT_BYTES / 2) + COUNTS + this.#column] = mine + 1;
			return { slot, column: this.#column, generation: this.#generation };
		});
		if (held === 'refused') return undefined;
		if (held === 'uncounted') return () => undefined;
		let released = false;
		return () => {
			if (released) return;
			released = true;
			this.#table.locked(() => this.#give(held));
		};
	}

	/** How many `key` holds now, over all threads. */
	count(key: string): number {
		const hash = this.#table.hash(key);
		return this.#table.locked(() => {
			const slot = this.#table.find(hash);
			return slot === undefined ? 0 : (this.#totals[slot * (SLOT_BYTES / 4) + TOTAL] ?? 0);
		});
	}

	/** Says this thread is alive, and drops the counts of threads that have stopped saying so (they are dead). */
	beat(now = Date.now()): void {
		this.#table.locked(() => {
			this.#keepColumn(now);
			if (this.#column !== SHARED_COLUMN) this.#heartbeats[this.#column * 2 + 1] = now;
			this.#dropSilent(now);
		});
	}

	/** This thread is ending, and what it counted with it: drops its counts at once. */
	close(): void {
		living.delete(this);
		this.#table.locked(() => {
			if (this.#owns()) this.#drop(this.#column);
		});
	}

	#give({ slot, column, generation }: Held): void {
		// Dropped with its column already (its thread was taken for dead): nothing left to give back.
		if (this.#columns[column * 4 + 1] !== generation) return;
		const at = slot * (SLOT_BYTES / 2) + COUNTS + column;
		this.#counts[at] = Math.max(0, (this.#counts[at] ?? 0) - 1);
		this.#lower(slot, 1);
	}

	/** The slot's total less `count`; at 0 the slot is empty again, for any key. */
	#lower(slot: number, count: number): void {
		const at = slot * (SLOT_BYTES / 4) + TOTAL;
		const total = Math.max(0, (this.#totals[at] ?? 0) - count);
		this.#totals[at] = total;
		if (total === 0) this.#table.free(slot);
	}

	#owns(): boolean {
		const column = this.#column;
		return (
			column !== SHARED_COLUMN && this.#columns[column * 4] === 1 && this.#columns[column * 4 + 1] === this.#generation
		);
	}

	/** This thread's column, still; or a new one if it lost it (frozen too long) or had none of its own. */
	#keepColumn(now: number): void {
		if (!this.#owns()) [this.#column, this.#generation] = this.#claimColumn(now);
	}

	/** A free column, or the shared one when none is. */
	#claimColumn(now: number): [column: number, generation: number] {
		for (let column = 0; column < SHARED_COLUMN; column++) {
			if (this.#columns[column * 4] !== 0) continue;
			this.#columns[column * 4] = 1;
			this.#heartbeats[column * 2 + 1] = now;
			return [column, this.#columns[column * 4 + 1] ?? 0];
		}
		return [SHARED_COLUMN, this.#columns[SHARED_COLUMN * 4 + 1] ?? 0];
	}

	#dropSilent(now: number): void {
		for (let column = 0; column < SHARED_COLUMN; column++) {
			const silent = now - (this.#heartbeats[column * 2 + 1] ?? now) > STALE_MS;
			if (this.#columns[column * 4] === 1 && silent) this.#drop(column);
		}
	}

	/** Takes the column's counts off every key, and frees the column (its thread has ended). */
	#drop(column: number): void {
		for (let slot = 0; slot < this.#table.slots; slot++) {
			const at = slot * (SLOT_BYTES / 2) + COUNTS + column;
			const count = this.#counts[at] ?? 0;
			if (count === 0) continue;
			this.#counts[at] = 0;
			this.#lower(slot, count);
		}
		this.#columns[column * 4] = 0;
		this.#columns[column * 4 + 1] = (this.#columns[column * 4 + 1] ?? 0) + 1;
	}
}
