/**
 * Malformed JSON is the client's mistake, so it gets a 400 that says so. Harper's stock JSON handler lets the
 * parser's SyntaxError escape as a 500 before any resource hook runs; this wraps it through Harper's public
 * `server.contentTypes` registry, which every HTTP body (REST PUT/PATCH/POST) is decoded with.
 */
import { server } from 'harperdb';
import { signError } from './errors.ts';

const JSON_TYPE = 'application/json';

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
				const reason = err instanceof Error ? err.message : String(err);
				// eslint-disable-next-line @typescript-eslint/only-throw-error -- Harper serialises plain objects as the JSON body
				throw signError('badRequest', 'The body is not valid JSON.', { body: `is malformed JSON: ${reason}` });
			}
		},
	} as typeof stock);
}
