/**
 * The MQTT 5 reason code for each refusal, by the HTTP status the refusal carries, for each packet that reports
 * one: the most precise code MQTT 5 allows in that packet. MQTT 3.1.1 has far fewer: a SUBACK can only say 0x80,
 * a PUBACK nothing at all, a CONNACK one of five return codes.
 */

/** PUBACK (and PUBREC) reason codes, MQTT 5 §3.4.2.1. */
export const PUBACK = {
	unspecified: 0x80,
	implementationSpecific: 0x83,
	notAuthorized: 0x87,
	topicNameInvalid: 0x90,
	quotaExceeded: 0x97,
	payloadFormatInvalid: 0x99,
} as const;

/** SUBACK reason codes, MQTT 5 §3.9.3. */
export const SUBACK = {
	unspecified: 0x80,
	implementationSpecific: 0x83,
	notAuthorized: 0x87,
	topicFilterInvalid: 0x8f,
	quotaExceeded: 0x97,
} as const;

/** CONNACK reason codes, MQTT 5 §3.2.2.2, and the MQTT 3.1.1 return codes (§3.2.2.3) that come closest. */
export const CONNACK = {
	badCredentials: { v5: 0x86, v4: 4 },
	notAuthorized: { v5: 0x87, v4: 5 },
	quotaExceeded: { v5: 0x97, v4: 3 },
	connectionRateExceeded: { v5: 0x9f, v4: 3 },
	unspecified: { v5: 0x80, v4: 3 },
} as const;

/** DISCONNECT reason codes the server sends, MQTT 5 §3.14.2.1. */
export const DISCONNECT = { packetTooLarge: 0x95, messageRateTooHigh: 0x96 } as const;

/** Not authorized; the payload (not JSON, a field the rules refuse, no payload at all); over a quota; else. */
export function pubackCodeFor(status: number): number {
	if (status === 401 || status === 403) return PUBACK.notAuthorized;
	if (status === 400 || status === 422) return PUBACK.payloadFormatInvalid;
	if (status === 404) return PUBACK.topicNameInvalid;
	if (status === 413 || status === 429) return PUBACK.quotaExceeded;
	return status >= 500 || status === 0 ? PUBACK.unspecified : PUBACK.implementationSpecific;
}

/** Not authorized; a topic filter that names nothing this server streams; over a quota; else. */
export function subackCodeFor(status: number, protocolVersion: number | undefined): number {
	if ((protocolVersion ?? 4) < 5) return SUBACK.unspecified;
	if (status === 401 || status === 403) return SUBACK.notAuthorized;
	if (status === 404 || status === 405) return SUBACK.topicFilterInvalid;
	if (status === 413 || status === 429) return SUBACK.quotaExceeded;
	return status >= 500 || status === 0 ? SUBACK.unspecified : SUBACK.implementationSpecific;
}

/** The CONNACK code pair (MQTT 5, MQTT 3.1.1) that carries the MQTT 5 `code`. */
export function connackCodes(code: number): { v5: number; v4: number } {
	return Object.values(CONNACK).find((pair) => pair.v5 === code) ?? CONNACK.unspecified;
}
