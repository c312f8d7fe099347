/** Harper's operations API (add_role, add_user, sql, ...), over HTTP or, for a TLS-only Harper, HTTPS. */
import { basicAuth, exchange, parseJsonOr } from './http.ts';
import type { Credentials, ServerInfo } from './types.ts';

type OperationsServer = Pick<ServerInfo, 'operationsUrl' | 'admin' | 'tls'>;

export interface OperationAnswer {
	status: number;
	/** The answer parsed as JSON, or its text when it is not JSON. */
	body: unknown;
}

/** What the operations API answers `body` from `user` (the admin unless told; null: no credentials). */
export async function operationAnswer(
	server: OperationsServer,
	body: object,
	user: Credentials | null = server.admin
): Promise<OperationAnswer> {
	const headers: Record<string, string> = { 'content-type': 'application/json' };
	if (user) headers.authorization = basicAuth(user);
	const { pathname, search } = new URL(server.operationsUrl);
	const answer = await exchange(server.operationsUrl, pathname + search, {
		method: 'POST',
		headers,
		body: JSON.stringify(body),
		tls: server.tls,
	});
	return { status: answer.status, body: parseJsonOr(answer.text) };
}

/** Calls the operations API as the admin; answers the parsed result, and throws unless it succeeds. */
export async function operation(server: OperationsServer, body: object): Promise<unknown> {
	const { status, body: result } = await operationAnswer(server, body);
	if (status < 200 || status >= 300)
		throw new Error(`operation ${JSON.stringify(body)} failed: ${JSON.stringify(result)}`);
	return result;
}
