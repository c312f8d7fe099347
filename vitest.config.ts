import { defineConfig } from 'vitest/config';

export default defineConfig({
	test: {
		include: ['test/**/*.test.ts'],
		// One Harper serves the suite (started in global-setup.ts); test files run one at a time so a file that
		// restarts its own Harper, or counts events, does not compete with another for the 2 cores.
		globalSetup: ['harness/global-setup.ts'],
		fileParallelism: false,
		testTimeout: 30_000,
		hookTimeout: 120_000,
	},
});
