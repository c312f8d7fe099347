/**
 * The one sign a device account may touch: table DeviceAccount, written by `npm run user -- add <name> --role
 * device --sign <id>` (only super users reach it). Looked up on every request, so a removal takes effect at once.
 */
import { recordOf } from '../harper/facade.ts';
import { DEVICE_ROLE, type Account } from './accounts.ts';

/** The sign a device account is bound to; null for a device account bound to none (it may touch nothing), undefined for any other account. */
export async function boundSign(account: Account | undefined): Promise<string | null | undefined> {
	if (account?.role !== DEVICE_ROLE) return undefined;
	const binding = await recordOf('DeviceAccount', account.username);
	return typeof binding?.sign === 'string' ? binding.sign : null;
}
