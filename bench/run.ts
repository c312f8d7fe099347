/**
 * `npm run bench`: how fast a change reaches signs and browsers, measured on this machine against real
 * processes on loopback only, bounded in time (it stops by itself), written to docs/benchmarks.md and
 * docs/benchmarks.svg. Every Harper is started as the tests start theirs; mosquitto is Debian's.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import mqtt from 'mqtt';
import WebSocket from 'ws';
import { SignDevice } from '../devices/simulator/sign-device.ts';
import { basicAuth, rest, type ServerInfo } from '../harness/clients.ts';
import { startHarper, type HarperInstance } from '../harness/harper.ts';
import { addUser } from '../harness/users.ts';
import { barChart } from './chart.ts';
import { listen, mqttListener, type Listener, type ListenerKind } from './listeners.ts';
import { Arrivals, inBatches, percentiles, rssMiB, round, sleep, type Percentiles } from './measure.ts';

const PROJECT = resolve(import.meta.dirname, '../..');
const STARTED = Date.now();
const report: string[] = [];
const log = (line: string): void => {
	console.log(line);
	report.push(line);
};

function table(headers: string[], rows: (string | number)[][]): void {
	log(`| ${headers.join(' | ')} |`);
	log(`| ${headers.map(() => '---').join(' | ')} |`);
	for (const row of rows) log(`| ${row.join(' | ')} |`);
	log('');
}

const ms = (value: number): string => (Number.isFinite(value) ? `${round(value)}` : 'n/a');
const cells = (p: Percentiles): string[] => [ms(p.p50), ms(p.p95), ms(p.p99), ms(p.max)];

// ---- 1. Start-up ---------------------------------------------------------------------------------------------

/**
 * The security section writes as an operator, who is held to the abuse limits; they are raised out of reach here
 * so it measures what the checks cost, not throttling (administrators, who run every other section, are exempt).
 */
const OUT_OF_REACH = { perSecond: 1e6, burst: 1e6 };
// Every client of the bench comes from 127.0.0.1: 10,000 of them connecting at once would be one address holding
// thousands of connections not logged in yet, which the shipped cap closes at the door.
const BENCH_LIMITS = JSON.stringify({
	writesPerAccount: OUT_OF_REACH,
	writesPerSign: OUT_OF_REACH,
	unauthenticatedPerAddress: 1e6,
});

async function startup(): Promise<{ harper: HarperInstance; rows: (string | number)[][] }> {
	let at = performance.now();
	const harper = await startHarper({ env: { MARQUEE_LIMITS: BENCH_LIMITS } });
	const fresh = performance.now() - at;
	at = performance.now();
	await harper.restart();
	const again = performance.now() - at;
	await rest(harper, 'PUT', '/LedSign/startup', { text: 'ready' });
	const connects: number[] = [];
	for (let round = 0; round < 10; round++) {
		const began = performance.now();
		const shown = new Promise<number>((resolveShown) => {
			const device = new SignDevice({ id: 'startup', url: harper.mqttUrl, ...harper.admin });
			device.on('showing', () => {
				resolveShown(performance.now() - began);
				void device.stop();
			});
			device.start();
		});
		connects.push(await shown);
	}
	const device = percentiles(connects);
	return {
		harper,
		rows: [
			['harperdb run with Marquee, fresh root (installs first)', ms(fresh)],
			['harperdb run with Marquee, existing root', ms(again)],
			['a device connects until it shows the current state (p50 of 10)', ms(device.p50)],
			['the same, slowest of 10', ms(device.max)],
		],
	};
}

// ---- 2. Latency: each writer to each reader --------------------------------------------------------------------

type Writer = { name: string; write: (text: string) => Promise<void> | void; close?: () => Promise<void> };

async function writers(server: ServerInfo, id: string): Promise<Writer[]> {
	const publisher = await mqtt.connectAsync(server.mqttUrl, {
		protocolVersion: 5,
		...server.admin,
		reconnectPeriod: 0,
	});
	const socket = new WebSocket(`${server.wsUrl}/LedSign/${id}`, {
		headers: { authorization: basicAuth(server.admin) },
	});
	await once(socket, 'open');
	return [
		{
			name: 'REST PUT',
			write: async (text) => void (await rest(server, 'PUT', `/LedSign/${id}`, { text, color: '#ff8800' })),
		},
		{ name: 'REST PATCH', write: async (text) => void (await rest(server, 'PATCH', `/LedSign/${id}`, { text })) },
		{
			name: 'MQTT retained',
			write: async (text) =>
				void (await publisher.publishAsync(`LedSign/${id}`, JSON.stringify({ text }), { qos: 1, retain: true })),
			close: () => publisher.endAsync(),
		},
		{
			name: 'WebSocket message',
			write: (text) => socket.send(JSON.stringify({ text })),
			close: () => Promise.resolve(socket.close()),
		},
	];
}

