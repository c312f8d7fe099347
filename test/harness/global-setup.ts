import type { TestProject } from 'vitest/node';
import { startHarper, type HarperInstance } from './harper.ts';
import type { ServerInfo } from './clients.ts';

let harper: HarperInstance | undefined;

export async function setup(project: TestProject): Promise<void> {
	harper = await startHarper();
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
