/**
 * The sign's rules: limits, effects, defaults, normalisation and validation, as pure functions.
 *
 * This module is the single source of truth for what a sign accepts. The server enforces it on every write
 * path, `GET /SignRules` publishes `SIGN_RULES` to clients, and the panel and the device simulator import it.
 * It has no imports, no I/O and no Harper dependency, so it runs unchanged in Node, a browser and tests.
 */

export const EFFECTS = ['static', 'scroll', 'blink'] as const;
export type Effect = (typeof EFFECTS)[number];

/** The fields a client may set: everything the sign shows. */
export interface SignSettings {
	text: string;
	color: string;
	brightness: number;
	power: boolean;
	effect: Effect;
	speed: number;
}

/** A stored sign: its settings plus the fields only the server writes. */
export interface LedSignRecord extends SignSettings {
	id: string;
	/** 1 on creation, +1 for each accepted change; never goes back. */
	version: number;
	/** When the accepted change was made, ISO 8601 UTC. */
	updatedAt: string;
	/**
	 * Harper's commit timestamp of the change (ms since 1970, fractional), set by Harper at commit: the order in
	 * which replication's last-writer-wins settles concurrent changes, so the order devices show changes in.
	 * Absent from an older server's records.
	 */
	commitTime?: number;
}

/** Field name → why it was refused. A form can show each message next to its field. */
export type FieldErrors = Record<string, string>;

export type Checked<T> = { ok: true; value: T } | { ok: false; errors: FieldErrors };

export const SETTING_FIELDS = ['text', 'color', 'brightness', 'power', 'effect', 'speed'] as const;
export type SettingField = (typeof SETTING_FIELDS)[number];

/**
 * A freshly created sign, and what a field missing from a full replace (REST PUT) becomes.
 * Amber on black is the classic LED-sign look; half brightness is comfortable indoors.
 */
export const DEFAULT_SETTINGS: Readonly<SignSettings> = Object.freeze({
	text: '',
	color: '#ffb000',
	brightness: 50,
	power: true,
	effect: 'static',
	speed: 5,
});

/** The first and last character the sign's 5×7 font can draw: printable ASCII, space to tilde. */
const FIRST_DRAWABLE = 0x20;
const LAST_DRAWABLE = 0x7e;

/**
 * The limits, as data. Served as-is by `GET /SignRules` so a panel or device learns them from the server.
 * Patterns are strings, so the rules stay plain JSON.
 */
export const SIGN_RULES = Object.freeze({
	id: {
		pattern: '^[A-Za-z0-9_-]{1,32}$',
		minLength: 1,
		maxLength: 32,
		description: "letters, digits, '-' and '_'",
	},
	text: {
		// 128 characters keeps a full record well under 512 bytes of JSON, inside an ESP32 MQTT client's 1 KB buffer.
		maxLength: 128,
		firstCharCode: FIRST_DRAWABLE,
		lastCharCode: LAST_DRAWABLE,
		description: 'printable ASCII (space to ~): the characters the sign font draws',
	},
	color: { pattern: '^#[0-9a-fA-F]{6}$', description: '#rrggbb' },
	brightness: { min: 0, max: 100 },
	speed: { min: 1, max: 10 },
	effects: EFFECTS,
	defaults: DEFAULT_SETTINGS,
});

/** The limits a sign enforces; a client gets the server's from `GET /SignRules`. */
export type SignRules = typeof SIGN_RULES;

/** Why `id` is not a valid sign id, or undefined when it is. Also rules out `/`, `+`, `#` and `..`. */
export function checkSignId(id: unknown, rules: SignRules = SIGN_RULES): string | undefined {
	if (id === undefined || id === null) return 'is required';
	if (typeof id !== 'string') return `must be a string (got ${describe(id)})`;
	if (new RegExp(rules.id.pattern).test(id)) return undefined;
	if (id.length > rules.id.maxLength) return `is ${id.length} characters, at most ${rules.id.maxLength}`;
	if (id.length === 0) return 'must not be empty';
	return `may contain only ${rules.id.description}`;
}

