/**
 * What a device account may touch: read its own LedSign (what to show) and write its own SignStatus (what it
 * reports); nothing else, on any protocol. Its role (roles.yaml) grants these per table; a role cannot name a
 * single record, so the resources narrow it to the bound sign with this rule.
 */
export type Access = 'read' | 'write';

/** Whether a device bound to `sign` (null: bound to none) may `access` record `id` of `table` (undefined: all). */
export function deviceMay(sign: string | null, table: string, id: string | undefined, access: Access): boolean {
	if (sign === null || id !== sign) return false;
	if (table === 'LedSign') return access === 'read';
	if (table === 'SignStatus') return access === 'write';
	return false;
}
