/**
 * Every HTTP method Harper 4.7 routes, on every form of target, on every resource Marquee exports, by every kind of
 * account: what the client must get back. test/http-matrix.test.ts sends each request to a real Harper and checks
 * the answer; docs/security.md shows the same expectations as tables (the test fails if they differ).
 *
 * The methods are those of Harper's REST dispatch (server/REST.ts in Harper 4.7: GET, HEAD, POST, PUT, DELETE,
 * PATCH, OPTIONS, TRACE, QUERY, COPY, MOVE, BREW, and CONNECT, which is how it routes a request for
 * `text/event-stream`), plus two that reach its "not recognized" default (PROPFIND, SEARCH).
 */
import { ACTOR_TITLES, ACTORS, type Actor } from './role-matrix.ts';

export const METHODS = [
	'GET',
	'HEAD',
	'SSE',
	'PUT',
	'PATCH',
	'POST',
	'DELETE',
	'OPTIONS',
	'TRACE',
	'QUERY',
	'COPY',
	'MOVE',
	'BREW',
	'PROPFIND',
	'SEARCH',
] as const;
export type Method = (typeof METHODS)[number];

export const FORMS = ['record', 'collection', 'query', 'table'] as const;
export type Form = (typeof FORMS)[number];

export const FORM_TITLES: Record<Form, string> = {
	record: '`/T/<id>`',
	collection: '`/T/`',
	query: '`/T/?id=<id>`',
	table: '`/T`',
};

export const TABLES = ['LedSign', 'SignStatus', 'Preset', 'SignHistory', 'SignRules', 'Session'] as const;
export type Table = (typeof TABLES)[number];

/** Every kind of account of the role matrix: an administrator, an operator, a viewer, and devices. */
export const HTTP_ACTORS = ACTORS;
export type HttpActor = Actor;

type Action = 'read' | 'create' | 'update' | 'delete';

/** The methods Marquee serves; every other one is refused before anything else is looked at. */
const SERVED: readonly Method[] = ['GET', 'HEAD', 'SSE', 'PUT', 'PATCH', 'POST', 'DELETE', 'OPTIONS'];

/** What each served method does to each form of target, per resource; a missing entry is not supported (405). */
const READ_ANY_FORM = { record: 'read', collection: 'read', query: 'read', table: 'read' } as const;
/** What LedSign and SignStatus share: read any way, write one record at a time, delete one or in bulk. */
const TABLE_METHODS = {
	GET: READ_ANY_FORM,
	HEAD: READ_ANY_FORM,
	SSE: { record: 'read', collection: 'read', query: 'read' },
	PUT: { record: 'update' },
	PATCH: { record: 'update' },
	DELETE: { record: 'delete', collection: 'delete', query: 'delete' },
} as const;
const ACTIONS: Record<Table, Partial<Record<Method, Partial<Record<Form, Action>>>>> = {
	LedSign: { ...TABLE_METHODS, POST: { record: 'create', collection: 'create' } },
	SignStatus: TABLE_METHODS,
	// Like a sign, but deleted one at a time only.
	Preset: { ...TABLE_METHODS, POST: { record: 'create', collection: 'create' }, DELETE: { record: 'delete' } },
	// One sign's page, or a stream of one sign's (or every sign's) new entries; no writes at all.
	SignHistory: {
		GET: { record: 'read' },
		HEAD: { record: 'read' },
		SSE: { record: 'read', collection: 'read' },
	},
	SignRules: { GET: READ_ANY_FORM, HEAD: READ_ANY_FORM },
	Session: { GET: { table: 'read' }, HEAD: { table: 'read' }, POST: { table: 'create' }, DELETE: { table: 'delete' } },
};

type DataTable = 'LedSign' | 'SignStatus' | 'Preset' | 'SignHistory';

