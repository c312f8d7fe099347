/**
 * A crash loses no acknowledged write. Several clients write at once, over REST (PATCH, keep-alive) and MQTT (QoS 1
 * retained publishes), each to signs of its own with texts numbered in order; every acknowledgement is recorded
 * (HTTP 200 with the version it returned, PUBACK reason 0). Harper is killed with SIGKILL in the middle of the
 * burst, with writes still in flight, and started again on the same root. Each sign must then hold its latest
 * acknowledged write, or a later one from the same writer that was in flight when Harper died.
 * This file starts a Harper of its own.
 */
import { Agent, request as httpRequest } from 'node:http';
import mqtt, { type MqttClient } from 'mqtt';
import { describe, expect, it } from 'vitest';
import type { LedSignRecord } from '../src/shared/sign-rules.ts';
import { rest } from '../harness/clients.ts';
import { useHarper } from '../harness/use-harper.ts';

const REST_WRITERS = 4;
const MQTT_WRITERS = 4;
const SIGNS_PER_WRITER = 4;
/** Harper is killed once this many writes have been acknowledged, while the writers carry on. */
const KILL_AFTER_ACKS = 400;
/** Bounds each writer's loop, should the kill not stop it. */
const MAX_WRITES_PER_WRITER = 5000;

/** One acknowledged write: the writer's sequence number is in the text, `w3-57`. */
interface Ack {
	sign: string;
	seq: number;
	/** The version REST returned (MQTT's PUBACK carries none). */
	version?: number;
}

interface WriterResult {
	acks: Ack[];
	/** Writes sent whose acknowledgement never came (Harper died first). */
	inFlight: number;
}

const harper = useHarper();

const signsOf = (writer: string): string[] =>
	Array.from({ length: SIGNS_PER_WRITER }, (_, index) => `durable-${writer}-${index}`);

const seqOf = (text: string): number => Number(text.split('-').pop());

/** Calls `onAck` after each acknowledged write, so the test can pull the plug at the right moment. */
type AckCounter = () => void;

async function restWriter(writer: string, onAck: AckCounter): Promise<WriterResult> {
	const agent = new Agent({ keepAlive: true, maxSockets: 1 });
	const { hostname, port } = new URL(harper.httpUrl);
	const signs = signsOf(writer);
	const acks: Ack[] = [];
	try {
		for (let seq = 1; seq <= MAX_WRITES_PER_WRITER; seq++) {
			const sign = signs[seq % signs.length] ?? '';
			const body = JSON.stringify({ text: `${writer}-${seq}` });
			const answer = await new Promise<{ status: number; text: string } | null>((resolve) => {
				const request = httpRequest(
					{
						hostname,
						port,
						agent,
						method: 'PATCH',
						path: `/LedSign/${sign}`,
						headers: {
							'authorization': harper.basicAuth(),
							'content-type': 'application/json',
							'content-length': String(Buffer.byteLength(body)),
						},
					},
					(response) => {
						let text = '';
						response.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
						response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
						response.on('error', () => resolve(null));
					}
				);
				request.on('error', () => resolve(null));
				request.setTimeout(10_000, () => request.destroy());
				request.end(body);
			});
			if (answer?.status !== 200) return { acks, inFlight: 1 };
			acks.push({ sign, seq, version: (JSON.parse(answer.text) as LedSignRecord).version });
			onAck();
		}
		return { acks, inFlight: 0 };
	} finally {
		agent.destroy();
	}
}

async function mqttWriter(writer: string, onAck: AckCounter): Promise<WriterResult> {
	const client: MqttClient = await mqtt.connectAsync(harper.mqttUrl, {
		protocolVersion: 5,
		username: harper.admin.username,
		password: harper.admin.password,
		reconnectPeriod: 0,
		connectTimeout: 5000,
	});
	// With reconnection off, a publish still waiting for its PUBACK would wait for ever once the server is gone.
	const closed = new Promise<null>((resolve) => client.once('close', () => resolve(null)));
	const signs = signsOf(writer);
	const acks: Ack[] = [];
	try {
		for (let seq = 1; seq <= MAX_WRITES_PER_WRITER; seq++) {
			const sign = signs[seq % signs.length] ?? '';
			const published = client
				.publishAsync(`LedSign/${sign}`, JSON.stringify({ text: `${writer}-${seq}` }), { qos: 1, retain: true })
				.then(
					(packet) => (packet && 'reasonCode' in packet ? (packet.reasonCode ?? 0) : 0),
					() => null
				);
			const reasonCode = await Promise.race([published, closed]);
			if (reasonCode !== 0) return { acks, inFlight: 1 };
			acks.push({ sign, seq });
			onAck();
		}
		return { acks, inFlight: 0 };
	} finally {
		client.end(true);
	}
}

