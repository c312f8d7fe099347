/**
 * Dev mode's login-free access (authorizeLocal) stays for this machine's tools and the panel on localhost, and
 * refuses what would ride on it from a web page (issue 11, finding 10): a request from another origin, on the
 * app's port and on the operations port, over HTTP and WebSocket; and a request naming the server by another
 * host name (DNS rebinding). First with a raw client, each header as a browser sends it; then with a real
 * Chromium, on a page from another origin, and on this Harper reached through a rebound name.
 */
import { createServer, type Server } from 'node:http';
import { once } from 'node:events';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from '../harness/browser.ts';
import { rest, type RestResponse } from '../harness/clients.ts';
import { useHarper } from '../harness/use-harper.ts';

// `harperdb dev`, as `npm run dev` runs it; Harper reads the variable before its config (a string, so any value
// turns it on): dev mode's default.
const dev = useHarper({ devMode: true, env: { AUTHENTICATION_AUTHORIZELOCAL: 'true' } });
const SIGN = 'lo-target';
let origin: string;

/** An anonymous request from this machine, with the headers a browser would add. */
const local = (method: string, path: string, headers: Record<string, string>, body?: unknown): Promise<RestResponse> =>
	rest(dev, method, path, body, { user: null, headers });

const text = async (): Promise<string> => ((await rest(dev, 'GET', `/LedSign/${SIGN}`)).body as { text: string }).text;

beforeAll(async () => {
	origin = dev.httpUrl;
	await rest(dev, 'PUT', `/LedSign/${SIGN}`, { text: 'untouched' });
});

describe('with a raw client', () => {
	it("lets this machine's tools in without a login: no Origin, a loopback Host", async () => {
		expect((await local('PATCH', `/LedSign/${SIGN}`, {}, { text: 'from curl' })).status).toBe(200);
		expect((await local('GET', '/Session', { host: `localhost:${dev.ports.http}` })).body).toMatchObject({
			role: 'super_user',
			autoLogin: true,
		});
		expect((await local('GET', `/LedSign/${SIGN}`, { origin })).status).toBe(200); // the panel, same origin
		await rest(dev, 'PUT', `/LedSign/${SIGN}`, { text: 'untouched' });
	});

	it.each([
		['another origin', { origin: 'http://evil.example' }, 'origin'],
		['an opaque origin', { origin: 'null' }, 'origin'],
		['the same host on another port', { origin: 'http://127.0.0.1:1' }, 'origin'],
		['a rebound host name', { host: 'evil.example:9926' }, 'host'],
		[
			'a page that sends no Origin (cross-site)',
			{ 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'no-cors' },
			'origin',
		],
	])('refuses a change from %s with 403 naming it, and changes nothing', async (_name, headers, field) => {
		const answer = await local('PATCH', `/LedSign/${SIGN}`, headers, { text: 'riding' });
		expect(answer.status).toBe(403);
		expect(answer.body).toMatchObject({ statusCode: 403, fields: { [field]: expect.any(String) as string } });
		expect(await text()).toBe('untouched');
	});

	it('refuses reads and preflights from another origin too, but lets a link from another site open a page', async () => {
		expect((await local('GET', `/LedSign/${SIGN}`, { origin: 'http://evil.example' })).status).toBe(403);
		expect((await local('OPTIONS', `/LedSign/${SIGN}`, { origin: 'http://evil.example' })).status).toBe(403);
		const navigation = { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'navigate' };
		expect((await local('GET', '/', navigation)).status).toBe(200);
	});

	it('does not stand in the way of a request that brings its own credentials', async () => {
		const answer = await rest(dev, 'GET', `/LedSign/${SIGN}`, undefined, {
			headers: { origin: 'http://evil.example' },
		});
		expect(answer.status).toBe(200);
	});

	it('refuses the operations API to another origin, and serves this machine', async () => {
		const operationFrom = async (headers: Record<string, string>): Promise<number> => {
			const response = await fetch(dev.operationsUrl, {
				method: 'POST',
				headers: { 'content-type': 'application/json', ...headers },
				body: '{"operation":"user_info"}',
			});
			await response.arrayBuffer();
			return response.status;
		};
		expect(await operationFrom({ origin: 'http://evil.example' })).toBe(403);
		expect(await operationFrom({})).toBe(200);
	});

	it('closes a WebSocket (and MQTT over WebSocket) from another origin, saying why', async () => {
		const closeOf = (path: string, protocol?: string): Promise<{ code: number; reason: string }> =>
			new Promise((resolve) => {
				const socket = new WebSocket(`${dev.wsUrl}${path}`, protocol, { origin: 'http://evil.example' });
				socket.on('error', () => undefined);
				socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
			});
		for (const [path, protocol] of [[`/LedSign/${SIGN}`], ['/mqtt', 'mqtt']] as const) {
			const { code, reason } = await closeOf(path, protocol);
			expect(code).toBe(3003);
			expect(reason).toMatch(/other web pages/);
		}
	});
});

