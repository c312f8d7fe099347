/** The panel's login over plain fetch: no cookie jar, so the session cookie is handled by hand. */
import type { ServerInfo } from './types.ts';

/** POST /Session with `body`, carrying `cookie` when given (a session the browser already had). */
export function postSession(
	target: Pick<ServerInfo, 'httpUrl'>,
	body: string,
	contentType = 'application/json',
	cookie?: string
): Promise<Response> {
	const headers: Record<string, string> = { 'content-type': contentType };
	if (cookie !== undefined) headers.cookie = cookie;
	return fetch(`${target.httpUrl}/Session`, { method: 'POST', headers, body });
}

/** The `name=value` part of Harper's session cookie, as a Cookie header would send it. */
export function sessionCookie(response: Response): string {
	const cookie = response.headers.getSetCookie().find((each) => each.includes('hdb-session='));
	if (!cookie) throw new Error(`no session cookie in ${JSON.stringify([...response.headers])}`);
	return cookie.split(';')[0] ?? '';
}
