/**
 * The browser login: /Session over REST (its answers, Harper's session cookie, logout), then the panel in a real
 * headless Chromium against the suite's Harper (authorizeLocal off): the login view, an operator and a viewer
 * each seeing only what they may do, the live stream running on the session cookie, and no password in any
 * address. Last, a Harper of its own in dev mode (authorizeLocal on) at log level trace: no login needed there,
 * and no password in its log.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { SessionView } from '../src/shared/session-view.ts';
import { launchBrowser, screenshot } from '../harness/browser.ts';
import {
	basicAuth,
	mqttPeer,
	mqttPublish,
	operation,
	rest,
	type Credentials,
	type ServerInfo,
} from '../harness/clients.ts';
import { exchange } from '../harness/http.ts';
import { useHarper } from '../harness/use-harper.ts';
import { postSession, sessionCookie } from '../harness/sessions.ts';
import { addUser } from '../harness/users.ts';

const server = inject('harper');
const run = Math.random().toString(36).slice(2, 8);
const operator: Credentials = { username: `login-op-${run}`, password: `op-Pass-${run}-wordy` };
const viewer: Credentials = { username: `login-viewer-${run}`, password: `viewer-Pass-${run}-wordy` };
const device: Credentials = { username: `login-device-${run}`, password: `device-Pass-${run}-wordy` };
const SIGN = `login-${run}`;
const ANONYMOUS_VIEW = {
	username: null,
	role: null,
	may: { read: false, change: false, create: false, delete: false },
	presets: { read: false, change: false, create: false, delete: false },
	history: { read: false, change: false, create: false, delete: false },
	sign: null,
	autoLogin: false,
};
const READ_ONLY = { read: true, change: false, create: false, delete: false };

async function get(target: ServerInfo, path: string, headers: Record<string, string> = {}): Promise<Response> {
	return fetch(`${target.httpUrl}${path}`, { headers: { accept: 'application/json', ...headers } });
}

beforeAll(async () => {
	await addUser(server, operator, 'marquee_operator');
	await addUser(server, viewer, 'marquee_viewer');
	await addUser(server, device, 'marquee_device');
	await operation(server, {
		operation: 'insert',
		database: 'data',
		table: 'DeviceAccount',
		records: [{ id: device.username, sign: SIGN }],
	});
	expect((await rest(server, 'PUT', `/LedSign/${SIGN}`, { text: 'before login' })).status).toBe(200);
});

describe('/Session over REST', () => {
	it('answers an anonymous caller with nobody and nothing allowed', async () => {
		const response = await get(server, '/Session');
		expect(response.status).toBe(200);
		expect(response.headers.get('cache-control')).toBe('no-store');
		expect(await response.json()).toEqual(ANONYMOUS_VIEW);
	});

	it('names the user and what the role may do, for Basic auth too', async () => {
		const admin = await get(server, '/Session', { authorization: basicAuth(server.admin) });
		expect(await admin.json()).toEqual({
			username: server.admin.username,
			role: 'super_user',
			may: { read: true, change: true, create: true, delete: true },
			presets: { read: true, change: true, create: true, delete: true },
			// Only the server writes the history: even an administrator may only read it.
			history: READ_ONLY,
			sign: null,
			autoLogin: false,
		});
		const watcher = await get(server, '/Session', { authorization: basicAuth(viewer) });
		expect(await watcher.json()).toMatchObject({
			username: viewer.username,
			role: 'marquee_viewer',
			may: READ_ONLY,
			presets: READ_ONLY,
			history: READ_ONLY,
		});
	});

	it('gives a device account its bound sign', async () => {
		const response = await postSession(server, JSON.stringify(device));
		expect(response.status).toBe(200);
		expect(await response.json()).toMatchObject({
			username: device.username,
			role: 'marquee_device',
			sign: SIGN,
			presets: ANONYMOUS_VIEW.presets,
			history: ANONYMOUS_VIEW.history,
		});
	});

	it('refuses a body without a username or password with 422, naming the field', async () => {
		const noPassword = await postSession(server, JSON.stringify({ username: operator.username }));
		expect(noPassword.status).toBe(422);
		expect(await noPassword.json()).toMatchObject({ fields: { password: 'is required' } });
		const noUsername = await postSession(server, JSON.stringify({ password: 'x', username: '' }));
		expect(noUsername.status).toBe(422);
		expect((await noUsername.json()) as object).toMatchObject({ fields: { username: 'is required' } });
		const wrongType = await postSession(server, JSON.stringify({ username: 5, password: ['x'] }));
		expect(await wrongType.json()).toMatchObject({
			fields: { username: 'must be a string', password: 'must be a string' },
		});
		expect(noPassword.headers.getSetCookie()).toEqual([]);
	});

	it('logs in only from a JSON body: a form another site could post is refused (415)', async () => {
		const form = new URLSearchParams(operator as unknown as Record<string, string>).toString();
		const response = await postSession(server, form, 'application/x-www-form-urlencoded');
		expect(response.status).toBe(415);
		expect(response.headers.getSetCookie()).toEqual([]);
		const plain = await postSession(server, JSON.stringify(operator), 'text/plain');
		expect(plain.status).toBe(415);
	});

	it('answers an unknown user and a wrong password alike, with 401 and no session', async () => {
		const wrong = await postSession(server, JSON.stringify({ ...operator, password: 'not-the-password' }));
		const unknown = await postSession(server, JSON.stringify({ username: `nobody-${run}`, password: 'whatever' }));
		expect(wrong.status).toBe(401);
		expect(unknown.status).toBe(401);
		const [wrongBody, unknownBody] = [await wrong.json(), await unknown.json()];
		expect(wrongBody).toEqual(unknownBody);
		expect(wrongBody).toMatchObject({ error: 'The username or password is not correct.', fields: {} });
		expect(wrong.headers.getSetCookie()).toEqual([]);
	});

	it('does not echo a malformed body, which may hold a password', async () => {
		const response = await postSession(server, `{"username":"${operator.username}","password":${operator.password}}`);
		expect(response.status).toBe(400);
		expect(await response.text()).not.toContain(operator.password);
	});

	it('sets an HttpOnly session cookie that works for REST, until logout; then the old cookie is refused', async () => {
		const login = await postSession(server, JSON.stringify(operator));
		expect(login.status).toBe(200);
		expect(await login.json()).toEqual({
			username: operator.username,
			role: 'marquee_operator',
			may: { read: true, change: true, create: true, delete: false },
			presets: { read: true, change: true, create: true, delete: true },
			history: READ_ONLY,
			sign: null,
			autoLogin: false,
		});
		const [setCookie] = login.headers.getSetCookie();
		expect(setCookie).toMatch(/hdb-session=[0-9a-f-]{36}; Path=\/; .*HttpOnly/);
		const cookie = sessionCookie(login);

		expect(await (await get(server, '/Session', { cookie })).json()).toMatchObject({ username: operator.username });
		expect((await get(server, `/LedSign/${SIGN}`, { cookie })).status).toBe(200);

		const logout = await fetch(`${server.httpUrl}/Session`, { method: 'DELETE', headers: { cookie } });
		expect(logout.status).toBe(200);
		expect(await logout.json()).toEqual(ANONYMOUS_VIEW);
		// The browser is told to drop the cookie, so its next login gets a session with a new id.
		expect(logout.headers.getSetCookie()).toEqual([
			`${cookie.split('=')[0]}=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly`,
		]);

		expect((await get(server, `/LedSign/${SIGN}`, { cookie })).status).toBe(401);
		expect(await (await get(server, '/Session', { cookie })).json()).toEqual(ANONYMOUS_VIEW);
	});

	it('has stored the session by the time it answers: the very next request is signed in', async () => {
		for (let attempt = 0; attempt < 20; attempt++) {
			const cookie = sessionCookie(await postSession(server, JSON.stringify(viewer)));
			expect((await get(server, `/LedSign/${SIGN}`, { cookie })).status, `attempt ${attempt}`).toBe(200);
		}
	});

	it.each([
		['curl or a device (no Accept)', true, {}],
		['curl or a device (any type)', true, { accept: '*/*' }],
		['a browser opening the address', true, { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' }],
		['a navigation that says so', true, { 'sec-fetch-mode': 'navigate', 'accept': 'application/json' }],
		['the panel’s fetch from a LAN address over HTTP (no Sec-Fetch-*)', false, { accept: 'application/json' }],
		['the panel’s EventSource from a LAN address', false, { accept: 'text/event-stream' }],
		['a page’s script on localhost or HTTPS', false, { 'sec-fetch-mode': 'cors', 'accept': '*/*' }],
	])('answers a 401 to %s with a Basic challenge (%s)', async (_who, challenged, headers) => {
		// The raw client sends exactly these headers, no others (fetch would add an Accept of its own).
		const answer = await exchange(server.httpUrl, `/LedSign/${SIGN}`, { headers });
		expect(answer.status).toBe(401);
		expect(answer.headers['www-authenticate'] !== undefined).toBe(challenged);
	});

	it('answers a wrong password at the panel’s login without the Basic challenge, even with no Sec-Fetch-*', async () => {
		const answer = await exchange(server.httpUrl, '/Session', {
			method: 'POST',
			headers: { 'content-type': 'application/json', 'accept': 'application/json' },
			body: JSON.stringify({ ...operator, password: 'not-the-password' }),
		});
		expect(answer.status).toBe(401);
		expect(answer.headers['www-authenticate']).toBeUndefined();
	});

	it('logging out without a session changes nothing and sets no cookie', async () => {
		const logout = await fetch(`${server.httpUrl}/Session`, { method: 'DELETE' });
		expect(logout.status).toBe(200);
		expect(logout.headers.getSetCookie()).toEqual([]);
	});
});