async function latencyMatrix(server: ServerInfo, changes: number): Promise<Map<string, Percentiles>> {
	const id = 'latency';
	await rest(server, 'PUT', `/LedSign/${id}`, { text: 'start' });
	const kinds: ListenerKind[] = ['mqtt', 'ws', 'sse'];
	let expecting = '';
	let arrivals: Map<ListenerKind, Arrivals> = new Map();
	const listeners: Listener[] = [];
	for (const kind of kinds) {
		listeners.push(
			await listen(server, kind, id, (record, at) => {
				if (record.text === expecting) arrivals.get(kind)?.arrive(at);
			})
		);
	}
	const results = new Map<string, Percentiles>();
	for (const writer of await writers(server, id)) {
		const delays = new Map<ListenerKind, number[]>(kinds.map((kind) => [kind, []]));
		for (let n = 0; n < changes; n++) {
			expecting = `${writer.name} ${n}`;
			arrivals = new Map(kinds.map((kind) => [kind, new Arrivals(1, 5000)]));
			const sentAt = performance.now();
			await writer.write(expecting);
			for (const kind of kinds) {
				const arrival = arrivals.get(kind) as Arrivals;
				await arrival.finished;
				if (arrival.times[0] !== undefined) delays.get(kind)?.push(arrival.times[0] - sentAt);
			}
		}
		for (const kind of kinds)
			results.set(`${writer.name} → ${kind.toUpperCase()}`, percentiles(delays.get(kind) ?? []));
		await writer.close?.();
	}
	for (const listener of listeners) listener.close();
	return results;
}

// ---- 3. Fan-out ---------------------------------------------------------------------------------------------

interface FanOut {
	subscribers: number;
	connected: number;
	setupPerSecond: number;
	latency: Percentiles;
	complete: number;
	lost: number;
	rssMiB: number;
}

async function fanOut(
	subscribers: number,
	changes: number,
	open: (index: number, onText: (text: string, at: number) => void) => Promise<Listener>,
	publish: (text: string) => Promise<unknown>,
	pid?: number
): Promise<FanOut> {
	let expecting = '';
	let arrivals = new Arrivals(0, 0);
	const counts = new Uint16Array(subscribers);
	const setupStart = performance.now();
	const listeners = (
		await inBatches(
			Array.from({ length: subscribers }, (_, index) => index),
			200,
			(index) =>
				open(index, (text, at) => {
					if (text !== expecting) return;
					counts[index] = (counts[index] ?? 0) + 1;
					arrivals.arrive(at);
				}).catch(() => undefined)
		)
	).filter((listener): listener is Listener => listener !== undefined);
	const setupSeconds = (performance.now() - setupStart) / 1000;
	await sleep(500); // let the current-state messages of the subscribe settle before timing changes
	const delays: number[] = [];
	for (let n = 0; n < changes; n++) {
		expecting = `fan ${subscribers} ${n}`;
		arrivals = new Arrivals(listeners.length, 20_000);
		const sentAt = performance.now();
		await publish(expecting);
		await arrivals.finished;
		for (const at of arrivals.times) delays.push(at - sentAt);
	}
	const rss = rssMiB(pid);
	for (const listener of listeners) listener.close();
	const complete = Array.from(counts).filter((count) => count === changes).length;
	return {
		subscribers,
		connected: listeners.length,
		setupPerSecond: round(listeners.length / setupSeconds, 0),
		latency: percentiles(delays),
		complete,
		lost: listeners.length * changes - delays.length,
		rssMiB: rss,
	};
}

function mixedOpener(server: ServerInfo, id: string) {
	const kinds: ListenerKind[] = ['mqtt', 'ws', 'sse'];
	return (index: number, onText: (text: string, at: number) => void): Promise<Listener> =>
		listen(server, kinds[index % 3] as ListenerKind, id, (record, at) => onText(record.text, at));
}

