/**
 * When a schedule fires (issue 15, groundwork): a one-shot instant, or a wall-clock time on some days of the week in
 * a named IANA time zone. Time zones and daylight saving come from croner, which reads them from the runtime's Intl
 * data: no offsets or rules are written here. Pure apart from that: no I/O, no Harper, no timers; the scheduler
 * (to come) asks what is due and writes each firing under a key of its own, so that every thread and node that asks
 * the same question writes the same keyed record once.
 *
 * Daylight saving, as croner settles it (test/schedule-times.test.ts pins it down):
 * - a time that does not exist that day (the spring-forward gap) fires when the gap ends, once;
 * - a time that happens twice (the fall-back overlap) fires at its first occurrence, once.
 */
import { Cron } from 'croner';
import type { FieldErrors } from '../shared/sign-rules.ts';

export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** A one-shot: an ISO 8601 instant with its offset (`2027-03-28T08:00:00+02:00`) or `Z`. */
export interface OneShot {
	at: string;
}

/** A recurring time: `HH:MM` (24 h) on each of `days`, in `zone` (an IANA name such as `Europe/Berlin`). */
export interface Recurring {
	days: Weekday[];
	time: string;
	zone: string;
}

export type ScheduleTime = OneShot | Recurring;

export const SCHEDULE_TIME_RULES = Object.freeze({
	/** A firing this late (the server was down at its due time) is still applied when the server comes back. */
	maxLateSeconds: 15 * 60,
});

const TIME = /^([01]\d|2[0-3]):([0-5]\d)$/;
/** An instant with an explicit offset: a time without one would mean whatever zone the server runs in. */
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?(?:Z|[+-]\d{2}:\d{2})$/;

function isObject(value: unknown): value is Record<string, unknown> {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Whether the runtime knows `zone` as an IANA time zone. */
export function isTimeZone(zone: string): boolean {
	try {
		new Intl.DateTimeFormat('en', { timeZone: zone });
		return true;
	} catch {
		return false;
	}
}

function checkDays(days: unknown, errors: FieldErrors): Weekday[] {
	if (!Array.isArray(days) || days.length === 0) {
		errors.days = `must be a non-empty list of ${WEEKDAYS.join(', ')}`;
		return [];
	}
	const unknown = days.filter((day) => !(WEEKDAYS as readonly unknown[]).includes(day));
	if (unknown.length > 0)
		errors.days = `must each be one of ${WEEKDAYS.join(', ')} (got ${JSON.stringify(unknown[0])})`;
	else if (new Set(days).size !== days.length) errors.days = 'must not name a day twice';
	return days as Weekday[];
}

/** A schedule's time as a client sent it, checked: each problem named by its field. */
export function checkScheduleTime(
	input: unknown
): { ok: true; value: ScheduleTime } | { ok: false; errors: FieldErrors } {
	if (!isObject(input))
		return { ok: false, errors: { when: 'must be an object: {"at": ...} or {"days", "time", "zone"}' } };
	const errors: FieldErrors = {};
	if ('at' in input) {
		const { at } = input;
		for (const key of Object.keys(input)) if (key !== 'at') errors[key] = 'is not allowed with "at" (a one-shot)';
		if (typeof at !== 'string' || !INSTANT.test(at) || Number.isNaN(Date.parse(at))) {
			errors.at = 'must be an ISO 8601 instant with its offset, e.g. "2027-03-28T08:00:00+02:00"';
		}
		return Object.keys(errors).length > 0 ? { ok: false, errors } : { ok: true, value: { at: at as string } };
	}
	const days = checkDays(input.days, errors);
	const { time, zone } = input;
	if (typeof time !== 'string' || !TIME.test(time)) errors.time = 'must be a 24-hour time "HH:MM", e.g. "08:00"';
	if (typeof zone !== 'string' || !isTimeZone(zone)) {
		errors.zone = `must be an IANA time zone such as "Europe/Berlin" (got ${JSON.stringify(zone)})`;
	}
	for (const key of Object.keys(input)) {
		if (!['days', 'time', 'zone'].includes(key)) errors[key] = 'is not a schedule time field (days, time, zone; or at)';
	}
	if (Object.keys(errors).length > 0) return { ok: false, errors };
	return { ok: true, value: { days, time: time as string, zone: zone as string } };
}

function isOneShot(time: ScheduleTime): time is OneShot {
	return 'at' in time;
}

function cronOf({ days, time, zone }: Recurring): Cron {
	const [hours, minutes] = time.split(':').map(Number);
	const dayNumbers = days.map((day) => WEEKDAYS.indexOf(day)).join(',');
	return new Cron(`${minutes} ${hours} * * ${dayNumbers}`, { timezone: zone, paused: true });
}

/** The first firing strictly after `after`, or undefined when there is none (a one-shot already past). */
export function nextFiring(time: ScheduleTime, after: Date): Date | undefined {
	if (isOneShot(time)) {
		const at = new Date(time.at);
		return at > after ? at : undefined;
	}
	return cronOf(time).nextRun(after) ?? undefined;
}

/** The firings in (`from`, `to`], oldest first, at most `limit` of them. */
export function firingsBetween(time: ScheduleTime, from: Date, to: Date, limit = 1000): Date[] {
	const found: Date[] = [];
	let cursor = from;
	while (found.length < limit) {
		const next = nextFiring(time, cursor);
		if (!next || next > to) break;
		found.push(next);
		cursor = next;
	}
	return found;
}

/**
 * What a scheduler that last looked at `lastChecked` applies at `now`: the latest firing in between, if it is no more
 * than SCHEDULE_TIME_RULES.maxLateSeconds late. Only the latest, because firings are looks: after a night down,
 * "OPEN" at 8:00 matters and "CLOSED" at 18:00 the day before does not. Later than that, the firing is skipped
 * (a sign that says "OPEN" at 14:00 after a morning down would be wrong more often than right).
 */
export function dueFiring(
	time: ScheduleTime,
	lastChecked: Date,
	now: Date,
	maxLateSeconds: number = SCHEDULE_TIME_RULES.maxLateSeconds
): { due: Date; lateSeconds: number } | undefined {
	// Only firings inside the lateness window can be due, so only that window is searched, however long the gap.
	const windowStart = new Date(Math.max(lastChecked.getTime(), now.getTime() - maxLateSeconds * 1000));
	const latest = firingsBetween(time, windowStart, now).at(-1);
	if (!latest) return undefined;
	const lateSeconds = (now.getTime() - latest.getTime()) / 1000;
	return lateSeconds <= maxLateSeconds ? { due: latest, lateSeconds } : undefined;
}

/**
 * The key of one firing of schedule `id`: the same on every thread and node that finds it due, so writing the firing
 * under this key (create-if-absent) applies it once in effect.
 */
export function firingKey(id: string, due: Date): string {
	return `${id}/${due.toISOString()}`;
}
