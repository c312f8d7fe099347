/**
 * Right after Harper starts, with three worker threads, every login with the right credentials is let in
 * (issue 13, part 5): storms of REST reads with Basic auth and MQTT CONNECTs, each on a connection of its own so
 * that every worker thread gets its share, meet no 401, 403, 429, 503 or refusing CONNACK. First for accounts
 * added just after a fresh install started, then from before a restarted server listens until ten seconds after
 * it first answers, over several restarts.
 */
import { describe, expect, it } from 'vitest';
import { RESTART_WITHIN_MS } from '../harness/harper.ts';
import { stormLogins, type StormOptions, type StormResult } from '../harness/login-storm.ts';
import { useHarper } from '../harness/use-harper.ts';
import { addUser } from '../harness/users.ts';

const RESTARTS = 3;
const STORM_MS = 10_000;
const harper = useHarper({ config: { threads: { count: 3 } } });

const users = Array.from({ length: 6 }, (_, i) => ({ username: `storm-${i}`, password: `storm-Pass-${i}` }));
const storm: StormOptions = {
	users,
	afterFirstAnswerMs: STORM_MS,
	firstAnswerWithinMs: RESTART_WITHIN_MS,
	restConcurrency: 24,
	mqttConcurrency: 8,
};

/** Each storm's tally (for the log) and its refusals, named by when they came. */
function report(results: { when: string; result: StormResult }[]): string[] {
	console.log(`login storms: ${JSON.stringify(results.map(({ when, result }) => ({ when, ...result.tally })))}`);
	return results.flatMap(({ when, result }) => result.refusals.map((refusal) => `${when}: ${refusal}`));
}

describe('logins just after a start', () => {
	it(
		`refuses no valid login in the first seconds, after the first start and over ${RESTARTS} restarts`,
		async () => {
			for (const [i, user] of users.entries()) {
				await addUser(harper, user, i % 2 ? 'marquee_viewer' : 'marquee_operator');
			}
			const results = [{ when: 'just after the first start', result: await stormLogins(harper, storm) }];
			for (let restart = 1; restart <= RESTARTS; restart++) {
				await harper.stop();
				// The storm starts while nothing listens, so its first logins meet the first worker thread to listen.
				const [result] = await Promise.all([stormLogins(harper, storm), harper.restart()]);
				results.push({ when: `restart ${restart}`, result });
			}
			expect(report(results)).toEqual([]);
		},
		(RESTARTS + 1) * (RESTART_WITHIN_MS + STORM_MS)
	);
});
