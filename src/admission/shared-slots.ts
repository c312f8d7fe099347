/**
 * A fixed table of slots found by key, in memory that every worker thread of one Harper process shares
 * (sharedMemory in harper/facade.ts): the machinery under the shared rate limiter and the shared counters. Its
 * memory is bounded by construction whatever the keys: a key may only sit in one of PROBES neighbouring slots.
 *
 * Keys are hashed with a secret the threads share and nobody outside knows (an HMAC, its secret written once by
 * the first thread), so no one can choose keys that land on a given slot to crowd another key out. One spin lock
 * (Atomics) guards the table. What runs under it is a few arithmetic operations, never an await, so a thread
 * holds it for well under a microsecond; lmdb's shared buffer is not a SharedArrayBuffer, so there is no
 * Atomics.wait to sleep on, and for so short a hold spinning is the right wait anyway.
 *
 * A thread killed while it holds the lock (Worker.terminate, out of memory: no finally runs) would leave every
 * other thread spinning for ever, so a lock held for LOCK_STEAL_MS is taken over: far longer than any holder that
 * is alive needs, and at worst the one update the dead holder was making is left half done.
 *
 * Layout, from `byteOffset`: a 64-byte header (lock, state, tickets, secret), then the slots, `slotBytes` each. A
 * slot's first 8 bytes are its key's hash (0:0 marks an empty slot); the rest is its structure's own.
 */
import { createHmac } from 'node:crypto';
import { randomOnce } from '../harper/shared-once.ts';

const HEADER_BYTES = 64; // lock (i32), state (i32), last ticket (i32), 4 spare, secret (32 bytes), 16 spare
const LOCK = 0;
const STATE = 1;
const TICKET = 2;
const SECRET_OFFSET = 16;
const SECRET_BYTES = 32;
const HASH_BYTES = 8;
/** How many neighbouring slots a key may land in. */
const PROBES = 8;
const LOCK_STEAL_MS = 1000;

/** A key's hash, as stored in its slot: never 0:0, which marks an empty slot. */
export type KeyHash = readonly [high: number, low: number];

/** A typed array constructor (Float64Array, Uint32Array, ...), to view the slots with. */
export interface SlotView<A> {
	new (buffer: ArrayBufferLike, byteOffset: number, length: number): A;
	readonly BYTES_PER_ELEMENT: number;
}

/** The bytes a table of `slots` slots of `slotBytes` bytes takes, header included. */
export function sharedSlotsBytes(slots: number, slotBytes: number): number {
	return HEADER_BYTES + slots * slotBytes;
}

export class SharedSlots {
	readonly slots: number;
	readonly #memory: ArrayBufferLike;
	readonly #start: number;
	readonly #slotBytes: number;
	readonly #header: Int32Array;
	readonly #hashes: Uint32Array;
	readonly #secret: Buffer;

