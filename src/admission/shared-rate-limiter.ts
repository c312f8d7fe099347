/**
 * Token buckets (like rate-limiter.ts) that every worker thread of one Harper process shares, in one fixed block
 * of shared memory: a limit that holds per server, not per thread, and memory that is bounded by construction
 * whatever the keys (a fixed number of slots; a new key takes the least recently used slot of its neighbourhood).
 *
 * Keys are hashed with a secret the threads share and nobody outside knows, so no one can choose keys that land
 * on a given bucket to push it out. A spin lock (Atomics) guards each update: a few arithmetic operations, never
 * an await, so a thread holds it for well under a microsecond.
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { RateLimit } from './limits.ts';
import { msUntilToken, refilledTokens } from './token-bucket.ts';

const SLOT_BYTES = 32; // hash (2 × u32), tokens (f64), last update (f64), 8 bytes spare
const HEADER_BYTES = 64; // lock (i32), state (i32), 8 spare, secret (32 bytes), 16 spare
const SECRET_OFFSET = 16;
const SECRET_BYTES = 32;
/** How many neighbouring slots a key may land in. */
const PROBES = 8;

const UNSET = 0;
const WRITING = 1;
const READY = 2;

/** The bytes of shared memory `slots` buckets take. */
export function sharedLimiterBytes(slots: number): number {
	return HEADER_BYTES + slots * SLOT_BYTES;
}

export class SharedRateLimiter {
	readonly #limit: RateLimit;
	readonly #slots: number;
	readonly #header: Int32Array;
	readonly #hashes: Uint32Array;
	readonly #numbers: Float64Array;
	readonly #secret: Buffer;

	/** `memory`: sharedLimiterBytes(slots) bytes, the same block in every thread (zeroed when first made). */
	constructor(limit: RateLimit, memory: ArrayBufferLike) {
		this.#limit = limit;
		this.#slots = Math.floor((memory.byteLength - HEADER_BYTES) / SLOT_BYTES);
		if (this.#slots < PROBES) throw new Error('SharedRateLimiter: the memory holds too few slots');
		this.#header = new Int32Array(memory, 0, HEADER_BYTES / 4);
		this.#hashes = new Uint32Array(memory, HEADER_BYTES);
		this.#numbers = new Float64Array(memory, HEADER_BYTES);
		this.#secret = Buffer.from(memory, SECRET_OFFSET, SECRET_BYTES);
		this.#initialize();
	}

	/** Takes a token for `key`: 0 if there was one, else the milliseconds until there will be. */
	take(key: string, now = Date.now()): number {
		return this.#locked(() => {
			const slot = this.#slotOf(key, now);
			const tokens = this.#refilled(slot, now);
			if (tokens >= 1) {
				this.#numbers[slot * 4 + 1] = tokens - 1;
				return 0;
			}
			return msUntilToken(this.#limit, tokens);
		});
	}

	/** The milliseconds until `key` has a token (0: it has one now), without taking it. */
	wait(key: string, now = Date.now()): number {
		return this.#locked(() => {
			const slot = this.#find(this.#hash(key));
			return slot === undefined ? 0 : msUntilToken(this.#limit, this.#refilled(slot, now));
		});
	}

	/** One thread writes the secret; the others wait until it is there. */
	#initialize(): void {
		if (Atomics.compareExchange(this.#header, 1, UNSET, WRITING) === UNSET) {
			randomBytes(SECRET_BYTES).copy(this.#secret);
			Atomics.store(this.#header, 1, READY);
		}
		while (Atomics.load(this.#header, 1) !== READY) {
			// another thread is writing the secret: a few nanoseconds
		}
	}

	#locked<T>(work: () => T): T {
		while (Atomics.compareExchange(this.#header, 0, 0, 1) !== 0) {
			// another thread is updating a bucket
		}
		try {
			return work();
		} finally {
			Atomics.store(this.#header, 0, 0);
		}
	}

	/** The key's hash: never 0:0, which marks an empty slot. */
	#hash(key: string): [number, number] {
		const digest = createHmac('sha256', this.#secret).update(key).digest();
		const high = digest.readUInt32LE(0);
		const low = digest.readUInt32LE(4);
		return high === 0 && low === 0 ? [0, 1] : [high, low];
	}

	#find([high, low]: [number, number]): number | undefined {
		for (let probe = 0; probe < PROBES; probe++) {
			const slot = (low + probe) % this.#slots;
			if (this.#hashes[slot * 8] === high && this.#hashes[slot * 8 + 1] === low) return slot;
		}
		return undefined;
	}

	/** The key's slot; a new key gets an empty one near it, or the one there used least recently. */
	#slotOf(key: string, now: number): number {
		const hash = this.#hash(key);
		const found = this.#find(hash);
		if (found !== undefined) return found;
		let chosen = hash[1] % this.#slots;
		for (let probe = 0; probe < PROBES; probe++) {
			const slot = (hash[1] + probe) % this.#slots;
			if (this.#hashes[slot * 8] === 0 && this.#hashes[slot * 8 + 1] === 0) {
				chosen = slot;
				break;
			}
			if ((this.#numbers[slot * 4 + 2] ?? 0) < (this.#numbers[chosen * 4 + 2] ?? 0)) chosen = slot;
		}
		this.#hashes[chosen * 8] = hash[0];
		this.#hashes[chosen * 8 + 1] = hash[1];
		this.#numbers[chosen * 4 + 1] = this.#limit.burst;
		this.#numbers[chosen * 4 + 2] = now;
		return chosen;
	}

	/** The slot's tokens brought up to `now` (and stored so). */
	#refilled(slot: number, now: number): number {
		const at = this.#numbers[slot * 4 + 2] ?? now;
		const tokens = refilledTokens(this.#limit, this.#numbers[slot * 4 + 1] ?? 0, at, now);
		this.#numbers[slot * 4 + 1] = tokens;
		this.#numbers[slot * 4 + 2] = Math.max(at, now);
		return tokens;
	}
}
