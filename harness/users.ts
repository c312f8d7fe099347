/** Accounts for a test: the one way the harness creates a user with a role (Harper's add_user), and binds a device. */
import { operation } from './operations.ts';
import type { Credentials, ServerInfo } from './types.ts';

type OperationsServer = Pick<ServerInfo, 'operationsUrl' | 'admin' | 'tls'>;

/** Adds an active user with this role; throws unless Harper accepts it. */
export async function addUser(server: OperationsServer, user: Credentials, role: string): Promise<void> {
	await operation(server, {
		operation: 'add_user',
		role,
		active: true,
		username: user.username,
		password: user.password,
	});
}

/** Binds a device account to the one sign it may read and report on (Marquee's DeviceAccount table). */
export async function bindDevice(server: OperationsServer, username: string, sign: string): Promise<void> {
	await operation(server, {
		operation: 'upsert',
		database: 'data',
		table: 'DeviceAccount',
		records: [{ id: username, sign }],
	});
}

/** Drops a user (the tests that share the suite's Harper clean up after themselves). */
export async function dropUser(server: OperationsServer, username: string): Promise<void> {
	await operation(server, { operation: 'drop_user', username });
}
