/**
 * The accounts the role and HTTP matrices try: one of each role Marquee ships, a device account bound to a sign,
 * and one bound to none; and who each actor of the matrices logs in as.
 */
import type { Credentials } from '../../harness/clients.ts';
import type { Actor } from './role-matrix.ts';

export type AccountKind = 'operator' | 'viewer' | 'device' | 'deviceUnbound';
export type MatrixAccounts = Record<AccountKind, Credentials & { role: string }>;

/** `<prefix>-operator` with password `<prefix>-operator-<passwordTail>`, and so on for each kind. */
export function matrixAccounts(prefix: string, passwordTail: string): MatrixAccounts {
	const account = (name: string, role: string): Credentials & { role: string } => ({
		username: `${prefix}-${name}`,
		password: `${prefix}-${name}-${passwordTail}`,
		role,
	});
	return {
		operator: account('operator', 'marquee_operator'),
		viewer: account('viewer', 'marquee_viewer'),
		device: account('device', 'marquee_device'),
		// A device account with no DeviceAccount record: bound to no sign, so it may touch nothing.
		deviceUnbound: account('unbound', 'marquee_device'),
	};
}

/** Who `actor` logs in as: the admin, nobody (anonymous), or its account (deviceOther is the device, elsewhere). */
export function credentialsOf(actor: Actor, accounts: MatrixAccounts, admin: Credentials): Credentials | null {
	if (actor === 'admin') return admin;
	if (actor === 'anonymous') return null;
	const { username, password } = accounts[actor === 'deviceOther' ? 'device' : actor];
	return { username, password };
}
