/** REST requests to Harper as a given user (the admin unless told), over HTTP or, for a TLS-only Harper, HTTPS. */
import type { IncomingHttpHeaders } from 'node:http';
import { basicAuth, exchange, parseJsonOr } from './http.ts';
import type { Credentials, ServerInfo } from './types.ts';

export interface RestResponse {
	status: number;
	headers: IncomingHttpHeaders;
	body: unknown;
}

export interface RestOptions {
	/** The body exactly as given, text or bytes (a Buffer can carry what no JS string can, e.g. invalid UTF-8). */
	raw?: boolean;
	/** Who asks; null sends no credentials (anonymous). */
	user?: Credentials | null;
	contentType?: string;
	/** Send from this loopback address (127.0.0.x), to be another client to the server's per-address limits. */
	localAddress?: string;
	headers?: Record<string, string>;
}

/** One request on the raw `path` (see http.ts for why raw); the answer's body parsed as JSON where it is JSON. */
export async function rest(
	server: ServerInfo,
	method: string,
	path: string,
	body?: unknown,
	options: RestOptions = {}
): Promise<RestResponse> {
	const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
	const user = options.user === undefined ? server.admin : options.user;
	if (user) headers.authorization = basicAuth(user);
	const payload = body === undefined ? undefined : options.raw ? (body as string | Buffer) : JSON.stringify(body);
	if (payload !== undefined) {
		headers['content-type'] = options.contentType ?? 'application/json';
		headers['content-length'] = String(Buffer.byteLength(payload));
	}
	const answer = await exchange(server.httpUrl, path, {
		method,
		headers,
		body: payload,
		localAddress: options.localAddress,
		tls: server.tls,
		timeoutMs: 10_000,
	});
	return { status: answer.status, headers: answer.headers, body: parseJsonOr(answer.text) };
}
