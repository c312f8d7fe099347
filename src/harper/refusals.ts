/**
 * Refusals, shaped the way Harper reports them. Harper turns a thrown object carrying `statusCode` that is not an
 * `Error` into that HTTP status with the object as the JSON body (a thrown `Error` becomes a bare string), and any
 * throw into an MQTT v5 PUBACK failure. A WebSocket it refuses is closed with the refusal's `toString()` as the
 * close reason, so a refusal's string is its sentence (a plain object would say "[object Object]"). WebSocket
 * writes send the same object as a message.
 */
import type { FieldErrors } from '../shared/sign-rules.ts';
import type { HarperRequest } from './shapes.ts';

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
	notFound: 404,
	notAllowed: 405,
	conflict: 409,
	tooLarge: 413,
	unsupportedType: 415,
	invalid: 422,
	tooMany: 429,
	unavailable: 503,
} as const;

export type RefusalKind = keyof typeof STATUS;

/** The longest close reason a WebSocket may carry (RFC 6455: 125 bytes of payload, 2 of them the code). */
const CLOSE_REASON_BYTES = 123;

/** `text` cut to at most `bytes` bytes of UTF-8, on a character boundary, marked with an ellipsis when cut. */
export function truncateUtf8(text: string, bytes: number): string {
	if (Buffer.byteLength(text) <= bytes) return text;
	let cut = '';
	for (const char of text) {
		if (Buffer.byteLength(`${cut}${char}…`) > bytes) break;
		cut += char;
	}
	return `${cut}…`;
}

/** A refusal: its JSON is the HTTP body, its string the sentence (a WebSocket close reason). */
class Refusal implements SignError {
	statusCode: number;
	error: string;
	fields: FieldErrors;
	retryAfter?: number;
	headers?: Record<string, string>;

	constructor(statusCode: number, error: string, fields: FieldErrors) {
		this.statusCode = statusCode;
		this.error = error;
		this.fields = fields;
	}

	toString(): string {
		return truncateUtf8(this.error, CLOSE_REASON_BYTES);
	}
}

export function signError(kind: RefusalKind, error: string, fields: FieldErrors = {}): SignError {
	return new Refusal(STATUS[kind], error, fields);
}

export function isSignError(value: unknown): value is SignError {
	return typeof value === 'object' && value !== null && 'statusCode' in value && 'fields' in value;
}

/** A 429: the caller should wait `retryAfterMs` before trying again. */
export function tooManyError(error: string, retryAfterMs: number, fields: FieldErrors = {}): SignError {
	const retryAfter = Math.max(1, Math.ceil(retryAfterMs / 1000));
	return Object.assign(signError('tooMany', error, fields), {
		retryAfter,
		headers: { 'Retry-After': String(retryAfter) },
	});
}

/** A refusal's sentence and the fields it names, in one line: an MQTT 5 Reason String. */
export function refusalText(refusal: SignError): string {
	const fields = Object.entries(refusal.fields).map(([field, why]) => `${field} ${why}`);
	return fields.length > 0 ? `${refusal.error} (${fields.join('; ')})` : refusal.error;
}

/**
 * Throws a refusal with its headers (Retry-After). Harper builds an HTTP refusal's headers from the request's
 * `responseHeaders`, not from the thrown object, so they are copied there first (MQTT and WebSocket have none).
 */
export function refuseWithHeaders(context: unknown, error: unknown): never {
	const headers = (context as Pick<HarperRequest, 'responseHeaders'> | undefined)?.responseHeaders;
	if (isSignError(error)) for (const [name, value] of Object.entries(error.headers ?? {})) headers?.set(name, value);
	throw error;
}

/** The HTTP status a thrown refusal or Harper error carries, if any. */
export function statusCodeOf(error: unknown): number | undefined {
	if (typeof error !== 'object' || error === null || !('statusCode' in error)) return undefined;
	return typeof error.statusCode === 'number' ? error.statusCode : undefined;
}

/** What a thrown refusal or Harper error says, in one line ('' for a throw that says nothing). */
export function reasonOf(thrown: unknown): string {
	if (isSignError(thrown)) return refusalText(thrown);
	return thrown instanceof Error ? thrown.message : '';
}

/** Throws a refusal the way Harper expects (see the module comment). */
export function refuse(error: SignError): never {
	// eslint-disable-next-line @typescript-eslint/only-throw-error -- Harper serialises non-Error objects as the JSON body
	throw error;
}

/** The message a WebSocket client gets when its change is refused. */
export function webSocketError(err: unknown): { type: 'error' } & SignError {
	if (isSignError(err)) {
		const { headers: _httpOnly, ...refusal } = err;
		return { type: 'error', ...refusal };
	}
	const statusCode = statusCodeOf(err) ?? 500;
	const error = err instanceof Error ? err.message : 'the change could not be applied';
	return { type: 'error', statusCode, error, fields: {} };
}

/**
 * The WebSocket close code for a refusal: 3000 and 3003 (the registered "Unauthorized" and "Forbidden", as Harper
 * uses them), 1009 for a message too big, 1011 for the server's own failure, and 1008 "Policy Violation" for
 * every other refusal (Harper alone would say 1011, "internal error", to a client's mistake).
 */
export function closeCodeFor(statusCode: number): number {
	if (statusCode === 401) return 3000;
	if (statusCode === 403) return 3003;
	if (statusCode === 413) return 1009;
	return statusCode >= 500 ? 1011 : 1008;
}
