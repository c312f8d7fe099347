/**
 * Applies the abuse limits (abuse-limits.ts) to the callers of the protocol edges: a rate limit per account and
 * per sign on every change, a size limit on every message, a connection quota per account, a limit on login
 * attempts. Administrators are exempt from the rate limits and the connection quota; the size limit holds
 * everyone (a message too big is too big whoever sends it), and the login limit every login (a login is not yet
 * anyone). State is per Harper worker thread, so with N threads an account gets up to N times each limit.
 */
import { limitsFrom, type AbuseLimits } from './abuse-limits.ts';
import type { Account } from './accounts.ts';
import { ConnectionQuota } from './connection-quota.ts';
import { refuse, signError, tooManyError } from './errors.ts';
import { RateLimiter } from './rate-limiter.ts';

export const LIMITS: AbuseLimits = limitsFrom(process.env.MARQUEE_LIMITS);

const perAccount = new RateLimiter(LIMITS.writesPerAccount);
const perRecord = new RateLimiter(LIMITS.writesPerSign);
const connections = new ConnectionQuota(LIMITS.connectionsPerAccount);
const loginsPerUsername = new RateLimiter(LIMITS.loginAttempts);
// Many people can share one address (an office behind NAT): it gets five times the allowance of one account.
const loginsPerAddress = new RateLimiter({
	perSecond: LIMITS.loginAttempts.perSecond * 5,
	burst: LIMITS.loginAttempts.burst * 5,
});

const isLimited = (account: Account | undefined): account is Account => account !== undefined && !account.superUser;

/** Counts one change by `account` to `record` ("LedSign/lobby"), or refuses it with a 429 that says when to retry. */
export function admitChange(account: Account | undefined, record: string): void {
	if (!isLimited(account)) return;
	const accountWait = perAccount.take(account.username);
	if (accountWait > 0) {
		refuse(
			tooManyError(
				`Too many changes from ${account.username}: at most ${LIMITS.writesPerAccount.perSecond} per second.`,
				accountWait
			)
		);
	}
	const recordWait = perRecord.take(record);
	if (recordWait > 0) {
		refuse(
			tooManyError(`Too many changes to ${record}: at most ${LIMITS.writesPerSign.perSecond} per second.`, recordWait)
		);
	}
}

/** Refuses a message bigger than the limit, measured as the JSON it is (or would be) sent as. */
export function admitMessageSize(message: unknown): void {
	let bytes: number;
	try {
		bytes = Buffer.byteLength(JSON.stringify(message) ?? '');
	} catch {
		refuse(signError('badRequest', 'The payload is not JSON.', { body: 'must be a JSON object of fields' }));
	}
	if (bytes > LIMITS.messageBytes) {
		refuse(
			signError('tooLarge', `The message is ${bytes} bytes; at most ${LIMITS.messageBytes} are accepted.`, {
				body: `must be at most ${LIMITS.messageBytes} bytes`,
			})
		);
	}
}

/** Counts a connection for `account`: its release function, or a 429 refusal when the account is at its quota. */
export function admitConnection(account: Account | undefined): () => void {
	if (!isLimited(account)) return () => undefined;
	const release = connections.open(account.username);
	if (release) return release;
	return refuse(
		signError(
			'tooMany',
			`${account.username} already has ${LIMITS.connectionsPerAccount} connections open; close one first.`
		)
	);
}

/** Counts a login attempt, for the username and for the address it comes from; refuses (429) a guessing spree. */
export function admitLogin(username: string, address: string | undefined): void {
	const wait = Math.max(loginsPerUsername.take(username), address ? loginsPerAddress.take(address) : 0);
	if (wait > 0) refuse(tooManyError('Too many login attempts; wait before trying again.', wait));
}
