/** Runs the sign simulator (`npm run sign`) as a separate process, reading its --json event lines. */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Inbox, type ServerInfo } from './clients.ts';
import { PROJECT } from './harper.ts';
import type { DisplaySize } from '../src/shared/display/frames.ts';

const SIMULATOR = join(PROJECT, 'dist/devices/simulator/main.js');

export interface SimulatorEvent {
	event: 'connected' | 'disconnected' | 'showing' | 'ignored' | 'deleted' | 'problem' | 'summary';
	id: string;
	record?: { text: string; version: number; transient?: boolean };
}

export interface SimulatorProcess {
	events: Inbox<SimulatorEvent>;
	process: ChildProcess;
	/** Ends the process: SIGTERM is a clean stop (DISCONNECT), SIGKILL a crash (no DISCONNECT). */
	kill(signal: 'SIGTERM' | 'SIGKILL'): Promise<void>;
}

export function startSimulator(
	server: ServerInfo,
	id: string,
	options: { mqttUrl?: string; keepalive?: number; count?: number; display?: DisplaySize } = {}
): SimulatorProcess {
	const args = [SIMULATOR, id, '--json', '--url', options.mqttUrl ?? server.mqttUrl];
	// The LED matrix it reports in its birth message (64 × 8 unless told).
	if (options.display) args.push('--width', String(options.display.width), '--height', String(options.display.height));
	// A fleet: signs <id>-1 ... <id>-<count> in the one process, reporting a summary line every few seconds.
	if (options.count !== undefined) args.push('--count', String(options.count));
	args.push('--username', server.admin.username, '--keepalive', String(options.keepalive ?? 30));
	const child = spawn(process.execPath, args, {
		// The password goes through the environment, as a deployment would pass it: never on a command line.
		env: { ...process.env, MARQUEE_MQTT_PASSWORD: server.admin.password },
		stdio: ['ignore', 'pipe', 'inherit'],
	});
	const events = new Inbox<SimulatorEvent>();
	if (child.stdout) {
		createInterface({ input: child.stdout }).on('line', (line) => events.push(JSON.parse(line) as SimulatorEvent));
	}
	return {
		events,
		process: child,
		async kill(signal): Promise<void> {
			if (child.exitCode !== null || child.signalCode !== null) return;
			const exited = once(child, 'exit');
			child.kill(signal);
			await exited;
		},
	};
}
