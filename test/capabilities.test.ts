import { describe, expect, it } from 'vitest';
import { capabilitiesFor } from '../src/harper/capabilities.ts';

/** The permission objects Harper 4.7 builds from roles.yaml (as list_roles shows them). */
const table = (read: boolean, insert: boolean, update: boolean, remove: boolean): object => ({
	read,
	insert,
	update,
	delete: remove,
	attribute_permissions: null,
});
const OPERATOR = {
	super_user: false,
	data: { tables: { LedSign: table(true, true, true, false), SignStatus: table(true, false, false, false) } },
};
const VIEWER = {
	super_user: false,
	data: { tables: { LedSign: table(true, false, false, false), SignStatus: table(true, false, false, false) } },
};

describe('what a role may do with signs', () => {
	it('a super user may do everything, whatever else the role says', () => {
		expect(capabilitiesFor({ super_user: true }, 'LedSign')).toEqual({
			read: true,
			change: true,
			create: true,
			delete: true,
		});
		expect(capabilitiesFor({ super_user: true, data: { tables: {} } }, 'LedSign').delete).toBe(true);
	});

	it('an operator may read, change and create, not delete', () => {
		expect(capabilitiesFor(OPERATOR, 'LedSign')).toEqual({ read: true, change: true, create: true, delete: false });
	});

	it('a viewer may only read', () => {
		expect(capabilitiesFor(VIEWER, 'LedSign')).toEqual({ read: true, change: false, create: false, delete: false });
	});

	it('maps Harper’s update to change and insert to create, each on its own', () => {
		const updateOnly = { data: { tables: { LedSign: table(false, false, true, false) } } };
		const insertOnly = { data: { tables: { LedSign: table(false, true, false, false) } } };
		expect(capabilitiesFor(updateOnly, 'LedSign')).toEqual({ read: false, change: true, create: false, delete: false });
		expect(capabilitiesFor(insertOnly, 'LedSign')).toEqual({ read: false, change: false, create: true, delete: false });
	});

	it('reads the table of the database asked for', () => {
		const elsewhere = { other: { tables: { LedSign: table(true, true, true, true) } } };
		expect(capabilitiesFor(elsewhere, 'LedSign').read).toBe(false);
		expect(capabilitiesFor(elsewhere, 'LedSign', 'other')).toEqual({
			read: true,
			change: true,
			create: true,
			delete: true,
		});
	});

	it('understands the older shape with the table at the top, for the data database only', () => {
		const legacy = { super_user: false, LedSign: table(true, false, true, false) };
		expect(capabilitiesFor(legacy, 'LedSign')).toEqual({ read: true, change: true, create: false, delete: false });
		expect(capabilitiesFor(legacy, 'LedSign', 'other').read).toBe(false);
	});

	it('allows nothing for a table the role does not name, no role, or a malformed permission', () => {
		const nothing = { read: false, change: false, create: false, delete: false };
		expect(capabilitiesFor(VIEWER, 'DeviceAccount')).toEqual(nothing);
		expect(capabilitiesFor(undefined, 'LedSign')).toEqual(nothing);
		expect(capabilitiesFor(null, 'LedSign')).toEqual(nothing);
		expect(capabilitiesFor('super_user', 'LedSign')).toEqual(nothing);
		expect(capabilitiesFor({ super_user: 'yes' }, 'LedSign')).toEqual(nothing);
		expect(capabilitiesFor({ data: { tables: { LedSign: 'all' } } }, 'LedSign')).toEqual(nothing);
		// Only `true` grants: a truthy string in a hand-written role does not.
		expect(capabilitiesFor({ data: { tables: { LedSign: { read: 'true' } } } }, 'LedSign').read).toBe(false);
	});
});
