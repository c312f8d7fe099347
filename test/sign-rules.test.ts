import { describe, expect, it } from 'vitest';
import {
	DEFAULT_SETTINGS,
	SIGN_RULES,
	applyChange,
	checkChange,
	checkSignId,
	decidePresetWrite,
	decideWrite,
	flashOf,
	orderingOf,
	presetNamed,
	shouldShow,
	shownChangeOf,
	transientMessage,
	type LedSignRecord,
	type ShownChange,
} from '../src/shared/sign-rules.ts';
import {
	HISTORY_RULES,
	checkHistoryQuery,
	entryPosition,
	historyEntry,
	historyPage,
	pageRange,
	revertChange,
	type HistoryEntry,
} from '../src/shared/history.ts';

const NOW = new Date('2026-01-02T03:04:05.000Z');
const stored: LedSignRecord = {
	id: 'lobby',
	text: 'Hello',
	color: '#00ff00',
	brightness: 80,
	power: true,
	effect: 'scroll',
	speed: 7,
	version: 4,
	updatedAt: '2026-01-01T00:00:00.000Z',
};

function errorsOf(input: unknown, id = 'lobby'): Record<string, string> {
	const result = checkChange(input, id);
	return result.ok ? {} : result.errors;
}

describe('sign ids', () => {
	it.each(['lobby', 'A-1_b', 'x', 'a'.repeat(32)])('accepts %s', (id) => {
		expect(checkSignId(id)).toBeUndefined();
	});

	it.each([
		['a/b', 'may contain only'],
		['a+b', 'may contain only'],
		['a#b', 'may contain only'],
		['..', 'may contain only'],
		['', 'must not be empty'],
		['a'.repeat(33), 'at most 32'],
		[undefined, 'is required'],
		[42, 'must be a string'],
	])('refuses %j', (id, reason) => {
		expect(checkSignId(id)).toContain(reason);
	});
});

describe('field checks', () => {
	it('accepts every field at its limits and lower-cases colours', () => {
		const input = { text: '~'.repeat(128), color: '#ABCDEF', brightness: 100, power: false, effect: 'blink', speed: 1 };
		const result = checkChange(input, 'lobby');
		expect(result).toEqual({ ok: true, value: { settings: { ...input, color: '#abcdef' } } });
	});

	it.each([
		[{ brightness: '50' }, 'brightness', 'must be an integer from 0 to 100'],
		[{ brightness: 101 }, 'brightness', 'from 0 to 100 (got 101)'],
		[{ brightness: -1 }, 'brightness', 'from 0 to 100'],
		[{ brightness: 50.5 }, 'brightness', 'integer'],
		[{ brightness: 1e309 }, 'brightness', 'got Infinity'],
		[{ speed: 0 }, 'speed', 'from 1 to 10'],
		[{ speed: 11 }, 'speed', 'from 1 to 10'],
		[{ power: 'on' }, 'power', 'true or false'],
		[{ effect: 'spin' }, 'effect', 'one of static, scroll, blink'],
		[{ color: 'red' }, 'color', '#rrggbb'],
		[{ color: '#fff' }, 'color', '#rrggbb'],
		[{ text: 5 }, 'text', 'must be a string'],
		[{ text: 'x'.repeat(129) }, 'text', '129 characters, at most 128'],
		[{ text: 'café' }, 'text', 'U+00E9) at position 3'],
		[{ text: 'a\u0000b' }, 'text', 'U+0000'],
		[{ text: 'line\nbreak' }, 'text', 'U+000A'],
		[{ text: '😀' }, 'text', 'U+1F600'],
		[{ font: 'big' }, 'font', 'is not a sign field'],
		[JSON.parse('{"__proto__": {"polluted": true}}'), '__proto__', 'is not a sign field'],
		[{ constructor: 'x' }, 'constructor', 'is not a sign field'],
		[{ id: 'other' }, 'id', 'must match the sign being written'],
		[{ version: 'x' }, 'version', 'integer version'],
		['hello', 'body', 'must be a JSON object'],
		[[1, 2], 'body', 'got an array'],
		[null, 'body', 'got null'],
		[undefined, 'body', 'got undefined'],
	])('refuses %j naming %s', (input, field, reason) => {
		expect(errorsOf(input)[field]).toContain(reason);
		expect(({} as Record<string, unknown>).polluted).toBeUndefined();
	});

	it('names every bad field at once', () => {
		expect(Object.keys(errorsOf({ brightness: 500, effect: 'spin', color: 'red', extra: 1 })).sort()).toEqual([
			'brightness',
			'color',
			'effect',
			'extra',
		]);
	});

	it('lets a client echo back the server fields of a record it read', () => {
		const result = checkChange({ ...stored, text: 'Bye' }, 'lobby');
		expect(result.ok && result.value).toEqual({
			settings: { text: 'Bye', color: '#00ff00', brightness: 80, power: true, effect: 'scroll', speed: 7 },
			basedOn: 4,
		});
	});
});