describe('in Chromium', () => {
	let attacker: Server;
	let attackerUrl: string;

	beforeAll(async () => {
		// A page on another origin (another loopback address) that tries what a malicious site would.
		attacker = createServer((_request, response) => {
			response.writeHead(200, { 'content-type': 'text/html' });
			response.end('<!doctype html><title>elsewhere</title>');
		});
		attacker.listen(0, '127.0.0.5');
		await once(attacker, 'listening');
		const address = attacker.address();
		attackerUrl = `http://127.0.0.5:${typeof address === 'object' && address ? address.port : 0}/`;
	});

	afterAll(() => {
		attacker?.close();
	});

	it('refuses a page from another origin: its fetch, its form post and its WebSocket change nothing', async () => {
		const browser = await launchBrowser();
		try {
			const page = await browser.newPage();
			await page.goto(attackerUrl);
			// Source text, so it runs as the browser's own code (the test's imports mean nothing there).
			const target = JSON.stringify(`${dev.httpUrl}/LedSign/${SIGN}`);
			const ws = JSON.stringify(`${dev.wsUrl}/LedSign/${SIGN}`);
			const outcome = await page.evaluate(`(async () => {
				const results = [];
				try {
					const response = await fetch(${target}, {
						method: 'PATCH',
						headers: { 'content-type': 'application/json' },
						body: '{"text":"fetch from elsewhere"}',
					});
					results.push('fetch ' + response.status);
				} catch {
					results.push('fetch refused');
				}
				// A "simple" request: no preflight, the kind a form can make.
				await fetch(${target}, { method: 'POST', mode: 'no-cors', body: '{"text":"form from elsewhere"}' }).catch(() => {});
				results.push(await new Promise((resolve) => {
					const socket = new WebSocket(${ws});
					socket.onopen = () => socket.send('{"text":"socket from elsewhere"}');
					socket.onclose = (event) => resolve('ws ' + event.code);
				}));
				return results;
			})()`);
			expect(outcome).toEqual(['fetch refused', 'ws 3003']);
			expect(await text()).toBe('untouched');
		} finally {
			await browser.close();
		}
	});

	it('refuses this server reached through a rebound name, and serves it at localhost', async () => {
		// The name an attacker's DNS points at 127.0.0.1 once its page has loaded from its own server.
		const browser = await launchBrowser(['--host-resolver-rules=MAP rebound.example 127.0.0.1']);
		try {
			const page = await browser.newPage();
			expect((await page.goto(`http://localhost:${dev.ports.http}/LedSign/${SIGN}`))?.status()).toBe(200);
			const rebound = await page.goto(`http://rebound.example:${dev.ports.http}/LedSign/${SIGN}`);
			expect(rebound?.status()).toBe(403);
			expect(await rebound?.json()).toMatchObject({ fields: { host: expect.any(String) as string } });
		} finally {
			await browser.close();
		}
	});
});
