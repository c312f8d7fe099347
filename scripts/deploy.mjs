#!/usr/bin/env node
/**
 * `npm run deploy`: deploys this component to a Harper node or a Harper Fabric cluster with `harperdb deploy`,
 * replicated to every node with a rolling restart.
 *
 * Settings come from the environment or from a git-ignored `.env` (copy `.env.example`):
 *   CLI_TARGET           the operations API of the target, e.g. https://cluster.example.com:9925
 *   CLI_TARGET_USERNAME  a super user on the target
 *   CLI_TARGET_PASSWORD  its password (read by the Harper CLI from the environment; never printed or passed as an argument)
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const project = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const envFile = join(project, '.env');
if (existsSync(envFile)) process.loadEnvFile(envFile);

const missing = ['CLI_TARGET', 'CLI_TARGET_USERNAME', 'CLI_TARGET_PASSWORD'].filter((name) => !process.env[name]);
if (missing.length > 0) {
	console.error(`npm run deploy: set ${missing.join(', ')} in the environment or in .env (see .env.example).`);
	process.exit(2);
}

const run = (command, args) =>
	spawnSync(command, args, { cwd: project, stdio: 'inherit', env: process.env }).status ?? 1;

// The target runs the compiled resources: build first, so what is deployed matches the source.
if (run(process.execPath, [join(project, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json']) !== 0)
	process.exit(1);

console.log(`Deploying to ${process.env.CLI_TARGET} as ${process.env.CLI_TARGET_USERNAME} ...`);
const status = run(process.execPath, [
	join(project, 'node_modules/harperdb/bin/harperdb.js'),
	'deploy',
	`target=${process.env.CLI_TARGET}`,
	'project=marquee',
	'restart=rolling',
	'replicated=true',
]);
process.exit(status);