/** A short, safe description of a refused value, for error messages. */
function describe(value: unknown): string {
	if (value === null) return 'null';
	if (Array.isArray(value)) return 'an array';
	switch (typeof value) {
		case 'string':
			return `"${value.length > 20 ? value.slice(0, 20) + '…' : value}"`;
		case 'number':
		case 'boolean':
		case 'undefined':
			return String(value);
		default:
			return `a value of type ${typeof value}`;
	}
}

function checkInteger(value: unknown, { min, max }: { min: number; max: number }): string | undefined {
	if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
		return `must be an integer from ${min} to ${max} (got ${describe(value)})`;
	}
	return undefined;
}

/** The first character the font cannot draw, as a readable reason, or undefined when all are drawable. */
function undrawable(text: string, rules: SignRules['text']): string | undefined {
	let position = 0;
	for (const char of text) {
		const code = char.codePointAt(0) ?? 0;
		if (code < rules.firstCharCode || code > rules.lastCharCode) {
			const hex = code.toString(16).toUpperCase().padStart(4, '0');
			const shown = code < FIRST_DRAWABLE || code === 0x7f ? '' : ` "${char}"`;
			return `character${shown} (U+${hex}) at position ${position} is not in the sign's font (${rules.description})`;
		}
		position++;
	}
	return undefined;
}

type FieldCheck = (value: unknown) => string | undefined;

/** One check per settable field, for the given limits; each returns why a value is refused, or undefined. */
function fieldChecks(rules: SignRules): Record<SettingField, FieldCheck> {
	const colorPattern = new RegExp(rules.color.pattern);
	return {
		text: (value): string | undefined => {
			if (typeof value !== 'string') return `must be a string (got ${describe(value)})`;
			const length = [...value].length;
			if (length > rules.text.maxLength) return `is ${length} characters, at most ${rules.text.maxLength}`;
			return undrawable(value, rules.text);
		},
		color: (value): string | undefined => {
			if (typeof value !== 'string' || !colorPattern.test(value)) {
				return `must be a colour written ${rules.color.description}, e.g. "#ff0000" (got ${describe(value)})`;
			}
			return undefined;
		},
		brightness: (value) => checkInteger(value, rules.brightness),
		power: (value): string | undefined => {
			return typeof value === 'boolean' ? undefined : `must be true or false (got ${describe(value)})`;
		},
		effect: (value): string | undefined => {
			return typeof value === 'string' && (rules.effects as readonly string[]).includes(value)
				? undefined
				: `must be one of ${rules.effects.join(', ')} (got ${describe(value)})`;
		},
		speed: (value) => checkInteger(value, rules.speed),
	};
}

const SERVER_CHECKS = fieldChecks(SIGN_RULES);

/** Why one field's value is refused under `rules`, or undefined: what a form checks as the user types. */
export function checkField(field: SettingField, value: unknown, rules: SignRules = SIGN_RULES): string | undefined {
	return (rules === SIGN_RULES ? SERVER_CHECKS : fieldChecks(rules))[field](value);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
	if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
	const proto: unknown = Object.getPrototypeOf(value);
	return proto === Object.prototype || proto === null;
}

// ---- Looks: what a sign shows, and what a preset keeps ------------------------------------------------------

/**
 * What a look belongs to, for the rules that check it: a sign (a field missing from a replace takes its default; a
 * change may name a preset to start from, and be flashed) or a preset (a full look: every field is required, and it
 * is stored, never flashed). Both have the same six settings, checked by the same field rules, and the same ids.
 */
export interface LookKind {
	/** What one record is called in messages: "sign", "preset". */
	noun: string;
	/** What a field a replace leaves out becomes; without defaults, a replace must give every field. */
	defaults?: Readonly<SignSettings>;
	/** A change may name a preset (`"preset": "<id>"`) whose look it starts from. */
	takesPreset: boolean;
	/** Why `transient` is refused in a stored change of this kind, for its value. */
	storedTransient: (value: unknown) => string;
}

