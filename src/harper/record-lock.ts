/**
 * One write at a time per record, across every worker thread of this Harper process, so each accepted change
 * reads the version the previous one committed.
 *
 * Why a lock and not a conditional write: Harper 4.7 commits a transaction after the hook returns, with
 * `ifVersion` on the entry it read, but on a conflict it retries only its own write (the record the hook already
 * computed), never the hook's read-decide step; and it orders changes last-writer-wins by the transaction's
 * timestamp, dropping a full put whose timestamp is older than the stored one. So two threads that both read
 * version N both store N+1 (or one is silently lost), and no option of the write path makes Harper re-run the rules.
 * What it does give is memory shared by every thread that opens the database (sharedMemory): a ticket lock per
 * record lives there, in the storage layer, not in a per-thread map.
 *
 * A fair ticket lock: each write takes the next ticket of its record's slot and runs when the slot serves that
 * ticket, so no thread starves another. Writes on one thread to one record queue in memory first (`tails`), so
 * only one of them at a time waits on the shared slot. Records hash onto a fixed number of slots; two records on
 * one slot just take turns. A thread that dies holding a slot (Harper restarts a crashed worker) would block it
 * forever, so a slot that has served the same ticket for LEASE_MS is moved on by whoever waits for it.
 */
import { sharedMemory } from './facade.ts';

const SLOTS = 4096;
/** Longer than any write holds a lock (Harper gives up on a transaction long before). */
const LEASE_MS = 30_000;
/** Polls of a busy slot answered at once before waiting a millisecond between polls. */
const QUICK_POLLS = 16;

interface Slots {
	/** The next ticket to hand out, per slot. */
	next: Int32Array;
	/** The ticket allowed to run, per slot. */
	serving: Int32Array;
	/** When the slot last moved on (Date.now()), per slot: for the lease. */
	since: Float64Array;
}

let slots: Slots | undefined;

function sharedSlots(): Slots {
	if (slots) return slots;
	const memory = sharedMemory('record-locks', SLOTS * (4 + 4 + 8));
	slots = {
		next: new Int32Array(memory, 0, SLOTS),
		serving: new Int32Array(memory, SLOTS * 4, SLOTS),
		since: new Float64Array(memory, SLOTS * 8, SLOTS),
	};
	return slots;
}

/** FNV-1a: the same slot for the same key in every thread. */
function slotOf(key: string): number {
	let hash = 0x811c9dc5;
	for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193);
	return (hash >>> 0) % SLOTS;
}

function pause(polls: number): Promise<void> {
	return new Promise((resume) => (polls < QUICK_POLLS ? setImmediate(resume) : setTimeout(resume, 1)));
}

async function acquire(slot: number): Promise<number> {
	const { next, serving, since } = sharedSlots();
	const ticket = Atomics.add(next, slot, 1);
	for (let polls = 0; Atomics.load(serving, slot) !== ticket; polls++) {
		const served = Atomics.load(serving, slot);
		if (
			Date.now() - (since[slot] ?? 0) > LEASE_MS &&
			Atomics.compareExchange(serving, slot, served, served + 1) === served
		)
			since[slot] = Date.now();
		await pause(polls);
	}
	since[slot] = Date.now();
	return ticket;
}

function release(slot: number, ticket: number): void {
	const { serving, since } = sharedSlots();
	since[slot] = Date.now();
	// Only the ticket being served moves the slot on: a holder whose lease was taken over must not skip a waiter.
	Atomics.compareExchange(serving, slot, ticket, ticket + 1);
}

async function locked<T>(key: string, work: () => Promise<T>): Promise<T> {
	const slot = slotOf(key);
	const ticket = await acquire(slot);
	try {
		return await work();
	} finally {
		release(slot, ticket);
	}
}

const tails = new Map<string, Promise<unknown>>();

export function withRecordLock<T>(key: string, work: () => Promise<T>): Promise<T> {
	const previous = tails.get(key) ?? Promise.resolve();
	const run = (): Promise<T> => locked(key, work);
	const result = previous.then(run, run);
	const tail = result.then(
		() => undefined,
		() => undefined
	);
	tails.set(key, tail);
	void tail.then(() => {
		if (tails.get(key) === tail) tails.delete(key);
	});
	return result;
}
