/**
 * Cross-site request forgery: a page on another site can make a signed-in browser POST a form (urlencoded,
 * multipart or text/plain body) without asking first, and the browser sends the session cookie with it (Harper
 * marks it SameSite=None on HTTPS). Harper decodes such bodies too. Any other content type, JSON included, makes
 * the browser ask the server first (a CORS preflight), which a production Marquee refuses. So a body that
 * changes something must not be one of the three a form can send.
 */
import { refuse, signError } from '../harper/refusals.ts';
import type { HeaderReader } from '../harper/shapes.ts';

/** The content types an HTML form (or a "simple" fetch) can send cross-site without a preflight. */
const FORM_TYPES = /^(?:application\/x-www-form-urlencoded|multipart\/form-data|text\/plain)\s*(?:;|$)/i;

/** Refuses (415) a request body a cross-site form could have sent; `expected` names what to send instead. */
export function refuseFormBodies(headers: HeaderReader | undefined, expected = 'application/json'): void {
	const type = headers?.get('content-type') ?? '';
	if (FORM_TYPES.test(type)) {
		refuse(
			signError('unsupportedType', `Send the body as ${expected}.`, {
				body: `must be ${expected}, not ${type.split(';')[0] ?? type}`,
			})
		);
	}
}
