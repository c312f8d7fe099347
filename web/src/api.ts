/**
 * The panel's REST calls. Writes go over REST rather than the live stream because a refusal then comes back
 * as the answer to that very request, with the field it names, ready to show next to the control. Every call
 * gives up after a few seconds, so no failure leaves the page waiting without a word.
 */
import type { FieldErrors, SignMessage, SignRules, SignSettings } from '../../src/shared/sign-rules.ts';
import type { SessionView } from '../../src/shared/session-view.ts';
import type { HistoryPage } from '../../src/shared/history.ts';

/** How long a write or a login may take before the page says the server did not answer. */
const ANSWER_WITHIN_MS = 8000;

/** Called when the server answers 401: the session has ended (logged out elsewhere, or the server forgot it). */
let onUnauthorized: () => void = () => undefined;

export function whenUnauthorized(handler: () => void): void {
	onUnauthorized = handler;
}

/** A refusal: status 0 when no answer came (the server cannot be reached, or it did not answer in time). */
export interface Refused {
	ok: false;
	status: number;
	error: string;
	fields: FieldErrors;
	/** On a 429: seconds to wait before the server takes the change. */
	retryAfter?: number;
	/** No answer came in time: the request may or may not have been carried out. */
	timedOut?: boolean;
}

/** An accepted write answers the sign as it now is, or (a flash) the message delivered, `transient: true`. */
export type WriteResult = { ok: true; record: SignMessage } | Refused;

type Answer = { ok: true; status: number; body: unknown } | Refused;

interface ErrorBody {
	error?: unknown;
	fields?: FieldErrors;
	retryAfter?: unknown;
}

/** The seconds a 429 asks to wait: the body's retryAfter, else the Retry-After header. */
function retryAfterOf(body: ErrorBody, response: Response): number | undefined {
	const seconds = typeof body.retryAfter === 'number' ? body.retryAfter : Number(response.headers.get('retry-after'));
	return Number.isFinite(seconds) && seconds > 0 ? seconds : undefined;
}

/** One JSON request; a failure of any kind comes back as a Refused, with `fallback` for an answer without words. */
async function request(method: string, path: string, body: object | undefined, fallback: string): Promise<Answer> {
	let response: Response;
	try {
		response = await fetch(path, {
			method,
			headers: { 'content-type': 'application/json', 'accept': 'application/json' },
			body: body === undefined ? undefined : JSON.stringify(body),
			signal: AbortSignal.timeout(ANSWER_WITHIN_MS),
		});
	} catch (err) {
		if (err instanceof DOMException && err.name === 'TimeoutError') {
			const error = `The server did not answer within ${ANSWER_WITHIN_MS / 1000} s.`;
			return { ok: false, status: 0, error, fields: {}, timedOut: true };
		}
		return { ok: false, status: 0, error: 'The server cannot be reached.', fields: {} };
	}
	const answer = (await response.json().catch(() => ({}))) as unknown;
	if (response.ok) return { ok: true, status: response.status, body: answer };
	const refusal = (typeof answer === 'object' && answer !== null ? answer : {}) as ErrorBody;
	return {
		ok: false,
		status: response.status,
		error: typeof refusal.error === 'string' ? refusal.error : `${fallback} (${response.status}).`,
		fields: refusal.fields ?? {},
		retryAfter: retryAfterOf(refusal, response),
	};
}

async function write(method: string, path: string, body?: object): Promise<WriteResult> {
	const answer = await request(method, path, body, 'The server refused the change');
	if (!answer.ok) {
		if (answer.status === 401) onUnauthorized();
		return answer.status === 0 && !answer.timedOut
			? { ...answer, error: `${answer.error} Nothing was changed.` }
			: answer;
	}
	return { ok: true, record: answer.body as SignMessage };
}

const signPath = (id: string): string => `/LedSign/${encodeURIComponent(id)}`;

/** Changes some of a sign's fields (a merge). */
export function patchSign(id: string, change: Partial<SignSettings>): Promise<WriteResult> {
	return write('PATCH', signPath(id), change);
}

/**
 * Shows a message on the sign until its next change, storing nothing: the answer is the message delivered
 * (`transient: true`, the stored version unchanged).
 */