/**
 * `transient` in a change that is stored (PUT, POST, a retained publish): a flash is asked for only where it can be
 * one (PATCH, a WebSocket message; every MQTT publish without retain is one), so a stored change refuses it.
 */
function storedTransient(value: unknown): string {
	return value === true
		? 'is for a flash, which is never stored: send it with PATCH or as a WebSocket message (over MQTT: publish without retain)'
		: `must be true, to flash the change (shown until the next stored change, never stored), or left out (got ${describe(value)})`;
}

export const SIGN_KIND: LookKind = Object.freeze({
	noun: 'sign',
	defaults: DEFAULT_SETTINGS,
	takesPreset: true,
	storedTransient,
});

export const PRESET_KIND: LookKind = Object.freeze({
	noun: 'preset',
	takesPreset: false,
	storedTransient: (): string =>
		'a preset is stored, never flashed; to flash its look on a sign, PATCH the sign with {"preset":"<id>","transient":true}',
});

/** A validated change: the settings it sets, and the version it was based on when the client said so. */
export interface SignChange {
	settings: Partial<SignSettings>;
	/** The version the client last saw; a write based on an older version is a conflict. */
	basedOn?: number;
	/** The preset whose look the change starts from (its own settings override the preset's). */
	preset?: string;
}

/**
 * Validates a change as a client sent it (already parsed from JSON). Accepts any subset of the settings.
 * Server-maintained fields may be echoed back: `id` must name the same record, `version` (if present) is the
 * version the change is based on, and `updatedAt` and `commitTime` are ignored. A sign's change may name a preset to
 * start from (`preset`, an id). Anything else is an unknown field.
 */
export function checkChange(
	input: unknown,
	id: string,
	rules: SignRules = SIGN_RULES,
	kind: LookKind = SIGN_KIND
): Checked<SignChange> {
	const directives: FieldSpec['serverFields'] = kind.takesPreset ? { preset: checkPresetId } : {};
	const read = readFields(input, {
		noun: kind.noun,
		owner: kind.noun,
		fields: SETTING_FIELDS,
		check: (field, value) => checkField(field as SettingField, value, rules),
		id,
		idRole: 'written',
		serverFields: {
			version: (value) =>
				typeof value === 'number' && Number.isInteger(value) && value >= 0
					? undefined
					: `must be the integer version the change is based on (got ${describe(value)})`,
			updatedAt: () => undefined,
			commitTime: () => undefined,
			transient: kind.storedTransient,
			...directives,
		},
	});
	if (!read.ok) return read;
	const settings = read.value as Partial<SignSettings>;
	if (settings.color !== undefined) settings.color = settings.color.toLowerCase();
	const change: SignChange = { settings };
	const { version, preset } = input as { version?: number; preset?: string };
	if (version !== undefined) change.basedOn = version;
	if (kind.takesPreset && preset !== undefined) change.preset = preset;
	return { ok: true, value: change };
}

/** Why `value` cannot name a preset (preset ids follow the sign id rules), or undefined. */
function checkPresetId(value: unknown): string | undefined {
	const why = checkSignId(value);
	return why && `must be the id of a preset (${why})`;
}

/** The preset a change to a sign names, when it names one that could exist (what the server reads before deciding). */
export function presetNamed(input: unknown): string | undefined {
	if (!isPlainObject(input)) return undefined;
	const { preset } = input;
	return typeof preset === 'string' && checkSignId(preset) === undefined ? preset : undefined;
}

interface FieldSpec {
	/** What the object describes, for messages: "sign", "status". */
	noun: string;
	/** What the record's id names, for the id message: "sign", "preset". */
	owner: string;
	fields: readonly string[];
	check(field: string, value: unknown): string | undefined;
	/** The id of the record being changed, which the object may echo. */
	id: string;
	/** How the record is being changed, for the id message: "written", "reported". */
	idRole: string;
	/**
	 * Fields besides the record's own that the object may carry (the server's, which a client may echo back, and what
	 * a change asks for, such as a preset): each answers why its value is refused, or undefined.
	 */
	serverFields: Record<string, (value: unknown) => string | undefined>;
}

