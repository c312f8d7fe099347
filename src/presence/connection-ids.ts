/**
 * Names for MQTT connections that say where they live, so any thread of any node can tell whether the
 * connection a stored status names can still be open: `<node>/<process start>/<thread>/<n>`.
 *
 * The process start is one random id every worker thread of this Harper process shares (a restart or a crash of
 * the server makes a new one, so every connection named with the old one is gone). Each thread also beats in
 * shared memory; a thread that stops beating (Harper restarts a crashed worker under a new thread id) has taken its
 * connections with it.
 */
import { threadId } from 'node:worker_threads';
import { nodeName, sharedMemory } from '../harper/facade.ts';
import { randomOnce } from '../harper/shared-once.ts';

const THREAD_SLOTS = 256;

interface Shared {
	state: Int32Array;
	start: Uint8Array;
	beats: Float64Array;
}

let shared: Shared | undefined;
let counter = 0;

function sharedState(): Shared {
	if (shared) return shared;
	const memory = sharedMemory('presence', 16 + THREAD_SLOTS * 8);
	shared = {
		state: new Int32Array(memory, 0, 1),
		start: new Uint8Array(memory, 4, 8),
		beats: new Float64Array(memory, 16),
	};
	randomOnce(shared.state, 0, shared.start);
	return shared;
}

function processStart(): string {
	return Buffer.from(sharedState().start).toString('hex');
}

export interface ConnectionName {
	node: string;
	start: string;
	thread: number;
}

/** A new name for a connection this thread holds. */
export function nameConnection(): string {
	return `${nodeName()}/${processStart()}/${threadId}/${++counter}`;
}

export function parseConnection(name: unknown): ConnectionName | undefined {
	if (typeof name !== 'string') return undefined;
	const match = /^(.+)\/([0-9a-f]{16})\/(\d+)\/\d+$/.exec(name);
	if (!match) return undefined;
	return { node: match[1] ?? '', start: match[2] ?? '', thread: Number(match[3]) };
}

/** Notes that this thread is alive (the sweeper calls it). */
export function beat(now = Date.now()): void {
	sharedState().beats[threadId % THREAD_SLOTS] = now;
}

/** Where a connection lives, seen from here. */
export function whereIs(name: ConnectionName, now = Date.now()): 'this thread' | 'live thread' | 'gone' | 'other node' {
	if (name.node !== nodeName()) return 'other node';
	if (name.start !== processStart()) return 'gone';
	if (name.thread === threadId) return 'this thread';
	const lastBeat = sharedState().beats[name.thread % THREAD_SLOTS] ?? 0;
	return now - lastBeat < THREAD_SILENT_MS ? 'live thread' : 'gone';
}

/** How often each thread beats and sweeps. */
export const SWEEP_MS = 2000;
/** A thread silent this long has ended (Harper restarts a crashed worker within seconds). */
const THREAD_SILENT_MS = 15 * SWEEP_MS;
