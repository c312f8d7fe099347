/**
 * Devices: the simulator (a separate process, as a sign would be) against a real Harper of this file's own,
 * its status and presence in SignStatus, and the status rules on every write path.
 */
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignDevice } from '../devices/simulator/sign-device.ts';
import { sessionIdFor } from '../src/access/client-ids.ts';
import type { LedSignRecord, SignMessage, SignStatusRecord } from '../src/shared/sign-rules.ts';
import { saveArtifact } from '../harness/browser.ts';
import { mqttPeer, mqttPublish, mqttPublishAck, operation, rest, wsPeer } from '../harness/clients.ts';
import { startSimulator, type SimulatorEvent, type SimulatorProcess } from '../harness/simulator.ts';
import { startTcpProxy } from '../harness/tcp-proxy.ts';
import { useHarper } from '../harness/use-harper.ts';

const harper = useHarper();
const running: SimulatorProcess[] = [];
const measured: Record<string, unknown> = {};

function simulator(id: string, options?: { mqttUrl?: string; keepalive?: number }): SimulatorProcess {
	const sim = startSimulator(harper, id, options);
	running.push(sim);
	return sim;
}

/** Waits until the stored status of sign `id` matches (REST, polled every 50 ms), or fails after the deadline. */
async function statusWhere(
	id: string,
	match: (status: SignStatusRecord) => boolean,
	what: string,
	timeoutMs = 5000
): Promise<SignStatusRecord> {
	const deadline = Date.now() + timeoutMs;
	let last: unknown;
	while (Date.now() < deadline) {
		const { status, body } = await rest(harper, 'GET', `/SignStatus/${id}`);
		last = body;
		if (status === 200 && match(body as SignStatusRecord)) return body as SignStatusRecord;
		await new Promise((resolve) => setTimeout(resolve, 50));
	}
	throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last status: ${JSON.stringify(last)}`);
}

/** Whether Harper holds a last will for the admin's MQTT client `clientId` (it keys wills by account and id). */
async function willStored(clientId: string): Promise<boolean> {
	const id = sessionIdFor(harper.admin.username, clientId);
	const wills = (await operation(harper, { operation: 'sql', sql: 'SELECT id FROM system.hdb_session_will' })) as {
		id: string;
	}[];
	return wills.some((will) => will.id === id);
}

/**
 * Harper replays the stored last wills ~2 s after it starts, and deletes each; a device connected before then
 * loses its will registration (see src/harper/hook-context.ts). Presence tests start their devices after it:
 * a probe client registers a will, and its will record disappearing means the replay has run. If it stays,
 * the replay ran before the probe connected, which also means it is over.
 */
async function afterWillReplay(): Promise<void> {
	const probe = await mqtt.connectAsync(harper.mqttUrl, {
		clientId: 'replay-probe',
		username: harper.admin.username,
		password: harper.admin.password,
		reconnectPeriod: 0,
		will: { topic: 'SignStatus/replay-probe', payload: Buffer.from('{"online":false}'), qos: 1, retain: true },
	});
	const deadline = Date.now() + 6000;
	while (Date.now() < deadline && (await willStored('replay-probe'))) {
		await new Promise((resolve) => setTimeout(resolve, 100));
	}
	await probe.endAsync();
}

async function showing(sim: SimulatorProcess, text: string): Promise<number> {
	const event = await sim.events.waitFor(
		(seen) => seen.event === 'showing' && seen.record?.text === text,
		`showing "${text}"`
	);
	return event.record?.version ?? -1;
}

beforeAll(async () => {
	await afterWillReplay();
});

afterAll(async () => {
	await Promise.all(running.map((sim) => sim.kill('SIGKILL')));
	saveArtifact('device-timings.json', measured);
	console.log(`device timings: ${JSON.stringify(measured)}`);
});

describe('the simulator', () => {
	it('shows a change made over REST, and one sent over a WebSocket, and reports what it shows', async () => {
		await rest(harper, 'PUT', '/LedSign/sim-a', { text: 'first' });
		const sim = simulator('sim-a');
		await showing(sim, 'first');
		await statusWhere('sim-a', (status) => status.online, 'sim-a online');

		const delays: number[] = [];
		for (let round = 0; round < 10; round++) {
			const sentAt = Date.now();
			await rest(harper, 'PATCH', '/LedSign/sim-a', { text: `rest ${round}` });
			await showing(sim, `rest ${round}`);
			delays.push(Date.now() - sentAt);
		}
		measured.restToSimulatorMs = { samples: delays, max: Math.max(...delays) };

		const socket = await wsPeer(harper, '/LedSign/sim-a');
		socket.send({ text: 'from a socket' });
		const version = await showing(sim, 'from a socket');
		await socket.close();
		await statusWhere('sim-a', (status) => status.shownVersion === version, 'status reports the version shown');
		const stored = (await rest(harper, 'GET', '/LedSign/sim-a')).body as LedSignRecord;
		expect(stored.version).toBe(version);
		expect((await rest(harper, 'GET', '/SignStatus/sim-a')).body).toMatchObject({
			online: true,
			shownVersion: version,
			firmware: 'marquee-sim 1.0.0',
			width: 64,
			height: 8,
		});
	});

	it('is marked offline by its will when it crashes (no DISCONNECT)', async () => {
		await rest(harper, 'PUT', '/LedSign/sim-crash', { text: 'hello' });
		const sim = simulator('sim-crash');
		await showing(sim, 'hello');
		await statusWhere('sim-crash', (status) => status.online, 'online');
		const killedAt = Date.now();
		await sim.kill('SIGKILL');
		await statusWhere('sim-crash', (status) => !status.online, 'offline after the crash');
		measured.crashToOfflineMs = Date.now() - killedAt;
	});

	it('is marked offline within the keep-alive bound when its network goes silent', async () => {
		await rest(harper, 'PUT', '/LedSign/sim-silent', { text: 'hello' });
		const proxy = await startTcpProxy(harper.ports.mqtt);
		const keepalive = 2;
		const sim = simulator('sim-silent', { mqttUrl: `mqtt://127.0.0.1:${proxy.port}`, keepalive });
		await showing(sim, 'hello');
		await statusWhere('sim-silent', (status) => status.online, 'online');
		const silentAt = Date.now();
		proxy.goSilent();
		await statusWhere('sim-silent', (status) => !status.online, 'offline after silence', 15_000);
		const took = Date.now() - silentAt;
		measured.silenceToOfflineMs = { keepaliveSeconds: keepalive, took };
		// MQTT: the server may close a connection silent for 1.5 × keep-alive; Harper's timer runs per packet.
		expect(took).toBeLessThan(2 * keepalive * 1000 + 1000);
		await sim.kill('SIGKILL');
		await proxy.close();
	});

	it('resyncs when it comes back: it shows what changed while it was off', async () => {
		await rest(harper, 'PUT', '/LedSign/sim-back', { text: 'before' });
		const first = simulator('sim-back');
		await showing(first, 'before');
		await first.kill('SIGTERM');
		await rest(harper, 'PATCH', '/LedSign/sim-back', { text: 'changed while off' });
		const again = simulator('sim-back');
		const firstShown = await again.events.waitFor((event) => event.event === 'showing', 'a first frame');
		expect(firstShown.record?.text).toBe('changed while off');
	});

	it('is online after a restart of Harper once the old wills have run, and keeps following the sign', async () => {
		await rest(harper, 'PUT', '/LedSign/sim-restart', { text: 'before restart' });
		const sim = simulator('sim-restart');
		await showing(sim, 'before restart');
		// A client whose will is stored and never reconnects: its will record going away means Harper has replayed
		// the wills of the connections the restart cut (about 2 s after starting).
		const probe = await mqtt.connectAsync(harper.mqttUrl, {
			clientId: 'restart-probe',
			...harper.admin,
			reconnectPeriod: 0,
			will: { topic: 'SignStatus/restart-probe', payload: Buffer.from('{"online":false}'), qos: 1, retain: true },
		});
		probe.on('error', () => undefined);
		// Its will is stored before the restart, or waiting for it to go would prove nothing.
		await expect.poll(() => willStored('restart-probe'), { timeout: 5000, interval: 100 }).toBe(true);
		await harper.restart();
		probe.end(true);
		await expect.poll(() => willStored('restart-probe'), { timeout: 15_000, interval: 250 }).toBe(false);
		// If the device was connected when its old will ran, the will was recognised as stale; if it was still
		// reconnecting (right after a restart a SUBSCRIBE can be refused and the device retries), the will marked it
		// offline and its birth message brings it back. Either way it must end up online, and stay so.
		await statusWhere('sim-restart', (status) => status.online, 'online after the restart', 15_000);
		await rest(harper, 'PATCH', '/LedSign/sim-restart', { text: 'after restart' });
		await showing(sim, 'after restart');
		expect((await rest(harper, 'GET', '/SignStatus/sim-restart')).body).toMatchObject({ online: true });
	});
});