describe('applying a change', () => {
	it('replace fills missing fields with the defaults', () => {
		expect(applyChange(stored, { text: 'Hi' }, 'replace')).toEqual({ ...DEFAULT_SETTINGS, text: 'Hi' });
	});

	it('merge keeps the fields the change does not name', () => {
		expect(applyChange(stored, { text: 'Hi' }, 'merge')).toEqual({
			text: 'Hi',
			color: '#00ff00',
			brightness: 80,
			power: true,
			effect: 'scroll',
			speed: 7,
		});
	});

	it('merge onto a sign that does not exist starts from the defaults', () => {
		expect(applyChange(undefined, { power: false }, 'merge')).toEqual({ ...DEFAULT_SETTINGS, power: false });
	});

	it('keeps an empty text (a blank sign) rather than taking the default', () => {
		expect(applyChange(stored, { text: '' }, 'merge').text).toBe('');
	});
});

describe('deciding a write', () => {
	it('stores the next version with the time of the change', () => {
		const decision = decideWrite('lobby', stored, { brightness: 10 }, 'merge', NOW);
		expect(decision).toEqual({
			ok: true,
			record: { ...stored, brightness: 10, version: 5, updatedAt: NOW.toISOString() },
		});
	});

	it('starts a new sign at version 1', () => {
		const decision = decideWrite('new', undefined, {}, 'replace', NOW);
		expect(decision.ok && decision.record).toEqual({
			id: 'new',
			...DEFAULT_SETTINGS,
			version: 1,
			updatedAt: NOW.toISOString(),
		});
	});

	it('refuses a change based on an older version', () => {
		const decision = decideWrite('lobby', stored, { text: 'x', version: 3 }, 'merge', NOW);
		expect(decision).toMatchObject({ ok: false, reason: 'conflict' });
	});

	it('refuses to create a sign that exists', () => {
		expect(decideWrite('lobby', stored, {}, 'create', NOW)).toMatchObject({ ok: false, reason: 'conflict' });
		expect(decideWrite('lobby', undefined, {}, 'create', NOW).ok).toBe(true);
	});

	it('refuses a bad id before anything else', () => {
		expect(decideWrite('a/b', undefined, { text: 'x' }, 'replace', NOW)).toMatchObject({
			ok: false,
			reason: 'invalid',
			errors: { id: expect.stringContaining('may contain only') },
		});
	});

	it('keeps a full record within an ESP32 1 KB MQTT buffer', () => {
		const decision = decideWrite(
			'a'.repeat(32),
			undefined,
			{ text: '"'.repeat(SIGN_RULES.text.maxLength) },
			'replace',
			NOW
		);
		expect(decision.ok && JSON.stringify(decision.record).length).toBeLessThan(512);
	});
});