describe('a crash in the middle of a write burst', () => {
	it('loses no acknowledged write', { timeout: 120_000 }, async () => {
		const restWriters = Array.from({ length: REST_WRITERS }, (_, index) => `r${index}`);
		const mqttWriters = Array.from({ length: MQTT_WRITERS }, (_, index) => `m${index}`);
		for (const writer of [...restWriters, ...mqttWriters]) {
			for (const sign of signsOf(writer)) {
				expect((await rest(harper, 'PUT', `/LedSign/${sign}`, { text: `${writer}-0` })).status).toBe(200);
			}
		}

		let acked = 0;
		let killed: Promise<void> | undefined;
		let ackedAtKill = 0;
		const started = Date.now();
		const onAck = (): void => {
			acked++;
			if (acked === KILL_AFTER_ACKS) {
				ackedAtKill = acked;
				killed = harper.kill();
			}
		};
		const results = await Promise.all([
			...restWriters.map((writer) => restWriter(writer, onAck)),
			...mqttWriters.map((writer) => mqttWriter(writer, onAck)),
		]);
		const burstMs = Date.now() - started;
		expect(killed, 'Harper was killed during the burst').toBeDefined();
		await killed;

		const restartStarted = Date.now();
		await harper.restart();
		const restartMs = Date.now() - restartStarted;

		const writers = [...restWriters, ...mqttWriters];
		let survived = 0;
		let landedUnacknowledged = 0;
		for (const [index, writer] of writers.entries()) {
			const { acks } = results[index] ?? { acks: [] };
			for (const sign of signsOf(writer)) {
				const mine = acks.filter((ack) => ack.sign === sign);
				const stored = (await rest(harper, 'GET', `/LedSign/${sign}`)).body as LedSignRecord;
				const storedSeq = seqOf(stored.text);
				// Only this writer writes this sign, so what is stored is its latest acknowledged write or a later one.
				expect(stored.text.startsWith(`${writer}-`), `${sign} holds "${stored.text}"`).toBe(true);
				const latestAcked = Math.max(0, ...mine.map((ack) => ack.seq));
				expect(storedSeq, `${sign}: stored ${stored.text}, latest acknowledged ${latestAcked}`).toBeGreaterThanOrEqual(
					latestAcked
				);
				// Each accepted change adds one to the version: every acknowledged one is counted in it.
				expect(stored.version).toBeGreaterThanOrEqual(1 + mine.length);
				const ackedVersions = mine.flatMap((ack) => (ack.version === undefined ? [] : [ack.version]));
				expect(stored.version).toBeGreaterThanOrEqual(Math.max(0, ...ackedVersions));
				survived += mine.filter((ack) => ack.seq <= storedSeq).length;
				if (storedSeq > latestAcked) landedUnacknowledged++;
			}
		}
		const totalAcked = results.reduce((sum, result) => sum + result.acks.length, 0);
		const inFlight = results.reduce((sum, result) => sum + result.inFlight, 0);
		expect(survived).toBe(totalAcked);
		expect(totalAcked).toBeGreaterThanOrEqual(KILL_AFTER_ACKS);
		console.log(
			`durability: ${totalAcked} writes acknowledged (${ackedAtKill} when SIGKILL was sent, ` +
				`${totalAcked - ackedAtKill} acknowledged while it landed), all ${survived} survived; ` +
				`${inFlight} in flight unacknowledged, of which ${landedUnacknowledged} were stored anyway; ` +
				`burst ${burstMs} ms, restart ${restartMs} ms`
		);
	});
});
