/** A process's resident memory (Linux /proc), for the tests and the bench that bound or report Harper's. */
import { readFileSync } from 'node:fs';

/**
 * VmRSS of `pid` in MiB, unrounded; NaN if the status file names none. Harper's worker threads live in the process
 * the harness started, so its VmRSS is the whole server. Throws when there is no such process.
 */
export function rssMiB(pid: number | undefined): number {
	const status = readFileSync(`/proc/${pid ?? 'missing'}/status`, 'utf8');
	return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1]) / 1024;
}
