/**
 * How long the history keeps an entry: MARQUEE_HISTORY_DAYS (a positive number of days, fractions allowed), 30 by
 * default. Harper expires the entries itself (its table record expiration: each entry expires that long after it
 * was written, an expired one is never served, and a periodic scan removes it), so Marquee runs no sweeper of its own
 * (docs/presets-and-history.md says why).
 */

export const DEFAULT_HISTORY_DAYS = 30;

/** The longest a scan for expired entries waits; shorter retentions scan four times per retention. */
const LONGEST_SCAN_SECONDS = 3600;

export interface HistoryRetention {
	/** How long an entry is kept. */
	seconds: number;
	/** How often expired entries are removed (they are never served once expired). */
	scanSeconds: number;
}

/** The retention MARQUEE_HISTORY_DAYS (`days`) asks for; throws, naming the variable, when it is not a positive number. */
export function historyRetentionFrom(days: string | undefined): HistoryRetention {
	const value = days === undefined || days.trim() === '' ? DEFAULT_HISTORY_DAYS : Number(days);
	if (!Number.isFinite(value) || value <= 0) {
		throw new Error(`MARQUEE_HISTORY_DAYS must be a positive number of days (got "${days}")`);
	}
	const seconds = value * 86_400;
	return { seconds, scanSeconds: Math.min(seconds / 4, LONGEST_SCAN_SECONDS) };
}