describe('the panel behind its login', () => {
	let browser: Browser;
	/** Every address each page asked for, and the 401 responses that still carried a Basic challenge. */
	const requested: string[] = [];
	const unauthorized: string[] = [];
	const challenges: string[] = [];
	const contexts: BrowserContext[] = [];

	async function visitor(path = `/sign/${SIGN}`): Promise<{ page: Page; problems: string[] }> {
		const context = await browser.newContext({ baseURL: server.httpUrl, viewport: { width: 360, height: 800 } });
		contexts.push(context);
		const page = await context.newPage();
		const problems: string[] = [];
		page.on('request', (request) => requested.push(request.url()));
		page.on('response', (response) => {
			if (response.status() !== 401) return;
			unauthorized.push(response.url());
			if (response.headers()['www-authenticate']) challenges.push(response.url());
		});
		page.on('pageerror', (error) => problems.push(error.message));
		await page.goto(path);
		await page.locator('#login-view').waitFor({ state: 'visible', timeout: 10_000 });
		return { page, problems };
	}

	async function logIn(page: Page, user: Credentials): Promise<void> {
		await page.getByLabel('Username').fill(user.username);
		await page.getByLabel('Password').fill(user.password);
		await page.getByRole('button', { name: 'Log in' }).click();
		await page.locator('#link[data-state="live"]').waitFor({ timeout: 10_000 });
	}

	const previewLabel = (page: Page): Promise<string | null> => page.locator('#preview').getAttribute('aria-label');
	/** How far the page is wider than the 360 px window (0 or less: it fits). */
	const overflow = (page: Page): Promise<number> =>
		page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);

	beforeAll(async () => {
		browser = await launchBrowser();
	});

	afterAll(async () => {
		for (const context of contexts) await context.close();
		await browser?.close();
	});

	it('shows an anonymous visitor the login view, cursor in the username, and opens no stream', async () => {
		const { page, problems } = await visitor();
		expect(await page.locator('#signed-in').isHidden()).toBe(true);
		expect(await page.locator('#account').isHidden()).toBe(true);
		expect(await page.evaluate(() => document.activeElement?.id)).toBe('login-username');
		expect(requested.some((url) => url.endsWith('/LedSign/'))).toBe(false);
		expect(await overflow(page)).toBeLessThanOrEqual(0);
		await screenshot(page, 'login-phone.png');
		expect(problems).toEqual([]);
	});

	it('says so on the form when the password is wrong, without a reload, and makes no session', async () => {
		const { page } = await visitor();
		await page.evaluate(() => Object.assign(window, { loadedOnce: true }));
		await page.getByLabel('Username').fill(operator.username);
		await page.getByLabel('Password').fill('wrong-password');
		await page.getByRole('button', { name: 'Log in' }).click();
		await expect
			.poll(() => page.locator('#login-message').textContent())
			.toBe('The username or password is not correct.');
		expect(await page.locator('#login-message').getAttribute('role')).toBe('alert');
		expect(await page.evaluate(() => 'loadedOnce' in window)).toBe(true);
		expect(await page.getByLabel('Password').inputValue()).toBe('');
		expect(await page.locator('#signed-in').isHidden()).toBe(true);
		expect(await page.context().cookies()).toEqual([]);
		const session = await page.evaluate(() => fetch('/Session').then((response) => response.json()));
		expect(session).toEqual(ANONYMOUS_VIEW);
	});

	it('lets an operator change a sign, follows MQTT changes on the session cookie, and logs out', async () => {
		const { page, problems } = await visitor();
		await logIn(page, operator);
		expect(await page.locator('#account-name').textContent()).toBe(operator.username);
		expect(await page.locator('#account-role').textContent()).toBe('operator');
		expect(await page.getByRole('button', { name: 'Log out' }).isVisible()).toBe(true);
		expect(await page.locator('#auto-login').isHidden()).toBe(true);
		expect(await page.locator('#controls').isVisible()).toBe(true);
		// On this phone the list, with its Add form, takes turns with the sign: one tap away.
		await page.locator('#show-list').click();
		expect(await page.locator('#add-sign').isVisible()).toBe(true);
		await page.locator('#show-editor').click();
		expect(await overflow(page)).toBeLessThanOrEqual(0);
		await screenshot(page, 'operator-phone.png');
		const [cookie] = await page.context().cookies();
		expect(cookie).toMatchObject({ httpOnly: true });
		expect(cookie?.name).toMatch(/hdb-session$/);

		await page.getByLabel('Text', { exact: true }).fill('changed by the operator');
		await page.getByLabel('Text', { exact: true }).press('Enter');
		await expect
			.poll(async () => ((await rest(server, 'GET', `/LedSign/${SIGN}`)).body as { text?: string }).text)
			.toBe('changed by the operator');

		const publisher = await mqttPeer(server);
		expect(await mqttPublish(publisher, `LedSign/${SIGN}`, '{"text":"sent over MQTT"}', true)).toBe(0);
		await publisher.close();
		await expect.poll(() => previewLabel(page)).toContain('"sent over MQTT"');

		await page.getByRole('button', { name: 'Log out' }).click();
		await page.locator('#login-view').waitFor({ state: 'visible' });
		expect(await page.locator('#signed-in').isHidden()).toBe(true);
		expect(await page.locator('#login-message').textContent()).toBe('You have logged out.');
		expect(await page.evaluate(() => document.activeElement?.id)).toBe('login-username');
		expect(await page.context().cookies()).toEqual([]);
		// The signs this user saw are gone from the page, not merely hidden.
		expect(await page.locator('#sign-list li').count()).toBe(0);

		const replayed = await fetch(`${server.httpUrl}/LedSign/${SIGN}`, {
			headers: { cookie: `${cookie?.name}=${cookie?.value}` },
		});
		expect(replayed.status).toBe(401);
		expect(page.url()).not.toContain(operator.password);
		expect(problems).toEqual([]);
	});

	it('shows a viewer the signs live, with no control to change or add one', async () => {
		const { page, problems } = await visitor();
		await logIn(page, viewer);
		expect(await page.locator('#account-role').textContent()).toBe('viewer');
		await expect.poll(() => page.locator('#sign-title').textContent()).toBe(SIGN);
		expect(await page.locator('#preview').isVisible()).toBe(true);
		expect(await page.locator('a[data-sign]').count()).toBeGreaterThan(0);
		for (const hidden of ['#controls', '#add-sign', '#controls-hint']) {
			expect(await page.locator(hidden).isHidden(), hidden).toBe(true);
		}
		// Nothing in the signed-in view takes input: no field, slider, switch or button; on this phone only the
		// toggle between the list and the sign, which changes nothing.
		const inputs = page.locator('#signed-in').locator('input, select, button:not(#show-list):not(#show-editor)');
		expect(await inputs.filter({ visible: true }).count()).toBe(0);

		await rest(server, 'PATCH', `/LedSign/${SIGN}`, { text: 'changed while the viewer watches' });
		await expect.poll(() => previewLabel(page)).toContain('"changed while the viewer watches"');
		expect(await overflow(page)).toBeLessThanOrEqual(0);
		await screenshot(page, 'viewer-phone.png');

		// A sign that does not exist yet: the viewer is told so, and offered no way to create it.
		await page.goto(`/sign/missing-${run}`);
		await page.locator('#link[data-state="live"]').waitFor({ timeout: 10_000 });
		expect(await page.locator('#missing-sign').isVisible()).toBe(true);
		expect(await page.getByRole('button', { name: 'Create it' }).isHidden()).toBe(true);
		expect(problems).toEqual([]);
	});

	it('tells a device account it cannot use the panel, and opens no stream for it', async () => {
		const { page, problems } = await visitor();
		const before = requested.length;
		await page.getByLabel('Username').fill(device.username);
		await page.getByLabel('Password').fill(device.password);
		await page.getByRole('button', { name: 'Log in' }).click();
		await expect.poll(() => page.locator('#login-message').textContent()).toContain('devices cannot use the panel');
		expect(await page.locator('#signed-in').isHidden()).toBe(true);
		expect(requested.slice(before).filter((url) => url.includes('/LedSign/'))).toEqual([]);
		expect(problems).toEqual([]);
	});

	it('goes back to the login view when the session ends elsewhere and the server refuses a change', async () => {
		const { page } = await visitor();
		await logIn(page, operator);
		const [cookie] = await page.context().cookies();
		await fetch(`${server.httpUrl}/Session`, {
			method: 'DELETE',
			headers: { cookie: `${cookie?.name}=${cookie?.value}` },
		});
		// The open stream outlives the session; the next request the page makes finds it gone (401).
		await page.getByLabel('Text', { exact: true }).fill('too late');
		await page.getByLabel('Text', { exact: true }).press('Enter');
		await page.locator('#login-view').waitFor({ state: 'visible' });
		expect(await page.locator('#login-message').textContent()).toBe('Your session has ended. Log in again.');
		expect(await page.locator('#signed-in').isHidden()).toBe(true);
		expect(((await rest(server, 'GET', `/LedSign/${SIGN}`)).body as { text?: string }).text).not.toBe('too late');
	});

	it('never put a password into an address, and never met the browser’s Basic login dialog', () => {
		expect(requested.some((url) => url.endsWith('/Session'))).toBe(true);
		for (const user of [operator, viewer]) {
			expect(requested.filter((url) => url.includes(user.password))).toEqual([]);
			expect(requested.filter((url) => url.includes(encodeURIComponent(user.password)))).toEqual([]);
		}
		// The pages did get 401s (the wrong password, the ended session), none with a Basic challenge.
		expect(unauthorized.length).toBeGreaterThan(0);
		expect(challenges).toEqual([]);
	});
});