// ---- 4. Throughput ------------------------------------------------------------------------------------------

/** Each worker writes its own sign when `manySigns`, otherwise all write one sign (the worst case: Marquee
 * serialises the writes to one sign, to count its versions exactly). */
async function restThroughput(
	server: ServerInfo,
	seconds: number,
	concurrency: number,
	manySigns = false,
	user: ServerInfo['admin'] = server.admin
): Promise<number> {
	const signOf = (worker: number): string => (manySigns ? `throughput-${worker}` : 'throughput');
	for (let worker = 0; worker < concurrency; worker++)
		await rest(server, 'PUT', `/LedSign/${signOf(worker)}`, { text: 'x' });
	const until = performance.now() + seconds * 1000;
	let accepted = 0;
	await Promise.all(
		Array.from({ length: concurrency }, async (_, worker) => {
			for (let n = 0; performance.now() < until; n++) {
				const { status } = await rest(
					server,
					'PATCH',
					`/LedSign/${signOf(worker)}`,
					{ text: `w${worker} ${n}` },
					{ user }
				);
				if (status === 200 || status === 204) accepted++;
			}
		})
	);
	return round(accepted / seconds, 0);
}

async function mqttThroughput(
	url: string,
	topic: (worker: number) => string,
	seconds: number,
	inFlight: number,
	auth?: ServerInfo['admin']
): Promise<number> {
	const client = await mqtt.connectAsync(url, { protocolVersion: 5, ...auth, reconnectPeriod: 0 });
	const until = performance.now() + seconds * 1000;
	let acked = 0;
	await Promise.all(
		Array.from({ length: inFlight }, async (_, worker) => {
			for (let n = 0; performance.now() < until; n++) {
				await client.publishAsync(topic(worker), JSON.stringify({ text: `w${worker} ${n}` }), { qos: 1, retain: true });
				acked++;
			}
		})
	);
	await client.endAsync();
	return round(acked / seconds, 0);
}

// ---- 5. mosquitto, the dedicated broker --------------------------------------------------------------------

async function startMosquitto(): Promise<{ url: string; process: ChildProcess }> {
	if (spawnSync('test', ['-x', '/usr/sbin/mosquitto']).status !== 0) {
		console.log('installing Debian mosquitto for the comparison ...');
		const install = spawnSync(
			'sh',
			['-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mosquitto'],
			{
				stdio: 'inherit',
			}
		);
		if (install.status !== 0) throw new Error('could not install mosquitto');
	}
	const port = 20_000 + Math.floor(Math.random() * 20_000);
	const dir = mkdtempSync(join(tmpdir(), 'marquee-mosquitto-'));
	const conf = join(dir, 'mosquitto.conf');
	writeFileSync(
		conf,
		`listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\nmax_queued_messages 100000\n`
	);
	const broker = spawn('/usr/sbin/mosquitto', ['-c', conf], { stdio: 'ignore' });
	for (let tries = 0; tries < 50; tries++) {
		const ok = await mqtt
			.connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0, connectTimeout: 1000 })
			.then((client) => client.endAsync().then(() => true))
			.catch(() => false);
		if (ok) return { url: `mqtt://127.0.0.1:${port}`, process: broker };
		await sleep(100);
	}
	broker.kill();
	throw new Error('mosquitto did not start');
}

// ---- 6. Many signs, one change each -------------------------------------------------------------------------

