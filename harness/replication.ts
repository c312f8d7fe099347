/**
 * Two Harper nodes' replication link, for tests: join them with add_node, and know when the link is really up,
 * which is when a change written on either node has reached the other.
 *
 * Harper's own `cluster_status` is not enough for that. It reports a node's data link `connected` as soon as the
 * node's socket to its peer opens, before the peer has started the full copy it serves a node that joins. A write
 * committed on the peer in that instant can be in neither the copy nor the log that follows it: Harper 4.7's copy
 * (server/replication/replicationConnection.ts, "Replicating all tables") takes `Date.now()` as the point to
 * stream the log from, then reads the tables; a write that took its timestamp before that point and committed
 * after the read is skipped by both, and never arrives. Seen here: a PUT made as `connected` came up on both
 * nodes never reached the other node, while the next one, 21 s later, arrived in 10 ms.
 */
import { operation } from './operations.ts';
import { rest } from './rest.ts';
import type { HarperInstance } from './harper.ts';

interface ClusterStatus {
	connections: { database_sockets: { database: string; connected: boolean }[] }[];
}

/** Whether `node` reports its link for the `data` database connected (its own view only). */
async function dataLinkConnected(node: HarperInstance): Promise<boolean> {
	const status = (await operation(node, { operation: 'cluster_status' })) as ClusterStatus;
	const sockets = status.connections.flatMap((connection) => connection.database_sockets);
	return sockets.some((socket) => socket.database === 'data' && socket.connected);
}

/** Whether record `id` of LedSign is stored on `node`. */
async function hasSign(node: HarperInstance, id: string): Promise<boolean> {
	return (await rest(node, 'GET', `/LedSign/${id}`)).status === 200;
}

/** Polls `check` every 100 ms until it holds (the milliseconds it took) or `ms` have passed (undefined). */
async function within(ms: number, check: () => Promise<boolean>): Promise<number | undefined> {
	const start = Date.now();
	while (Date.now() - start <= ms) {
		if (await check()) return Date.now() - start;
		await new Promise((done) => setTimeout(done, 100));
	}
	return undefined;
}

export interface ProbeOutcome {
	/** Probes written before one arrived: the ones Harper lost at the join. */
	lost: number;
	/** How long the probe that arrived took. */
	arrivedMs: number;
}

export interface LinkProbes {
	/** Probes written on `from` before giving up. */
	attempts: number;
	/** How long to wait for each. */
	probeWithinMs: number;
	/** Names the probes of one run apart from another's. */
	label: string;
}

/**
 * Writes probe signs on `from` until one of them reaches `to` (each given `probeWithinMs`): how many were lost
 * first and how long the one that arrived took, or undefined when none did in `attempts`.
 */
export async function linkCarries(
	from: HarperInstance,
	to: HarperInstance,
	{ attempts, probeWithinMs, label }: LinkProbes
): Promise<ProbeOutcome | undefined> {
	for (let lost = 0; lost < attempts; lost++) {
		const id = `link-probe-${label}-${lost + 1}`;
		await rest(from, 'PUT', `/LedSign/${id}`, { text: id });
		const arrivedMs = await within(probeWithinMs, () => hasSign(to, id));
		if (arrivedMs !== undefined) return { lost, arrivedMs };
	}
	return undefined;
}

/** Waits until both nodes report their data link connected (Harper's view), within `ms`. */
export async function bothConnected(a: HarperInstance, b: HarperInstance, ms: number): Promise<boolean> {
	return (await within(ms, async () => (await dataLinkConnected(a)) && (await dataLinkConnected(b)))) !== undefined;
}
