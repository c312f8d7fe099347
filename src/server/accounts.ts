/**
 * Who is asking, as far as Marquee's own checks need to know: the account, whether it is an administrator,
 * and for a device account, the one sign it is bound to (table DeviceAccount, written by `npm run user`).
 */
import { tables } from 'harperdb';

export const DEVICE_ROLE = 'marquee_device';

export interface Account {
	username: string;
	role: string | undefined;
	superUser: boolean;
}

/** Harper's user record, seen only as far as this module needs. */
interface HarperUser {
	username?: unknown;
	role?: { role?: unknown; permission?: { super_user?: unknown } };
}

export function accountOf(user: unknown): Account | undefined {
	const { username, role } = (user ?? {}) as HarperUser;
	if (typeof username !== 'string') return undefined;
	return {
		username,
		role: typeof role?.role === 'string' ? role.role : undefined,
		superUser: role?.permission?.super_user === true,
	};
}

/**
 * The sign a device account is bound to; null for a device account bound to none (it may touch nothing),
 * undefined for any other account. Read on every check, so `npm run user -- remove` takes effect at once.
 */
export async function boundSign(account: Account | undefined): Promise<string | null | undefined> {
	if (account?.role !== DEVICE_ROLE) return undefined;
	const binding = (await tables.DeviceAccount?.get(account.username)) as { sign?: unknown } | undefined;
	return typeof binding?.sign === 'string' ? binding.sign : null;
}
