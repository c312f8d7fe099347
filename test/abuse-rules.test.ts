/** The pure parts of the abuse limits and the device binding: no server needed. */
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { ABUSE_LIMITS, limitsFrom } from '../src/admission/limits.ts';
import { packetSizeGuard } from '../src/harper/mqtt-packet-size.ts';
import { SharedCounters, sharedCountersBytes } from '../src/admission/shared-counters.ts';
import { SharedRateLimiter, sharedLimiterBytes } from '../src/admission/shared-rate-limiter.ts';
import { fixedHeader } from '../harness/mqtt-wire.ts';

describe('SharedRateLimiter', () => {
	const memory = (slots = 64): SharedArrayBuffer => new SharedArrayBuffer(sharedLimiterBytes(slots));

	it('allows a burst, then one per 1/perSecond, and waits without taking', () => {
		const limiter = new SharedRateLimiter({ perSecond: 2, burst: 3 }, memory());
		expect([0, 0, 0].map(() => limiter.take('a', 1000))).toEqual([0, 0, 0]);
		expect(limiter.wait('a', 1000)).toBe(500);
		expect(limiter.take('a', 1250)).toBe(250);
		expect(limiter.take('a', 1500)).toBe(0);
		expect(limiter.wait('b', 1500)).toBe(0);
	});

	it('never stores more than a burst, however long the quiet', () => {
		const limiter = new SharedRateLimiter({ perSecond: 10, burst: 2 }, memory());
		limiter.take('a', 0);
		const taken = [0, 0, 0].map(() => limiter.take('a', 1_000_000));
		expect(taken.filter((wait) => wait === 0)).toHaveLength(2);
	});

	it('is one limit for every view of the same memory: what one thread takes, another cannot', () => {
		const shared = memory();
		const [one, two] = [
			new SharedRateLimiter({ perSecond: 1, burst: 2 }, shared),
			new SharedRateLimiter({ perSecond: 1, burst: 2 }, shared),
		];
		expect(one.take('k', 0)).toBe(0);
		expect(two.take('k', 0)).toBe(0);
		expect(one.take('k', 0)).toBe(1000);
		expect(two.wait('k', 0)).toBe(1000);
	});

	it('stays in its fixed memory whatever the keys, keeping the buckets in use', () => {
		const limiter = new SharedRateLimiter({ perSecond: 0.001, burst: 1 }, memory(1024));
		limiter.take('busy', 0);
		for (let i = 1; i <= 100_000; i++) {
			limiter.take(`attacker-${i}`, i);
			if (i % 50 === 0) limiter.wait('busy', i); // looked at all along, so its slot is never the oldest near it
		}
		expect(limiter.wait('busy', 100_000)).toBeGreaterThan(0);
	});

	it('counts exactly under real threads taking from one bucket at once', async () => {
		const shared = memory();
		const burst = 5000;
		const module = new URL('../dist/src/admission/shared-rate-limiter.js', import.meta.url).href;
		const code = `
			const { workerData, parentPort } = require('node:worker_threads');
			import(workerData.module).then(({ SharedRateLimiter }) => {
				const limiter = new SharedRateLimiter({ perSecond: 0.000001, burst: workerData.burst }, workerData.shared);
				let taken = 0;
				for (let i = 0; i < workerData.burst; i++) if (limiter.take('one key', 0) === 0) taken++;
				parentPort.postMessage(taken);
			});`;
		const takenBy = await Promise.all(
			[1, 2, 3, 4].map(
				() =>
					new Promise<number>((resolve, reject) => {
						const worker = new Worker(code, { eval: true, workerData: { module, shared, burst } });
						worker.once('message', (taken: number) => {
							resolve(taken);
							void worker.terminate();
						});
						worker.once('error', reject);
					})
			)
		);
		expect(takenBy.reduce((sum, taken) => sum + taken, 0)).toBe(burst);
	});
});

