/**
 * Token buckets, one per key (an account, a sign, an address): each event takes a token, tokens come back at
 * `perSecond`, and a bucket holds at most `burst`. A refusal says how long until the next token, for Retry-After.
 *
 * Memory is bounded whatever the keys: at most `maxKeys` buckets are kept. Past that, the buckets that have
 * refilled are forgotten (a full bucket is the same as none), then the least recently used. Keys are kept as given, so a caller keys by
 * something of bounded size (shared-rate-limiter.ts hashes usernames).
 */
import type { RateLimit } from './limits.ts';
import { msUntilToken, refilledTokens } from './token-bucket.ts';

interface Bucket {
	tokens: number;
	/** When `tokens` was last brought up to date, in ms. */
	at: number;
}

export class RateLimiter {
	readonly #limit: RateLimit;
	/** In order of last use, oldest first (a Map keeps insertion order; a used key is moved to the end). */
	readonly #buckets = new Map<string, Bucket>();
	readonly #maxKeys: number;

	constructor(limit: RateLimit, maxKeys = 10_000) {
		this.#limit = limit;
		this.#maxKeys = maxKeys;
	}

	/** Takes a token for `key`: 0 if there was one, else the milliseconds until there will be. */
	take(key: string, now = Date.now()): number {
		const bucket = this.#refilled(key, now);
		const wait = this.#untilToken(bucket);
		if (wait === 0) bucket.tokens -= 1;
		// A refusal is a use too: an empty bucket that keeps being hit is the one that must not be forgotten.
		this.#remember(key, bucket);
		return wait;
	}

	/** The milliseconds until `key` has a token (0: it has one now), without taking it. */
	wait(key: string, now = Date.now()): number {
		const bucket = this.#buckets.get(key);
		return bucket ? this.#untilToken(this.#refill(bucket, now)) : 0;
	}

	/** How many keys are remembered (for tests of the memory bound). */
	get size(): number {
		return this.#buckets.size;
	}

	#untilToken(bucket: Bucket): number {
		return msUntilToken(this.#limit, bucket.tokens);
	}

	#refilled(key: string, now: number): Bucket {
		const bucket = this.#buckets.get(key);
		return bucket ? this.#refill(bucket, now) : { tokens: this.#limit.burst, at: now };
	}

	#refill(bucket: Bucket, now: number): Bucket {
		bucket.tokens = refilledTokens(this.#limit, bucket.tokens, bucket.at, now);
		bucket.at = Math.max(bucket.at, now);
		return bucket;
	}

	#remember(key: string, bucket: Bucket): void {
		this.#buckets.delete(key);
		this.#buckets.set(key, bucket);
		if (this.#buckets.size <= this.#maxKeys) return;
		// Down to 90 %, so the next sweep waits for another tenth of new keys instead of running at every one.
		this.#sweep(bucket.at);
		const keep = Math.floor(this.#maxKeys * 0.9);
		for (const oldest of this.#buckets.keys()) {
			if (this.#buckets.size <= keep) break;
			this.#buckets.delete(oldest);
		}
	}

	/** Forgets the buckets that have refilled: a full bucket and no bucket mean the same. */
	#sweep(now: number): void {
		const fullAfterMs = (this.#limit.burst / this.#limit.perSecond) * 1000;
		for (const [key, bucket] of this.#buckets) if (now - bucket.at >= fullAfterMs) this.#buckets.delete(key);
	}
}