async function deviceScale(
	server: HarperInstance,
	signs: number
): Promise<{ connected: number; latency: Percentiles; all: number }> {
	const ids = Array.from({ length: signs }, (_, n) => `scale-${n}`);
	await inBatches(ids, 20, (id) => rest(server, 'PUT', `/LedSign/${id}`, { text: 'before' }));
	const shownAt = new Map<string, number>();
	const devices = ids.map((id) => {
		const device = new SignDevice({ id, url: server.mqttUrl, ...server.admin, heartbeat: 3600 });
		device.on('showing', ({ record }) => {
			if (record.text === 'after') shownAt.set(id, performance.now());
		});
		return device;
	});
	let ready = 0;
	await Promise.all(
		devices.map(
			(device) =>
				new Promise<void>((resolveReady) => {
					const timer = setTimeout(resolveReady, 60_000);
					device.once('showing', () => {
						ready++;
						clearTimeout(timer);
						resolveReady();
					});
					device.start();
				})
		)
	);
	const sentAt = new Map<string, number>();
	const began = performance.now();
	await inBatches(ids, 20, async (id) => {
		sentAt.set(id, performance.now());
		await rest(server, 'PATCH', `/LedSign/${id}`, { text: 'after' });
	});
	const deadline = performance.now() + 30_000;
	while (shownAt.size < ready && performance.now() < deadline) await sleep(50);
	const all = (Math.max(...shownAt.values()) - began) / 1000;
	await Promise.all(devices.map((device) => device.stop()));
	const delays = ids
		.filter((id) => shownAt.has(id))
		.map((id) => (shownAt.get(id) as number) - (sentAt.get(id) as number));
	return { connected: ready, latency: percentiles(delays), all: round(all, 2) };
}

/** One simulated sign; each change waits until the sign shows it before the next is made. */
async function oneDeviceChanges(server: HarperInstance, changes: number): Promise<number[]> {
	await rest(server, 'PUT', '/LedSign/one-device', { text: 'start' });
	const device = new SignDevice({ id: 'one-device', url: server.mqttUrl, ...server.admin, heartbeat: 3600 });
	let expecting = 'start';
	let shown: () => void = () => undefined;
	device.on('showing', ({ record }) => {
		if (record.text === expecting) shown();
	});
	const ready = new Promise<void>((resolveReady) => (shown = resolveReady));
	device.start();
	await ready;
	const delays: number[] = [];
	for (let n = 0; n < changes; n++) {
		expecting = `change ${n}`;
		const arrived = new Promise<void>((resolveArrived) => (shown = resolveArrived));
		const sentAt = performance.now();
		await rest(server, 'PATCH', '/LedSign/one-device', { text: expecting });
		await Promise.race([arrived, sleep(5000)]);
		delays.push(performance.now() - sentAt);
	}
	await device.stop();
	return delays;
}

// ---- The run ------------------------------------------------------------------------------------------------

/** A section's heading, and the blank line after it. */
function section(title: string): void {
	log(`## ${title}`);
	log('');
}

/** A paragraph under a heading, and the blank line after it. */
function paragraph(text: string): void {
	log(text);
	log('');
}

function describeMachine(): void {
	const harperPackage = readFileSync(join(PROJECT, 'node_modules/harperdb/package.json'), 'utf8');
	const harperVersion = (JSON.parse(harperPackage) as { version: string }).version;
	paragraph(
		`Run on ${new Date().toISOString()}: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), ${round(totalmem() / 2 ** 30, 0)} GiB, Node ${process.version}, Harper ${harperVersion}, 1 worker thread, everything on loopback on the same machine.`
	);
}

/** Starts the Harper every later section but the last runs on. */
async function startupSection(): Promise<HarperInstance> {
	section('Start-up');
	const { harper, rows } = await startup();
	table(['what', 'ms'], rows);
	return harper;
}

async function latencySection(harper: HarperInstance): Promise<Map<string, Percentiles>> {
	section('Change → delivery latency (ms), one reader of each kind attached, 100 changes per writer');
	const matrix = await latencyMatrix(harper, 100);
	table(
		['writer → reader', 'p50', 'p95', 'p99', 'max'],
		[...matrix].map(([name, p]) => [name, ...cells(p)])
	);
	return matrix;
}

async function fanOutSection(harper: HarperInstance): Promise<FanOut[]> {
	section('Fan-out: one sign, N subscribers (a third each MQTT, WebSocket, SSE), changes over REST PATCH');
	const fanRows: (string | number)[][] = [];
	const fanResults: FanOut[] = [];
	for (const [subscribers, changes] of [
		[100, 20],
		[1000, 20],
		[10_000, 10],
	] as const) {
		const id = `fan-${subscribers}`;
		await rest(harper, 'PUT', `/LedSign/${id}`, { text: 'start' });
		const result = await fanOut(
			subscribers,
			changes,
			mixedOpener(harper, id),
			(text) => rest(harper, 'PATCH', `/LedSign/${id}`, { text }),
			harper.pid()
		);
		fanResults.push(result);
		fanRows.push([
			subscribers,
			result.connected,
			result.setupPerSecond,
			...cells(result.latency),
			`${result.complete}/${result.connected}`,
			result.lost,
			result.rssMiB,
		]);
	}
	table(
		['N', 'connected', 'connections/s', 'p50', 'p95', 'p99', 'max', 'got every change', 'lost', 'Harper RSS MiB'],
		fanRows
	);
	return fanResults;
}