	/**
	 * The table in `memory` from `byteOffset` to its end (sharedSlotsBytes(slots, slotBytes) bytes; zeroed when first
	 * made, the same block in every thread). `slotBytes` is a multiple of 8, the hash included.
	 */
	constructor(memory: ArrayBufferLike, slotBytes: number, byteOffset = 0) {
		if (slotBytes % 8 !== 0 || slotBytes <= HASH_BYTES) throw new Error('SharedSlots: a slot is 8 bytes + its data');
		this.slots = Math.floor((memory.byteLength - byteOffset - HEADER_BYTES) / slotBytes);
		if (this.slots < PROBES) throw new Error('SharedSlots: the memory holds too few slots');
		this.#memory = memory;
		this.#start = byteOffset + HEADER_BYTES;
		this.#slotBytes = slotBytes;
		this.#header = new Int32Array(memory, byteOffset, HEADER_BYTES / 4);
		this.#hashes = this.view(Uint32Array);
		this.#secret = Buffer.from(memory, byteOffset + SECRET_OFFSET, SECRET_BYTES);
		randomOnce(this.#header, STATE, this.#secret);
	}

	/**
	 * The slots as one array of `Type`: slot `s` starts at element `s * slotBytes / Type.BYTES_PER_ELEMENT`, and its
	 * first 8 bytes are its key's hash (not to be written but through claim and free).
	 */
	view<A>(Type: SlotView<A>): A {
		return new Type(this.#memory, this.#start, (this.slots * this.#slotBytes) / Type.BYTES_PER_ELEMENT);
	}

	/** Runs `work` holding the table's lock: it must be short and must not await (the other threads spin meanwhile). */
	locked<T>(work: () => T): T {
		const ticket = this.#acquire();
		try {
			return work();
		} finally {
			// Only if still ours: a holder that outstayed LOCK_STEAL_MS may find the lock another's.
			Atomics.compareExchange(this.#header, LOCK, ticket, 0);
		}
	}

	/** The key's hash (outside the lock: the secret never changes once written). */
	hash(key: string): KeyHash {
		const digest = createHmac('sha256', this.#secret).update(key).digest();
		const high = digest.readUInt32LE(0);
		const low = digest.readUInt32LE(4);
		return high === 0 && low === 0 ? [0, 1] : [high, low];
	}

	/** The slot holding `hash`, if there is one. Under the lock. */
	find(hash: KeyHash): number | undefined {
		for (const slot of this.#neighbours(hash)) if (this.#holds(slot, hash)) return slot;
		return undefined;
	}

	/**
	 * The slot for `hash`: its own, else an empty one near it, else the one `evict` picks of its neighbours
	 * (undefined: none may go, and the key gets no slot). `fresh`: the slot was just given to the key, and its data
	 * is what the last key left there (nothing, or an evicted key's), for the caller to set. Under the lock.
	 */
	claim(
		hash: KeyHash,
		evict: (neighbours: number[]) => number | undefined
	): { slot: number; fresh: boolean } | undefined {
		const neighbours = this.#neighbours(hash);
		const own = neighbours.find((slot) => this.#holds(slot, hash));
		if (own !== undefined) return { slot: own, fresh: false };
		const slot = neighbours.find((each) => this.#holds(each, [0, 0])) ?? evict(neighbours);
		if (slot === undefined) return undefined;
		this.#hashes[slot * (this.#slotBytes / 4)] = hash[0];
		this.#hashes[slot * (this.#slotBytes / 4) + 1] = hash[1];
		return { slot, fresh: true };
	}

	/** Empties `slot` for another key (its data is the caller's to have left as a new key needs it). Under the lock. */
	free(slot: number): void {
		this.#hashes[slot * (this.#slotBytes / 4)] = 0;
		this.#hashes[slot * (this.#slotBytes / 4) + 1] = 0;
	}

	/** One thread writes the secret; the others wait until it is there. */
	/** Takes the lock, with a ticket of its own (never 0, which means free); answers the ticket. */
	#acquire(): number {
		const ticket = ((Atomics.add(this.#header, TICKET, 1) >>> 0) % 0x7ffffffe) + 1;
		let holder = Atomics.compareExchange(this.#header, LOCK, 0, ticket);
		if (holder === 0) return ticket;
		let since = Date.now();
		for (let spins = 1; ; spins++) {
			const seen = Atomics.compareExchange(this.#header, LOCK, 0, ticket);
			if (seen === 0) return ticket;
			if (seen !== holder) [holder, since] = [seen, Date.now()];
			// The clock costs more than a spin: it is read only now and then.
			else if (spins % 4096 === 0 && Date.now() - since > LOCK_STEAL_MS) {
				// Of the threads that saw the same holder outstay, one takes the lock over.
				if (Atomics.compareExchange(this.#header, LOCK, holder, ticket) === holder) return ticket;
			}
		}
	}

	#neighbours([, low]: KeyHash): number[] {
		return Array.from({ length: PROBES }, (_, probe) => (low + probe) % this.slots);
	}

	#holds(slot: number, [high, low]: KeyHash): boolean {
		const at = slot * (this.#slotBytes / 4);
		return this.#hashes[at] === high && this.#hashes[at + 1] === low;
	}
}
