/** Real WebSocket clients (ws) on Harper's resources, over ws:// or, for a TLS-only Harper, wss://. */
import WebSocket from 'ws';
import { basicAuth, parseJsonOr } from './http.ts';
import { Inbox } from './inbox.ts';
import type { Credentials, ServerInfo } from './types.ts';

export interface WsPeer {
	socket: WebSocket;
	inbox: Inbox<unknown>;
	send(message: string | object): void;
	close(): Promise<void>;
}

export async function wsPeer(server: ServerInfo, path: string, user: Credentials = server.admin): Promise<WsPeer> {
	const socket = new WebSocket(`${server.wsUrl}${path}`, {
		headers: { authorization: basicAuth(user) },
		...server.tls,
	});
	const inbox = new Inbox<unknown>();
	socket.on('message', (data: Buffer) => inbox.push(parseJsonOr(data.toString('utf8'))));
	await once(socket, 'open');
	return {
		socket,
		inbox,
		send: (message) => socket.send(typeof message === 'string' ? message : JSON.stringify(message)),
		async close(): Promise<void> {
			if (socket.readyState === WebSocket.CLOSED) return;
			const closed = once(socket, 'close');
			socket.close();
			await closed;
		},
	};
}

function once(socket: WebSocket, event: 'open' | 'close'): Promise<void> {
	return new Promise((resolve, reject) => {
		socket.once(event, () => resolve());
		if (event === 'open') socket.once('error', reject);
	});
}

export interface WsFirstAnswer {
	opened: boolean;
	/** How it was refused: the HTTP status of a refused upgrade, or the close code. */
	refusal?: number;
	/** The first message, parsed. */
	first?: unknown;
}

/** Opens a WebSocket (null: without credentials): its first message, or how it was refused; 5 s at most. */
export function wsFirstAnswer(server: ServerInfo, path: string, user: Credentials | null): Promise<WsFirstAnswer> {
	const headers: Record<string, string> = user ? { authorization: basicAuth(user) } : {};
	const socket = new WebSocket(`${server.wsUrl}${path}`, { headers, ...server.tls });
	return new Promise((resolve) => {
		const timer = setTimeout(() => done({ opened: socket.readyState === WebSocket.OPEN }), 5000);
		function done(result: WsFirstAnswer): void {
			clearTimeout(timer);
			socket.terminate();
			resolve(result);
		}
		socket.on('message', (data: Buffer) => done({ opened: true, first: parseJsonOr(data.toString('utf8')) }));
		socket.on('close', (code) => done({ opened: false, refusal: code }));
		socket.on('unexpected-response', (_request, response) => done({ opened: false, refusal: response.statusCode }));
		socket.on('error', () => undefined);
	});
}