describe('the device rule, against the server', () => {
	/** Creates sign `id` and changes it twice, so a device that shows it shows version 3 (or more). */
	async function signAtVersion3(id: string): Promise<number> {
		await rest(harper, 'PUT', `/LedSign/${id}`, { text: 'one' });
		await rest(harper, 'PATCH', `/LedSign/${id}`, { text: 'two' });
		const { body } = await rest(harper, 'PATCH', `/LedSign/${id}`, { text: 'three' });
		const { version } = body as LedSignRecord;
		expect(version).toBeGreaterThanOrEqual(3);
		return version;
	}

	/** Creates sign `id` again after a delete: a new sign, at version 1. */
	async function createdAgain(id: string, text: string): Promise<void> {
		const { body } = await rest(harper, 'PUT', `/LedSign/${id}`, { text });
		expect((body as LedSignRecord).version).toBe(1);
	}

	/** What the device makes of `text`: shows it, or ignores it (the old rule did, for a lower version). */
	async function shownOrIgnored(sim: SimulatorProcess, text: string, timeoutMs?: number): Promise<SimulatorEvent> {
		return sim.events.waitFor(
			(event) => (event.event === 'showing' && event.record?.text === text) || event.event === 'ignored',
			`"${text}" shown or ignored`,
			timeoutMs
		);
	}

	it('shows a sign deleted and created again, though its version starts again at 1', async () => {
		const version = await signAtVersion3('sim-recreate');
		const sim = simulator('sim-recreate');
		expect(await showing(sim, 'three')).toBe(version);
		expect((await rest(harper, 'DELETE', '/LedSign/sim-recreate')).status).toBeLessThan(300);
		// The device has seen the delete before the sign exists again, as it would if a person did both.
		await sim.events.waitFor((event) => event.event === 'deleted', 'the delete');
		await createdAgain('sim-recreate', 'created again');
		expect(await shownOrIgnored(sim, 'created again')).toMatchObject({ event: 'showing', record: { version: 1 } });
		await statusWhere('sim-recreate', (status) => status.shownVersion === 1, 'status reports version 1');
	});

	it('shows the sign as it is when it reconnects, though it was created again at version 1 meanwhile', async () => {
		const version = await signAtVersion3('sim-rejoin');
		const proxy = await startTcpProxy(harper.ports.mqtt);
		const sim = simulator('sim-rejoin', { mqttUrl: `mqtt://127.0.0.1:${proxy.port}` });
		try {
			expect(await showing(sim, 'three')).toBe(version);
			proxy.goDown();
			await sim.events.waitFor((event) => event.event === 'disconnected', 'the link dropping');
			// Neither the delete nor the new sign reaches the device: it learns of them only by resubscribing.
			expect((await rest(harper, 'DELETE', '/LedSign/sim-rejoin')).status).toBeLessThan(300);
			await createdAgain('sim-rejoin', 'while away');
			proxy.goUp();
			const answer = await shownOrIgnored(sim, 'while away', 15_000);
			expect(answer).toMatchObject({ event: 'showing', record: { version: 1 } });
			expect(sim.events.received.some((event) => event.event === 'deleted')).toBe(false);
			await statusWhere('sim-rejoin', (status) => status.online && status.shownVersion === 1, 'version 1 reported');
		} finally {
			await sim.kill('SIGKILL');
			await proxy.close();
		}
	});
});

