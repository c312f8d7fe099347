/**
 * `npm run sign -- <id> [options]`: a simulated sign in the terminal, behaving exactly like the firmware.
 *
 *   --url mqtt://localhost:1883     the broker (Marquee's Harper); MARQUEE_MQTT_URL also works
 *   --username U --password P       a device account; or MARQUEE_MQTT_USERNAME / MARQUEE_MQTT_PASSWORD
 *   --keepalive S                   seconds (default: the protocol's, devices/device-timing.ts)
 *   --width 64 --height 8           the LED matrix
 *   --count N                       run N signs, <id>-1 ... <id>-N, without drawing (for load tests)
 *   --json                          print one JSON line per event instead of drawing (for scripts and tests)
 */
import { parseArgs } from 'node:util';
import { DEFAULT_DISPLAY, frameAt, type DisplaySize } from '../../src/shared/display/frames.ts';
import { checkSignId } from '../../src/shared/sign-rules.ts';
import { DEVICE_TIMING } from '../device-timing.ts';
import { SignDevice, type DeviceOptions } from './sign-device.ts';
import { frameToAnsi } from './terminal.ts';

const { values, positionals } = parseArgs({
	allowPositionals: true,
	options: {
		url: { type: 'string', default: process.env.MARQUEE_MQTT_URL ?? 'mqtt://localhost:1883' },
		username: { type: 'string', default: process.env.MARQUEE_MQTT_USERNAME },
		password: { type: 'string', default: process.env.MARQUEE_MQTT_PASSWORD },
		keepalive: { type: 'string', default: String(DEVICE_TIMING.keepaliveSeconds) },
		width: { type: 'string', default: String(DEFAULT_DISPLAY.width) },
		height: { type: 'string', default: String(DEFAULT_DISPLAY.height) },
		count: { type: 'string' },
		json: { type: 'boolean', default: false },
	},
});

const id = positionals[0];
const idProblem = checkSignId(id);
if (!id || idProblem) {
	console.error(`usage: npm run sign -- <sign id> [--count N] [--json] (the id ${idProblem ?? 'is required'})`);
	process.exit(2);
}

const display: DisplaySize = { width: Number(values.width), height: Number(values.height) };
const base: Omit<DeviceOptions, 'id'> = {
	url: values.url,
	username: values.username,
	password: values.password,
	keepalive: Number(values.keepalive),
	display,
};

function stopOnSignal(devices: SignDevice[], cleanup: () => void = () => undefined): void {
	for (const signal of ['SIGINT', 'SIGTERM'] as const) {
		process.once(signal, () => {
			cleanup();
			void Promise.all(devices.map((device) => device.stop())).then(() => process.exit(0));
		});
	}
}

if (values.count) {
	// Load mode: many signs in one process, a summary line every 5 s.
	const count = Number(values.count);
	const devices = Array.from({ length: count }, (_, n) => new SignDevice({ ...base, id: `${id}-${n + 1}` }));
	let shown = 0;
	for (const device of devices) {
		device.on('showing', () => shown++);
		device.on('problem', (problem) => console.error(JSON.stringify({ event: 'problem', id: device.id, problem })));
		device.start();
	}
	const report = setInterval(() => {
		const connected = devices.filter((device) => device.connected).length;
		console.log(JSON.stringify({ event: 'summary', signs: count, connected, changesShown: shown }));
	}, 5000);
	stopOnSignal(devices, () => clearInterval(report));
} else if (values.json) {
	const device = new SignDevice({ ...base, id });
	const print = (event: object): void => console.log(JSON.stringify(event));
	device.on('connected', () => print({ event: 'connected', id }));
	device.on('disconnected', () => print({ event: 'disconnected', id }));
	device.on('showing', ({ record }) => print({ event: 'showing', id, record }));
	device.on('ignored', (record, reason) => print({ event: 'ignored', id, version: record.version, reason }));
	device.on('deleted', () => print({ event: 'deleted', id }));
	device.on('problem', (problem) => print({ event: 'problem', id, problem }));
	device.start();
	stopOnSignal([device]);
} else {
	const device = new SignDevice({ ...base, id });
	let status = 'connecting…';
	const draw = (): void => {
		const showing = device.showing;
		const header = `\x1b[1m${id}\x1b[0m  ${status}  ${showing ? `v${showing.record.version}${showing.record.transient ? ' (transient)' : ''}  "${showing.record.text}"` : 'waiting for the sign…'}`;
		const frame = showing ? frameToAnsi(frameAt(showing.record, Date.now() - showing.since, display)) : '';
		process.stdout.write(`\x1b[H\x1b[2K${header}\n\n${frame}\n\x1b[J`);
	};
	device.on('connected', () => (status = '\x1b[32monline\x1b[0m'));
	device.on('disconnected', () => (status = '\x1b[31mdisconnected, retrying\x1b[0m'));
	device.on('problem', (problem) => (status = `\x1b[33m${problem}\x1b[0m`));
	process.stdout.write('\x1b[?25l\x1b[2J');
	const timer = setInterval(draw, 50);
	device.start();
	stopOnSignal([device], () => {
		clearInterval(timer);
		process.stdout.write('\x1b[?25h\n');
	});
}
