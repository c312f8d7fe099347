/**
 * Outcome translators for MQTT: mqtt.js reports a server's refusal in several shapes (an error with a `code`, the
 * refusing packet as a second argument or on the error); these turn each into its reason code, one way for all tests.
 */

/** A reason code as MQTT's specification writes it: 0x97. */
export const hex = (code: number): string => `0x${code.toString(16)}`;

/** The reason code mqtt.js puts on the error it fails with: a refusing CONNACK's, or a PUBACK's of 0x80 or more. */
export function errorCode(err: unknown): number | undefined {
	const code = (err as { code?: unknown } | undefined)?.code;
	return typeof code === 'number' ? code : undefined;
}

/** The PUBACK reason code of what publishAsync resolved with (0 when it carries none: accepted). */
export function pubackCode(ack: unknown): number {
	return typeof ack === 'object' && ack !== null && 'reasonCode' in ack
		? ((ack as { reasonCode?: number }).reasonCode ?? 0)
		: 0;
}

/** The SUBACK reason codes on the error mqtt.js rejects a refused subscription with, if it carries them. */
export function subackCodes(err: unknown): number[] | undefined {
	return (err as { packet?: { granted?: number[] } } | undefined)?.packet?.granted;
}

/** The MQTT 5 Reason String of the SUBACK on such an error. */
export function subackReason(err: unknown): string | undefined {
	return (err as { packet?: { properties?: { reasonString?: string } } } | undefined)?.packet?.properties?.reasonString;
}

/** What a failed connect says: the CONNACK reason code, or the error's message when no CONNACK came. */
export function connectRefusal(err: unknown): number | string {
	return errorCode(err) ?? String((err as Error | undefined)?.message);
}