/**
 * Reads a client's object field by field: the fields it knows, each checked; the record's own id and the
 * server's fields, which may be echoed back; anything else is an unknown field. Every problem is reported.
 * Collected as entries and built with Object.fromEntries, which defines own properties: a key such as
 * "__proto__" is then reported like any other unknown field instead of silently setting a prototype.
 */
function readFields(input: unknown, spec: FieldSpec): Checked<Record<string, unknown>> {
	if (!isPlainObject(input)) {
		return { ok: false, errors: { body: `must be a JSON object of ${spec.noun} fields (got ${describe(input)})` } };
	}
	const problems: [string, string][] = [];
	const values: [string, unknown][] = [];
	for (const key of Object.keys(input)) {
		const value = input[key];
		let problem: string | undefined;
		if (spec.fields.includes(key)) {
			problem = spec.check(key, value);
			if (!problem) values.push([key, value]);
		} else if (key === 'id') {
			if (value !== spec.id)
				problem = `must match the ${spec.owner} being ${spec.idRole} ("${spec.id}") or be left out`;
		} else if (Object.hasOwn(spec.serverFields, key)) {
			problem = spec.serverFields[key]?.(value);
		} else {
			problem = `is not a ${spec.noun} field (fields: ${spec.fields.join(', ')})`;
		}
		if (problem) problems.push([key, problem]);
	}
	if (problems.length > 0) return { ok: false, errors: Object.fromEntries(problems) };
	return { ok: true, value: Object.fromEntries(values) };
}

/**
 * How a change applies: `replace` sets the whole sign (missing fields take their defaults), `merge` only the
 * fields it names, `create` is a replace that is refused when the sign already exists.
 */
export type ChangeMode = 'replace' | 'merge' | 'create';

/** The settings after applying a validated change to the current ones (or to the defaults for a new sign). */
export function applyChange(
	current: SignSettings | undefined,
	change: Partial<SignSettings>,
	mode: ChangeMode
): SignSettings {
	return lookAfter(current, change, mode, DEFAULT_SETTINGS).value;
}

/**
 * The look after a change: each field from the change, else (a merge onto a record) the current look's, else the
 * default. `missing` lists the fields none of them gave (only when there are no defaults: a preset).
 */
function lookAfter(
	current: SignSettings | undefined,
	change: Partial<SignSettings>,
	mode: ChangeMode,
	defaults: Readonly<SignSettings> | undefined
): { value: SignSettings; missing: SettingField[] } {
	const base: Partial<SignSettings> | undefined = mode !== 'merge' || !current ? defaults : current;
	const next = {} as Record<SettingField, unknown>;
	const missing: SettingField[] = [];
	for (const field of SETTING_FIELDS) {
		next[field] = change[field] ?? base?.[field];
		if (next[field] === undefined) missing.push(field);
	}
	return { value: next as unknown as SignSettings, missing };
}

/** Why a change based on `basedOn` may not be applied to a record at `currentVersion`, or undefined if it may. */
export function checkBasedOn(basedOn: number | undefined, currentVersion: number, noun = 'sign'): string | undefined {
	if (basedOn === undefined || basedOn === currentVersion) return undefined;
	return `the change is based on version ${basedOn} but the ${noun} is at version ${currentVersion}: reload and retry`;
}

/**
 * What a write does: the record to store, or why it is refused: `invalid` (a field breaks a rule), `conflict` (with
 * the record as it is now) or `unresolved` (it names what does not exist: a preset).
 */
export type WriteDecision<R = LedSignRecord> =
	{ ok: true; record: R } | { ok: false; reason: 'invalid' | 'conflict' | 'unresolved'; errors: FieldErrors };

/** What a decision needs that the server reads first: the looks of the presets the change names, by id. */
export interface Resolved {
	presets?: ReadonlyMap<string, SignSettings>;
}

