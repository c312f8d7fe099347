/**
 * The arithmetic of a token bucket (shared-rate-limiter.ts keeps the buckets): tokens come back at `perSecond`, up to
 * `burst`; each event takes one.
 */
import type { RateLimit } from './limits.ts';

/** The tokens a bucket holds at `now`, having held `tokens` at `at` (a clock that went back refills nothing). */
export function refilledTokens(limit: RateLimit, tokens: number, at: number, now: number): number {
	const refill = ((now - at) / 1000) * limit.perSecond;
	return Math.min(limit.burst, tokens + Math.max(0, refill));
}

/** The milliseconds until a bucket holding `tokens` has one to take: 0 when it has one now. */
export function msUntilToken(limit: RateLimit, tokens: number): number {
	return tokens >= 1 ? 0 : Math.ceil(((1 - tokens) / limit.perSecond) * 1000);
}