describe('the device rule (shouldShow)', () => {
	// Harper's commit timestamps: ms since 1970, fractional.
	const T = 1764604800123.457;
	const shown: ShownChange = { version: 5, commitTime: T };

	it('always shows a transient message, even one that looks older', () => {
		expect(shouldShow({ version: 1, commitTime: T - 1000, transient: true }, shown)).toBe(true);
		expect(shouldShow({ version: 1, transient: true }, { version: 5 })).toBe(true);
	});

	it('shows the first message after subscribing (or after a delete), whatever it carries', () => {
		expect(shouldShow({ version: 1 }, undefined)).toBe(true);
		expect(shouldShow({ version: 1, commitTime: 1 }, undefined)).toBe(true);
	});

	it('orders by commitTime when both carry one, down to its fraction', () => {
		expect(shouldShow({ version: 6, commitTime: T + 0.001 }, shown)).toBe(true);
		expect(shouldShow({ version: 5, commitTime: T }, shown)).toBe(false); // a repeated delivery
		expect(shouldShow({ version: 6, commitTime: T - 0.001 }, shown)).toBe(false); // committed earlier
	});

	it('shows a lower version committed later (a sign created again), ignores a higher one committed earlier', () => {
		expect(shouldShow({ version: 1, commitTime: T + 5 }, shown)).toBe(true);
		expect(shouldShow({ version: 9, commitTime: T - 5 }, shown)).toBe(false); // the losing side of a concurrent write
	});

	it('falls back to the version when the message has no commitTime (an older server)', () => {
		expect(shouldShow({ version: 6 }, shown)).toBe(true);
		expect(shouldShow({ version: 5 }, shown)).toBe(false);
		expect(shouldShow({ version: 4 }, shown)).toBe(false);
	});

	it('falls back to the version when the change shown has no commitTime', () => {
		expect(shouldShow({ version: 6, commitTime: 1 }, { version: 5 })).toBe(true);
		expect(shouldShow({ version: 5, commitTime: T + 5 }, { version: 5 })).toBe(false);
	});

	it('takes a null or non-finite commitTime for none', () => {
		const nullTime = JSON.parse('{"version":6,"commitTime":null}') as LedSignRecord;
		expect(orderingOf(nullTime, shown)).toEqual({ by: 'version', incoming: 6, shown: 5 });
		expect(orderingOf({ version: 6, commitTime: Number.NaN }, shown).by).toBe('version');
		expect(orderingOf({ version: 1, commitTime: T + 5 }, shown)).toEqual({
			by: 'commitTime',
			incoming: T + 5,
			shown: T,
		});
	});

	it('remembers a shown change by its version and its commitTime, if any', () => {
		expect(shownChangeOf({ ...stored, commitTime: T })).toEqual({ version: 4, commitTime: T });
		expect(shownChangeOf(stored)).toEqual({ version: 4 });
		expect(shownChangeOf(JSON.parse('{"version":2,"commitTime":null}') as LedSignRecord)).toEqual({ version: 2 });
	});
});

describe('flashes', () => {
	it('are asked for with "transient": true only; the rest is the change to check', () => {
		expect(flashOf({ transient: true, text: 'Fire drill' })).toEqual({ text: 'Fire drill' });
		expect(flashOf({ transient: false, text: 'x' })).toBeUndefined();
		expect(flashOf({ transient: 'true' })).toBeUndefined();
		expect(flashOf({ text: 'x' })).toBeUndefined();
		expect(flashOf(['transient'])).toBeUndefined();
	});

	it('keep a "__proto__" key a field (refused as unknown), not a prototype', () => {
		const flash = flashOf(JSON.parse('{"transient":true,"__proto__":{"polluted":1}}'));
		expect(Object.getPrototypeOf(flash)).toBe(Object.prototype);
		expect(errorsOf(flash)).toHaveProperty('__proto__');
	});

	it('are refused in a stored change, naming transient and saying how to flash', () => {
		expect(errorsOf({ transient: true, text: 'x' }).transient).toMatch(/never stored: send it with PATCH/);
		expect(errorsOf({ transient: false }).transient).toMatch(/must be true.*\(got false\)/);
	});

	it('deliver the whole look with the stored version and time, marked transient', () => {
		const accepted = { ...stored, text: 'Flash', version: 5, updatedAt: NOW.toISOString() };
		expect(transientMessage(accepted, stored)).toEqual({ ...stored, text: 'Flash', transient: true });
	});
});

