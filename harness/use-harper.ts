/**
 * A Harper of a test file's own (or a describe block's): started before its tests and destroyed after them, even
 * when a test or the start itself failed, so no file repeats the beforeAll/afterAll pair or leaves one running.
 */
import { afterAll, beforeAll } from 'vitest';
import { startHarper, type HarperInstance, type StartOptions } from './harper.ts';

/**
 * Registers the hooks where it is called, and answers the instance: an object that is filled in once Harper
 * serves, so it can be handed to clients and helpers in the file's scope (its fields are empty until then).
 * Hooks the file registers after this one run after the start and before the destroy.
 */
export function useHarper(options: StartOptions = {}): HarperInstance {
	const harper = {} as HarperInstance;
	let started: HarperInstance | undefined;
	beforeAll(async () => {
		started = await startHarper(options);
		Object.assign(harper, started);
	});
	afterAll(async () => {
		await started?.destroy();
	});
	return harper;
}