/** A stored look: a sign's record, or a preset's (the same fields). */
export type LookRecord = LedSignRecord;

/**
 * Decides a write to the `kind` record `id`, currently `current` (undefined if it does not exist yet), from a
 * client's `input`, with what the server read first (`resolved`). Pure: every write path of signs and presets calls
 * it, so every protocol enforces the same rules.
 */
export function decideLookWrite(
	kind: LookKind,
	id: unknown,
	current: LookRecord | undefined,
	input: unknown,
	mode: ChangeMode,
	now: Date = new Date(),
	resolved: Resolved = {}
): WriteDecision<LookRecord> {
	const idProblem = checkSignId(id);
	if (idProblem) return { ok: false, reason: 'invalid', errors: { id: idProblem } };
	const recordId = id as string;
	const change = checkChange(input, recordId, SIGN_RULES, kind);
	if (!change.ok) return { ok: false, reason: 'invalid', errors: change.errors };
	if (mode === 'create' && current) {
		return {
			ok: false,
			reason: 'conflict',
			errors: { id: `"${recordId}" is taken: change an existing ${kind.noun} with PUT or PATCH` },
		};
	}
	const conflict = checkBasedOn(change.value.basedOn, current?.version ?? 0, kind.noun);
	if (conflict) return { ok: false, reason: 'conflict', errors: { version: conflict } };
	let settings = change.value.settings;
	const { preset } = change.value;
	if (preset !== undefined) {
		const look = resolved.presets?.get(preset);
		if (!look) return { ok: false, reason: 'unresolved', errors: { preset: `there is no preset "${preset}"` } };
		settings = { ...look, ...settings };
	}
	const look = lookAfter(current, settings, mode, kind.defaults);
	if (look.missing.length > 0) {
		const why = `is required: a ${kind.noun} is a full look (${SETTING_FIELDS.join(', ')})`;
		return { ok: false, reason: 'invalid', errors: Object.fromEntries(look.missing.map((field) => [field, why])) };
	}
	return { ok: true, record: nextRecord(recordId, current, look.value, now) };
}

/** Decides a write to sign `id` (decideLookWrite for signs): the one function every sign write path calls. */
export function decideWrite(
	id: unknown,
	current: LedSignRecord | undefined,
	input: unknown,
	mode: ChangeMode,
	now: Date = new Date(),
	resolved: Resolved = {}
): WriteDecision {
	return decideLookWrite(SIGN_KIND, id, current, input, mode, now, resolved);
}

// ---- Presets ------------------------------------------------------------------------------------------------

/** A stored preset: a named full look (its id is its name), which a sign change can start from. */
export type PresetRecord = LookRecord;

/** Decides a write to preset `id`: the sign's rules, except that every field is required and none is flashed. */
export function decidePresetWrite(
	id: unknown,
	current: PresetRecord | undefined,
	input: unknown,
	mode: ChangeMode,
	now: Date = new Date()
): WriteDecision<PresetRecord> {
	return decideLookWrite(PRESET_KIND, id, current, input, mode, now);
}

/** The look a stored record (a sign's or a preset's) shows: its six settings. */
export function lookOf(record: SignSettings): SignSettings {
	const look = {} as Record<SettingField, unknown>;
	for (const field of SETTING_FIELDS) look[field] = record[field];
	return look as unknown as SignSettings;
}

/** The record to store for an accepted change. */
export function nextRecord(
	id: string,
	current: Pick<LedSignRecord, 'version'> | undefined,
	settings: SignSettings,
	now: Date
): LedSignRecord {
	return { id, ...settings, version: (current?.version ?? 0) + 1, updatedAt: now.toISOString() };
}

/**
 * The change a flash asks for, or undefined when `input` asks for none. A flash (a transient message) is shown until
 * the next stored change and never stored: `"transient": true` in a PATCH or a WebSocket message asks for one (an MQTT
 * publish without retain always is one). The rest of the input is checked like any merge; `transient` with any other
 * value is not a flash, and the rules refuse it (storedTransient).
 */
