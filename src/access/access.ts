/**
 * Who may do what: the one gate's rule. Every client request to a resource Marquee exports passes `authorize` before the resource acts,
 * whatever the protocol: REST (each HTTP method Harper routes lands on one of the entry points below), MQTT
 * (publish, subscribe, last wills), WebSocket and SSE (connect, and each WebSocket message as a patch). The gate
 * knows the action a request takes (read, create, update, delete), the form of its target (one record, the whole
 * collection, a query, or the table itself) and who asks: their role's permission on the table, read the way
 * Harper reads it, and for a device account the one sign it is bound to.
 *
 * What is not named in a resource's ACCESS entry is refused with 405: an entry point (Harper's QUERY, COPY, MOVE,
 * or one a later Harper adds), or a target form (a PUT or PATCH of the whole collection). Writes and deletes of a
 * collection or a query touch every record they match, so only an account whose role allows the action on the
 * whole table, with no binding to narrow it, may make them: an administrator, or a custom role granted `delete`.
 * The shipped operator, viewer and device roles may not delete at all.
 *
 * The HTTP methods Marquee serves (SUPPORTED_HTTP_METHODS) and the operations API (super users only) are decided
 * here too. This module is the rule alone, pure: gate.ts applies it to every entry point of a resource, and
 * http-gate.ts at the HTTP edge.
 */
import { capabilitiesFor } from '../harper/capabilities.ts';
import { accountOf } from './accounts.ts';
import { signError, type SignError } from '../harper/refusals.ts';

export type Action = 'read' | 'create' | 'update' | 'delete';

/** `/T/<id>`: a record; `/T/`: the collection; `/T/?a=b`: a query; `/T`: the table itself (Harper describes it). */
export type TargetForm = 'record' | 'collection' | 'query' | 'table';

/**
 * Harper's client entry points: the static methods its protocols call on a resource class (each runs the
 * instance method of the same name; `query` runs `search`). Harper marks each with `reliesOnPrototype`.
 */
export const ENTRY_POINTS = [
	'get',
	'put',
	'patch',
	'post',
	'delete',
	'publish',
	'subscribe',
	'connect',
	'query',
	'search',
	'copy',
	'move',
	'invalidate',
	'update',
] as const;
export type EntryPoint = (typeof ENTRY_POINTS)[number];

/** What a resource accepts: for each entry point, the action it takes on each target form it supports. */
export interface AccessPolicy {
	/** The exported name: URL path and MQTT topic root. */
	name: string;
	/** What one record is called in messages. */
	noun: string;
	entries: Partial<Record<EntryPoint, Partial<Record<TargetForm, Action>>>>;
	/** Open to anyone, logged in or not (the published rules, the login itself). */
	public?: boolean;
	/** What a device account may do to its own record (the sign it is bound to); nothing else, anywhere. */
	device: readonly Action[];
	/** Why the resource takes no more than it does, said with every 405 for what it does not take. */
	only?: string;
}

const READ_ANY_FORM = { record: 'read', collection: 'read', query: 'read', table: 'read' } as const;
const STREAM_ANY_FORM = { record: 'read', collection: 'read', query: 'read' } as const;
const WRITE_RECORD = { record: 'update' } as const;

/**
 * What the two tables share: read any way (REST, MQTT subscriptions, WebSocket and SSE streams), write one record
 * at a time (REST PUT and PATCH, MQTT publishes, WebSocket messages), delete one record or in bulk. A non-retained
 * MQTT publish changes what a sign shows until the next change: a change too.
 */
const TABLE_ENTRIES = {
	get: READ_ANY_FORM,
	subscribe: STREAM_ANY_FORM,
	connect: STREAM_ANY_FORM,
	put: WRITE_RECORD,
	patch: WRITE_RECORD,
	publish: WRITE_RECORD,
	delete: { record: 'delete', collection: 'delete', query: 'delete' },
} as const;

