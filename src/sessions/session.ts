/**
 * The browser's login: `/Session` says who the caller is and what they may do (GET), logs in with a username
 * and password in a JSON body (POST), and logs out (DELETE). Harper keeps the session: `context.login()` checks
 * the password and sets its `hdb-session` cookie (HttpOnly), which every later request sends, the panel's
 * EventSource stream included; a stored session names its user in the `system.hdb_session` table.
 *
 * Every login starts a session with a new id: Harper would adopt the id of any session cookie the browser already
 * had (one a cross-site attacker planted, say) and set no new cookie. So a login request reaches Harper without
 * its session cookies (forgetSessionCookies, run before Harper reads them), Harper makes a fresh session and
 * cookie, and the sessions those cookies named are deleted. A logout deletes the session, so a copy of its
 * cookie names nobody from then on.
 *
 * The password travels only in the POST body, and nothing here puts it into a message, an error or a log.
 */
import { Resource, type User } from 'harperdb';
import { ANONYMOUS, NOTHING, type Capabilities, type SessionView } from '../shared/session-view.ts';
import { capabilitiesFor } from '../harper/capabilities.ts';
import { admitLogin, BAD_CREDENTIALS, countFailedLogin } from '../admission/admit.ts';
import { ACCESS } from '../access/access.ts';
import { accountOf } from '../access/accounts.ts';
import { boundSign } from '../access/device-binding.ts';
import { refuse, refuseWithHeaders, signError, statusCodeOf } from '../harper/refusals.ts';
import { deleteAnswer, deleteSession, loginRequestOf } from '../harper/facade.ts';
import type { HarperRequest, LoginRequest } from '../harper/shapes.ts';

/** Harper names its session cookie `<host>-hdb-session`; the name is all a logout needs to expire it. */
const SESSION_COOKIE = /(?:^|;\s*)([^=;\s]*hdb-session)=([^;]*)/g;

/** The ids of the session cookies a login request carried, taken off it before Harper saw them. */
const forgotten = new WeakMap<object, string[]>();

/** Whether `request` is a login: POST /Session. */
export function isLogin(request: HarperRequest): boolean {
	return request.method === 'POST' && /^\/Session\/?(?:\?|$)/.test(request.url);
}

/**
 * Takes the session cookies off a login request, before Harper's authentication reads them, so Harper's login
 * makes a new session with a new id (and sends its cookie) instead of adopting the one the browser brought.
 */
export function forgetSessionCookies(request: HarperRequest): void {
	const cookies = request.headers.get('cookie');
	if (!cookies) return;
	const ids = [...cookies.matchAll(SESSION_COOKIE)].map(([, , id]) => id ?? '');
	if (ids.length === 0) return;
	forgotten.set(request, ids);
	const others = cookies
		.split(/;\s*/)
		.filter((cookie) => !/^[^=]*hdb-session=/.test(cookie))
		.join('; ');
	if (others) request.headers.set('cookie', others);
	else request.headers.delete('cookie');
}
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
	const value = typeof body === 'object' && body !== null && field in body ? Reflect.get(body, field) : undefined;
	if (typeof value === 'string' && value !== '') return value;
	missing[field] = value === undefined || value === '' ? 'is required' : 'must be a string';
	return '';
}

/** Only the server writes the history, whatever a role says: a client may read it at most. */
function readOnly(may: Capabilities): Capabilities {
	return { ...NOTHING, read: may.read };
}

async function viewOf(user: User | undefined, autoLogin: boolean): Promise<SessionView> {
	if (!user) return ANONYMOUS;
	const role = user.role?.role ?? null;
	return {
		username: user.username,
		role,
		may: capabilitiesFor(user.role?.permission, ACCESS.LedSign.name),
		presets: capabilitiesFor(user.role?.permission, ACCESS.Preset.name),
		history: readOnly(capabilitiesFor(user.role?.permission, ACCESS.SignHistory.name)),
		// A device account's bound sign; boundSign answers undefined for every other account.
		sign: (await boundSign(accountOf(user))) ?? null,
		autoLogin,
	};
}

/**
 * Harper tries, in order: an Authorization header, the session cookie's user, then (authorizeLocal) the super
 * user for any loopback request. A user with neither of the first two came in through the last.
 */
function isAutoLogin(context: LoginRequest): boolean {
	if (!context.user) return false;
	const tlsUser = Boolean(context.mtlsConfig && context.authorized);
	return !context.headers?.get('authorization') && !context.session?.user && !tlsUser;
}

/** Exported as `Session` behind the gate (resources.ts): open to anyone, over HTTP only. */
export class SessionResource extends Resource {
	static override loadAsInstance = false;

	#context(): LoginRequest {
		return loginRequestOf(this);
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
			if (statusCodeOf(err) !== 401) throw err;
			countFailedLogin(username, context.ip);
			refuse(signError('unauthorized', BAD_CREDENTIALS));
		}
		// The sessions the browser came with end here: only the new one is signed in.
		await Promise.all((forgotten.get(context) ?? []).map((id) => deleteSession(id)));
		// Harper's login stores the session without waiting for the write, so the browser's next request could
		// arrive first and find no user (seen: a 401 on the panel's first read after logging in). Storing the same
		// session again, and waiting for it, holds the answer until the session is there.
		await context.session?.update?.({ user: context.user?.username ?? username });
		return answer(await viewOf(context.user, false));
	}

	/**
	 * Harper's own logout only clears the user from the stored session and keeps the cookie. Here the session is
	 * deleted, so no copy of the cookie works again, and the browser is told to drop the cookie.
	 */
	override async delete(): Promise<boolean> {
		const context = this.#context();
		// Only a session the request brought (update() on none would create one, and a cookie with it).
		if (context.session?.id !== undefined) await deleteSession(context.session.id);
		const cookies = context.headers?.get('cookie') ?? '';
		const expired = [...cookies.matchAll(SESSION_COOKIE)].map(
			([, name]) => `${name}=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly`
		);
		return deleteAnswer(answer(ANONYMOUS, { 'set-cookie': expired }));
	}
}
