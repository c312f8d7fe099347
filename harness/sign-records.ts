/** A sign's record written and read over REST as the admin, for tests that set a scene before they act. */
import type { LedSignRecord } from '../src/shared/sign-rules.ts';
import { rest, type ServerInfo } from './clients.ts';

/** PUTs sign `id` (a full replace); throws, with the server's answer, unless it is accepted. */
export async function putSign(server: ServerInfo, id: string, change: object): Promise<LedSignRecord> {
	const { status, body } = await rest(server, 'PUT', `/LedSign/${id}`, change);
	if (status !== 200) throw new Error(`PUT /LedSign/${id} answered ${status}: ${JSON.stringify(body)}`);
	return body as LedSignRecord;
}

/** The stored record of sign `id` (its body, whatever the status). */
export async function storedSign(server: ServerInfo, id: string): Promise<LedSignRecord> {
	return (await rest(server, 'GET', `/LedSign/${id}`)).body as LedSignRecord;
}