export function flashOf(input: unknown): Record<string, unknown> | undefined {
	if (!isPlainObject(input) || input.transient !== true) return undefined;
	// Object rest defines own properties, so a "__proto__" key stays an (unknown) field instead of a prototype.
	const { transient: _flash, ...change } = input;
	return change;
}

/** A sign as it reaches its listeners: a stored change, or a transient message (shown, never stored). */
export type SignMessage = LedSignRecord & { transient?: boolean };

/**
 * What a flash delivers (a non-retained publish, or a PATCH or WebSocket message with "transient": true): the whole
 * state the sign should show until the next stored change (so a device never merges), marked transient and carrying
 * the stored version and time, which a flash does not change.
 */
export function transientMessage(accepted: LedSignRecord, current: LedSignRecord): SignMessage {
	return {
		...accepted,
		version: current.version,
		updatedAt: current.updatedAt,
		transient: true,
	};
}

/**
 * The stored change a device shows, as the device rule compares it: its version (what the device reports as
 * `shownVersion`) and, from a server that sends one, its commitTime.
 */
export type ShownChange = Pick<LedSignRecord, 'version' | 'commitTime'>;

/** A message's commitTime, or undefined when it has none (an older server); `null` or a non-number counts as none. */
export function commitTimeOf(change: { commitTime?: number | null }): number | undefined {
	const { commitTime } = change;
	return typeof commitTime === 'number' && Number.isFinite(commitTime) ? commitTime : undefined;
}

/** What the device rule compares an incoming stored change with the one shown by. */
export interface Ordering {
	by: 'commitTime' | 'version';
	incoming: number;
	shown: number;
}

/**
 * The commitTimes when both changes carry one; otherwise the versions, so a device keeps working with an older
 * server, whose records have no commitTime.
 */
export function orderingOf(incoming: Pick<SignMessage, 'version' | 'commitTime'>, shown: ShownChange): Ordering {
	const incomingTime = commitTimeOf(incoming);
	const shownTime = commitTimeOf(shown);
	if (incomingTime !== undefined && shownTime !== undefined) {
		return { by: 'commitTime', incoming: incomingTime, shown: shownTime };
	}
	return { by: 'version', incoming: incoming.version, shown: shown.version };
}

/**
 * The device rule: whether a device shows `incoming`, given the stored change it shows (`undefined` when it has
 * shown none since its subscription began, or since the sign was deleted). It shows
 * 1. a transient message, always (it lasts until the next stored change and is not remembered as shown);
 * 2. anything, when it has shown nothing since subscribing: the first message of a subscription is the server's
 *    current truth, even when it looks older than what the device showed before (a sign deleted and created
 *    again restarts at version 1; a restore from backup or a cluster's last-writer-wins can bring back an earlier
 *    state);
 * 3. a change committed after the one it shows, by `commitTime` (Harper's commit timestamp, which replication
 *    orders concurrent changes by), or by `version` when either lacks a commitTime (see orderingOf).
 * Anything else is a late or replayed delivery, or the losing side of a concurrent write: it is ignored.
 */
export function shouldShow(
	incoming: Pick<SignMessage, 'version' | 'commitTime' | 'transient'>,
	shown: ShownChange | undefined
): boolean {
	if (incoming.transient === true || shown === undefined) return true;
	const ordering = orderingOf(incoming, shown);
	return ordering.incoming > ordering.shown;
}

/** The stored change `record` is, as a device remembers it once shown. */
export function shownChangeOf(record: Pick<LedSignRecord, 'version' | 'commitTime'>): ShownChange {
	const commitTime = commitTimeOf(record);
	return commitTime === undefined ? { version: record.version } : { version: record.version, commitTime };
}

// ---- Device status (the SignStatus table) -------------------------------------------------------------------

