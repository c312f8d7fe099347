/**
 * Applies the abuse limits (limits.ts) to the callers of the protocol edges: a rate limit per account and
 * per sign on every change, a size limit on every message, a connection quota per account, a limit on failed
 * logins. Administrators are exempt from the rate limits and the connection quota; the size limit holds
 * everyone (a message too big is too big whoever sends it), and the login limit every login (a login is not yet
 * anyone). Every count is kept in memory all worker threads of the Harper process share, so each limit holds once
 * per server, however requests and connections spread over its threads (per server, not per cluster: each node
 * counts its own).
 */
import { limitsFrom, type AbuseLimits } from './limits.ts';
import type { Account } from '../access/accounts.ts';
import { refuse, signError, tooManyError } from '../harper/refusals.ts';
import { sharedMemory } from '../harper/facade.ts';
import { SharedCounters, sharedCountersBytes } from './shared-counters.ts';
import { SharedRateLimiter, sharedLimiterBytes } from './shared-rate-limiter.ts';

export const LIMITS: AbuseLimits = limitsFrom(process.env.MARQUEE_LIMITS);

/** Buckets per change rate: far more than the accounts (or signs) changing within a refill (a full bucket is as none). */
const CHANGE_BUCKETS = 16_384;
const perAccount = new SharedRateLimiter(
	LIMITS.writesPerAccount,
	sharedMemory('changes-per-account', sharedLimiterBytes(CHANGE_BUCKETS))
);
const perRecord = new SharedRateLimiter(
	LIMITS.writesPerSign,
	sharedMemory('changes-per-sign', sharedLimiterBytes(CHANGE_BUCKETS))
);
/** Accounts holding connections at once. */
const CONNECTED_ACCOUNTS = 16_384;
const connections = new SharedCounters(
	LIMITS.connectionsPerAccount,
	sharedMemory('connections-per-account', sharedCountersBytes(CONNECTED_ACCOUNTS))
);
/**
 * Failed logins per username from one address, and per address. Only failures count, so no one can lock a user
 * out by failing on purpose from elsewhere: the right password from another address still works. Many people can
 * share one address (an office behind NAT): it gets five times the allowance of one username. In a fixed number
 * of buckets (16,384 each), whatever the usernames and addresses.
 */
const LOGIN_BUCKETS = 16_384;
const failuresPerUsername = new SharedRateLimiter(
	LIMITS.failedLogins,
	sharedMemory('failed-logins-per-username', sharedLimiterBytes(LOGIN_BUCKETS))
);
const failuresPerAddress = new SharedRateLimiter(
	{ perSecond: LIMITS.failedLogins.perSecond * 5, burst: LIMITS.failedLogins.burst * 5 },
	sharedMemory('failed-logins-per-address', sharedLimiterBytes(LOGIN_BUCKETS))
);

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
	const release = connections.take(account.username);
	if (release) return release;
	return refuse(
		signError(
			'tooMany',
			`${account.username} already has ${LIMITS.connectionsPerAccount} connections open; close one first.`
		)
	);
}

/** One answer for an unknown user, a wrong password and an inactive account, so none of them can be told apart. */
export const BAD_CREDENTIALS = 'The username or password is not correct.';

/** An address as a key: IPv4 clients of a dual-stack listener arrive as "::ffff:127.0.0.1". */
export function addressKey(address: string | undefined): string {
	return (address ?? 'unknown').replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '');
}

/** A username from an address, as one key. */
const usernameKey = (username: string | undefined, address: string): string => `${address} ${username ?? ''}`;

/**
 * Refuses (429) a login from `address` as `username` while too many have failed: for that username from that
 * address, or from that address at all. Checked before the password is, so a guesser learns nothing more, not
 * even from the right password.
 */
export function admitLogin(username: string | undefined, address: string | undefined): void {
	const from = addressKey(address);
	const wait = Math.max(failuresPerAddress.wait(from), failuresPerUsername.wait(usernameKey(username, from)));
	if (wait > 0) refuse(tooManyError('Too many failed logins from this address; wait before trying again.', wait));
}

/** Counts a failed login (a wrong password, an unknown username) against the username and the address. */
export function countFailedLogin(username: string | undefined, address: string | undefined): void {
	const from = addressKey(address);
	failuresPerAddress.take(from);
	failuresPerUsername.take(usernameKey(username, from));
}
