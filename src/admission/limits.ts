/**
 * The abuse limits: how fast an account and a sign may change, how big a message may be, how many connections
 * an account may hold, how many subscriptions one connection may hold, how long and how many connections may
 * wait unauthenticated, and how many wrong passwords an address may try. A sign in a lobby is a public surface;
 * these bound what one stolen or misbehaving account (a device in a reboot loop, a script gone wrong), or anyone
 * who can reach the port, can do to the server and to the other signs.
 *
 * Administrators (super users) are trusted with rates and connections: automation and the tests' bulk writes run
 * as one. The other limits hold everyone. Each holds per Harper process, over all its worker threads (admit.ts).
 * An operator can override any value with MARQUEE_LIMITS, JSON shaped like ABUSE_LIMITS (e.g.
 * `MARQUEE_LIMITS='{"writesPerSign":{"perSecond":2,"burst":5}}'`); the values are documented in docs/security.md.
 */

export interface RateLimit {
	/** Events per second, sustained. */
	perSecond: number;
	/** Events allowed at once after a quiet spell (a token bucket's size). */
	burst: number;
}

export interface AbuseLimits {
	/** Per account, over every sign and every protocol. */
	writesPerAccount: RateLimit;
	/** Per sign (and per sign status), whoever writes. Keeps one sign from flickering and flooding its listeners. */
	writesPerSign: RateLimit;
	/** The largest message a client may send, in bytes: a whole sign record is under 512 bytes of JSON. */
	messageBytes: number;
	/** MQTT, WebSocket and SSE connections one account may hold open at once. */
	connectionsPerAccount: number;
	/** Topics one MQTT connection may be subscribed to at once. */
	subscriptionsPerConnection: number;
	/**
	 * Wrong passwords (or unknown usernames) per username from one address, on any protocol: the panel's login,
	 * Basic auth, MQTT CONNECT. The address as a whole gets five times this. Logins that succeed cost nothing.
	 */
	failedLogins: RateLimit;
	/** Connections one address may hold that have not logged in yet (an MQTT socket before its CONNECT, ...). */
	unauthenticatedPerAddress: number;
	/** How long such a connection may sit idle before it is closed. */
	unauthenticatedSeconds: number;
}

export const ABUSE_LIMITS: Readonly<AbuseLimits> = Object.freeze({
	// A person at the panel makes a few changes a second at most (a slider sends one per step it settles on).
	writesPerAccount: Object.freeze({ perSecond: 20, burst: 40 }),
	writesPerSign: Object.freeze({ perSecond: 10, burst: 20 }),
	messageBytes: 16 * 1024,
	// A device needs one; a person a few panels and tools. A kiosk wall of panels on one account fits too.
	connectionsPerAccount: 32,
	// A sign needs one (its LedSign topic), a dashboard a few (LedSign/#, SignStatus/#, its own).
	subscriptionsPerConnection: 64,
	// Ten mistakes at once, then one every ten seconds: a person mistyping is never held up, a guesser crawls.
	failedLogins: Object.freeze({ perSecond: 0.1, burst: 10 }),
	// A connection counts from its first byte until it logs in, and under load its login waits its turn: a fleet
	// behind one NAT, or every client behind a reverse proxy, reconnecting at once after a restart still fits.
	unauthenticatedPerAddress: 1024,
	unauthenticatedSeconds: 10,
});

type RateKey = 'writesPerAccount' | 'writesPerSign' | 'failedLogins';
type NumberKey = Exclude<keyof AbuseLimits, RateKey>;
const RATE_KEYS: readonly string[] = ['writesPerAccount', 'writesPerSign', 'failedLogins'] satisfies RateKey[];

/** ABUSE_LIMITS with the overrides in `json` (MARQUEE_LIMITS); throws with the offending key if it is malformed. */
export function limitsFrom(json: string | undefined, defaults: AbuseLimits = ABUSE_LIMITS): AbuseLimits {
	if (!json) return defaults;
	const overrides = JSON.parse(json) as unknown;
	if (typeof overrides !== 'object' || overrides === null || Array.isArray(overrides)) {
		throw new Error('MARQUEE_LIMITS must be a JSON object');
	}
	const limits: AbuseLimits = structuredClone({ ...defaults });
	for (const [key, value] of Object.entries(overrides)) {
		if (!(key in defaults)) throw new Error(`MARQUEE_LIMITS: unknown limit "${key}"`);
		if (RATE_KEYS.includes(key)) limits[key as RateKey] = rateLimit(key, value, defaults[key as RateKey]);
		else limits[key as NumberKey] = positive(key, value);
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
