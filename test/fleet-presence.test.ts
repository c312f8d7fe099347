/**
 * Fleet presence, with two worker threads: a fleet of simulated signs (one process, each sign its own MQTT
 * connection with its will, birth and reports, as the firmware behaves) connects right after Harper starts; a crash
 * of the fleet's process marks every sign offline; a restart of Harper under the fleet brings every sign back
 * online and showing its current version; a second crash marks them all offline again. Each step is timed (the
 * times go to the test log). Before the server decided presence itself, 158 of 200 signs stayed online after the
 * crash that followed a restart: Harper replays and deletes stored wills shortly after start, so a device that
 * connected in that window had none.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { LedSignRecord, SignStatusRecord } from '../src/shared/sign-rules.ts';
import { rest } from '../harness/clients.ts';
import { startSimulator, type SimulatorProcess } from '../harness/simulator.ts';
import { useHarper } from '../harness/use-harper.ts';

const FLEET = 200;
const PREFIX = 'fleet';
const STEP_MS = 60_000;
/** A test waits for at most four steps. */
const TEST_MS = 4 * STEP_MS;

const server = useHarper({ config: { threads: { count: 2 } } });
const signIds = Array.from({ length: FLEET }, (_, n) => `${PREFIX}-${n + 1}`);

async function fleetStatuses(): Promise<Map<string, SignStatusRecord>> {
	const { status, body } = await rest(server, 'GET', '/SignStatus/');
	if (status !== 200 || !Array.isArray(body)) return new Map();
	const statuses = (body as SignStatusRecord[]).filter((record) => record.id.startsWith(`${PREFIX}-`));
	return new Map(statuses.map((record) => [record.id, record]));
}

async function versions(): Promise<Map<string, number>> {
	const { body } = await rest(server, 'GET', '/LedSign/');
	const signs = (body as LedSignRecord[]).filter((record) => record.id.startsWith(`${PREFIX}-`));
	return new Map(signs.map((record) => [record.id, record.version]));
}

/** Waits until `done` holds for the fleet's statuses (and the signs' versions); answers how long it took. */
async function timeUntil(
	what: string,
	done: (statuses: Map<string, SignStatusRecord>, signs: Map<string, number>) => boolean
): Promise<number> {
	const started = Date.now();
	let last = '';
	while (Date.now() - started < STEP_MS) {
		const [statuses, signs] = await Promise.all([fleetStatuses(), versions()]);
		if (done(statuses, signs)) {
			const ms = Date.now() - started;
			console.log(`fleet of ${FLEET}: ${what} in ${ms} ms`);
			return ms;
		}
		const online = [...statuses.values()].filter((record) => record.online).length;
		const behind = signIds.filter(
			(id) => statuses.get(id)?.online !== true || statuses.get(id)?.shownVersion !== signs.get(id)
		);
		last = `${statuses.size} statuses, ${online} online; behind: ${JSON.stringify(behind.slice(0, 3).map((id) => [statuses.get(id), signs.get(id)]))}`;
		await new Promise((resume) => setTimeout(resume, 250));
	}
	throw new Error(`fleet of ${FLEET}: not ${what} within ${STEP_MS} ms (${last})`);
}

const allOnlineAndCurrent = (statuses: Map<string, SignStatusRecord>, signs: Map<string, number>): boolean =>
	signIds.every((id) => statuses.get(id)?.online === true && statuses.get(id)?.shownVersion === signs.get(id));
const allOffline = (statuses: Map<string, SignStatusRecord>): boolean =>
	signIds.every((id) => statuses.get(id)?.online === false);

describe(`a fleet of ${FLEET} signs`, () => {
	let fleet: SimulatorProcess | undefined;

	beforeAll(async () => {
		await Promise.all(signIds.map((id) => rest(server, 'PUT', `/LedSign/${id}`, { text: id })));
	});

	it(
		'is online and current right after start, and all offline after a crash',
		async () => {
			// Right after start: the will replay window is now.
			fleet = startSimulator(server, PREFIX, { count: FLEET });
			await timeUntil('online and current after start', allOnlineAndCurrent);
			await fleet.kill('SIGKILL');
			await timeUntil('offline after a crash', allOffline);
		},
		TEST_MS
	);

	it(
		'comes back online and current after a restart of Harper under it, and all offline after a crash',
		async () => {
			fleet = startSimulator(server, PREFIX, { count: FLEET });
			await timeUntil('online and current again', allOnlineAndCurrent);
			await server.restart();
			await Promise.all(
				signIds.slice(0, 20).map((id) => rest(server, 'PATCH', `/LedSign/${id}`, { text: `${id} again` }))
			);
			await timeUntil('online and current after a restart', allOnlineAndCurrent);
			await fleet.kill('SIGKILL');
			await timeUntil('offline after a crash following the restart', allOffline);
		},
		TEST_MS
	);

	it(
		'is marked offline by the server after Harper itself crashes and comes back without the fleet',
		async () => {
			fleet = startSimulator(server, PREFIX, { count: FLEET });
			await timeUntil('online and current once more', allOnlineAndCurrent);
			await server.kill();
			await fleet.kill('SIGKILL');
			await server.restart();
			await timeUntil('offline after the server crashed with the fleet', allOffline);
			expect([...(await fleetStatuses()).values()].filter((record) => record.online)).toEqual([]);
		},
		TEST_MS
	);

	// Each test's fleet ends with it, even when a step failed: a fleet left running would keep its signs online
	// through the next test's crash.
	afterEach(async () => {
		await fleet?.kill('SIGKILL');
	});
});