/** Who may do what to each exported resource. */
export const ACCESS = {
	LedSign: {
		name: 'LedSign',
		noun: 'sign',
		entries: { ...TABLE_ENTRIES, post: { collection: 'create', record: 'create' } },
		device: ['read'],
	},
	SignStatus: { name: 'SignStatus', noun: 'sign status', entries: TABLE_ENTRIES, device: ['update'] },
	/** Named looks a sign change can apply: read and written like signs, but deleted one at a time only. */
	Preset: {
		name: 'Preset',
		noun: 'preset',
		entries: {
			...TABLE_ENTRIES,
			post: { collection: 'create', record: 'create' },
			delete: { record: 'delete' },
		},
		device: [],
	},
	/** Each sign's accepted changes, written by the server alone: read one sign's (a page, or its live stream). */
	SignHistory: {
		name: 'SignHistory',
		noun: 'sign history',
		entries: {
			get: { record: 'read' },
			connect: { record: 'read', collection: 'read' },
			subscribe: { record: 'read', collection: 'read' },
		},
		device: [],
		only: 'Only the server writes SignHistory: every accepted sign change adds its entry.',
	},
	SignRules: { name: 'SignRules', noun: 'rules', entries: { get: READ_ANY_FORM }, public: true, device: [] },
	Session: {
		name: 'Session',
		noun: 'session',
		entries: { get: { table: 'read' }, post: { table: 'create' }, delete: { table: 'delete' } },
		public: true,
		device: [],
	},
} as const satisfies Record<string, AccessPolicy>;

/** The HTTP methods Marquee serves; any other gets 405 before Harper routes it (OPTIONS answers with this list). */
export const SUPPORTED_HTTP_METHODS = ['GET', 'HEAD', 'PUT', 'PATCH', 'POST', 'DELETE', 'OPTIONS'] as const;

export function isSupportedHttpMethod(method: string): boolean {
	return (SUPPORTED_HTTP_METHODS as readonly string[]).includes(method.toUpperCase());
}

export function unsupportedMethod(method: string): SignError {
	return signError('notAllowed', `HTTP ${method} is not supported; use ${SUPPORTED_HTTP_METHODS.join(', ')}.`, {
		method: `must be one of ${SUPPORTED_HTTP_METHODS.join(', ')}`,
	});
}

/** The operations API is a super user's console: anyone else would reach the tables below every rule. */
export function operationsRefusal(user: unknown): SignError | undefined {
	const account = accountOf(user);
	if (account?.superUser) return undefined;
	const why = 'The operations API is for super users only; use the REST, MQTT or WebSocket API.';
	return account ? signError('forbidden', why) : signError('unauthorized', why);
}

/** A request target as Harper hands it to a resource, seen only as far as the gate needs. */
export interface TargetLike {
	id?: unknown;
	isCollection?: boolean;
	search?: string;
	conditions?: unknown;
	/** Set by Harper on every request from a client; code calling a resource directly leaves it out. */
	checkPermission?: unknown;
	/** A subscription request carries its user. */
	user?: unknown;
}

/** Whether a resource method was called for a client (Harper marks those targets with `checkPermission`). */
export function isClientRequest(target: unknown): target is TargetLike {
	return typeof target === 'object' && target !== null && (target as TargetLike).checkPermission !== undefined;
}

export function formOf(target: TargetLike): TargetForm {
	const query = Boolean(target.search) || (Array.isArray(target.conditions) && target.conditions.length > 0);
	if (target.isCollection) return query ? 'query' : 'collection';
	if (target.id === undefined || target.id === null) return query ? 'query' : 'table';
	return 'record';
}

/** Who is asking, as far as the gate needs to know. */
export interface Caller {
	/** undefined: no login. */
	username: string | undefined;
	superUser: boolean;
	/** The role's permission object, as Harper keeps it (user.role.permission). */
	permission: unknown;
	/** For a device account: the sign it is bound to, or null for none. undefined: not a device account. */
	boundSign: string | null | undefined;
	/** The request asks Harper to direct replication (X-Replicate-To): a super user's privilege. */
	directsReplication?: boolean;
}