const oneSign = (): string => 'LedSign/throughput';
const ownSign = (worker: number): string => `LedSign/throughput-${worker}`;

/** Accepted changes/s on each write path, in the order of WRITE_PATHS. */
const measureWrites = async (server: HarperInstance): Promise<number[]> => [
	await restThroughput(server, 5, 16),
	await restThroughput(server, 5, 16, true),
	await mqttThroughput(server.mqttUrl, oneSign, 5, 100, server.admin),
	await mqttThroughput(server.mqttUrl, ownSign, 5, 100, server.admin),
];

const WRITE_PATHS = [
	'REST PATCH, 16 in flight, one sign',
	'REST PATCH, 16 in flight, 16 signs',
	'MQTT QoS 1 retained, 100 in flight, one sign',
	'MQTT QoS 1 retained, 100 in flight, 100 signs',
];

interface Throughput {
	/** Marquee's rates, then the bare table's, on each of WRITE_PATHS. */
	validated: number[];
	unvalidated: number[];
}

async function throughputSection(harper: HarperInstance): Promise<Throughput> {
	section('Write throughput (accepted changes/s, 5 s each)');
	const validated = await measureWrites(harper);
	const bare = await startHarper({ appPath: join(PROJECT, 'bench/bare-app') });
	const unvalidated = await measureWrites(bare);
	await bare.destroy();
	table(
		['path', 'Marquee (validated)', 'bare table (no hooks)', 'Marquee / bare'],
		WRITE_PATHS.map((path, index) => {
			const mine = validated[index] ?? NaN;
			const theirs = unvalidated[index] ?? NaN;
			return [path, mine, theirs, round(mine / theirs, 2)];
		})
	);
	return { validated, unvalidated };
}

async function securityCostSection(harper: HarperInstance): Promise<void> {
	section('What the security checks cost (accepted changes/s, 5 s each)');
	paragraph(
		'The same writes as an operator, against an administrator: the role check, the device binding lookup, the size check and the two rate-limit buckets per change (limits raised out of reach, so nothing is refused). Best of three alternating runs each.'
	);
	const operator = { username: 'bench-operator', password: 'bench-operator-password' };
	await addUser(harper, operator, 'marquee_operator');
	const securityRows: (string | number)[][] = [];
	for (const [path, asAdmin, asOperator] of [
		[
			'REST PATCH, 16 in flight, 16 signs',
			(): Promise<number> => restThroughput(harper, 5, 16, true),
			(): Promise<number> => restThroughput(harper, 5, 16, true, operator),
		],
		[
			'MQTT QoS 1 retained, 100 in flight, 100 signs',
			(): Promise<number> => mqttThroughput(harper.mqttUrl, ownSign, 5, 100, harper.admin),
			(): Promise<number> => mqttThroughput(harper.mqttUrl, ownSign, 5, 100, operator),
		],
	] as const) {
		// Alternating, best of three each: on two shared cores one 5 s run moves by tens of percent.
		const [admin, limited] = [[] as number[], [] as number[]];
		for (let run = 0; run < 3; run++) {
			admin.push(await asAdmin());
			limited.push(await asOperator());
		}
		const [bestAdmin, bestLimited] = [Math.max(...admin), Math.max(...limited)];
		securityRows.push([path, bestAdmin, bestLimited, round(bestLimited / bestAdmin, 2)]);
	}
	table(['path', 'administrator (exempt)', 'operator (checked)', 'operator / administrator'], securityRows);
}

type Ratio = { what: string; ratio: number };

