/**
 * The hostile inputs of test/hostile-input.test.ts, as data: payloads by category with what every protocol must
 * answer, the signs every injection tries to reach, and the injected paths and topics.
 */
import { ABUSE_LIMITS } from '../../src/admission/limits.ts';
import type { Verdict } from './verdicts.ts';

const APP_LIMIT = ABUSE_LIMITS.messageBytes;

/** Signs the attacker never addresses on purpose; every injection tries to reach them. `other` is the id `?id=` names. */
export const GUARDED: Record<string, object> = {
	'hi-guard-1': { text: 'GUARDED ONE', color: '#123456', brightness: 11, power: true, effect: 'blink', speed: 3 },
	'hi-guard-2': { text: 'guarded two', color: '#abcdef', brightness: 99, power: false, effect: 'scroll', speed: 9 },
	'other': { text: 'the other sign', brightness: 42 },
};
// Offline: the server itself takes a status offline when no connection vouches for its "online" (src/presence).
export const GUARDED_STATUS = { online: false, shownVersion: 1, firmware: 'hi-guard', width: 32, height: 8 };

export type Payload = string | Buffer;

export interface HostileInput {
	name: string;
	payload: Payload;
	/** What every protocol must answer. `accepted` only where the JSON, once parsed, is a valid change. */
	expect: Verdict;
	/**
	 * Where REST differs: MQTT and WebSocket cap a message's bytes before it is parsed, but Harper parses a REST
	 * body (up to its own 10 MB cap) before the app measures it, so a body the parser cannot take is a 400 first.
	 */
	overRest?: Verdict;
}

const bytes = (...parts: (string | number[])[]): Buffer<ArrayBufferLike> =>
	Buffer.concat(parts.map((part) => (typeof part === 'string' ? Buffer.from(part, 'utf8') : Buffer.from(part))));
const text = (length: number): string => JSON.stringify({ text: 'x'.repeat(length) });
const deepArray = (depth: number): string => `{"text":${'['.repeat(depth)}${']'.repeat(depth)}}`;
const deepObject = (depth: number): string => `{"text":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}`;
const numbers = (field: string, values: string[]): HostileInput[] =>
	values.map((value) => ({ name: `${field} ${value}`, payload: `{"${field}":${value}}`, expect: 'refused' }));