const PERMISSION: Record<Action, 'read' | 'change' | 'create' | 'delete'> = {
	read: 'read',
	create: 'create',
	update: 'change',
	delete: 'delete',
};

function describeRequest(policy: AccessPolicy, action: Action, form: TargetForm): string {
	const one = form === 'record';
	switch (action) {
		case 'read':
			return one ? `read this ${policy.noun}` : `read every ${policy.noun}`;
		case 'create':
			return `create a ${policy.noun}`;
		case 'update':
			return `change a ${policy.noun}`;
		case 'delete':
			return one ? `delete a ${policy.noun}` : `delete ${policy.noun}s in bulk`;
	}
}

/** What each entry point is called by the clients that reach it. */
const ENTRY_TITLES: Record<EntryPoint, string> = {
	get: 'GET',
	put: 'PUT (or a retained MQTT publish)',
	patch: 'PATCH (or a WebSocket message)',
	post: 'POST',
	delete: 'DELETE',
	publish: 'An MQTT publish',
	subscribe: 'An MQTT subscription',
	connect: 'A WebSocket or SSE stream',
	query: 'QUERY',
	search: 'A search',
	copy: 'COPY',
	move: 'MOVE',
	invalidate: 'Invalidating',
	update: 'An update',
};

function formTitle(policy: AccessPolicy, form: TargetForm): string {
	switch (form) {
		case 'record':
			return `one ${policy.noun} (/${policy.name}/<id>)`;
		case 'collection':
			return `the whole collection (/${policy.name}/)`;
		case 'query':
			return `a query (/${policy.name}/?...)`;
		case 'table':
			return `/${policy.name}`;
	}
}

/** The 405 for an entry point, or a target form of it, that `policy` does not admit. */
export function unsupported(policy: AccessPolicy, entry: string, form: TargetForm | undefined): SignError {
	const title = ENTRY_TITLES[entry as EntryPoint] ?? entry;
	const forms = Object.keys(policy.entries[entry as EntryPoint] ?? {}) as TargetForm[];
	const why = policy.only ? ` ${policy.only}` : '';
	if (forms.length === 0 || form === undefined) {
		return signError('notAllowed', `${title} is not supported on ${policy.name}.${why}`, {
			target: `${policy.name} does not take ${title.toLowerCase()}`,
		});
	}
	const takes = forms.map((each) => formTitle(policy, each)).join(' or ');
	return signError('notAllowed', `${title} of ${formTitle(policy, form)} is not supported; it takes ${takes}.${why}`, {
		target: `must be ${takes}`,
	});
}

/**
 * The gate's rule, pure: undefined when `caller` may make the request, else the refusal (405 for what the resource
 * does not support, 401 for a caller who must log in, 403 for one whose role or binding does not allow it).
 */
export function decideAccess(
	policy: AccessPolicy,
	entry: EntryPoint,
	form: TargetForm,
	id: string | undefined,
	caller: Caller
): SignError | undefined {
	const action = policy.entries[entry]?.[form];
	if (!action) return unsupported(policy, entry, form);
	if (policy.public) return undefined;
	const what = describeRequest(policy, action, form);
	if (caller.username === undefined) return signError('unauthorized', `Log in to ${what}.`);
	if (caller.directsReplication && !caller.superUser) {
		return signError('forbidden', 'Only a super user may direct replication (X-Replicate-To).');
	}
	if (!capabilitiesFor(caller.permission, policy.name)[PERMISSION[action]]) {
		return signError('forbidden', `Your role may not ${what}.`);
	}
	if (caller.boundSign === undefined) return undefined;
	const ownRecord = form === 'record' && caller.boundSign !== null && id === caller.boundSign;
	if (ownRecord && policy.device.includes(action)) return undefined;
	const scope =
		caller.boundSign === null
			? 'is bound to no sign'
			: policy.device.length === 0
				? `may not use ${policy.name}`
				: `may only ${policy.device.includes('read') ? 'read its sign' : 'report its own status'} (${caller.boundSign})`;
	return signError('forbidden', `A device account ${scope}; it may not ${what}.`);
}
