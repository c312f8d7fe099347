/**
 * Random bytes that every worker thread sharing one block of memory (sharedMemory in facade.ts) sees the same: the
 * first thread to arrive writes them, the others wait the few nanoseconds that takes. A secret or an id of the
 * process, made once whichever thread loads first.
 */
import { randomBytes } from 'node:crypto';

const UNSET = 0;
const WRITING = 1;
const READY = 2;

/** Fills `target` with random bytes once for all threads; `state[index]` (0 in fresh memory) records that it was. */
export function randomOnce(state: Int32Array, index: number, target: Uint8Array): void {
	if (Atomics.compareExchange(state, index, UNSET, WRITING) === UNSET) {
		randomBytes(target.byteLength).copy(target);
		Atomics.store(state, index, READY);
	}
	while (Atomics.load(state, index) !== READY) {
		// another thread is writing them
	}
}