export const CORPUS: Record<string, HostileInput[]> = {
	'oversize': [
		{ name: '1.5 MB text', payload: text(1_500_000), expect: 'tooLarge' },
		{ name: "12 MB text (over Harper's own 10 MB REST body cap)", payload: text(12_000_000), expect: 'tooLarge' },
		{
			name: '1.5 MB of keys',
			payload: `{${Array.from({ length: 150_000 }, (_, i) => `"k${i}":1`).join(',')}}`,
			expect: 'tooLarge',
		},
		{ name: '20 KB text (over the packet limit too)', payload: text(20_000), expect: 'tooLarge' },
		{ name: '17 KB text (just over the message limit)', payload: text(APP_LIMIT + 600), expect: 'tooLarge' },
	],
	'deep nesting': [
		{ name: 'arrays 5 000 deep (10 KB)', payload: deepArray(5000), expect: 'refused' },
		{ name: 'arrays 8 000 deep, never closed', payload: `{"text":${'['.repeat(8000)}`, expect: 'refused' },
		{ name: 'objects 2 000 deep (12 KB)', payload: deepObject(2000), expect: 'refused' },
		{ name: 'arrays 100 000 deep (200 KB)', payload: deepArray(100_000), expect: 'tooLarge', overRest: 'refused' },
		{ name: 'objects 100 000 deep (600 KB)', payload: deepObject(100_000), expect: 'tooLarge', overRest: 'refused' },
	],
	'invalid UTF-8': [
		{ name: '0xff 0xfe in text', payload: bytes('{"text":"', [0xff, 0xfe], '"}'), expect: 'refused' },
		{ name: 'overlong "/" (0xc0 0xaf)', payload: bytes('{"text":"a', [0xc0, 0xaf], '"}'), expect: 'refused' },
		{ name: 'overlong NUL (0xc0 0x80)', payload: bytes('{"text":"a', [0xc0, 0x80], '"}'), expect: 'refused' },
		{
			name: 'encoded surrogate (0xed 0xa0 0x80)',
			payload: bytes('{"text":"', [0xed, 0xa0, 0x80], '"}'),
			expect: 'refused',
		},
		{ name: 'truncated sequence', payload: bytes('{"text":"a', [0xe2, 0x82], '"}'), expect: 'refused' },
		{ name: 'invalid bytes in a key', payload: bytes('{"te', [0xff], 'xt":"a"}'), expect: 'refused' },
		{ name: 'lone surrogate escape \\ud800', payload: '{"text":"\\ud800"}', expect: 'refused' },
		{ name: 'lone surrogate escape in a key', payload: '{"\\udc00":"a"}', expect: 'refused' },
		{ name: 'no UTF-8 at all', payload: bytes([0xff, 0xfe, 0xfd, 0xfc]), expect: 'refused' },
		{
			name: 'UTF-16 with a BOM',
			payload: Buffer.concat([Buffer.of(0xff, 0xfe), Buffer.from('{"text":"hi"}', 'utf16le')]),
			expect: 'refused',
		},
	],
	'NUL bytes': [
		{ name: 'escaped NUL in text', payload: '{"text":"\\u0000"}', expect: 'refused' },
		{ name: 'raw NUL inside a string', payload: bytes('{"text":"a', [0], 'b"}'), expect: 'refused' },
		{ name: 'raw NUL after the JSON', payload: bytes('{"text":"a"}', [0]), expect: 'refused' },
		{ name: 'raw NUL before the JSON', payload: bytes([0], '{"text":"a"}'), expect: 'refused' },
		{ name: 'NUL in a key', payload: '{"te\\u0000xt":"a"}', expect: 'refused' },
		{ name: 'NUL in the body id', payload: '{"id":"hi\\u0000","text":"a"}', expect: 'refused' },
		{ name: '1 KB of NULs', payload: Buffer.alloc(1024), expect: 'refused' },
	],
	'huge numbers': [
		...numbers('brightness', ['1e400', '-1e400', '1e308', '123456789012345678901234567890', '9007199254740993']),
		...numbers('speed', ['1e400', '-1e308', '1.0000000001', '5e-324', '123456789012345678901234567890']),
		...numbers('version', ['1e400', '1e308', '123456789012345678901234567890', '9007199254740993', '-1']),
		...numbers('brightness', ['NaN', 'Infinity', '-Infinity', '0x10', '+5', '.5', '01']),
		{ name: 'brightness -0 (is 0)', payload: '{"brightness":-0}', expect: 'accepted' },
		{ name: 'speed 1.00000000000000001 (parses to 1)', payload: '{"speed":1.00000000000000001}', expect: 'accepted' },
		{ name: 'brightness 1e2 (is 100)', payload: '{"brightness":1e2}', expect: 'accepted' },
	],
	'prototype pollution': [
		{ name: '__proto__ with text', payload: '{"__proto__":{"polluted":true},"text":"x"}', expect: 'refused' },
		{
			name: 'constructor.prototype',
			payload: '{"constructor":{"prototype":{"polluted":true}},"text":"x"}',
			expect: 'refused',
		},
		{ name: '__proto__ null', payload: '{"text":"x","__proto__":null}', expect: 'refused' },
		{ name: 'nested __proto__', payload: '{"__proto__":{"__proto__":{"polluted":true}}}', expect: 'refused' },
		{ name: '__proto__ in a value', payload: '{"text":{"__proto__":{"polluted":true}}}', expect: 'refused' },
		{ name: 'prototype key', payload: '{"text":"x","prototype":{"polluted":true}}', expect: 'refused' },
		{ name: 'toString and valueOf', payload: '{"toString":"x","valueOf":1,"text":"x"}', expect: 'refused' },
		{ name: 'hasOwnProperty', payload: '{"hasOwnProperty":"x","text":"x"}', expect: 'refused' },
		{
			name: '__proto__ setting a field',
			payload: '{"__proto__":{"brightness":5,"text":"inherited"}}',
			expect: 'refused',
		},
	],
};

