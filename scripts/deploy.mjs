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
import { join } from 'node:path';
import { loadDotEnv, operationsClient, PROJECT as project } from './operations.mjs';

loadDotEnv();

const missing = ['CLI_TARGET', 'CLI_TARGET_USERNAME', 'CLI_TARGET_PASSWORD'].filter((name) => !process.env[name]);
if (missing.length > 0) {
	console.error(`npm run deploy: set ${missing.join(', ')} in the environment or in .env (see .env.example).`);
	process.exit(2);
}

const target = process.env.CLI_TARGET;
const username = process.env.CLI_TARGET_USERNAME;
const call = operationsClient({ target, username, password: process.env.CLI_TARGET_PASSWORD });

/** One operations API call to the target, as the deploy user; `whileRestarting` tolerates a target that is down. */
async function operation(body, { whileRestarting = false } = {}) {
	try {
		return await call(body);
	} catch (err) {
		if (whileRestarting && err.status === 0) return undefined;
		fail(err.message);
	}
}

function fail(message) {
	console.error(`npm run deploy: ${message}`);
	process.exit(1);
}

const run = (command, args) =>
	spawnSync(command, args, { cwd: project, env: process.env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

// `harperdb deploy` exits 0 even when the target refuses it, so check the target first and the result after.
await operation({ operation: 'user_info' });

// The target runs the compiled resources and panel: build first, so what is deployed matches the source.
const build = run(process.execPath, [
	join(project, 'node_modules/typescript/bin/tsc'),
	'-b',
	'tsconfig.json',
	'web/tsconfig.json',
]);
if (build.status !== 0) fail(`the build failed:\n${build.stdout}${build.stderr}`);

console.log(`Deploying to ${target} as ${username} ...`);
const deploy = run(process.execPath, [
	join(project, 'node_modules/harperdb/bin/harperdb.js'),
	'deploy',
	`target=${target}`,
	'project=marquee',
	'restart=rolling',
	'replicated=true',
]);
process.stdout.write(deploy.stdout);
process.stderr.write(deploy.stderr);
if (deploy.status !== 0 || /error/i.test(deploy.stdout + deploy.stderr))
	fail('harperdb deploy reported a failure (above)');

// The restart is a job on the target, which goes down and comes back: wait for the job to complete, so that
// "deployed" means the new version is serving.
const restartJob = /restartJobId: (\S+)/.exec(deploy.stdout)?.[1];
const deadline = Date.now() + 300_000;
while (restartJob) {
	const [job] = (await operation({ operation: 'get_job', id: restartJob }, { whileRestarting: true })) ?? [];
	if (job?.status === 'COMPLETE') break;
	if (job?.status === 'ERROR') fail(`the restart failed on the target: ${job.message ?? 'no message'}`);
	if (Date.now() > deadline) fail('the target did not finish restarting within 5 minutes');
	await new Promise((done) => setTimeout(done, 1000));
}
const components = JSON.stringify(await operation({ operation: 'get_components' }));
if (!components.includes('"marquee"')) fail('the target does not list the marquee component after deploying');
console.log('Deployed: the target has restarted and lists the marquee component.');
