/** Small measuring tools for the benchmarks: percentiles, timing, process memory, bounded waits. */
import { rssMiB as residentMiB } from '../harness/memory.ts';

export interface Percentiles {
	samples: number;
	p50: number;
	p95: number;
	p99: number;
	max: number;
}

export function percentiles(values: number[]): Percentiles {
	const sorted = [...values].sort((a, b) => a - b);
	const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
	return { samples: sorted.length, p50: at(0.5), p95: at(0.95), p99: at(0.99), max: sorted.at(-1) ?? NaN };
}

export const round = (value: number, digits = 1): number => Math.round(value * 10 ** digits) / 10 ** digits;

/** Resident memory of a process, in MiB (Linux), to a tenth. */
export function rssMiB(pid: number | undefined): number {
	return pid ? round(residentMiB(pid)) : NaN;
}

export function sleep(ms: number): Promise<void> {
	return new Promise((done) => setTimeout(done, ms));
}

/** Runs `work` for each item with at most `limit` running at once. */
export async function inBatches<T, R>(items: T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
	const results: R[] = new Array<R>(items.length);
	let next = 0;
	await Promise.all(
		Array.from({ length: Math.min(limit, items.length) }, async () => {
			while (next < items.length) {
				const index = next++;
				results[index] = await work(items[index] as T);
			}
		})
	);
	return results;
}

/** Resolves when `count` arrivals were reported, or at the deadline with however many came. */
export class Arrivals {
	readonly times: number[] = [];
	#expected: number;
	#done: () => void = () => undefined;
	readonly finished: Promise<void>;

	constructor(expected: number, timeoutMs: number) {
		this.#expected = expected;
		this.finished = new Promise<void>((resolve) => {
			this.#done = resolve;
			setTimeout(resolve, timeoutMs);
		});
		if (expected === 0) this.#done();
	}

	arrive(at: number): void {
		this.times.push(at);
		if (this.times.length === this.#expected) this.#done();
	}
}
