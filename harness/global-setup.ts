import type { TestProject } from 'vitest/node';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { killLeftHarpers, startHarper, type HarperInstance } from './harper.ts';
import type { ServerInfo } from './clients.ts';

let harper: HarperInstance | undefined;

const registry = mkdtempSync(join(tmpdir(), 'marquee-harpers-'));

export async function setup(project: TestProject): Promise<void> {
	// Test files run in workers that inherit this: each notes the Harpers it starts (harper.ts), so none outlives the run.
	process.env.MARQUEE_HARPER_REGISTRY = registry;
	// The suite tries wrong passwords from one address in many files; the failed-login limit is tested by
	// test/login-throttle.test.ts on a Harper of its own, so here it is out of the way.
	harper = await startHarper({
		env: { MARQUEE_LIMITS: JSON.stringify({ failedLogins: { perSecond: 100, burst: 1000 } }) },
	});
	const { httpUrl, wsUrl, mqttUrl, operationsUrl, admin } = harper;
	const info: ServerInfo = { httpUrl, wsUrl, mqttUrl, operationsUrl, admin };
	project.provide('harper', info);
}

export async function teardown(): Promise<void> {
	await harper?.destroy();
	const left = killLeftHarpers(registry);
	if (left.length > 0)
		console.warn(`Killed ${left.length} Harper process(es) a test file left running: ${left.join(', ')}`);
}

declare module 'vitest' {
	export interface ProvidedContext {
		harper: ServerInfo;
	}
}