/** The shipped roles' permissions, as roles.yaml grants them (an administrator may do everything). */
const ROLES: Record<'operator' | 'viewer' | 'device', Record<DataTable, readonly Action[]>> = {
	operator: {
		LedSign: ['read', 'create', 'update'],
		SignStatus: ['read'],
		Preset: ['read', 'create', 'update', 'delete'],
		SignHistory: ['read'],
	},
	viewer: { LedSign: ['read'], SignStatus: ['read'], Preset: ['read'], SignHistory: ['read'] },
	device: { LedSign: ['read'], SignStatus: ['create', 'update'], Preset: [], SignHistory: [] },
};

/** A device account, on its own sign, may read its LedSign and write its SignStatus; nothing else anywhere. */
const DEVICE_OWN: Record<DataTable, readonly Action[]> = {
	LedSign: ['read'],
	SignStatus: ['update'],
	Preset: [],
	SignHistory: [],
};

/** What a request that passes the gate gets back, by method (the fixtures make these deterministic). */
function success(table: Table, method: Method, form: Form): string {
	if (table === 'Session' && method === 'POST') return '422'; // the matrix logs in with an empty body
	if (method === 'POST') return form === 'record' ? '409' : '201'; // POST /T/<id> of a sign that exists
	return '200';
}

function allowed(table: Table, actor: HttpActor, action: Action, form: Form): boolean {
	if (table === 'SignRules' || table === 'Session') return true; // open to anyone
	if (actor === 'admin') return true;
	if (actor === 'anonymous') return false;
	const role = actor === 'operator' || actor === 'viewer' ? actor : 'device';
	if (!ROLES[role][table].includes(action)) return false;
	if (role !== 'device') return true;
	return actor === 'device' && form === 'record' && DEVICE_OWN[table].includes(action);
}

/** The HTTP status `actor` must get for `method` on the `form` target of `table`. */
export function expectedStatus(table: Table, method: Method, form: Form, actor: HttpActor): string {
	// Node's HTTP parser does not know BREW: it answers 400 before any server code runs.
	if (method === 'BREW') return '400';
	if (!SERVED.includes(method)) return '405';
	if (method === 'OPTIONS') return '204';
	const action = ACTIONS[table][method]?.[form];
	if (!action) return '405';
	if (allowed(table, actor, action, form)) return success(table, method, form);
	return actor === 'anonymous' ? '401' : '403';
}

const cell = (status: string): string => (Number(status) < 300 ? `✅ ${status}` : `❌ ${status}`);

/**
 * The Markdown table for one resource: a row per method and target form. Methods that answer alike share their
 * rows, and a method that answers alike on every form (and for every account) gets one row for any target.
 */
export function httpMatrixMarkdown(table: Table): string {
	const rowOf = (method: Method, form: Form): string[] =>
		HTTP_ACTORS.map((actor) => cell(expectedStatus(table, method, form, actor)));
	const alike = new Map<string, Method[]>();
	for (const method of METHODS) {
		const key = JSON.stringify(FORMS.map((form) => rowOf(method, form)));
		alike.set(key, [...(alike.get(key) ?? []), method]);
	}
	const rows: [string, string[]][] = [];
	for (const methods of alike.values()) {
		const [first] = methods as [Method];
		const perForm = FORMS.map((form) => rowOf(first, form));
		if (new Set(perForm.map((row) => row.join())).size === 1) {
			rows.push([`${methods.join(', ')}, any target`, perForm[0] ?? []]);
		} else {
			FORMS.forEach((form, i) =>
				rows.push([`${methods.join(', ')} ${FORM_TITLES[form].replace('T', table)}`, perForm[i] ?? []])
			);
		}
	}
	return [
		`| ${table} | ${HTTP_ACTORS.map((actor) => ACTOR_TITLES[actor]).join(' | ')} |`,
		`| --- | ${HTTP_ACTORS.map(() => '---').join(' | ')} |`,
		...rows.map(([title, cells]) => `| ${title} | ${cells.join(' | ')} |`),
	].join('\n');
}
