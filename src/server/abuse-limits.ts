/**
 * The abuse limits: how fast an account and a sign may change, how big a message may be, how many connections
 * an account may hold. A sign in a lobby is a public surface; these bound what one stolen or misbehaving
 * account (a device in a reboot loop, a script gone wrong) can do to the server and to the other signs.
 *
 * Administrators (super users) are trusted with rates and connections: automation and the tests' bulk writes run
 * as one. The size limit and the login limit hold everyone.
 * An operator can override any value with MARQUEE_LIMITS, JSON shaped like ABUSE_LIMITS (e.g.
 * `MARQUEE_LIMITS='{"writesPerSign":{"perSecond":2,"burst":5}}'`); the values are documented in docs/security.md.
 */

export interface RateLimit {
	/** Changes per second, sustained. */
	perSecond: number;
	/** Changes allowed at once after a quiet spell (a token bucket's size). */
	burst: number;
}

export interface AbuseLimits {
	/** Per account, over every sign and every protocol. */
	writesPerAccount: RateLimit;
	/** Per sign (and per sign status), whoever writes. Keeps one sign from flickering and flooding its listeners. */
	writesPerSign: RateLimit;
	/** The largest message a client may send, in bytes: a whole sign record is under 512 bytes of JSON. */
	messageBytes: number;
	/** MQTT, WebSocket and SSE connections one account may hold open at once (per Harper worker thread). */
	connectionsPerAccount: number;
	/** Panel logins (POST /Session) per username; an address gets five times this. */
	loginAttempts: RateLimit;
}

export const ABUSE_LIMITS: Readonly<AbuseLimits> = Object.freeze({
	// A person at the panel makes a few changes a second at most (a slider sends one per step it settles on).
	writesPerAccount: Object.freeze({ perSecond: 20, burst: 40 }),
	writesPerSign: Object.freeze({ perSecond: 10, burst: 20 }),
	messageBytes: 16 * 1024,
	// A device needs one; a person a few panels and tools. A kiosk wall of panels on one account fits too.
	connectionsPerAccount: 32,
	// Ten tries at once, then one every ten seconds: a person mistyping is never held up, a guesser crawls.
	loginAttempts: Object.freeze({ perSecond: 0.1, burst: 10 }),
});

/** ABUSE_LIMITS with the overrides in `json` (MARQUEE_LIMITS); throws with the offending key if it is malformed. */
export function limitsFrom(json: string | undefined, defaults: AbuseLimits = ABUSE_LIMITS): AbuseLimits {
	if (!json) return defaults;
	const overrides = JSON.parse(json) as unknown;
	if (typeof overrides !== 'object' || overrides === null || Array.isArray(overrides)) {
		throw new Error('MARQUEE_LIMITS must be a JSON object');
	}
	const limits: AbuseLimits = structuredClone({ ...defaults });
	for (const [key, value] of Object.entries(overrides)) {
		if (key === 'writesPerAccount' || key === 'writesPerSign' || key === 'loginAttempts') {
			limits[key] = rateLimit(key, value, defaults[key]);
		} else if (key === 'messageBytes' || key === 'connectionsPerAccount') limits[key] = positive(key, value);
		else throw new Error(`MARQUEE_LIMITS: unknown limit "${key}"`);
	}
	return limits;
}

function rateLimit(key: string, value: unknown, defaults: RateLimit): RateLimit {
	if (typeof value !== 'object' || value === null) throw new Error(`MARQUEE_LIMITS.${key} must be an object`);
	const { perSecond = defaults.perSecond, burst = defaults.burst } = value as Partial<Record<keyof RateLimit, unknown>>;
	return { perSecond: positive(`${key}.perSecond`, perSecond), burst: positive(`${key}.burst`, burst) };
}

function positive(key: string, value: unknown): number {
	if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
		throw new Error(`MARQUEE_LIMITS.${key} must be a positive number`);
	}
	return value;
}