describe('the device rule, in the simulator', () => {
	const T = 1764604800123.457; // a commitTime: Harper's commit timestamp, ms since 1970 with a fraction

	/** A device fed payloads directly (no broker), and the reason for each message it ignored. */
	function unitDevice(): { device: SignDevice; ignored: string[] } {
		const device = new SignDevice({ id: 'unit', url: 'mqtt://127.0.0.1:1' });
		const ignored: string[] = [];
		device.on('ignored', (_record, reason) => ignored.push(reason));
		return { device, ignored };
	}

	function message(text: string, version: number, fields: Partial<SignMessage> = {}): string {
		return JSON.stringify({ id: 'unit', text, version, ...fields });
	}

	it('from an older server (no commitTime): ignores a stale or repeated version, shows a transient message', () => {
		const { device, ignored } = unitDevice();
		device.receive(message('five', 5));
		device.receive(message('three, late', 3));
		device.receive(message('five again', 5));
		expect(device.showing?.record.text).toBe('five');
		expect(ignored).toEqual([
			'version 3 is not newer than 5 (no commitTime to compare)',
			'version 5 is not newer than 5 (no commitTime to compare)',
		]);
		device.receive(message('a transient', 5, { transient: true }));
		expect(device.showing?.record.text).toBe('a transient');
		expect(device.shownVersion).toBe(5);
		device.receive(message('six', 6));
		expect(device.showing?.record.text).toBe('six');
	});

	it('orders stored changes by commitTime, not version', () => {
		const { device, ignored } = unitDevice();
		device.receive(message('five', 5, { commitTime: T }));
		device.receive(message('created again', 1, { commitTime: T + 10 }));
		expect(device.showing?.record.text).toBe('created again');
		expect(device.shownVersion).toBe(1);
		device.receive(message('the losing side', 9, { commitTime: T + 5 }));
		device.receive(message('created again, repeated', 1, { commitTime: T + 10 }));
		expect(device.showing?.record.text).toBe('created again');
		expect(ignored).toEqual([
			`commitTime ${T + 5} is not after ${T + 10}, the commitTime of the change shown (version 1)`,
			`commitTime ${T + 10} is not after ${T + 10}, the commitTime of the change shown (version 1)`,
		]);
		expect(device.shownVersion).toBe(1);
	});

	it('blanks on a delete (null or an empty payload) and then shows whatever comes, even an earlier commit', () => {
		const { device, ignored } = unitDevice();
		let deletes = 0;
		device.on('deleted', () => deletes++);
		device.receive(message('five', 5, { commitTime: T }));
		device.receive('null');
		expect(deletes).toBe(1);
		expect(device.showing).toBeUndefined();
		device.receive(message('restored from a backup', 3, { commitTime: T - 1000 }));
		expect(device.showing?.record.text).toBe('restored from a backup');
		device.receive('');
		expect(deletes).toBe(2);
		device.receive(message('created again', 1));
		expect(device.showing?.record.text).toBe('created again');
		expect(device.shownVersion).toBe(1);
		expect(ignored).toEqual([]);
	});
});

