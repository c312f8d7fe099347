/**
 * The panel's REST calls. Writes go over REST rather than the live stream because a refusal then comes back
 * as the answer to that very request, with the field it names, ready to show next to the control.
 */
import type { FieldErrors, LedSignRecord, SignRules, SignSettings } from '../../src/shared/sign-rules.ts';
import type { SessionView } from '../../src/shared/session-view.ts';

/** Called when the server answers 401: the session has ended (logged out elsewhere, or the server forgot it). */
let onUnauthorized: () => void = () => undefined;

export function whenUnauthorized(handler: () => void): void {
	onUnauthorized = handler;
}

export type WriteResult =
	{ ok: true; record: LedSignRecord } | { ok: false; status: number; error: string; fields: FieldErrors };

async function send(method: string, path: string, body?: object): Promise<WriteResult> {
	let response: Response;
	try {
		response = await fetch(path, {
			method,
			headers: { 'content-type': 'application/json', 'accept': 'application/json' },
			body: body === undefined ? undefined : JSON.stringify(body),
		});
	} catch {
		return { ok: false, status: 0, error: 'The server cannot be reached; nothing was changed.', fields: {} };
	}
	const answer = (await response.json().catch(() => ({}))) as Partial<LedSignRecord> & {
		error?: string;
		fields?: FieldErrors;
	};
	if (response.ok) return { ok: true, record: answer as LedSignRecord };
	if (response.status === 401) onUnauthorized();
	return {
		ok: false,
		status: response.status,
		error: typeof answer.error === 'string' ? answer.error : `The server refused the change (${response.status}).`,
		fields: answer.fields ?? {},
	};
}

/** Changes some of a sign's fields (a merge). */
export function patchSign(id: string, change: Partial<SignSettings>): Promise<WriteResult> {
	return send('PATCH', `/LedSign/${encodeURIComponent(id)}`, change);
}

/** Creates a sign with the default settings. */
export function createSign(id: string): Promise<WriteResult> {
	return send('POST', '/LedSign/', { id });
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

/** Logs in: the password goes only in the body of a POST, never into an address. */
export async function logIn(username: string, password: string): Promise<LoginResult> {
	let response: Response;
	try {
		response = await fetch('/Session', {
			method: 'POST',
			headers: { 'content-type': 'application/json', 'accept': 'application/json' },
			body: JSON.stringify({ username, password }),
		});
	} catch {
		return { ok: false, error: 'The server cannot be reached. Try again in a moment.', fields: {} };
	}
	const answer = (await response.json().catch(() => ({}))) as Partial<SessionView> & {
		error?: string;
		fields?: FieldErrors;
	};
	if (response.ok) return { ok: true, session: answer as SessionView };
	return {
		ok: false,
		error: typeof answer.error === 'string' ? answer.error : `The server refused the login (${response.status}).`,
		fields: answer.fields ?? {},
	};
}

/** Logs out: the server forgets the session and tells the browser to drop its cookie. */
export async function logOut(): Promise<void> {
	const response = await fetch('/Session', { method: 'DELETE', headers: { accept: 'application/json' } });
	if (!response.ok) throw new Error(`DELETE /Session answered ${response.status}`);
}