export function flashSign(id: string, change: Partial<SignSettings>): Promise<WriteResult> {
	return write('PATCH', signPath(id), { ...change, transient: true });
}

/** Creates a sign with the default settings. */
export function createSign(id: string): Promise<WriteResult> {
	return write('POST', '/LedSign/', { id });
}

export async function deleteSign(id: string): Promise<{ ok: true } | Refused> {
	const answer = await request('DELETE', signPath(id), undefined, 'The server did not delete the sign');
	if (!answer.ok && answer.status === 401) onUnauthorized();
	return answer.ok ? { ok: true } : answer;
}

/** Applies a preset to a sign: one change, one version (the preset's look, whole). */
export function applyPreset(id: string, preset: string): Promise<WriteResult> {
	return write('PATCH', signPath(id), { preset });
}

const presetPath = (name: string): string => `/Preset/${encodeURIComponent(name)}`;

/**
 * Saves a look as preset `name`: a new preset (POST: refused with 409 if someone created it meanwhile), or a
 * replacement of the version the panel holds (PUT with `version`: refused with 409 if it changed meanwhile).
 */
export async function savePreset(
	name: string,
	look: SignSettings,
	replacing: { version: number } | undefined
): Promise<{ ok: true } | Refused> {
	const answer = replacing
		? await write('PUT', presetPath(name), { ...look, version: replacing.version })
		: await write('POST', '/Preset/', { id: name, ...look });
	return answer.ok ? { ok: true } : answer;
}

export async function deletePreset(name: string): Promise<{ ok: true } | Refused> {
	const answer = await request('DELETE', presetPath(name), undefined, 'The server did not delete the preset');
	if (!answer.ok && answer.status === 401) onUnauthorized();
	return answer.ok ? { ok: true } : answer;
}

/** One page of a sign's history, newest first; `before` is the `next` of the page before it. */
export async function fetchHistory(id: string, before: string | undefined): Promise<HistoryPage | Refused> {
	const query = before === undefined ? '' : `?before=${encodeURIComponent(before)}`;
	const answer = await request(
		'GET',
		`/SignHistory/${encodeURIComponent(id)}${query}`,
		undefined,
		'The server did not answer'
	);
	if (!answer.ok && answer.status === 401) onUnauthorized();
	return answer.ok ? (answer.body as HistoryPage) : answer;
}

/** The rules the server enforces, so the controls check input against exactly those limits. */
export async function fetchRules(): Promise<SignRules> {
	const response = await fetch('/SignRules', { headers: { accept: 'application/json' } });
	if (!response.ok) throw new Error(`GET /SignRules answered ${response.status}`);
	return (await response.json()) as SignRules;
}

/** Who is signed in, and what they may do. */
export async function fetchSession(): Promise<SessionView> {
	const response = await fetch('/Session', { headers: { accept: 'application/json' } });
	if (!response.ok) throw new Error(`GET /Session answered ${response.status}`);
	return (await response.json()) as SessionView;
}

export type LoginResult = { ok: true; session: SessionView } | { ok: false; error: string; fields: FieldErrors };

/** What the login form says when the server refuses or fails: every failure gets a sentence. */
function loginFailure(refused: Refused): string {
	if (refused.status === 0) return `${refused.error} Try again in a moment.`;
	if (refused.status === 429) {
		return `Too many failed logins from this address. Try again in ${refused.retryAfter ?? 10} s.`;
	}
	if (refused.status >= 500) return `The server could not log you in (${refused.status}). Try again in a moment.`;
	return refused.error;
}

/** Logs in: the password goes only in the body of a POST, never into an address. */
export async function logIn(username: string, password: string): Promise<LoginResult> {
	const answer = await request('POST', '/Session', { username, password }, 'The server refused the login');
	if (answer.ok) return { ok: true, session: answer.body as SessionView };
	return { ok: false, error: loginFailure(answer), fields: answer.fields };
}

/** Logs out: the server forgets the session and tells the browser to drop its cookie. */
export async function logOut(): Promise<void> {
	const response = await fetch('/Session', { method: 'DELETE', headers: { accept: 'application/json' } });
	if (!response.ok) throw new Error(`DELETE /Session answered ${response.status}`);
}
