/**
 * HTTP and HTTPS requests with node:http(s), which sends the path exactly as given: WHATWG URL clients (fetch,
 * browsers) resolve `/LedSign/..` and even `/LedSign/%2E%2E` to `/` before sending, so only a raw client can test
 * what the server does with such ids. Over HTTPS the server's TLS settings (ServerInfo.tls) are used.
 */
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { ClientTls, Credentials } from './types.ts';

export const basicAuth = (user: Credentials): string =>
	`Basic ${Buffer.from(`${user.username}:${user.password}`).toString('base64')}`;

export interface HttpAnswer {
	status: number;
	headers: IncomingHttpHeaders;
	text: string;
}

export interface HttpExchange {
	method?: string;
	headers?: Record<string, string>;
	body?: string | Buffer;
	/** Send from this loopback address (127.0.0.x), to be another client to the server's per-address limits. */
	localAddress?: string;
	tls?: ClientTls;
	/** Give up (reject) after this long; none by default. */
	timeoutMs?: number;
}

/** One request to `base` (an http:// or https:// origin) on the raw `path`, read to its end. */
export function exchange(base: string, path: string, options: HttpExchange = {}): Promise<HttpAnswer> {
	const { hostname, port, protocol } = new URL(base);
	const method = options.method ?? 'GET';
	const send = protocol === 'https:' ? httpsRequest : httpRequest;
	const { headers, localAddress } = options;
	return new Promise((resolve, reject) => {
		const request = send({ hostname, port, path, method, headers, localAddress, ...options.tls }, (response) => {
			const chunks: Buffer[] = [];
			response.on('data', (chunk: Buffer) => chunks.push(chunk));
			response.on('end', () => {
				const text = Buffer.concat(chunks).toString('utf8');
				resolve({ status: response.statusCode ?? 0, headers: response.headers, text });
			});
			response.on('error', reject);
		});
		request.on('error', reject);
		const { timeoutMs } = options;
		if (timeoutMs) request.setTimeout(timeoutMs, () => request.destroy(new Error(`${method} ${path} timed out`)));
		request.end(options.body);
	});
}

/** Parsed JSON, or the text itself when it is not JSON (a test will say what it expected). */
export function parseJsonOr(text: string): unknown {
	if (!text) return undefined;
	try {
		return JSON.parse(text);
	} catch {
		return text;
	}
}

/**
 * The status of one request, or 0 when it got none within 5 s. Harper's certificate is self-signed, so TLS
 * requests accept it: they go to 127.0.0.1 only, to a server this harness started.
 */
export function requestStatus(
	url: string,
	init: { method?: string; headers?: Record<string, string>; body?: string } = {}
): Promise<number> {
	const target = new URL(url);
	const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
	return new Promise((resolve) => {
		const request = send(
			target,
			{ method: init.method ?? 'GET', headers: init.headers, rejectUnauthorized: false },
			(response) => {
				response.resume();
				resolve(response.statusCode ?? 0);
			}
		);
		request.on('error', () => resolve(0));
		request.setTimeout(5000, () => request.destroy());
		request.end(init.body);
	});
}