describe('SharedCounters', () => {
	const memory = (slots = 64): SharedArrayBuffer => new SharedArrayBuffer(sharedCountersBytes(slots));
	/** Long past any heartbeat: a thread silent since now is dead by then. */
	const later = (): number => Date.now() + 60_000;

	it('counts per key up to the limit, and gives each count back once', () => {
		const counters = new SharedCounters(2, memory());
		const first = counters.take('a');
		expect(counters.take('a')).toBeDefined();
		expect(counters.take('a')).toBeUndefined();
		expect(counters.take('b')).toBeDefined();
		first?.();
		first?.();
		expect(counters.count('a')).toBe(1);
		expect(counters.take('a')).toBeDefined();
		expect(counters.take('a')).toBeUndefined();
	});

	it('is one count for every view of the same memory: what one thread holds, another cannot take', () => {
		const shared = memory();
		const [one, two] = [new SharedCounters(2, shared), new SharedCounters(2, shared)];
		const release = one.take('k');
		expect(two.take('k')).toBeDefined();
		expect(one.take('k')).toBeUndefined();
		expect(two.take('k')).toBeUndefined();
		release?.();
		expect(two.count('k')).toBe(1);
		expect(two.take('k')).toBeDefined();
	});

	it('stays in its fixed memory whatever the keys, and reuses a slot once its count is back to 0', () => {
		const counters = new SharedCounters(1, memory(16));
		for (let i = 0; i < 10_000; i++) counters.take(`passing-${i}`)?.();
		// More keys held at once than slots: the ones without a slot are let in uncounted, and their release is a no-op.
		const held = Array.from({ length: 100 }, (_, i) => counters.take(`held-${i}`));
		expect(held.every((release) => release !== undefined)).toBe(true);
		for (const release of held) release?.();
		for (let i = 0; i < 100; i++) expect(counters.count(`held-${i}`)).toBe(0);
		expect(counters.take('again')).toBeDefined();
		expect(counters.take('again')).toBeUndefined();
	});

	/** Runs `code` in a thread of its own with the module and the memory (workerData.module, workerData.shared). */
	function inThread(code: string, shared: SharedArrayBuffer, data: object = {}): Worker {
		const module = new URL('../dist/src/admission/shared-counters.js', import.meta.url).href;
		return new Worker(
			`const { workerData, parentPort } = require('node:worker_threads');
			import(workerData.module).then(({ SharedCounters }) => { ${code} });`,
			{ eval: true, workerData: { module, shared, ...data } }
		);
	}

	const nextMessage = <T>(worker: Worker): Promise<T> =>
		new Promise((resolve, reject) => {
			worker.once('message', resolve);
			worker.once('error', reject);
		});

	it('counts exactly under real threads taking for one key at once', async () => {
		const shared = memory();
		const limit = 5000;
		const workers = [1, 2, 3, 4].map(() =>
			inThread(
				`const counters = new SharedCounters(workerData.limit, workerData.shared);
				let taken = 0;
				for (let i = 0; i < workerData.limit; i++) if (counters.take('one key')) taken++;
				parentPort.postMessage(taken);
				// Alive until terminated: a thread that ends gives its counts back, for the others still taking.
				parentPort.on('message', () => undefined);`,
				shared,
				{ limit }
			)
		);
		try {
			const takenBy = await Promise.all(workers.map((worker) => nextMessage<number>(worker)));
			expect(takenBy.reduce((sum, taken) => sum + taken, 0)).toBe(limit);
		} finally {
			await Promise.all(workers.map((worker) => worker.terminate()));
		}
	});

	it.each([
		['exits (its exit handler gives its counts back at once)', 'exit'],
		['is killed (its heartbeat stops, and a live thread drops its counts)', 'kill'],
	])('forgets the counts of a thread that %s', async (_, how) => {
		const shared = memory();
		const counters = new SharedCounters(3, shared);
		const worker = inThread(
			`const counters = new SharedCounters(3, workerData.shared);
			for (let i = 0; i < 3; i++) counters.take('device');
			parentPort.postMessage('held');
			parentPort.on('message', () => process.exit(0));`,
			shared
		);
		expect(await nextMessage(worker)).toBe('held');
		expect(counters.take('device')).toBeUndefined();
		const exited = new Promise((resolve) => worker.once('exit', resolve));
		if (how === 'exit') worker.postMessage('exit');
		else void worker.terminate();
		await exited;
		if (how === 'kill') {
			expect(counters.count('device'), 'until its silence is noticed').toBe(3);
			counters.beat(later());
		}
		expect(counters.count('device')).toBe(0);
		expect(counters.take('device')).toBeDefined();
	});

	it('lets a thread taken for dead count again, without giving back what was dropped', () => {
		const shared = memory();
		const [frozen, alive] = [new SharedCounters(2, shared), new SharedCounters(2, shared)];
		const fromBefore = frozen.take('k');
		alive.take('k');
		alive.beat(later());
		expect(alive.count('k')).toBe(1);
		// Waking up: its count from before was dropped with its column, so giving it back changes nothing.
		fromBefore?.();
		expect(alive.count('k')).toBe(1);
		expect(frozen.take('k')).toBeDefined();
		expect(alive.take('k')).toBeUndefined();
	});

	it('drops its own counts at once when closed', () => {
		const shared = memory();
		const [ending, staying] = [new SharedCounters(1, shared), new SharedCounters(1, shared)];
		ending.take('k');
		expect(staying.take('k')).toBeUndefined();
		ending.close();
		expect(staying.take('k')).toBeDefined();
	});
});

