/**
 * What a user may do with a table, read from their role's permission the way Harper itself reads it (its
 * getTablePermissions in 4.7): a super user may do everything; otherwise the table's entry under its database
 * (`{ data: { tables: { LedSign: {...} } } }`), or for the default `data` database the older shape with the
 * table at the top (`{ LedSign: {...} }`). The panel uses the answer to show only the controls that would work;
 * the server still checks every request on its own.
 */

import { NOTHING, type Capabilities } from '../shared/session-view.ts';

const EVERYTHING: Capabilities = Object.freeze({ read: true, change: true, create: true, delete: true });

function isObject(value: unknown): value is Record<string, unknown> {
	return typeof value === 'object' && value !== null;
}

function tableEntry(permission: Record<string, unknown>, table: string, database: string): unknown {
	const tables = isObject(permission[database]) ? permission[database].tables : undefined;
	if (isObject(tables)) return tables[table];
	const legacy = permission[table];
	if (database === 'data' && isObject(legacy) && !('tables' in legacy)) return legacy;
	return undefined;
}

/** `permission` is a role's `permission` object (user.role.permission); anything else allows nothing. */
export function capabilitiesFor(permission: unknown, table: string, database = 'data'): Capabilities {
	if (!isObject(permission)) return NOTHING;
	if (permission.super_user === true) return EVERYTHING;
	const entry = tableEntry(permission, table, database);
	if (!isObject(entry)) return NOTHING;
	return {
		read: entry.read === true,
		change: entry.update === true,
		create: entry.insert === true,
		delete: entry.delete === true,
	};
}
