/**
 * Token buckets, one per key (an account, a sign, an address), that every worker thread of one Harper process
 * shares: a limit that holds per server, not per thread. Each event takes a token, tokens come back at
 * `perSecond`, and a bucket holds at most `burst`; a refusal says how long until the next token, for Retry-After.
 *
 * The buckets live in a fixed table of shared slots (shared-slots.ts), so memory is bounded by construction whatever
 * the keys: a new key takes an empty slot near its hash, or the one there used least recently (a bucket that has
 * refilled is the same as none, and an empty one that keeps being hit is the one in use).
 */
import type { RateLimit } from './limits.ts';
import { SharedSlots, sharedSlotsBytes } from './shared-slots.ts';
import { msUntilToken, refilledTokens } from './token-bucket.ts';

const SLOT_BYTES = 32; // hash (8), tokens (f64), last update (f64), 8 spare
const WORDS = SLOT_BYTES / 8;
const TOKENS = 1; // in f64s from the slot's start
const AT = 2;

/** The bytes of shared memory `slots` buckets take. */
export function sharedLimiterBytes(slots: number): number {
	return sharedSlotsBytes(slots, SLOT_BYTES);
}

export class SharedRateLimiter {
	readonly #limit: RateLimit;
	readonly #table: SharedSlots;
	readonly #numbers: Float64Array;

	/** `memory`: sharedLimiterBytes(slots) bytes, the same block in every thread (zeroed when first made). */
	constructor(limit: RateLimit, memory: ArrayBufferLike) {
		this.#limit = limit;
		this.#table = new SharedSlots(memory, SLOT_BYTES);
		this.#numbers = this.#table.view(Float64Array);
	}

	/** Takes a token for `key`: 0 if there was one, else the milliseconds until there will be. */
	take(key: string, now = Date.now()): number {
		const hash = this.#table.hash(key);
		return this.#table.locked(() => {
			const slot = this.#slotOf(
				this.#table.claim(hash, (neighbours) => this.#leastRecentlyUsed(neighbours)),
				now
			);
			const tokens = this.#refilled(slot, now);
			if (tokens >= 1) {
				this.#numbers[slot * WORDS + TOKENS] = tokens - 1;
				return 0;
			}
			return msUntilToken(this.#limit, tokens);
		});
	}

	/** The milliseconds until `key` has a token (0: it has one now), without taking it. */
	wait(key: string, now = Date.now()): number {
		const hash = this.#table.hash(key);
		return this.#table.locked(() => {
			const slot = this.#table.find(hash);
			return slot === undefined ? 0 : msUntilToken(this.#limit, this.#refilled(slot, now));
		});
	}

	/** The claimed slot, a new key's with a full bucket (a key can always evict, so there is one). */
	#slotOf(claimed: { slot: number; fresh: boolean } | undefined, now: number): number {
		if (!claimed) throw new Error('SharedRateLimiter: no slot for a key');
		if (claimed.fresh) {
			this.#numbers[claimed.slot * WORDS + TOKENS] = this.#limit.burst;
			this.#numbers[claimed.slot * WORDS + AT] = now;
		}
		return claimed.slot;
	}

	#leastRecentlyUsed(neighbours: number[]): number | undefined {
		const at = (slot: number): number => this.#numbers[slot * WORDS + AT] ?? 0;
		return neighbours.reduce((oldest, slot) => (at(slot) < at(oldest) ? slot : oldest));
	}

	/** The slot's tokens brought up to `now` (and stored so). */
	#refilled(slot: number, now: number): number {
		const at = this.#numbers[slot * WORDS + AT] ?? now;
		const tokens = refilledTokens(this.#limit, this.#numbers[slot * WORDS + TOKENS] ?? 0, at, now);
		this.#numbers[slot * WORDS + TOKENS] = tokens;
		this.#numbers[slot * WORDS + AT] = Math.max(at, now);
		return tokens;
	}
}
