/**
 * Two replicating Harper nodes on this machine (Harper's own replication over WSS, node names 127.0.0.2 and
 * 127.0.0.3): a sign on node B follows a change written on node A, a panel on A sees a device status written
 * on B, a device on B is online and then offline on both nodes, changes written on both nodes at once end on one
 * state everywhere, and B catches up after it was stopped. And replication's own socket is no way around the rules:
 * Harper runs operations sent over it as whoever logged in to it, so only nodes and super users may.
 */
import { pack, unpack } from 'msgpackr';
import type { Browser } from 'playwright-core';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
	shouldShow,
	shownChangeOf,
	type LedSignRecord,
	type ShownChange,
	type SignStatusRecord,
} from '../src/shared/sign-rules.ts';
import { launchBrowser, loggedInContext, openPanel, saveArtifact } from '../harness/browser.ts';
import { basicAuth, mqttPeer, mqttPublish, operation, rest } from '../harness/clients.ts';
import { RESTART_WITHIN_MS, startHarper, type Credentials, type HarperInstance } from '../harness/harper.ts';
import { openReader, type Reader, type SignEvent } from '../harness/readers.ts';
import { bothConnected, linkCarries } from '../harness/replication.ts';
import { startSimulator, type SimulatorProcess } from '../harness/simulator.ts';
import { addUser } from '../harness/users.ts';

let nodeA: HarperInstance;
let nodeB: HarperInstance;
let browser: Browser | undefined;

async function storedOn(node: HarperInstance, id: string): Promise<LedSignRecord | undefined> {
	const { status, body } = await rest(node, 'GET', `/LedSign/${id}`);
	return status === 200 ? (body as LedSignRecord) : undefined;
}

/** How long Harper may take to report the data link up after add_node, seen from both nodes. */
const CONNECT_WITHIN_MS = 30_000;
/** Probe signs written on each node, each waited for on the other, before a join is given up (harness/replication.ts). */
const PROBES = { attempts: 3, probeWithinMs: 10_000 };
const JOIN_ATTEMPTS = 2;
const JOIN_WITHIN_MS = CONNECT_WITHIN_MS + 2 * PROBES.attempts * PROBES.probeWithinMs;

/**
 * Asks node A to replicate with node B, and whether the link then carries changes both ways. Harper reports the
 * link connected before node A has begun the copy it serves B, and a change written on A in that instant can be
 * lost (harness/replication.ts): in 1 of 10 runs the first test's change, written as both nodes said connected,
 * had not reached B 15 s later. A probe written once the link carries changes arrives in about 0.1 s.
 */
async function join(attempt: number): Promise<boolean> {
	await operation(nodeA, {
		operation: 'add_node',
		hostname: '127.0.0.3',
		url: nodeB.replicationUrl,
		verify_tls: false,
		authorization: nodeB.admin,
		// Keep the credentials for the nodes' own connections too. Without them the nodes are known only by their
		// certificates (which were sometimes refused, SELF_SIGNED_CERT_IN_CHAIN, just after they were exchanged) and
		// by address (which Harper 4.7 looks up as "::ffff:127.0.0.2", never found): the link then stayed down for
		// good in about one run in three.
		retain_authorization: true,
	});
	if (!(await bothConnected(nodeA, nodeB, CONNECT_WITHIN_MS))) return false;
	const aToB = await linkCarries(nodeA, nodeB, { ...PROBES, label: `a${attempt}` });
	const bToA = aToB && (await linkCarries(nodeB, nodeA, { ...PROBES, label: `b${attempt}` }));
	// Probes Harper lost are worth knowing about, run by run, even when a later one got through.
	saveArtifact(`replication-join-${attempt}.json`, { aToB: aToB ?? 'none arrived', bToA: bToA ?? 'none arrived' });
	if (aToB?.lost || bToA?.lost) console.log(`Harper lost probes at the join: ${JSON.stringify({ aToB, bToA })}`);
	return bToA !== undefined;
}