describe('in dev mode (authorizeLocal), logged at trace', () => {
	// Harper reads this variable before its config (a string, so any value turns it on): dev mode's default.
	const dev = useHarper({ devMode: true, env: { AUTHENTICATION_AUTHORIZELOCAL: 'true' }, logLevel: 'trace' });
	const secret: Credentials = { username: 'log-watch', password: `Tr4ce-${run}-never-logged` };

	beforeAll(async () => {
		await addUser(dev, secret, 'marquee_operator');
	});

	it('lets a local request in without a login, and says so', async () => {
		const anonymous = (await (await get(dev, '/Session')).json()) as SessionView;
		expect(anonymous).toMatchObject({ role: 'super_user', autoLogin: true });
		const withBasic = await get(dev, '/Session', { authorization: basicAuth(secret) });
		expect(await withBasic.json()).toMatchObject({ username: secret.username, autoLogin: false });
	});

	it('shows the panel at once, with no login and no log out', async () => {
		const browser = await launchBrowser();
		try {
			const page = await browser.newPage({ baseURL: dev.httpUrl });
			await page.goto('/');
			await page.locator('#link[data-state="live"]').waitFor({ timeout: 10_000 });
			expect(await page.locator('#login-view').isHidden()).toBe(true);
			expect(await page.locator('#auto-login').textContent()).toBe('dev mode: signed in automatically');
			expect(await page.getByRole('button', { name: 'Log out' }).isHidden()).toBe(true);
		} finally {
			await browser.close();
		}
	});

	it('never writes a password to its log, whether the login succeeds, fails or is malformed', async () => {
		const cookie = sessionCookie(await postSession(dev, JSON.stringify(secret)));
		await postSession(dev, JSON.stringify({ ...secret, password: `${secret.password}-wrong` }));
		await postSession(dev, JSON.stringify({ username: `nobody-${secret.password}`, password: secret.password }));
		await postSession(dev, `{"username":"${secret.username}","password":${secret.password}}`);
		await postSession(
			dev,
			`username=${secret.username}&password=${secret.password}`,
			'application/x-www-form-urlencoded'
		);
		await fetch(`${dev.httpUrl}/Session`, { method: 'DELETE', headers: { cookie } });
		// At trace Harper logs every record it saves: once this one is in the log, all before it are too.
		const marker = `after-logins-${run}`;
		expect((await rest(dev, 'PUT', `/LedSign/${marker}`, { text: 'marker' })).status).toBe(200);
		const logDir = join(dev.rootPath, 'log');
		const logs = (): string =>
			dev.log() +
			readdirSync(logDir)
				.map((file) => readFileSync(join(logDir, file), 'utf8'))
				.join('\n');
		await expect.poll(() => logs().includes(marker), { timeout: 5000 }).toBe(true);
		expect(logs()).not.toContain(secret.password);
		expect(logs()).not.toContain(encodeURIComponent(secret.password));
	});
});
