/**
 * Who is asking, as far as Marquee's own checks need to know: the account, its role, whether it is an
 * administrator. (A device account's bound sign is looked up in device-binding.ts.)
 */
import { harperUser } from '../harper/facade.ts';

export const DEVICE_ROLE = 'marquee_device';

export interface Account {
	username: string;
	role: string | undefined;
	superUser: boolean;
	/** The role's permission object as Harper keeps it (what capabilities.ts reads). */
	permission: unknown;
}

export function accountOf(user: unknown): Account | undefined {
	const { username, role } = harperUser(user);
	if (typeof username !== 'string') return undefined;
	return {
		username,
		role: typeof role?.role === 'string' ? role.role : undefined,
		superUser: role?.permission?.super_user === true,
		permission: role?.permission,
	};
}