/** Marquee's fan-out p99 over mosquitto's, at each number of subscribers. */
async function mosquittoSection(harper: HarperInstance, mqttValidated: number): Promise<Ratio[]> {
	section('Marquee against a dedicated broker (mosquitto 2, no storage, no validation)');
	paragraph(
		'Same client library (mqtt.js), QoS 1, the same payload, N MQTT subscribers on one topic, the publisher over MQTT.'
	);
	const broker = await startMosquitto();
	const compareRows: (string | number)[][] = [];
	const ratios: Ratio[] = [];
	for (const subscribers of [100, 1000]) {
		const mine = await fanOut(
			subscribers,
			20,
			(_, onText) => mqttListener(harper.mqttUrl, 'LedSign/versus', (record, at) => onText(record.text, at), harper),
			(text) => mqttPublishOnce(harper.mqttUrl, 'LedSign/versus', text, harper.admin),
			harper.pid()
		);
		const theirs = await fanOut(
			subscribers,
			20,
			(_, onText) => mqttListener(broker.url, 'LedSign/versus', (record, at) => onText(record.text, at)),
			(text) => mqttPublishOnce(broker.url, 'LedSign/versus', text)
		);
		compareRows.push([
			`${subscribers} subscribers, p50 / p99 ms`,
			`${ms(mine.latency.p50)} / ${ms(mine.latency.p99)}`,
			`${ms(theirs.latency.p50)} / ${ms(theirs.latency.p99)}`,
			round(mine.latency.p99 / theirs.latency.p99, 2),
		]);
		ratios.push({ what: `fan-out p99 at ${subscribers}`, ratio: round(mine.latency.p99 / theirs.latency.p99, 2) });
	}
	const brokerThroughput = await mqttThroughput(broker.url, oneSign, 5, 100);
	compareRows.push([
		'QoS 1 publishes/s, 100 in flight',
		mqttValidated,
		brokerThroughput,
		round(mqttValidated / brokerThroughput, 2),
	]);
	broker.process.kill('SIGTERM');
	table(['measure', 'Marquee', 'mosquitto', 'Marquee / mosquitto'], compareRows);
	return ratios;
}

async function deviceScaleSection(harper: HarperInstance): Promise<void> {
	section('Many signs, one change each');
	const scale = await deviceScale(harper, 1000);
	table(
		[
			'signs (simulated devices, each on its own record)',
			'shown every change',
			'REST → device p50',
			'p99',
			'max',
			'all 1000 changes shown within (s)',
		],
		[[1000, scale.connected, ms(scale.latency.p50), ms(scale.latency.p99), ms(scale.latency.max), scale.all]]
	);
}

/** On Harpers of its own: one with the old behaviour, one with the fix. */
async function nagleSection(): Promise<void> {
	section('Improvement: Nagle off on MQTT sockets (before / after)');
	for (const line of [
		'Profiling the slowest path a sign sees (a REST change reaching a device that answers each delivery with a PUBACK',
		'and a status report) showed stalls of about 40 ms: Harper leaves Nagle on for its MQTT sockets, and Marquee now',
		'turns it off on each MQTT connection (src/harper/mqtt-nodelay.ts). One simulated sign, 50 changes one after',
		'another over REST, on a Harper with the old behaviour (MARQUEE_MQTT_NODELAY=off) and with the fix:',
		'',
	]) {
		log(line);
	}
	const improvementRows: (string | number)[][] = [];
	for (const [label, env] of [
		['before (Nagle on)', { MARQUEE_MQTT_NODELAY: 'off' }],
		['after (Nagle off)', {}],
	] as const) {
		const node = await startHarper({ env });
		const delays = await oneDeviceChanges(node, 50);
		await node.destroy();
		improvementRows.push([label, ...cells(percentiles(delays))]);
	}
	table(['REST → device, ms', 'p50', 'p95', 'p99', 'max'], improvementRows);
}

interface Results {
	matrix: Map<string, Percentiles>;
	fanResults: FanOut[];
	throughput: Throughput;
	ratios: Ratio[];
}