/** Addresses a REST, SSE or WebSocket client might be tricked into: only hi-inj may change through them. */
export const INJECTED_PATHS = [
	'/LedSign/..',
	'/LedSign/../SignStatus/hi-guard-1',
	'/LedSign/%2e%2e',
	'/LedSign/%2E%2E/SignStatus/hi-guard-1',
	'/LedSign/%252e%252e',
	'/LedSign/a%2Fb',
	'/LedSign/hi-guard-1%2F..',
	'/LedSign/a%00b',
	'/LedSign/hi-inj%00',
	'/LedSign/%00',
	'/LedSign/%ff%fe',
	`/LedSign/${'x'.repeat(33)}`,
	'/LedSign/a%23b',
	'/LedSign/a+b',
	'/LedSign/a%2Bb',
	'/LedSign/a%20b',
	'/LedSign/caf%C3%A9',
	'/LedSign/hi-inj?id=other',
	'/LedSign/hi-inj?id=hi-guard-1&text=pwned',
	'/LedSign/hi-inj;id=other',
	'/LedSign/hi-inj/extra',
	'/LedSign/hi-inj/..',
	'/LedSign//hi-guard-1',
	'/LedSign/hi-inj/../hi-guard-1',
	'/ledsign/hi-guard-1',
	'/SignStatus/hi-guard-1',
	`/LedSign/${'y'.repeat(60_000)}`,
];

/** Topics a raw MQTT client publishes to, bytes a conforming client would never send among them. */
export const TOPICS: Buffer[] = [
	'LedSign/../SignStatus/hi-guard-1',
	'LedSign/a/b',
	'LedSign/',
	'LedSign/+',
	'LedSign/#',
	'LedSign/hi-guard-1/..',
	'LedSign/..',
	'LedSign/%2e%2e',
	'LedSign/hi-guard-1/#',
	'+/hi-guard-1',
	'#',
	'LedSign',
	'ledsign/hi-guard-1',
	'/LedSign/hi-guard-1',
	'LedSign/hi-guard-1 ',
	'LedSign/a\u0000b',
	'LedSign/\u0000',
	'LedSign/hi-guard-1\u0000',
	`LedSign/${'x'.repeat(33)}`,
	'SignStatus/hi-guard-1',
	'SignStatus/../LedSign/hi-guard-1',
	'$SYS/hi-guard-1',
	'SignRules',
	`LedSign/${'z'.repeat(60_000)}`,
]
	.map((topic): Buffer => Buffer.from(topic))
	.concat([
		bytes('LedSign/', [0xff, 0xfe]),
		bytes('LedSign/hi-guard-1', [0xc0, 0xaf]),
		bytes('LedSign/', [0xed, 0xa0, 0x80]),
	]);

/** Paths a hand-written WebSocket handshake asks for. */
export const WS_PATHS = [
	'/LedSign/..',
	'/LedSign/../SignStatus/hi-guard-1',
	'/LedSign/%2e%2e',
	'/LedSign/a%2Fb',
	'/LedSign/hi-guard-1%2F..',
	'/LedSign/a%00b',
	'/LedSign/%ff',
	'/LedSign/?text=%E0%A4%A',
	`/LedSign/${'x'.repeat(33)}`,
	'/LedSign/caf%C3%A9',
	'/LedSign/hi-inj?id=hi-guard-1',
	'/LedSign/hi-inj/..',
	'/LedSign/hi-inj/../hi-guard-1',
];
