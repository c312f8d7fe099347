/**
 * What `npm run deploy` and `npm run user` share: the project's git-ignored `.env`, and calls to a Harper
 * operations API as an admin, with one-line errors that never contain the admin's password.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PROJECT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Loads `.env` (copied from `.env.example`) if there is one; variables already in the environment win. */
export function loadDotEnv() {
	const envFile = join(PROJECT, '.env');
	if (existsSync(envFile)) process.loadEnvFile(envFile);
}

/** A refused or failed operation. `status` is 0 when the target could not be reached at all. */
export class OperationError extends Error {
	/**
	 * @param {string} message one line, for the user
	 * @param {number} status the HTTP status, or 0
	 * @param {string | undefined} harperError Harper's own `error` text, if it sent one
	 */
	constructor(message, status, harperError) {
		super(message);
		this.status = status;
		this.harperError = harperError;
	}
}

/**
 * A function that runs one operation on `target` as `username` and resolves to Harper's JSON answer, or
 * rejects with an OperationError: unreachable, credentials refused (401/403), or any other non-2xx answer.
 */
export function operationsClient({ target, username, password }) {
	const authorization = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
	return async function operation(body) {
		let response;
		try {
			response = await fetch(target, {
				method: 'POST',
				headers: { 'content-type': 'application/json', authorization },
				body: JSON.stringify(body),
			});
		} catch (err) {
			throw new OperationError(`cannot reach ${target}: ${err.cause?.code ?? err.cause?.message ?? err.message}`, 0);
		}
		const text = await response.text();
		let answer;
		try {
			answer = JSON.parse(text);
		} catch {
			answer = text;
		}
		const harperError = typeof answer?.error === 'string' ? answer.error : undefined;
		if (response.status === 401) {
			throw new OperationError(`${target} refused the credentials of "${username}"`, 401, harperError);
		}
		if (response.status === 403) {
			throw new OperationError(
				`${target} refused ${body.operation} to "${username}": not a super user`,
				403,
				harperError
			);
		}
		if (!response.ok) {
			const detail = harperError ? `: ${harperError}` : '';
			throw new OperationError(
				`${target} answered ${response.status} to ${body.operation}${detail}`,
				response.status,
				harperError
			);
		}
		return answer;
	};
}