describe('limitsFrom (MARQUEE_LIMITS)', () => {
	it('keeps the defaults without overrides and merges partial ones', () => {
		expect(limitsFrom(undefined)).toBe(ABUSE_LIMITS);
		const limits = limitsFrom('{"writesPerSign":{"perSecond":2},"connectionsPerAccount":3}');
		expect(limits.writesPerSign).toEqual({ perSecond: 2, burst: ABUSE_LIMITS.writesPerSign.burst });
		expect(limits.connectionsPerAccount).toBe(3);
		expect(limits.messageBytes).toBe(ABUSE_LIMITS.messageBytes);
	});

	it.each([
		['[]', 'a JSON object'],
		['{"writesPerSecond":1}', 'unknown limit "writesPerSecond"'],
		['{"messageBytes":-1}', 'messageBytes must be a positive number'],
		['{"writesPerAccount":{"burst":"10"}}', 'writesPerAccount.burst must be a positive number'],
	])('refuses %s, naming what is wrong', (json, message) => {
		expect(() => limitsFrom(json)).toThrow(message);
	});
});

describe('packetSizeGuard', () => {
	/** An MQTT fixed header: PUBLISH's type byte and the remaining length as MQTT's variable-length integer. */
	const header = (length: number): number[] => [...fixedHeader(0x30, length)];
	const packet = (length: number): Uint8Array =>
		Uint8Array.from([...header(length), ...new Array<number>(length).fill(7)]);

	it('passes packets up to the limit, whole or split anywhere', () => {
		const stream = Buffer.concat([packet(100), packet(0), packet(1000), packet(1024)]);
		for (const size of [1, 3, 7, 64, stream.length]) {
			const withinLimit = packetSizeGuard(1024);
			for (let at = 0; at < stream.length; at += size) expect(withinLimit(stream.subarray(at, at + size))).toBe(true);
		}
	});

	it('refuses a packet announced bigger than the limit from its header alone', () => {
		const withinLimit = packetSizeGuard(1024);
		expect(withinLimit(packet(10))).toBe(true);
		expect(withinLimit(Uint8Array.from(header(2_000_000)))).toBe(false);
	});

	it('refuses a remaining length longer than MQTT allows (malformed)', () => {
		expect(packetSizeGuard(Number.MAX_SAFE_INTEGER)(Uint8Array.of(0x30, 0xff, 0xff, 0xff, 0xff, 0x01))).toBe(false);
	});
});