describe('presets', () => {
	const look = { text: 'OPEN', color: '#00ff00', brightness: 70, power: true, effect: 'static', speed: 4 } as const;
	const presets = new Map([['open', look]]);

	it('are full looks: a replace must give every field, and a merge may give some', () => {
		const partial = decidePresetWrite('open', undefined, { text: 'x' }, 'replace', NOW);
		expect(partial).toMatchObject({ ok: false, reason: 'invalid' });
		expect(Object.keys(partial.ok ? {} : partial.errors).sort()).toEqual([
			'brightness',
			'color',
			'effect',
			'power',
			'speed',
		]);
		const created = decidePresetWrite('open', undefined, { ...look, color: '#00FF00' }, 'create', NOW);
		expect(created).toEqual({ ok: true, record: { id: 'open', ...look, version: 1, updatedAt: NOW.toISOString() } });
		const merged = decidePresetWrite('open', created.ok ? created.record : undefined, { speed: 9 }, 'merge', NOW);
		expect(merged.ok && merged.record).toMatchObject({ ...look, speed: 9, version: 2 });
		expect(decidePresetWrite('open', undefined, { speed: 9 }, 'merge', NOW)).toMatchObject({ ok: false });
	});

	it('are checked by the sign rules, with their own noun, and never flashed or applied to each other', () => {
		const decision = decidePresetWrite(
			'open',
			undefined,
			{ ...look, brightness: 101, preset: 'x', id: 'y' },
			'replace'
		);
		expect(decision.ok ? {} : decision.errors).toEqual({
			brightness: 'must be an integer from 0 to 100 (got 101)',
			preset: expect.stringMatching(/is not a preset field/) as string,
			id: 'must match the preset being written ("open") or be left out',
		});
		const flash = decidePresetWrite('open', undefined, { ...look, transient: true }, 'replace');
		expect(flash.ok ? {} : flash.errors.transient).toMatch(/never flashed/);
		expect(decidePresetWrite('a/b', undefined, look, 'replace')).toMatchObject({ errors: { id: expect.any(String) } });
	});

	it('are applied to a sign in one change: the preset look, overridden by the change, one version more', () => {
		const decision = decideWrite('lobby', stored, { preset: 'open', speed: 1 }, 'merge', NOW, { presets });
		expect(decision).toEqual({
			ok: true,
			record: { id: 'lobby', ...look, speed: 1, version: 5, updatedAt: NOW.toISOString() },
		});
		const created = decideWrite('new', undefined, { preset: 'open' }, 'create', NOW, { presets });
		expect(created.ok && created.record).toMatchObject({ ...look, version: 1 });
	});

	it('that do not exist, or are no preset id, are refused naming preset', () => {
		expect(decideWrite('lobby', stored, { preset: 'shut' }, 'merge', NOW, { presets })).toEqual({
			ok: false,
			reason: 'unresolved',
			errors: { preset: 'there is no preset "shut"' },
		});
		expect(decideWrite('lobby', stored, { preset: 'open' }, 'merge', NOW)).toMatchObject({ reason: 'unresolved' });
		for (const preset of [3, '', 'a/b', null]) {
			const refused = decideWrite('lobby', stored, { preset }, 'merge', NOW, { presets });
			expect(refused).toMatchObject({ ok: false, reason: 'invalid', errors: { preset: expect.any(String) } });
		}
	});

	it('are named for the server to read first only when the name could be a preset', () => {
		expect(presetNamed({ preset: 'open', text: 'x' })).toBe('open');
		expect(presetNamed({ preset: '../x' })).toBeUndefined();
		expect(presetNamed({ preset: 3 })).toBeUndefined();
		expect(presetNamed('open')).toBeUndefined();
	});
});