describe('status writes', () => {
	it.each([
		[{ online: 'yes' }, 'online'],
		[{ shownVersion: -1 }, 'shownVersion'],
		[{ rssi: 10 }, 'rssi'],
		[{ width: 0 }, 'width'],
		[{ firmware: 'x'.repeat(33) }, 'firmware'],
		[{ battery: 50 }, 'battery'],
	])('refuses %j over REST, naming %s', async (report, field) => {
		const { status, body } = await rest(harper, 'PATCH', '/SignStatus/checked', report);
		expect(status).toBe(422);
		expect(body).toHaveProperty(['fields', field]);
	});

	it('refuses bad reports over MQTT, and non-retained ones, and changes nothing', async () => {
		const device = await mqttPeer(harper);
		expect(await mqttPublish(device, 'SignStatus/checked', '{"online":true,"width":64}', true)).toBe(0);
		const before = (await rest(harper, 'GET', '/SignStatus/checked')).body;
		// 0x99 Payload format invalid: a field the rules refuse, not JSON, no payload; 0x83: not retained.
		expect(await mqttPublishAck(device, 'SignStatus/checked', '{"rssi":"strong"}', true)).toMatchObject({
			code: 0x99,
			reason: expect.stringContaining('rssi') as string,
		});
		expect(await mqttPublish(device, 'SignStatus/checked', 'online', true)).toBe(0x99);
		expect(await mqttPublishAck(device, 'SignStatus/checked', '{"online":false}', false)).toMatchObject({
			code: 0x83,
			reason: expect.stringContaining('retain') as string,
		});
		expect(await mqttPublish(device, 'SignStatus/checked', '', true)).toBe(0x99);
		expect(await mqttPublish(device, 'SignStatus/a/b', '{"online":true}', true)).toBe(0x90);
		expect((await rest(harper, 'GET', '/SignStatus/checked')).body).toEqual(before);
		await device.close();
	});

	it('sets lastSeen itself, whatever the device says', async () => {
		const { body } = await rest(harper, 'PATCH', '/SignStatus/clocked', {
			online: true,
			lastSeen: '1999-01-01T00:00:00Z',
		});
		expect(Date.parse((body as SignStatusRecord).lastSeen)).toBeGreaterThan(Date.parse('2020-01-01'));
	});
});