/** docs/benchmarks.md with its chart and headline, and the README's summary, all from this run. */
function writeReports({ matrix, fanResults, throughput, ratios }: Results): void {
	const [restValidated = NaN, , mqttValidated = NaN, mqttValidatedMany = NaN] = throughput.validated;
	const [restBare = NaN, , mqttBare = NaN, mqttBareMany = NaN] = throughput.unvalidated;
	const chartRows = [...matrix].map(([name, p]) => ({ label: name, values: [p.p50, p.p99] }));
	const svg = barChart('Change → delivery latency, ms (p50 and p99)', ['p50', 'p99'], chartRows);
	log(`Finished in ${round((Date.now() - STARTED) / 1000, 0)} s.`);

	const headline = {
		restToMqttP99: matrix.get('REST PATCH → MQTT')?.p99,
		fanOut1000P99: fanResults[1]?.latency.p99,
		validationCostRest: round(restValidated / restBare, 2),
		validationCostMqtt: round(mqttValidated / mqttBare, 2),
		validationCostMqttManySigns: round(mqttValidatedMany / mqttBareMany, 2),
		versusMosquitto: ratios,
	};
	console.log(JSON.stringify(headline));
	writeFileSync(join(PROJECT, 'docs/benchmarks.svg'), svg);
	writeFileSync(join(PROJECT, 'docs/benchmarks.md'), document(report, headline));
	const restToMqtt = matrix.get('REST PATCH → MQTT');
	const [, fan1000, fan10000] = fanResults;
	const mosquittoRatios = ratios.map(({ ratio }) => ratio);
	writeReadmeSummary([
		['REST to MQTT', `p50 ${ms(restToMqtt?.p50 ?? NaN)} ms, p99 ${ms(restToMqtt?.p99 ?? NaN)} ms`],
		[
			'fan-out p99',
			`${ms(fan1000?.latency.p99 ?? NaN)} ms at 1,000 subscribers, ${ms(fan10000?.latency.p99 ?? NaN)} ms at ` +
				`10,000 (${fan10000?.lost ?? 'n/a'} changes lost)`,
		],
		['MQTT throughput with validation, 100 signs', `${headline.validationCostMqttManySigns} of the bare table's`],
		['fan-out p99 against mosquitto', `${Math.min(...mosquittoRatios)}–${Math.max(...mosquittoRatios)}× mosquitto's`],
		['the whole run', `${round((Date.now() - STARTED) / 1000, 0)} s`],
	]);
}

/** Each section in turn, on one Harper until the Nagle section starts its own; then the reports. */
async function main(): Promise<void> {
	describeMachine();
	const harper = await startupSection();
	const matrix = await latencySection(harper);
	const fanResults = await fanOutSection(harper);
	const throughput = await throughputSection(harper);
	await securityCostSection(harper);
	const [, , mqttValidated = NaN] = throughput.validated;
	const ratios = await mosquittoSection(harper, mqttValidated);
	await deviceScaleSection(harper);
	await harper.destroy();
	await nagleSection();
	writeReports({ matrix, fanResults, throughput, ratios });
}

/** The README's summary of the last run, between its bench markers: the figures of this run, never typed by hand. */
function writeReadmeSummary(rows: [string, string][]): void {
	const readme = join(PROJECT, 'README.md');
	const block = ['| measure | result |', '| --- | --- |', ...rows.map(([what, value]) => `| ${what} | ${value} |`)];
	const text = readFileSync(readme, 'utf8');
	const updated = text.replace(
		/(<!-- bench:start -->\n)[\s\S]*?(\n<!-- bench:end -->)/,
		(_all, start: string, end: string) => `${start}\n${block.join('\n')}\n${end}`
	);
	if (updated === text && !text.includes(block.join('\n'))) throw new Error('README.md has no bench markers');
	writeFileSync(readme, updated);
}

async function mqttPublishOnce(url: string, topic: string, text: string, auth?: ServerInfo['admin']): Promise<void> {
	const client =
		publishers.get(url) ?? (await mqtt.connectAsync(url, { protocolVersion: 5, ...auth, reconnectPeriod: 0 }));
	publishers.set(url, client);
	await client.publishAsync(topic, JSON.stringify({ text }), { qos: 1, retain: true });
}
const publishers = new Map<string, mqtt.MqttClient>();

function document(lines: string[], headline: object): string {
	return [
		'# Benchmarks',
		'',
		'Written by `npm run bench` (bench/run.ts) from a real run; do not edit by hand. Every number is from the run',
		"below: Harper and the clients share one 2-core machine, so latencies include the clients' own work.",
		'',
		'![Change → delivery latency](benchmarks.svg)',
		'',
		...lines,
		'',
		'## Headline',
		'',
		'```json',
		JSON.stringify(headline, null, 2),
		'```',
		'',
	].join('\n');
}

main().then(
	async () => {
		for (const client of publishers.values()) await client.endAsync(true);
		process.exit(0);
	},
	(err: unknown) => {
		console.error(err);
		process.exit(1);
	}
);