/** What a device reports about itself; it may send any subset (see decideStatusWrite). */
export interface SignStatusReport {
	online: boolean;
	/** The LedSign version the device shows (0 before it has shown any). */
	shownVersion: number;
	firmware: string;
	/** Wi-Fi signal strength in dBm, if the device has Wi-Fi. */
	rssi: number | null;
	/** The LED matrix, in pixels. */
	width: number;
	height: number;
}

/** A stored status: the report plus when the server last heard from the device. */
export interface SignStatusRecord extends SignStatusReport {
	id: string;
	/** ISO 8601 UTC: set by the server on every accepted report, including the last will. */
	lastSeen: string;
	/** Server-maintained: the MQTT connection the server last saw the device on (src/presence). */
	connection?: string;
}

export const STATUS_FIELDS = ['online', 'shownVersion', 'firmware', 'rssi', 'width', 'height'] as const;
type StatusField = (typeof STATUS_FIELDS)[number];

/** Status limits; small, so a status report stays well under 256 bytes. */
export const STATUS_RULES = Object.freeze({
	firmware: { maxLength: 32 },
	rssi: { min: -127, max: 0 },
	width: { min: 1, max: 256 },
	height: { min: 1, max: 64 },
	defaults: Object.freeze({
		online: false,
		shownVersion: 0,
		firmware: '',
		rssi: null,
		width: 64,
		height: 8,
	} satisfies SignStatusReport),
});

const STATUS_CHECKS: Record<StatusField, FieldCheck> = {
	online: (value) => (typeof value === 'boolean' ? undefined : `must be true or false (got ${describe(value)})`),
	shownVersion: (value) => checkInteger(value, { min: 0, max: Number.MAX_SAFE_INTEGER }),
	firmware: (value) => {
		if (typeof value !== 'string') return `must be a string (got ${describe(value)})`;
		if (value.length > STATUS_RULES.firmware.maxLength) {
			return `is ${value.length} characters, at most ${STATUS_RULES.firmware.maxLength}`;
		}
		return undrawable(value, SIGN_RULES.text);
	},
	rssi: (value) => (value === null ? undefined : checkInteger(value, STATUS_RULES.rssi)),
	width: (value) => checkInteger(value, STATUS_RULES.width),
	height: (value) => checkInteger(value, STATUS_RULES.height),
};

/**
 * Decides a status report for sign `id`: the same id rules as signs, a check per field, unknown fields refused,
 * and `lastSeen` set by the server. `replace` (REST PUT) gives missing fields their defaults; `merge` (MQTT,
 * PATCH) keeps them, so a device can report just `{"shownVersion":7}` or its last will `{"online":false}`.
 */
export function decideStatusWrite(
	id: unknown,
	current: SignStatusRecord | undefined,
	input: unknown,
	mode: ChangeMode,
	now: Date = new Date()
): WriteDecision<SignStatusRecord> {
	const idProblem = checkSignId(id);
	if (idProblem) return { ok: false, reason: 'invalid', errors: { id: idProblem } };
	const read = readFields(input, {
		noun: 'status',
		owner: 'sign',
		fields: STATUS_FIELDS,
		check: (field, value) => STATUS_CHECKS[field as StatusField](value),
		id: id as string,
		idRole: 'reported',
		serverFields: { lastSeen: () => undefined, connection: () => undefined },
	});
	if (!read.ok) return { ok: false, reason: 'invalid', errors: read.errors };
	if (mode === 'create' && current) {
		return { ok: false, reason: 'conflict', errors: { id: `"${String(id)}" already has a status` } };
	}
	const base: SignStatusReport = mode === 'merge' && current ? current : STATUS_RULES.defaults;
	const changes = read.value as Partial<SignStatusReport>;
	const record = { id: id as string, lastSeen: now.toISOString() } as SignStatusRecord;
	for (const field of STATUS_FIELDS)
		Object.assign(record, { [field]: field in changes ? changes[field] : base[field] });
	// Only the server says which connection a device is on (src/presence); a report keeps what it said.
	if (current?.connection !== undefined) record.connection = current.connection;
	return { ok: true, record };
}
