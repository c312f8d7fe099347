import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// test/docs.test.ts reads files only: without the suite's global setup it needs no Harper and takes a second,
// so whoever moves a file can run it at once (`npm run test:docs`).
export default defineConfig({
	root: fileURLToPath(new URL('..', import.meta.url)),
	test: { include: ['test/docs.test.ts'] },
});
