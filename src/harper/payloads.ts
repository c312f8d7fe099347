/**
 * What Harper hands a resource as a message body, before any sign rule looks at it.
 *
 * Harper parses MQTT and WebSocket payloads that start with `{` as JSON; anything else (text, binary, or JSON
 * that fails to parse) arrives as a `{ contentType, data }` wrapper that Harper would happily store over the
 * record. This module tells the two apart so such payloads are refused with a clear reason.
 */
import { refuse, signError } from './refusals.ts';
import type { OpaquePayload } from './shapes.ts';

function isOpaquePayload(value: unknown): value is OpaquePayload {
	if (typeof value !== 'object' || value === null) return false;
	if (Object.keys(value).length !== 2 || !('contentType' in value) || !('data' in value)) return false;
	return typeof value.contentType === 'string' && (value.data instanceof Uint8Array || typeof value.data === 'string');
}

/**
 * The parsed JSON value of a payload, or a 400 refusal if the payload was not JSON at all. A payload Harper
 * stored before handing it over (a last will) comes back as one of its record objects; it is turned back
 * into the plain JSON value the client sent, so the rules see the same thing on every path.
 */
export function jsonPayload(value: unknown): unknown {
	if (value instanceof Uint8Array || isOpaquePayload(value)) {
		refuse(
			signError('badRequest', 'The payload is not JSON.', {
				body: 'must be a JSON object of sign fields, e.g. {"text":"Hello"}',
			})
		);
	}
	if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
		const proto: unknown = Object.getPrototypeOf(value);
		if (proto !== Object.prototype && proto !== null) return JSON.parse(JSON.stringify(value)) as unknown;
	}
	return value;
}
