/**
 * The table of MQTT reason codes docs/security.md shows, made from the codes src/harper/mqtt-reason-codes.ts
 * sends: the codes come from there, only what each one means to a client is written here. Each meaning is keyed
 * by the code's name in that module, so a code added there fails to type-check here until it is described (or
 * marked as one Marquee never chooses), and the docs test fails until docs/security.md shows it.
 */
import { CONNACK, DISCONNECT, PUBACK, SUBACK } from '../../src/harper/mqtt-reason-codes.ts';
import { readMarkdown, sentences, type Found } from './markdown.ts';

/** What a client is told by each code; `null` for a code in the module that Marquee never chooses itself. */
type Meanings<Codes> = Record<keyof Codes, string | null>;

const PUBACK_MEANINGS: Meanings<typeof PUBACK> = {
	notAuthorized:
		'not authorized (also an empty retained payload, to Harper a delete, from an account that may not delete)',
	payloadFormatInvalid:
		'payload format invalid (not JSON, a field the rules refuse, an empty retained payload from an account that may delete)',
	quotaExceeded: 'quota exceeded (a rate or size limit)',
	implementationSpecific:
		'not accepted here (a version conflict, a non-retained publish where only retained ones are, a resource that takes no publishes)',
	topicNameInvalid: 'a topic that cannot name a sign',
	unspecified:
		'a server error, or Marquee refusing everything while it runs misconfigured (`src/harper/production-guard.ts`)',
};

const SUBACK_MEANINGS: Meanings<typeof SUBACK> = {
	notAuthorized: 'not authorized',
	topicFilterInvalid: 'a topic this server does not stream',
	quotaExceeded: 'too many subscriptions',
	implementationSpecific: 'any other refusal',
	unspecified:
		'a server error, or Marquee refusing everything while it runs misconfigured (`src/harper/production-guard.ts`)',
};

const CONNACK_MEANINGS: Meanings<typeof CONNACK> = {
	badCredentials: 'bad user name or password',
	quotaExceeded: 'connection quota',
	connectionRateExceeded: 'connection rate exceeded (too many failed logins)',
	unspecified: 'any other refusal',
	// connackCodes() maps it should Harper choose it; no refusal of Marquee's does.
	notAuthorized: null,
};

const DISCONNECT_MEANINGS: Meanings<typeof DISCONNECT> = {
	packetTooLarge: 'packet too large',
	messageRateTooHigh: 'message rate too high (published again before the wait it was given was over)',
};

const hex = (code: number): string => `0x${code.toString(16).toUpperCase().padStart(2, '0')}`;

/** "0x87 not authorized; 0x99 …", in the order of the meanings, leaving out the codes Marquee never chooses. */
function cell<Codes>(codes: Codes, meanings: Meanings<Codes>, code: (value: Codes[keyof Codes]) => string): string {
	const described = Object.entries(meanings) as [keyof Codes, string | null][];
	return described
		.filter((entry): entry is [keyof Codes, string] => entry[1] !== null)
		.map(([name, meaning]) => `${code(codes[name])} ${meaning}`)
		.join('; ');
}

/** The 3.1.1 CONNACK return codes, each with the refusals that share it: "4 bad …; 3 connection quota, …". */
function byReturnCode(): string {
	const refusals = new Map<number, string[]>();
	for (const [name, meaning] of Object.entries(CONNACK_MEANINGS) as [keyof typeof CONNACK, string | null][])
		if (meaning !== null) refusals.set(CONNACK[name].v4, [...(refusals.get(CONNACK[name].v4) ?? []), meaning]);
	return [...refusals].map(([code, meanings]) => `${code} ${meanings.join(', ')}`).join('; ');
}

/** What an MQTT 3.1.1 client gets instead: its version has no code, or fewer codes, in each packet. */
const MQTT_3 = {
	PUBACK: 'no code: a refused publish looks accepted',
	SUBACK: '0x80 for every refusal',
	CONNACK: byReturnCode(),
	DISCONNECT: 'none: the connection closes',
};

/** The Markdown table docs/security.md carries between its mqtt-reason-codes markers. */
export function reasonCodesMarkdown(): string {
	const rows: [string, string, string][] = [
		['PUBACK', cell(PUBACK, PUBACK_MEANINGS, hex), MQTT_3.PUBACK],
		['SUBACK', cell(SUBACK, SUBACK_MEANINGS, hex), MQTT_3.SUBACK],
		['CONNACK', cell(CONNACK, CONNACK_MEANINGS, ({ v5 }) => hex(v5)), MQTT_3.CONNACK],
		['DISCONNECT', cell(DISCONNECT, DISCONNECT_MEANINGS, hex), MQTT_3.DISCONNECT],
	];
	return [
		'| packet | MQTT 5 | MQTT 3.1.1 |',
		'| --- | --- | --- |',
		...rows.map((row) => `| ${row.join(' | ')} |`),
	].join('\n');
}

type Packet = 'PUBACK' | 'SUBACK' | 'CONNACK' | 'DISCONNECT';

/** The MQTT 5 codes each packet can carry, as src/harper/mqtt-reason-codes.ts lists them. */
const CODES_BY_PACKET: Record<Packet, Set<number>> = {
	PUBACK: new Set(Object.values(PUBACK)),
	SUBACK: new Set(Object.values(SUBACK)),
	CONNACK: new Set(Object.values(CONNACK).map(({ v5 }) => v5)),
	DISCONNECT: new Set(Object.values(DISCONNECT)),
};

const ANY_PACKET = new Set(Object.values(CODES_BY_PACKET).flatMap((codes) => [...codes]));
const CODE_OR_PACKET = /\b(PUBACK|SUBACK|CONNACK|DISCONNECT)\b|\b0x([0-9A-Fa-f]{2})\b/g;

export interface CodeMention extends Found {
	/** The packet the sentence names last before the code, if any. */
	packet?: Packet;
}

/**
 * Each hex reason code in `markdown` (`0x97`) that src/harper/mqtt-reason-codes.ts does not list: for the packet
 * its sentence names just before it (`SUBACK 0x97`), or for any packet when the sentence names none.
 */
export function unknownReasonCodes(markdown: string): CodeMention[] {
	const unknown: CodeMention[] = [];
	for (const { text, line } of sentences(readMarkdown(markdown).prose)) {
		let packet: Packet | undefined;
		for (const [, named, code] of text.matchAll(CODE_OR_PACKET)) {
			if (named) packet = named as Packet;
			else if (!(packet ? CODES_BY_PACKET[packet] : ANY_PACKET).has(parseInt(code ?? '', 16)))
				unknown.push({ text: `0x${code ?? ''}`, line, packet });
		}
	}
	return unknown;
}