beforeAll(
	async () => {
		const admin = { username: 'admin', password: `cluster-${Math.random().toString(36).slice(2)}` };
		nodeA = await startHarper({ replicationHost: '127.0.0.2', admin });
		nodeB = await startHarper({ replicationHost: '127.0.0.3', admin });
		// Twice in about eight runs on this machine (both right after test/deploy.test.ts) the link stayed down for the
		// whole 30 s, and the cause is not known; so the node is removed and added once more before the test gives up,
		// and then it prints node A's log to say why.
		for (let attempt = 1; !(await join(attempt)); attempt++) {
			if (attempt === JOIN_ATTEMPTS) {
				throw new Error(`the nodes did not replicate in ${JOIN_ATTEMPTS} tries:\n${nodeA.log().slice(-3000)}`);
			}
			await operation(nodeA, { operation: 'remove_node', hostname: '127.0.0.3' });
		}
	},
	2 * RESTART_WITHIN_MS + JOIN_ATTEMPTS * JOIN_WITHIN_MS
);

afterAll(async () => {
	await browser?.close();
	await nodeB?.destroy();
	await nodeA?.destroy();
});

describe('two replicating nodes', () => {
	it('deliver a change written over REST on A to a sign subscribed over MQTT on B', async () => {
		await rest(nodeA, 'PUT', '/LedSign/across', { text: 'start' });
		await expect.poll(async () => (await storedOn(nodeB, 'across'))?.text, { timeout: 15_000 }).toBe('start');
		const sign = await mqttPeer(nodeB, { subscribe: ['LedSign/across'] });
		const delays: number[] = [];
		for (let round = 0; round < 10; round++) {
			const text = `across ${round}`;
			const arrived = sign.inbox.waitForNext((message) => (message.json as LedSignRecord | null)?.text === text, text);
			const sentAt = Date.now();
			expect((await rest(nodeA, 'PATCH', '/LedSign/across', { text })).status).toBe(200);
			await arrived;
			delays.push(Date.now() - sentAt);
		}
		await sign.close();
		const sorted = [...delays].sort((a, b) => a - b);
		saveArtifact('cross-node-latency.json', { delays, p50: sorted[5], max: sorted.at(-1) });
		console.log(`REST on A → MQTT on B: ${JSON.stringify({ delays, p50: sorted[5], max: sorted.at(-1) })}`);
	});

	it('show a panel on A the device status written on B', async () => {
		await rest(nodeA, 'PUT', '/LedSign/seen-across', { text: 'hello' });
		browser = await launchBrowser();
		const context = await loggedInContext(browser, nodeA);
		const { page, problems } = await openPanel(context, '/sign/seen-across');
		const device = await mqttPeer(nodeB, { deviceOf: 'seen-across' });
		const report = { online: true, shownVersion: 1, firmware: 'node-b', width: 64, height: 8 };
		expect(await mqttPublish(device, 'SignStatus/seen-across', JSON.stringify(report), true)).toBe(0);
		await expect.poll(() => page.locator('#device-text').textContent(), { timeout: 15_000 }).toMatch(/^Device online/);
		await device.close();
		expect(problems).toEqual([]);
		await context.close();
	});

	it('mark a device connected to B online on both nodes, and offline on both once it crashes', async () => {
		const SIGN = 'presence-across';
		await rest(nodeA, 'PUT', `/LedSign/${SIGN}`, { text: 'here' });
		await expect.poll(async () => (await storedOn(nodeB, SIGN))?.text, { timeout: 15_000 }).toBe('here');
		const statusOn = async (node: HarperInstance): Promise<SignStatusRecord | undefined> => {
			const { status, body } = await rest(node, 'GET', `/SignStatus/${SIGN}`);
			return status === 200 ? (body as SignStatusRecord) : undefined;
		};
		const device = startSimulator(nodeB, SIGN);
		try {
			for (const node of [nodeB, nodeA]) {
				await expect.poll(async () => (await statusOn(node))?.online, { timeout: 15_000 }).toBe(true);
			}
			// B vouches for it: the status names B's connection, which A leaves to B.
			expect((await statusOn(nodeA))?.connection).toMatch(/^127\.0\.0\.3\//);
			await device.kill('SIGKILL');
			const crashed = Date.now();
			for (const node of [nodeB, nodeA]) {
				await expect.poll(async () => (await statusOn(node))?.online, { timeout: 15_000 }).toBe(false);
			}
			console.log(`a crashed device on B was offline on both nodes after ${Date.now() - crashed} ms`);
		} finally {
			await device.kill('SIGKILL');
		}
	});

	describe('when both nodes change one sign at the same moment', () => {
		const SIGN = 'contested';
		const ROUNDS = 8;
		/** Replication between the nodes takes milliseconds; a loaded 2-core machine gets much more. */
		const CONVERGE_WITHIN_MS = 15_000;
		const readers: Reader[] = [];
		const devices: SimulatorProcess[] = [];

		/** What a device following the device rule would show after these events (the last one it showed). */
		function shownAfter(events: SignEvent[]): LedSignRecord | undefined {
			let showing: LedSignRecord | undefined;
			let shown: ShownChange | undefined;
			for (const { value } of events) {
				if (!value || value.transient || !shouldShow(value, shown)) continue;
				showing = value;
				shown = shownChangeOf(value);
			}
			return showing;
		}

		/** Of two accepted changes, the one Harper committed last: the one replication keeps on every node. */
		const committedLast = (records: LedSignRecord[]): LedSignRecord =>
			records.reduce((a, b) => ((a.commitTime ?? 0) >= (b.commitTime ?? 0) ? a : b));

		/** The record both nodes store once they agree: the same change (commitTime), the same fields. */
		function agreed(): Promise<LedSignRecord> {
			return vi.waitFor(
				async () => {
					const [onA, onB] = [await storedOn(nodeA, SIGN), await storedOn(nodeB, SIGN)];
					expect(onA).toBeDefined();
					expect(onB).toEqual(onA);
					return onA!;
				},
				{ timeout: CONVERGE_WITHIN_MS, interval: 50 }
			);
		}

		/** Until every reader and device on either node ends on `text` (vi.waitFor: it also serves beforeAll). */
		async function everyoneShows(text: string): Promise<void> {
			const wait = { timeout: CONVERGE_WITHIN_MS, interval: 50 };
			for (const reader of readers) {
				await vi.waitFor(() => expect(shownAfter(reader.events.received)?.text, reader.name).toBe(text), wait);
			}
			for (const [index, device] of devices.entries()) {
				const showing = (): string | undefined =>
					device.events.received.filter((event) => event.event === 'showing').at(-1)?.record?.text;
				await vi.waitFor(() => expect(showing(), `device on node ${'AB'[index]}`).toBe(text), wait);
			}
		}

		beforeAll(async () => {
			await rest(nodeA, 'PUT', `/LedSign/${SIGN}`, { text: 'start' });
			await agreed();
			for (const [name, node] of [
				['A', nodeA],
				['B', nodeB],
			] as const) {
				for (const kind of ['mqtt-record', 'ws-record', 'sse-record'] as const) {
					const reader = await openReader(node, kind, SIGN);
					readers.push({ ...reader, name: `${kind} on node ${name}` });
				}
				devices.push(startSimulator(node, SIGN));
			}
			await everyoneShows('start');
		}, 60_000);

		afterAll(async () => {
			await Promise.all(readers.map((reader) => reader.close()));
			await Promise.all(devices.map((device) => device.kill('SIGTERM')));
		});

		it(
			'end on one state everywhere: both nodes, every listener over MQTT, WebSocket and SSE, every device',
			async () => {
				const rounds: { winner: string; versions: number[]; stored: number }[] = [];
				for (let round = 0; round < ROUNDS; round++) {
					const texts = [`A wrote ${round}`, `B wrote ${round}`];
					const answers = await Promise.all([
						rest(nodeA, 'PATCH', `/LedSign/${SIGN}`, { text: texts[0] }),
						rest(nodeB, 'PATCH', `/LedSign/${SIGN}`, { text: texts[1] }),
					]);
					expect(answers.map((answer) => answer.status)).toEqual([200, 200]);
					const final = await agreed();
					// The change committed last wins on both nodes: one of the two, whole.
					expect(texts).toContain(final.text);
					const accepted = answers.map((answer) => answer.body as LedSignRecord);
					expect(final).toEqual(committedLast(accepted));
					await everyoneShows(final.text);
					rounds.push({
						winner: final.text.slice(0, 1),
						versions: accepted.map((record) => record.version),
						stored: final.version,
					});
				}
				const sameVersion = rounds.filter(({ versions: [a, b] }) => a === b).length;
				saveArtifact('concurrent-writes.json', { rounds, sameVersion });
				console.log(`concurrent writes on two nodes: ${JSON.stringify({ sameVersion, rounds })}`);
			},
			ROUNDS * 3 * CONVERGE_WITHIN_MS
		);

		it('keep the later of two changes to different fields whole, on both nodes and every device', async () => {
			const answers = await Promise.all([
				rest(nodeA, 'PATCH', `/LedSign/${SIGN}`, { text: 'fields from A' }),
				rest(nodeB, 'PATCH', `/LedSign/${SIGN}`, { brightness: 17 }),
			]);
			expect(answers.map((answer) => answer.status)).toEqual([200, 200]);
			const final = await agreed();
			// Last writer wins by the whole record: a cluster does not merge two nodes' changes field by field.
			expect(final).toEqual(committedLast(answers.map((answer) => answer.body as LedSignRecord)));
			await everyoneShows(final.text);
		}, 60_000);
	});

	/** How long B may take, once it serves again, to reconnect to A and replay what it missed. */
	const CATCH_UP_MS = 30_000;
	/** The first copy reaching B (15 s) and the writes on A around the restart. */
	const AROUND_THE_RESTART_MS = 30_000;

	// The restart alone can outlast vitest's 30 s default here: in 2 of 8 runs this test was cut off at 30 s while B
	// was still starting (its workers began to listen 28 s after it was stopped), before its catch-up was even asked.
	it(
		'let B catch up with what changed on A while it was stopped',
		async () => {
			await rest(nodeA, 'PUT', '/LedSign/catch-up', { text: 'before' });
			await expect.poll(async () => (await storedOn(nodeB, 'catch-up'))?.text, { timeout: 15_000 }).toBe('before');
			await nodeB.stop();
			await rest(nodeA, 'PATCH', '/LedSign/catch-up', { text: 'while B was down' });
			const restarting = Date.now();
			await nodeB.restart();
			const serving = Date.now();
			await expect
				.poll(async () => (await storedOn(nodeB, 'catch-up'))?.text, { timeout: CATCH_UP_MS, interval: 250 })
				.toBe('while B was down');
			const timings = { restartMs: serving - restarting, catchUpMs: Date.now() - serving };
			saveArtifact('catch-up-timings.json', timings);
			console.log(`B restarted and caught up: ${JSON.stringify(timings)}`);
		},
		RESTART_WITHIN_MS + CATCH_UP_MS + AROUND_THE_RESTART_MS
	);
});

describe("replication's socket", () => {
	/** Harper's replication message that asks the node to run an operation (server/replication in Harper 4.7). */
	const OPERATION_REQUEST = 136;

	/** Logs in to node A's replication socket as `user`, sends one operation: its answer, or how the socket closed. */
	function operationOverReplication(user: Credentials, body: object): Promise<unknown> {
		return new Promise((resolve) => {
			const socket = new WebSocket(nodeA.replicationUrl!.replace('127.0.0.2', '127.0.0.1'), 'harperdb-replication-v1', {
				headers: { authorization: basicAuth(user) },
				// The node's certificate is Harper's self-signed one, for a node this test started on loopback.
				rejectUnauthorized: false,
			});
			const timer = setTimeout(() => resolve('no answer'), 10_000);
			const done = (outcome: unknown): void => {
				clearTimeout(timer);
				socket.terminate();
				resolve(outcome);
			};
			socket.on('open', () => socket.send(pack([OPERATION_REQUEST, { ...body, requestId: 1 }])));
			socket.on('message', (data: Buffer) => done(unpack(data)));
			socket.on('close', (code, reason) => done(`closed ${code} ${reason.toString()}`));
			socket.on('error', () => undefined);
		});
	}

	it('runs no operation for an account that is not a super user, and changes nothing', async () => {
		const operator = { username: 'repl-operator', password: 'repl-operator-Pass' };
		await addUser(nodeA, operator, 'marquee_operator');
		await rest(nodeA, 'PUT', '/LedSign/repl-guarded', { text: 'by the rules' });
		const before = await storedOn(nodeA, 'repl-guarded');
		const update = {
			operation: 'update',
			database: 'data',
			table: 'LedSign',
			records: [{ id: 'repl-guarded', brightness: 99999 }],
		};
		expect(await operationOverReplication(operator, update)).toBe('closed 1008 Unauthorized');
		const read = { operation: 'search_by_value', database: 'data', table: 'LedSign', attribute: 'id', value: '*' };
		expect(await operationOverReplication(operator, read)).toBe('closed 1008 Unauthorized');
		expect(await storedOn(nodeA, 'repl-guarded')).toEqual(before);
	});

	it('still serves a super user there, as Harper does for add_node', async () => {
		const answer = await operationOverReplication(nodeA.admin, { operation: 'user_info' });
		expect(answer).toEqual([137, expect.objectContaining({ username: nodeA.admin.username })]);
	});
});
