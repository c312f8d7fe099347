/**
 * Malformed JSON is the client's mistake, so it gets a 400 that says so. Harper's stock JSON handler lets the
 * parser's SyntaxError escape as a 500 before any resource hook runs; this wraps it through Harper's public
 * `server.contentTypes` registry, which every HTTP body (REST PUT/PATCH/POST) is decoded with.
 */
import { server } from 'harperdb';
import { signError } from './refusals.ts';

const JSON_TYPE = 'application/json';

/**
 * V8's message can quote part of the body (`Unexpected token 'h', ..."password":hunter2}" is not valid JSON`),
 * and Harper logs a 4xx refusal at `info`, its dev-mode level: a body may hold a password (POST /Session), so
 * such a message is replaced by one that quotes nothing. The other messages give only a position.
 */
function withoutBodyExcerpt(message: string): string {
	return /is not valid JSON$/.test(message) ? 'unexpected character' : message;
}

export function installStrictJson(): void {
	const stock = server.contentTypes.get(JSON_TYPE);
	if (!stock || (stock as { strict?: boolean }).strict) return;
	server.contentTypes.set(JSON_TYPE, {
		...stock,
		strict: true,
		deserialize(data: unknown) {
			try {
				return stock.deserialize(data);
			} catch (err) {
				const reason = withoutBodyExcerpt(err instanceof Error ? err.message : String(err));
				// eslint-disable-next-line @typescript-eslint/only-throw-error -- Harper serialises plain objects as the JSON body
				throw signError('badRequest', 'The body is not valid JSON.', { body: `is malformed JSON: ${reason}` });
			}
		},
	} as typeof stock);
}
