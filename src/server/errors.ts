/**
 * Refusals, shaped the way Harper reports them. Harper turns a thrown *plain object* carrying `statusCode`
 * into that HTTP status with the object as the JSON body (a thrown `Error` becomes a bare string), and any
 * throw into an MQTT v5 PUBACK failure (reason code 128). WebSocket writes send the same object as a message.
 */
import type { FieldErrors } from '../sign-rules.ts';

export interface SignError {
	statusCode: number;
	/** One sentence for people. */
	error: string;
	/** Field name → why it was refused, for forms and clients that want to point at the field. */
	fields: FieldErrors;
	/** On a 429: seconds until a change will be accepted again (also sent as the Retry-After header). */
	retryAfter?: number;
	/** Response headers Harper adds to an HTTP refusal. */
	headers?: Record<string, string>;
}

const STATUS = {
	badRequest: 400,
	unauthorized: 401,
	forbidden: 403,
	notAllowed: 405,
	conflict: 409,
	tooLarge: 413,
	unsupportedType: 415,
	invalid: 422,
	tooMany: 429,
	unavailable: 503,
} as const;

export function signError(kind: keyof typeof STATUS, error: string, fields: FieldErrors = {}): SignError {
	return { statusCode: STATUS[kind], error, fields };
}

export function isSignError(value: unknown): value is SignError {
	return typeof value === 'object' && value !== null && 'statusCode' in value && 'fields' in value;
}

/** A 429: the caller should wait `retryAfterMs` before trying again. */
export function tooManyError(error: string, retryAfterMs: number): SignError {
	const retryAfter = Math.max(1, Math.ceil(retryAfterMs / 1000));
	return { ...signError('tooMany', error), retryAfter, headers: { 'Retry-After': String(retryAfter) } };
}

interface HttpResponseContext {
	responseHeaders?: { set(name: string, value: string): void };
}

/**
 * Throws a refusal with its headers (Retry-After). Harper builds an HTTP refusal's headers from the request's
 * `responseHeaders`, not from the thrown object, so they are copied there first (MQTT and WebSocket have none).
 */
export function refuseWithHeaders(context: unknown, error: unknown): never {
	const headers = (context as HttpResponseContext | undefined)?.responseHeaders;
	if (isSignError(error)) for (const [name, value] of Object.entries(error.headers ?? {})) headers?.set(name, value);
	throw error;
}

/** Throws a refusal the way Harper expects (see the module comment). */
export function refuse(error: SignError): never {
	// eslint-disable-next-line @typescript-eslint/only-throw-error -- Harper serialises plain objects as the JSON body
	throw error;
}

/** The message a WebSocket client gets when its change is refused. */
export function webSocketError(err: unknown): { type: 'error' } & SignError {
	if (isSignError(err)) {
		const { headers: _httpOnly, ...refusal } = err;
		return { type: 'error', ...refusal };
	}
	const statusCode = typeof err === 'object' && err && 'statusCode' in err ? Number(err.statusCode) : 500;
	const error = err instanceof Error ? err.message : 'the change could not be applied';
	return { type: 'error', statusCode, error, fields: {} };
}
