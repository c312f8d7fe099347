/**
 * What came back from the server under attack, whatever the protocol, as one verdict; and whether that verdict,
 * and what the server stored, are what the input expects.
 */
import { checkField, SETTING_FIELDS } from '../../src/shared/sign-rules.ts';
import { hex } from '../../harness/mqtt-codes.ts';
import type { RestResponse } from '../../harness/clients.ts';

/** How the server answered, whatever the protocol: a change it took, refused as too large, or refused as invalid. */
export type Verdict = 'accepted' | 'tooLarge' | 'refused';

export interface Outcome {
	verdict: Verdict | 'unexpected';
	/** What the wire said: "HTTP 422", "PUBACK 0x97", "DISCONNECT 0x95", "ws close 1009". */
	detail: string;
}

export function httpOutcome(status: number): Outcome {
	const detail = `HTTP ${status}`;
	if (status >= 200 && status < 300) return { verdict: 'accepted', detail };
	if (status === 413) return { verdict: 'tooLarge', detail };
	if ([400, 405, 409, 422].includes(status)) return { verdict: 'refused', detail };
	return { verdict: 'unexpected', detail };
}

/**
 * PUBACK or DISCONNECT reason codes: 0x97 quota (size), 0x95 packet too large; refusals: 0x80 unspecified, 0x82
 * protocol error, 0x83 not accepted here, 0x87 not authorized, 0x90 topic name invalid, 0x99 payload invalid.
 */
export function mqttOutcome(packet: 'PUBACK' | 'DISCONNECT', code: number): Outcome {
	const detail = `${packet} ${hex(code)}`;
	if (packet === 'PUBACK' && code === 0) return { verdict: 'accepted', detail };
	if (code === 0x97 || code === 0x95) return { verdict: 'tooLarge', detail };
	if ([0x80, 0x82, 0x83, 0x87, 0x90, 0x99].includes(code)) return { verdict: 'refused', detail };
	return { verdict: 'unexpected', detail };
}

/** A WebSocket error message carries an HTTP status; a close, ws's code (1009 too big, 1007 not UTF-8). */
export function wsOutcome(answer: { statusCode?: number; close?: number }): Outcome {
	if (answer.close !== undefined) {
		const detail = `ws close ${answer.close}`;
		if (answer.close === 1009) return { verdict: 'tooLarge', detail };
		return { verdict: answer.close === 1007 ? 'refused' : 'unexpected', detail };
	}
	if (answer.statusCode === undefined) return { verdict: 'accepted', detail: 'ws change event' };
	return { ...httpOutcome(answer.statusCode), detail: `ws error ${answer.statusCode}` };
}

const RECORD_KEYS = ['id', ...SETTING_FIELDS, 'version', 'updatedAt', 'commitTime'].sort();

/** Why a stored record is not a valid sign (a field the rules refuse, a key too many), or undefined. */
export function invalidity(record: unknown): string | undefined {
	if (typeof record !== 'object' || record === null) return `not a record: ${JSON.stringify(record)}`;
	const sign = record as Record<string, unknown>;
	if (JSON.stringify(Object.keys(sign).sort()) !== JSON.stringify(RECORD_KEYS))
		return `keys ${Object.keys(sign).join(', ')}`;
	for (const field of SETTING_FIELDS) {
		const problem = checkField(field, sign[field]);
		if (problem) return `${field} ${problem}`;
	}
	if (!Number.isInteger(sign.version) || (sign.version as number) < 1) return `version ${String(sign.version)}`;
	if (typeof sign.commitTime !== 'number') return `commitTime ${String(sign.commitTime)}`;
	return undefined;
}

/** Compares what the server answered with what the input expects; and what it stored with the answer. */
export function judge(
	expected: Verdict,
	outcome: Outcome,
	before: RestResponse,
	after: RestResponse,
	transient: boolean
): string | undefined {
	if (outcome.verdict !== expected) return `expected ${expected}, got ${outcome.detail}`;
	const stored = after.status === 200 ? after.body : undefined;
	if (outcome.verdict !== 'accepted' || transient) {
		if (after.status !== before.status || JSON.stringify(after.body) !== JSON.stringify(before.body)) {
			return `refused (${outcome.detail}) but the sign changed: ${JSON.stringify(after.body).slice(0, 200)}`;
		}
		return undefined;
	}
	const problem = invalidity(stored);
	return problem ? `accepted, and stored an invalid sign: ${problem}` : undefined;
}
