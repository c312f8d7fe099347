import type { TestProject } from 'vitest/node';
import { startHarper, type HarperInstance } from './harper.ts';
import type { ServerInfo } from './clients.ts';

let harper: HarperInstance | undefined;

export async function setup(project: TestProject): Promise<void> {
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
}

declare module 'vitest' {
	export interface ProvidedContext {
		harper: ServerInfo;
	}
}
