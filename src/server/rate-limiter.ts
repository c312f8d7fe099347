/**
 * Token buckets, one per key (an account, a sign): each change takes a token, tokens come back at `perSecond`,
 * and a bucket holds at most `burst`. A refusal says how long until the next token, for Retry-After.
 */
import type { RateLimit } from './abuse-limits.ts';

interface Bucket {
	tokens: number;
	/** When `tokens` was last brought up to date, in ms. */
	at: number;
}

export class RateLimiter {
	readonly #limit: RateLimit;
	readonly #buckets = new Map<string, Bucket>();
	/** Above this many keys, full buckets (keys quiet long enough to refill) are forgotten: memory stays bounded. */
	readonly #sweepAbove: number;

	constructor(limit: RateLimit, sweepAbove = 10_000) {
		this.#limit = limit;
		this.#sweepAbove = sweepAbove;
	}

	/** Takes a token for `key`: 0 if there was one, else the milliseconds until there will be. */
	take(key: string, now = Date.now()): number {
		const bucket = this.#refilled(key, now);
		if (bucket.tokens >= 1) {
			bucket.tokens -= 1;
			return 0;
		}
		return Math.ceil(((1 - bucket.tokens) / this.#limit.perSecond) * 1000);
	}

	/** How many keys are remembered (for tests of the memory bound). */
	get size(): number {
		return this.#buckets.size;
	}

	#refilled(key: string, now: number): Bucket {
		let bucket = this.#buckets.get(key);
		if (!bucket) {
			if (this.#buckets.size >= this.#sweepAbove) this.#sweep(now);
			bucket = { tokens: this.#limit.burst, at: now };
			this.#buckets.set(key, bucket);
			return bucket;
		}
		const refill = ((now - bucket.at) / 1000) * this.#limit.perSecond;
		bucket.tokens = Math.min(this.#limit.burst, bucket.tokens + Math.max(0, refill));
		bucket.at = now;
		return bucket;
	}

	#sweep(now: number): void {
		const fullAfterMs = (this.#limit.burst / this.#limit.perSecond) * 1000;
		for (const [key, bucket] of this.#buckets) if (now - bucket.at >= fullAfterMs) this.#buckets.delete(key);
	}
}
