/**
 * A storm of logins with the right credentials at a Harper that is starting: many REST reads with Basic auth and
 * MQTT CONNECTs at once, from before it listens until a while after it first answers, tallied by outcome. Used to
 * show that a server that has just started refuses no valid login (issue 13, part 5).
 */
import { rest } from './rest.ts';
import { mqttConnectCode } from './mqtt-client.ts';
import type { Credentials, ServerInfo } from './types.ts';

export interface StormOptions {
	users: Credentials[];
	/** Keep going this long after the first answer (a status or a CONNACK). */
	afterFirstAnswerMs: number;
	/** Give up waiting for a first answer after this long. */
	firstAnswerWithinMs: number;
	restConcurrency: number;
	mqttConcurrency: number;
}

/** How each attempt ended: `rest 200`, `mqtt 0`, `mqtt 134`; `rest ECONNREFUSED` while nothing listens yet. */
export type Tally = Record<string, number>;

export interface StormResult {
	tally: Tally;
	/** The attempts a running server answered with a refusal of the login (401, 403, 429, 503; a CONNACK ≠ 0). */
	refusals: string[];
}

/** REST: an answer that is not about the login (200, 404) passes; these say the login was refused. */
const REFUSING_STATUS = new Set([401, 403, 429, 503]);

/** Runs `attempt` in `concurrency` loops at once until `done()` says to stop. */
async function loops(concurrency: number, attempt: () => Promise<void>, done: () => boolean): Promise<void> {
	await Promise.all(
		Array.from({ length: concurrency }, async () => {
			while (!done()) await attempt();
		})
	);
}

export async function stormLogins(server: ServerInfo, options: StormOptions): Promise<StormResult> {
	const tally: Tally = {};
	const refusals: string[] = [];
	const startedAt = Date.now();
	let firstAnswerAt: number | undefined;
	let turn = 0;
	const nextUser = (): Credentials => options.users[turn++ % options.users.length]!;
	const done = (): boolean =>
		firstAnswerAt === undefined
			? Date.now() - startedAt > options.firstAnswerWithinMs
			: Date.now() - firstAnswerAt > options.afterFirstAnswerMs;
	/** `answer`: a status or a CONNACK, as opposed to a connection refused or reset (no server there yet). */
	const note = (outcome: string, answer: { refused: boolean } | undefined, user: Credentials): void => {
		tally[outcome] = (tally[outcome] ?? 0) + 1;
		if (!answer) return;
		firstAnswerAt ??= Date.now();
		if (answer.refused) refusals.push(`${outcome} for ${user.username} at +${Date.now() - firstAnswerAt} ms`);
	};
	const restAttempt = async (): Promise<void> => {
		const user = nextUser();
		try {
			// A connection of its own each time: a kept-alive one stays with the worker thread that took it, and the
			// threads that start listening later would then see no logins at all.
			const headers = { connection: 'close' };
			const { status } = await rest(server, 'GET', '/LedSign/storm', undefined, { user, headers });
			note(`rest ${status}`, { refused: REFUSING_STATUS.has(status) }, user);
		} catch (err) {
			note(`rest ${errorName(err)}`, undefined, user);
			await pause();
		}
	};
	const mqttAttempt = async (): Promise<void> => {
		const user = nextUser();
		const code = await mqttConnectCode(server, { user, connectTimeout: 10_000 });
		if (typeof code === 'number') note(`mqtt ${code}`, { refused: code !== 0 }, user);
		else {
			note(`mqtt ${code.replace(/ [\d.:]+$/, '')}`, undefined, user);
			await pause();
		}
	};
	await Promise.all([
		loops(options.restConcurrency, restAttempt, done),
		loops(options.mqttConcurrency, mqttAttempt, done),
	]);
	if (firstAnswerAt === undefined) throw new Error(`no answer within ${options.firstAnswerWithinMs} ms`);
	return { tally, refusals };
}

/** What a failed request says: its error code (ECONNREFUSED while nothing listens), else its message. */
function errorName(err: unknown): string {
	const code = (err as { code?: unknown } | undefined)?.code;
	return typeof code === 'string' ? code : String((err as Error | undefined)?.message);
}

/** A short pause between attempts at a port nothing listens on yet, so the loops do not spin. */
const pause = (): Promise<void> => new Promise((done) => setTimeout(done, 20));
