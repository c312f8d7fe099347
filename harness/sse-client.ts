/** Server-Sent Events clients on Harper's resources. */
import { EventSource } from 'eventsource';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { basicAuth, parseJsonOr } from './http.ts';
import { Inbox } from './inbox.ts';
import type { Credentials, ServerInfo } from './types.ts';

export interface SsePeer {
	inbox: Inbox<unknown>;
	close(): void;
}

/** A live stream (the eventsource package, over fetch: plain HTTP only), its events parsed into an inbox. */
export async function ssePeer(server: ServerInfo, path: string, user: Credentials = server.admin): Promise<SsePeer> {
	const inbox = new Inbox<unknown>();
	const source = new EventSource(`${server.httpUrl}${path}`, {
		fetch: (input: string | URL, init?: RequestInit): Promise<Response> =>
			fetch(input, {
				...init,
				headers: { ...(init?.headers as Record<string, string>), authorization: basicAuth(user) },
			}),
	});
	source.onmessage = (event): void => inbox.push(parseJsonOr(String(event.data)));
	await new Promise<void>((resolve, reject) => {
		const timer = setTimeout(() => reject(new Error(`SSE ${path} did not open within 5 s`)), 5000);
		source.onopen = (): void => {
			clearTimeout(timer);
			resolve();
		};
		source.onerror = (event): void => {
			clearTimeout(timer);
			source.close();
			reject(new Error(`SSE ${path} failed: ${String(event.message)}`));
		};
	});
	return { inbox, close: () => source.close() };
}

export interface SseGlance {
	status: number;
	/** What the stream (or the refusal) sent before the glance ended. */
	text: string;
}

/**
 * Opens a stream on the raw `path` (node:http(s) sends it unchanged, where fetch would resolve `..`; null user: no
 * credentials), reads until `enough(text)` says so, the answer ends, or `forMs` pass, then closes it. Rejects only
 * when no answer came within 5 s.
 */
export function sseGlance(
	server: ServerInfo,
	path: string,
	user: Credentials | null,
	{ forMs, enough = (): boolean => false }: { forMs: number; enough?: (text: string) => boolean }
): Promise<SseGlance> {
	const { hostname, port, protocol } = new URL(server.httpUrl);
	const headers: Record<string, string> = { accept: 'text/event-stream' };
	if (user) headers.authorization = basicAuth(user);
	const send = protocol === 'https:' ? httpsRequest : httpRequest;
	return new Promise((resolve, reject) => {
		const request = send({ hostname, port, path, headers, ...server.tls }, (response) => {
			let text = '';
			const finish = (): void => {
				clearTimeout(timer);
				request.destroy();
				resolve({ status: response.statusCode ?? 0, text });
			};
			const timer = setTimeout(finish, forMs);
			response.on('data', (chunk: Buffer) => {
				text += chunk.toString('utf8');
				if (enough(text)) finish();
			});
			response.on('end', finish);
		});
		// Closing the stream ourselves may surface as a socket error; only errors before an answer count.
		let answered = false;
		request.on('response', () => (answered = true));
		request.on('error', (err) => (answered ? undefined : reject(err)));
		request.setTimeout(5000, () => {
			if (answered) return;
			reject(new Error(`SSE ${path.slice(0, 50)} gave no answer`));
			request.destroy();
		});
		request.end();
	});
}

/** The first `data:` event of a stream, parsed; null when it was refused or none came within 5 s. */
export async function sseFirstEvent(
	server: ServerInfo,
	path: string,
	user: Credentials | null
): Promise<{ status: number; first: unknown }> {
	const firstData = (text: string): string | undefined => /^data: (.*)$/m.exec(text)?.[1];
	const { status, text } = await sseGlance(server, path, user, {
		forMs: 5000,
		enough: (sofar) => Boolean(firstData(sofar)),
	});
	const data = firstData(text);
	return { status, first: status === 200 && data ? parseJsonOr(data) : null };
}