describe('history entries', () => {
	const after = { ...stored, text: 'after', version: 5, updatedAt: NOW.toISOString() };
	const facts = { sign: 'lobby', position: entryPosition(1795940000000.1235, 'ab12'), now: NOW, user: 'alice' };

	it('are ordered, as text, by commit time down to the microsecond', () => {
		const times = [1795940000000, 1795940000000.001, 1795940000000.0021, 1795940000001, 1795949999999.999];
		const positions = times.map((time) => entryPosition(time, 'zzzz'));
		expect([...positions].sort()).toEqual(positions);
		expect(new Set(positions).size).toBe(times.length);
		expect(entryPosition(1795940000000.125, 'ab12')).toBe('01795940000000125000-ab12');
	});

	it('say what a change did: create, change or delete, with the look after it (before it, for a delete)', () => {
		const base = { ...facts, protocol: 'mqtt' as const };
		expect(historyEntry({ ...base, before: undefined, after: stored })).toMatchObject({ action: 'create', version: 4 });
		expect(historyEntry({ ...base, before: stored, after, preset: 'open' })).toEqual({
			id: `lobby/${facts.position}`,
			sign: 'lobby',
			version: 5,
			at: NOW.toISOString(),
			user: 'alice',
			protocol: 'mqtt',
			action: 'change',
			preset: 'open',
			state: { text: 'after', color: '#00ff00', brightness: 80, power: true, effect: 'scroll', speed: 7 },
		});
		const later = new Date('2026-02-01T00:00:00.000Z');
		expect(historyEntry({ ...base, now: later, before: after, after: undefined })).toMatchObject({
			action: 'delete',
			version: 5,
			at: later.toISOString(),
			state: { text: 'after' },
		});
		expect(historyEntry({ ...base, before: undefined, after: undefined })).toBeUndefined();
	});

	it('are paged by a checked query: limit within the rules, before a cursor, nothing else', () => {
		expect(checkHistoryQuery([])).toEqual({ ok: true, value: { limit: HISTORY_RULES.defaultLimit } });
		const cursor = entryPosition(1795940000000, 'abcd');
		expect(
			checkHistoryQuery([
				['limit', '5'],
				['before', cursor],
			])
		).toEqual({ ok: true, value: { limit: 5, before: cursor } });
		const bad = checkHistoryQuery([
			['limit', '0'],
			['before', 'x'],
			['order', 'asc'],
		]);
		expect(bad.ok ? [] : Object.keys(bad.errors)).toEqual(['limit', 'before', 'order']);
		expect(checkHistoryQuery([['limit', String(HISTORY_RULES.maxLimit + 1)]]).ok).toBe(false);
	});

	it("read one sign's id range, and answer a cursor only when there is more", () => {
		expect(pageRange('lobby', { limit: 3 })).toEqual({ from: 'lobby/', to: 'lobby0' });
		expect(pageRange('lobby', { limit: 3, before: 'p' })).toEqual({ from: 'lobby/', to: 'lobby/p' });
		// 'lobby-2/...' sorts before 'lobby/' and 'lobbyx/...' after 'lobby0': neither is in the range.
		expect(['lobby-2/x' < 'lobby/', 'lobbyx/x' > 'lobby0']).toEqual([true, true]);
		const entry = (position: string): HistoryEntry => ({
			...historyEntry({ ...facts, position, protocol: 'rest', before: stored, after })!,
			id: `lobby/${position}`,
		});
		const read = ['c', 'b', 'a'].map(entry);
		expect(historyPage('lobby', read, { limit: 2 })).toEqual({ sign: 'lobby', entries: read.slice(0, 2), next: 'b' });
		expect(historyPage('lobby', read, { limit: 3 }).next).toBeNull();
	});

	it('are reverted by an ordinary compare-and-set change of their look', () => {
		const entry = historyEntry({ ...facts, protocol: 'rest', before: stored, after })!;
		expect(revertChange(entry, 9)).toEqual({ ...entry.state, version: 9 });
		expect(checkChange(revertChange(entry, 9), 'lobby').ok).toBe(true);
	});
});
