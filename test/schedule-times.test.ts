/**
 * When a schedule fires (src/schedules/times.ts), as pure functions: one-shots, weekdays in named time zones, the
 * daylight-saving gap and overlap, zones with half-hour offsets, catching up after the server was down, and the
 * field errors of a bad time. No Harper.
 */
import { describe, expect, it } from 'vitest';
import {
	SCHEDULE_TIME_RULES,
	checkScheduleTime,
	dueFiring,
	firingKey,
	firingsBetween,
	nextFiring,
	type Recurring,
} from '../src/schedules/times.ts';

const at = (iso: string): Date => new Date(iso);
const iso = (date: Date | undefined): string | undefined => date?.toISOString();
const daily = (time: string, zone: string): Recurring => ({
	days: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'],
	time,
	zone,
});

describe('a recurring time in a named zone', () => {
	it('fires at the wall-clock time of the zone, on the days named only', () => {
		const weekdays: Recurring = { days: ['mon', 'tue', 'wed', 'thu', 'fri'], time: '08:00', zone: 'Europe/Berlin' };
		// Friday 2027-01-08, 09:00 in Berlin (08:00Z): the next is Monday 08:00 CET, 07:00Z.
		expect(iso(nextFiring(weekdays, at('2027-01-08T08:00:00Z')))).toBe('2027-01-11T07:00:00.000Z');
		expect(iso(nextFiring(weekdays, at('2027-07-08T12:00:00Z')))).toBe('2027-07-09T06:00:00.000Z'); // CEST
	});

	it('follows zones with half-hour offsets and southern-hemisphere summer time', () => {
		expect(iso(nextFiring(daily('08:00', 'Asia/Kolkata'), at('2027-01-01T00:00:00Z')))).toBe(
			'2027-01-01T02:30:00.000Z'
		);
		// Sydney is on summer time (UTC+11) in January and on standard time (UTC+10) in July.
		expect(iso(nextFiring(daily('18:00', 'Australia/Sydney'), at('2027-01-10T00:00:00Z')))).toBe(
			'2027-01-10T07:00:00.000Z'
		);
		expect(iso(nextFiring(daily('18:00', 'Australia/Sydney'), at('2027-07-10T00:00:00Z')))).toBe(
			'2027-07-10T08:00:00.000Z'
		);
	});

	it('fires a time that the spring-forward gap skips when the gap ends, once', () => {
		// Berlin, 2027-03-28: 02:00 CET jumps to 03:00 CEST, so 02:30 does not exist that day.
		const night = daily('02:30', 'Europe/Berlin');
		const firings = firingsBetween(night, at('2027-03-27T00:00:00Z'), at('2027-03-29T12:00:00Z'));
		expect(firings.map(iso)).toEqual([
			'2027-03-27T01:30:00.000Z', // 02:30 CET
			'2027-03-28T01:00:00.000Z', // the gap's end, 03:00 CEST
			'2027-03-29T00:30:00.000Z', // 02:30 CEST
		]);
	});

	it('fires a time that the fall-back overlap repeats at its first occurrence, once', () => {
		// Berlin, 2027-10-31: 03:00 CEST falls back to 02:00 CET, so 02:30 happens twice that night.
		const night = daily('02:30', 'Europe/Berlin');
		const firings = firingsBetween(night, at('2027-10-30T12:00:00Z'), at('2027-11-01T12:00:00Z'));
		expect(firings.map(iso)).toEqual(['2027-10-31T00:30:00.000Z', '2027-11-01T01:30:00.000Z']);
	});

	it('keeps New York’s 08:00 at 08:00 across its own change of clocks', () => {
		const morning = daily('08:00', 'America/New_York');
		const firings = firingsBetween(morning, at('2027-03-13T00:00:00Z'), at('2027-03-15T00:00:00Z'));
		expect(firings.map(iso)).toEqual(['2027-03-13T13:00:00.000Z', '2027-03-14T12:00:00.000Z']); // EST, then EDT
	});
});

