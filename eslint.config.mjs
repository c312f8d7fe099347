import harperConfig from '@harperdb/code-guidelines/eslint';
import { defineConfig } from 'eslint/config';

export default defineConfig([
	{ ignores: ['web/build/**'] },
	...harperConfig,
	{
		// The shared config names ./tsconfig.json; resolve it from this project, not from the package.
		files: ['**/*.ts'],
		languageOptions: { parserOptions: { tsconfigRootDir: import.meta.dirname, project: './tsconfig.json' } },
		rules: {
			// The base rule misreads parameter names in TypeScript function types; use the TypeScript-aware one.
			'no-unused-vars': 'off',
			'@typescript-eslint/no-unused-vars': ['warn', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
		},
	},
	{
		files: ['test/**/*.ts', 'harness/**/*.ts', 'vitest.config.ts'],
		languageOptions: { parserOptions: { project: './test/tsconfig.json' } },
	},
	{
		files: ['bench/**/*.ts'],
		languageOptions: { parserOptions: { project: './bench/tsconfig.json' } },
	},
	{
		files: ['web/src/**/*.ts'],
		languageOptions: { parserOptions: { project: './web/tsconfig.json' } },
	},
	{
		files: ['scripts/**/*.mjs'],
		languageOptions: { globals: { console: 'readonly', process: 'readonly' } },
	},
]);
