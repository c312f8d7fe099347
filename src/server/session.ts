/**
 * The browser's login: `/Session` says who the caller is and what they may do (GET), logs in with a username
 * and password in a JSON body (POST), and logs out (DELETE). Harper keeps the session: `context.login()` checks
 * the password and sets its `hdb-session` cookie (HttpOnly), which every later request sends, the panel's
 * EventSource stream included; a stored session names its user in the `system.hdb_session` table.
 *
 * The password travels only in the POST body, and nothing here puts it into a message, an error or a log.
 */
import { Resource, type User } from 'harperdb';
import { ANONYMOUS, type SessionView } from '../session-view.ts';
import { capabilitiesFor } from './capabilities.ts';
import { admitLogin } from './abuse-guard.ts';
import { accountOf, boundSign } from './accounts.ts';
import { refuse, refuseWithHeaders, signError } from './errors.ts';

/** The request as Harper passes it to a resource over HTTP, seen only as far as this module needs. */
interface HttpContext {
	user?: User;
	headers?: { get(name: string): string | undefined };
	/** The stored session ({} when the request carried no known session cookie); `update` writes it. */
	session?: { id?: string; user?: string | null; update?(session: { user: string | null }): unknown };
	/** Checks the password, then stores the user in the session (creating it and its cookie if needed). */
	login?(username: string, password: string): Promise<unknown>;
	/** The client's address. */
	ip?: string;
	mtlsConfig?: unknown;
	authorized?: boolean;
}

const SIGNS_TABLE = 'LedSign';
/** One answer for an unknown user, a wrong password and an inactive account, so none of them can be told apart. */
const BAD_CREDENTIALS = 'The username or password is not correct.';
/** Harper names its session cookie `<host>-hdb-session`; the name is all a logout needs to expire it. */
const SESSION_COOKIE = /(?:^|;\s*)([^=;\s]*hdb-session)=/g;
const NO_STORE = { 'cache-control': 'no-store' };

interface Answer {
	status: number;
	headers: Record<string, string | string[]>;
	data: SessionView;
}

/** A response Harper sends as given; a session is never cached (it changes with login and logout). */
function answer(data: SessionView, headers: Answer['headers'] = {}): Answer {
	return { status: 200, headers: { ...NO_STORE, ...headers }, data };
}

/** A body field that must be a non-empty string; its name goes into `missing` when it is not. */
function requiredText(body: unknown, field: 'username' | 'password', missing: Record<string, string>): string {
	const value = typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[field] : undefined;
	if (typeof value === 'string' && value !== '') return value;
	missing[field] = value === undefined || value === '' ? 'is required' : 'must be a string';
	return '';
}

async function viewOf(user: User | undefined, autoLogin: boolean): Promise<SessionView> {
	if (!user) return ANONYMOUS;
	const role = user.role?.role ?? null;
	return {
		username: user.username,
		role,
		may: capabilitiesFor(user.role?.permission, SIGNS_TABLE),
		// A device account's bound sign; boundSign answers undefined for every other account.
		sign: (await boundSign(accountOf(user))) ?? null,
		autoLogin,
	};
}

/**
 * Harper tries, in order: an Authorization header, the session cookie's user, then (authorizeLocal) the super
 * user for any loopback request. A user with neither of the first two came in through the last.
 */
function isAutoLogin(context: HttpContext): boolean {
	if (!context.user) return false;
	const tlsUser = Boolean(context.mtlsConfig && context.authorized);
	return !context.headers?.get('authorization') && !context.session?.user && !tlsUser;
}

export class Session extends Resource {
	static override loadAsInstance = false;

	#context(): HttpContext {
		return this.getContext() as HttpContext;
	}

	override async get(): Promise<Answer> {
		const context = this.#context();
		return answer(await viewOf(context.user, isAutoLogin(context)));
	}

	override async post(_target: unknown, body: unknown): Promise<Answer> {
		const context = this.#context();
		// Only JSON: anything else a cross-site form could send (cross-site.ts), or that is not what the panel sends.
		if (!/^application\/json\s*(?:;|$)/i.test(context.headers?.get('content-type') ?? '')) {
			refuse(
				signError('unsupportedType', 'Send the username and password as JSON.', { body: 'must be application/json' })
			);
		}
		const missing: Record<string, string> = {};
		const username = requiredText(body, 'username', missing);
		const password = requiredText(body, 'password', missing);
		if (Object.keys(missing).length > 0) refuse(signError('invalid', 'Give a username and a password.', missing));
		if (!context.login) {
			refuse(signError('unavailable', 'Logging in needs sessions (authentication.enableSessions in Harper).'));
		}
		try {
			admitLogin(username, context.ip);
		} catch (refusal) {
			refuseWithHeaders(context, refusal);
		}
		try {
			await context.login(username, password);
		} catch (err) {
			// Harper answers 401 for an unknown user, a wrong password and an inactive account alike, with
			// messages that differ; anything else is not about the credentials.
			if ((err as { statusCode?: number }).statusCode !== 401) throw err;
			refuse(signError('unauthorized', BAD_CREDENTIALS));
		}
		// Harper's login stores the session without waiting for the write, so the browser's next request could
		// arrive first and find no user (seen: a 401 on the panel's first read after logging in). Storing the same
		// session again, and waiting for it, holds the answer until the session is there.
		await context.session?.update?.({ user: context.user?.username ?? username });
		return answer(await viewOf(context.user, false));
	}

	/**
	 * Harper's own logout only clears the user from the stored session; the cookie stays, and a later login in
	 * that browser would reuse its id, so a copy of the old cookie would work again for the next user. The
	 * browser is also told to drop the cookie: the next login starts a session with a new id.
	 */
	override async delete(): Promise<boolean> {
		const context = this.#context();
		// Only a session the request brought: update() on none would create one, and a cookie with it.
		if (context.session?.id !== undefined) await context.session.update?.({ user: null });
		const cookies = context.headers?.get('cookie') ?? '';
		const expired = [...cookies.matchAll(SESSION_COOKIE)].map(
			([, name]) => `${name}=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly`
		);
		// Harper's types only know `boolean` here, but it sends any returned {status, headers, data} as the response.
		return answer(ANONYMOUS, { 'set-cookie': expired }) as unknown as boolean;
	}

	override allowRead(): boolean {
		return true;
	}

	override allowCreate(): boolean {
		return true;
	}

	override allowDelete(): boolean {
		return true;
	}
}