describe('a one-shot', () => {
	it('fires once, at its instant, and never after', () => {
		const once = { at: '2027-05-01T09:00:00+02:00' };
		expect(iso(nextFiring(once, at('2027-05-01T06:00:00Z')))).toBe('2027-05-01T07:00:00.000Z');
		expect(nextFiring(once, at('2027-05-01T07:00:00Z'))).toBeUndefined();
	});
});

describe('catching up after the server was down', () => {
	const morning = daily('08:00', 'Europe/Berlin');

	it('applies a firing that is due and not later than the limit, saying how late', () => {
		const due = dueFiring(morning, at('2027-02-01T06:00:00Z'), at('2027-02-01T07:10:00Z'));
		expect(due).toEqual({ due: at('2027-02-01T07:00:00Z'), lateSeconds: 600 });
	});

	it('skips a firing later than the limit, and after a long outage applies at most the latest one', () => {
		const limit = SCHEDULE_TIME_RULES.maxLateSeconds;
		expect(dueFiring(morning, at('2027-02-01T06:00:00Z'), at('2027-02-01T07:00:00Z'))).toEqual({
			due: at('2027-02-01T07:00:00Z'),
			lateSeconds: 0,
		});
		expect(
			dueFiring(
				morning,
				at('2027-02-01T06:00:00Z'),
				new Date(at('2027-02-01T07:00:00Z').getTime() + (limit + 1) * 1000)
			)
		).toBeUndefined();
		// Down for a year: only the firing inside the window counts.
		expect(dueFiring(morning, at('2026-02-01T06:00:00Z'), at('2027-02-01T07:05:00Z'))?.due).toEqual(
			at('2027-02-01T07:00:00Z')
		);
	});

	it('finds nothing due when nothing fell between the last look and now', () => {
		expect(dueFiring(morning, at('2027-02-01T07:00:00Z'), at('2027-02-01T07:05:00Z'))).toBeUndefined();
	});

	it('names one firing with the same key wherever it is found', () => {
		expect(firingKey('cafe-open', at('2027-02-01T07:00:00Z'))).toBe('cafe-open/2027-02-01T07:00:00.000Z');
	});
});

describe('a bad schedule time', () => {
	it.each([
		[{ at: '2027-05-01T09:00:00' }, 'at'],
		[{ at: 'tomorrow' }, 'at'],
		[{ at: '2027-05-01T09:00:00Z', zone: 'UTC' }, 'zone'],
		[{ days: [], time: '08:00', zone: 'UTC' }, 'days'],
		[{ days: ['monday'], time: '08:00', zone: 'UTC' }, 'days'],
		[{ days: ['mon', 'mon'], time: '08:00', zone: 'UTC' }, 'days'],
		[{ days: ['mon'], time: '8:00', zone: 'UTC' }, 'time'],
		[{ days: ['mon'], time: '24:00', zone: 'UTC' }, 'time'],
		[{ days: ['mon'], time: '08:00', zone: 'Mars/Olympus' }, 'zone'],
		[{ days: ['mon'], time: '08:00', zone: 'UTC', every: 5 }, 'every'],
		['08:00', 'when'],
	])('%j is refused naming %s', (input, field) => {
		const checked = checkScheduleTime(input);
		expect(checked.ok).toBe(false);
		if (!checked.ok) expect(Object.keys(checked.errors)).toContain(field);
	});

	it('accepts a good one of each kind', () => {
		expect(checkScheduleTime({ at: '2027-05-01T09:00:00+02:00' })).toEqual({
			ok: true,
			value: { at: '2027-05-01T09:00:00+02:00' },
		});
		expect(checkScheduleTime({ days: ['sat', 'sun'], time: '10:30', zone: 'Europe/Lisbon' }).ok).toBe(true);
	});
});
