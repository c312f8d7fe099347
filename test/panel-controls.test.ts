/**
 * The panel as a sign owner meets it (issue 14), in a real headless Chromium against a real Harper of this file's
 * own: nothing is sent without an explicit act, a slider burst from an operator lands on its last value within the
 * rate limits, a control shows what the sign holds once it loses focus, a refused value is undone where it was
 * made, the preview has the device's size and flags text that does not fit, the list shows each device, delete
 * and flash, the phone layout, keyboard-only use, the login from another machine on the LAN, invalid deep links,
 * and the time from a click to the sign.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SIGN_RULES, type LedSignRecord, type SignStatusRecord } from '../src/shared/sign-rules.ts';
import {
	contextAs as browserContextAs,
	launchBrowser,
	openPanel,
	saveArtifact,
	screenshot,
	type PanelPage,
} from '../harness/browser.ts';
import { mqttPeer, mqttPublish, rest, type Credentials, type MqttPeer } from '../harness/clients.ts';
import { startSimulator, type SimulatorProcess } from '../harness/simulator.ts';
import { putSign as putSignOn, storedSign } from '../harness/sign-records.ts';
import { useHarper } from '../harness/use-harper.ts';
import { addUser } from '../harness/users.ts';
import { closePages, inView, isFocused, overflow, showsFocus, tabTo } from '../harness/panel-pages.ts';

const harper = useHarper();
const run = Math.random().toString(36).slice(2, 8);
const account = (name: string): Credentials => ({ username: `${name}-${run}`, password: `${name}-Pass-${run}-wordy` });
/** Operators: one each where a test counts an account's writes, so no test spends another's rate. */
const operator = account('operator');
const burster = account('burster');
const crowd = account('crowd');
const laner = account('laner');
const guesser = account('guesser');

let browser: Browser;
let admin: BrowserContext;
const contexts: BrowserContext[] = [];
const opened: PanelPage[] = [];
const simulators: SimulatorProcess[] = [];
const peers: MqttPeer[] = [];
/** Console messages a test expects: the browser reports each refused request (a 422 the test asks for) itself. */
let expectedProblems: RegExp | undefined;

/** A browser context signed in as `user` by HTTP Basic on every request (the stream included). */
async function contextAs(user: Credentials, width = 1280, height = 900): Promise<BrowserContext> {
	const context = await browserContextAs(browser, harper, user, { width, height });
	contexts.push(context);
	return context;
}

async function panel(context: BrowserContext, path: string): Promise<Page> {
	const opening = await openPanel(context, path);
	opened.push(opening);
	return opening.page;
}

const putSign = (id: string, change: object): Promise<LedSignRecord> => putSignOn(harper, id, change);

const stored = (id: string): Promise<LedSignRecord> => storedSign(harper, id);

/** Every request the page makes that could change something, in the order it made them. */
function recordWrites(page: Page): { method: string; path: string; body: unknown }[] {
	const writes: { method: string; path: string; body: unknown }[] = [];
	page.on('request', (request) => {
		if (request.method() === 'GET') return;
		writes.push({ method: request.method(), path: new URL(request.url()).pathname, body: request.postDataJSON() });
	});
	return writes;
}

/** The status of every answer the page got to a change it sent. */
function recordAnswers(page: Page): number[] {
	const statuses: number[] = [];
	page.on('response', (response) => {
		if (response.request().method() !== 'GET') statuses.push(response.status());
	});
	return statuses;
}

const previewLabel = (page: Page): Promise<string | null> => page.locator('#preview').getAttribute('aria-label');
const text = (page: Page, selector: string): Promise<string> => page.locator(selector).innerText();
beforeAll(async () => {
	for (const user of [operator, burster, crowd, laner, guesser]) await addUser(harper, user, 'marquee_operator');
	browser = await launchBrowser();
	admin = await contextAs(harper.admin);
});

afterEach(async () => {
	const expected = expectedProblems;
	expectedProblems = undefined;
	await closePages(opened.splice(0), expected);
	for (const simulator of simulators.splice(0)) await simulator.kill('SIGTERM');
	for (const peer of peers.splice(0)) await peer.close();
});

afterAll(async () => {
	for (const context of contexts) await context.close();
	await browser?.close();
});

describe('controls that never surprise', () => {
	it('sends the text only on Enter or Send: leaving the field or picking another sign sends nothing', async () => {
		await putSign('draft-a', { text: 'stored A' });
		await putSign('draft-b', { text: 'stored B' });
		const page = await panel(admin, '/sign/draft-a');
		const writes = recordWrites(page);
		const textField = page.getByLabel('Text', { exact: true });

		await textField.fill('half-typed');
		await page.locator('#sign-title').click(); // somewhere else: the field loses focus
		const markedAsDraft = (await page.locator('#text-draft').isVisible()) && (await text(page, '#text-draft'));
		await page.locator('a[data-sign="draft-b"]').click();
		await expect.poll(() => page.locator('#sign-title').textContent()).toBe('draft-b');
		// A change the user does make, so every request made before it has been seen.
		await page.getByLabel('On', { exact: true }).click();
		await expect.poll(async () => (await stored('draft-b')).power).toBe(false);
		expect(writes).toEqual([{ method: 'PATCH', path: '/LedSign/draft-b', body: { power: false } }]);
		expect((await stored('draft-a')).text).toBe('stored A');
		// While it was there, the draft said it was one.
		expect(markedAsDraft).toContain('not sent');

		// Picking another sign dropped the draft: back on the first sign, its field holds what the sign holds.
		await page.locator('a[data-sign="draft-a"]').click();
		await expect.poll(() => page.locator('#text').inputValue()).toBe('stored A');
		expect(await page.locator('#text-draft').isHidden()).toBe(true);

		// Enter and the Send button do send, and the panel says which version the server answered with.
		await textField.fill('sent with Enter');
		await textField.press('Enter');
		await expect.poll(async () => (await stored('draft-a')).text).toBe('sent with Enter');
		const version = (await stored('draft-a')).version;
		await expect.poll(() => text(page, '#write-status')).toBe(`Sent · version ${version}`);
		expect(await page.locator('#write-status').getAttribute('role')).toBe('status');
		await textField.fill('sent with the button');
		await page.getByRole('button', { name: 'Send', exact: true }).click();
		await expect.poll(async () => (await stored('draft-a')).text).toBe('sent with the button');
		await expect.poll(() => text(page, '#write-status')).toBe(`Sent · version ${version + 1}`);
		expect(await page.locator('#text-draft').isHidden()).toBe(true);
	});

	it('coalesces 40 arrow presses from an operator: fewer writes than presses, none refused, the last value lands', async () => {
		const before = await putSign('burst', { text: 'burst', brightness: 30 });
		const page = await panel(await contextAs(burster), '/sign/burst');
		const answers = recordAnswers(page);
		await page.locator('#brightness').focus();
		for (let press = 0; press < 40; press++) await page.keyboard.press('ArrowRight');
		expect(await page.locator('#brightness').inputValue()).toBe('70');

		await expect.poll(async () => (await stored('burst')).brightness, { timeout: 10_000 }).toBe(70);
		const after = await stored('burst');
		// The panel ends where the sign is, says so with the version the server answered, and shows no error.
		await expect.poll(() => text(page, '#write-status')).toBe(`Sent · version ${after.version}`);
		expect(await page.locator('#brightness').inputValue()).toBe('70');
		expect(await page.locator('output[for="brightness"]').textContent()).toBe('70');
		expect(await text(page, '#brightness-error')).toBe('');
		expect(await page.locator('#brightness').getAttribute('aria-invalid')).toBeNull();
		const writes = after.version - before.version;
		expect(writes).toBeGreaterThan(0);
		expect(writes).toBeLessThan(40);
		expect(answers.length).toBe(writes);
		expect(answers.filter((status) => status !== 200)).toEqual([]);
		saveArtifact('slider-burst.json', { presses: 40, writes, answers });
		console.log(`40 arrow presses → ${writes} writes, answers ${JSON.stringify(answers)}`);
	});

	it('holds a value the rate limit refuses and sends it once the server allows, then clears the message', async () => {
		await putSign('crowded', { text: 'crowded', brightness: 20 });
		const page = await panel(await contextAs(operator), '/sign/crowded');
		const answers = recordAnswers(page);
		expectedProblems = /status of 429/;
		// Another operator changes the same sign as fast as the server lets them: the sign's own limit
		// (writesPerSign) is spent, whoever asks. The flood goes on until the panel has been refused once.
		let flooding = true;
		const floodAnswers: number[] = [];
		const flooder = async (lane: number): Promise<void> => {
			const until = Date.now() + 8000;
			for (let write = 0; flooding && Date.now() < until; write++) {
				const answer = await rest(
					harper,
					'PATCH',
					'/LedSign/crowded',
					{ text: `flood ${lane}.${write}` },
					{ user: crowd }
				);
				floodAnswers.push(answer.status);
			}
		};
		// Four at once, so a token the sign's bucket gains is taken within a few milliseconds.
		const flood = Promise.all([0, 1, 2, 3].map(flooder));
		await page.locator('#brightness').focus();
		let presses = 0;
		// A press that happens to find a token free is accepted; the next one is tried until one is refused.
		for (; presses < 5 && !answers.includes(429); presses++) {
			const answered = answers.length;
			await page.keyboard.press('ArrowRight');
			await expect.poll(() => answers.length, { timeout: 3000 }).toBeGreaterThan(answered);
		}
		flooding = false;
		await flood;
		console.log(
			`flood: ${floodAnswers.filter((status) => status === 200).length} accepted, ${floodAnswers.length} sent; panel: ${JSON.stringify(answers)}`
		);
		expect(answers).toContain(429);
		await expect.poll(async () => (await stored('crowded')).brightness, { timeout: 10_000 }).toBe(20 + presses);
		await expect.poll(() => answers.at(-1)).toBe(200);
		await expect.poll(() => text(page, '#brightness-error')).toBe('');
		expect(await page.locator('#brightness').inputValue()).toBe(String(20 + presses));
	}, 30_000);

	it('undoes a refused value where it was made, saying why, and clears the message with the next change', async () => {
		await putSign('undo', { text: 'undo', brightness: 40 });
		// A panel whose idea of the limits is out of date lets 500 through; the server's rules refuse it.
		const loose = { ...SIGN_RULES, brightness: { min: 0, max: 500 } };
		const page = await admin.newPage();
		const problems: string[] = [];
		page.on('console', (message) => {
			if (message.type() === 'error' && !/status of 422/.test(message.text())) problems.push(message.text());
		});
		await page.route('**/SignRules', (route) => route.fulfill({ json: loose }));
		await page.goto('/sign/undo');
		await page.locator('#link[data-state="live"]').waitFor();
		await page.locator('#brightness').focus();
		await page.keyboard.press('End');

		await expect.poll(() => text(page, '#brightness-error')).toContain('must be an integer from 0 to 100 (got 500)');
		expect(await text(page, '#brightness-error')).toContain('back to 40');
		expect(await page.locator('#brightness').inputValue()).toBe('40');
		expect(await page.locator('output[for="brightness"]').textContent()).toBe('40');
		expect((await stored('undo')).brightness).toBe(40);

		await page.keyboard.press('ArrowRight');
		await expect.poll(async () => (await stored('undo')).brightness).toBe(41);
		await expect.poll(() => text(page, '#brightness-error')).toBe('');
		expect(await page.locator('#brightness').getAttribute('aria-invalid')).toBeNull();
		expect(problems).toEqual([]);
		await page.close();
	});

	it('shows what the sign holds once a control loses focus; a draft is kept and marked as not sent', async () => {
		await putSign('remote', { text: 'before', brightness: 100 });
		const page = await panel(admin, '/sign/remote');
		await page.locator('#brightness').focus();
		await rest(harper, 'PATCH', '/LedSign/remote', { brightness: 10 });
		await expect.poll(() => previewLabel(page)).toContain('at 10% brightness');
		await page.keyboard.press('Tab'); // the slider loses focus
		await expect.poll(() => page.locator('#brightness').inputValue()).toBe('10');
		expect(await page.locator('output[for="brightness"]').textContent()).toBe('10');

		// The text field, with a draft in it: the sign's change does not overwrite it, and the draft says so.
		const textField = page.getByLabel('Text', { exact: true });
		await textField.fill('my draft');
		await rest(harper, 'PATCH', '/LedSign/remote', { text: 'changed elsewhere' });
		await expect.poll(() => previewLabel(page)).toContain('"changed elsewhere"');
		await page.locator('#sign-title').click();
		expect(await page.locator('#text').inputValue()).toBe('my draft');
		const draft = await text(page, '#text-draft');
		expect(draft).toContain('not sent');
		expect(draft).toContain('changed elsewhere');
		await textField.press('Escape');
		expect(await page.locator('#text').inputValue()).toBe('changed elsewhere');
		expect(await page.locator('#text-draft').isHidden()).toBe(true);
		expect((await stored('remote')).text).toBe('changed elsewhere');
	});
});

describe('a truthful preview', () => {
	it('is drawn at the size the device reports, and flags static text the display cannot fit', async () => {
		await putSign('narrow', { text: 'Welcome!' });
		const page = await panel(admin, '/sign/narrow');
		const aspect = (): Promise<number> =>
			page.locator('#preview').evaluate((canvas: HTMLCanvasElement) => canvas.width / canvas.height);
		// No device yet: the default display, 64 × 8, where "Welcome!" (47 LEDs wide) fits.
		await expect.poll(() => text(page, '#preview-size')).toContain('64 × 8');
		expect(await aspect()).toBe(8);
		expect(await page.locator('#fit-warning').isHidden()).toBe(true);

		const device = startSimulator(harper, 'narrow', { display: { width: 32, height: 8 } });
		simulators.push(device);
		await device.events.waitFor((event) => event.event === 'connected', 'the simulator to connect', 15_000);
		await expect.poll(() => text(page, '#preview-size')).toContain('32 × 8');
		expect(await aspect()).toBe(4);
		const warning = await text(page, '#fit-warning');
		expect(warning).toContain('47');
		expect(warning).toContain('32');
		await expect.poll(() => text(page, '#device-text')).toContain('up to date');
		await screenshot(page, 'panel-narrow-device.png');

		// Scrolling text may be any length: no warning.
		await page.getByLabel('Effect').selectOption('scroll');
		await expect.poll(async () => (await stored('narrow')).effect).toBe('scroll');
		await expect.poll(() => page.locator('#fit-warning').isHidden()).toBe(true);
	});

	it('lists each sign’s device state in words, and whether it shows the latest version', async () => {
		const online = await putSign('list-online', { text: 'on', color: '#00aaff' });
		const gone = await putSign('list-offline', { text: 'off' });
		await putSign('list-never', { text: 'never' });
		const page = await panel(admin, '/');
		const deviceOf = (id: string): Promise<string> => text(page, `a[data-sign="${id}"] .device .words`);

		const device = await mqttPeer(harper, { deviceOf: 'list-online' });
		peers.push(device);
		const report = { online: true, shownVersion: online.version, firmware: 'test', width: 64, height: 8 };
		expect(await mqttPublish(device, 'SignStatus/list-online', JSON.stringify(report), true)).toBe(0);
		const leaving = await mqttPeer(harper, { deviceOf: 'list-offline' });
		peers.push(leaving);
		const leavingReport = { ...report, shownVersion: gone.version };
		expect(await mqttPublish(leaving, 'SignStatus/list-offline', JSON.stringify(leavingReport), true)).toBe(0);
		await expect.poll(() => deviceOf('list-offline')).toMatch(/^Online/);
		await leaving.close(); // a clean DISCONNECT: the server takes the device offline (src/presence)

		await expect.poll(() => deviceOf('list-online')).toBe('Online · up to date');
		await expect.poll(() => deviceOf('list-offline')).toMatch(/^Offline/);
		expect(await deviceOf('list-never')).toBe('Never seen');
		expect(await page.locator('a[data-sign="list-online"] .device').getAttribute('data-state')).toBe('online');
		expect(await page.locator('a[data-sign="list-offline"] .device').getAttribute('data-state')).toBe('offline');
		expect(await page.locator('a[data-sign="list-never"] .device').getAttribute('data-state')).toBe('never');
		// Each state has an icon of its own shape, not only a colour.
		const icons = await Promise.all(
			['list-online', 'list-offline', 'list-never'].map((id) =>
				page.locator(`a[data-sign="${id}"] .device .icon`).textContent()
			)
		);
		expect(new Set(icons).size).toBe(3);

		await rest(harper, 'PATCH', '/LedSign/list-online', { text: 'newer' });
		await expect.poll(() => deviceOf('list-online')).toBe(`Online · behind (shows version ${online.version})`);

		// The colour is a labelled square, not a round light.
		const swatch = page.locator('a[data-sign="list-online"] .swatch');
		expect(await swatch.getAttribute('aria-label')).toBe('colour #00aaff');
		expect(await swatch.evaluate((element) => getComputedStyle(element).borderRadius)).not.toBe('50%');
	});
});

describe('owner basics', () => {
	it('deletes a sign as an admin, after a confirmation that can be cancelled', async () => {
		await putSign('doomed', { text: 'delete me' });
		const page = await panel(admin, '/sign/doomed');
		await page.getByRole('button', { name: 'Delete sign…' }).click();
		const dialog = page.getByRole('dialog');
		await dialog.waitFor();
		expect(await dialog.innerText()).toContain('doomed');
		await screenshot(page, 'panel-delete.png', { fullPage: false });
		await dialog.getByRole('button', { name: 'Cancel' }).click();
		await dialog.waitFor({ state: 'hidden' });
		expect((await rest(harper, 'GET', '/LedSign/doomed')).status).toBe(200);

		await page.getByRole('button', { name: 'Delete sign…' }).click();
		await dialog.getByRole('button', { name: 'Delete', exact: true }).click();
		await dialog.waitFor({ state: 'hidden' });
		await expect.poll(async () => (await rest(harper, 'GET', '/LedSign/doomed')).status).toBe(404);
		await expect.poll(() => page.url()).toMatch(/\/$/);
		await expect.poll(() => page.locator('a[data-sign="doomed"]').count()).toBe(0);
		expect(await text(page, '#write-status')).toBe('Deleted doomed');
	});

	it('offers no delete to an operator, whose role may not delete', async () => {
		await putSign('kept', { text: 'kept' });
		const page = await panel(await contextAs(operator), '/sign/kept');
		await expect.poll(() => page.locator('#text').inputValue()).toBe('kept');
		expect(await page.getByRole('button', { name: 'Delete sign…' }).count()).toBe(0);
		expect(await page.locator('#delete-dialog').isHidden()).toBe(true);
	});

	it('flashes a message the device shows until the next change, storing nothing', async () => {
		const before = await putSign('flashy', { text: 'Stored text', effect: 'static' });
		const page = await panel(await contextAs(operator), '/sign/flashy');
		const listener = await mqttPeer(harper, { subscribe: ['LedSign/flashy'] });
		peers.push(listener);
		await page.getByLabel('Text', { exact: true }).fill('Fire drill');
		await page.getByRole('button', { name: 'Flash' }).click();
		const flashed = await listener.inbox.waitFor(
			(message) => (message.json as { transient?: boolean } | undefined)?.transient === true,
			'the flash over MQTT'
		);
		expect(flashed.json).toMatchObject({ text: 'Fire drill', transient: true, version: before.version });
		expect(await stored('flashy')).toEqual(before);
		await expect.poll(() => previewLabel(page)).toContain('"Fire drill"');
		await expect.poll(() => text(page, '#write-status')).toContain('Flash sent');
		expect(await text(page, '#sign-meta')).toContain('flash');
		// Nothing stored, so the field goes back to the stored text.
		expect(await page.locator('#text').inputValue()).toBe('Stored text');
		await screenshot(page, 'panel-flash.png');
		// The next stored change ends it.
		await rest(harper, 'PATCH', '/LedSign/flashy', { brightness: 60 });
		await expect.poll(() => previewLabel(page)).toContain('"Stored text"');
	});

	it('on a 360 px phone, keeps both the list and the editor one tap away, with no horizontal scroll', async () => {
		await putSign('lobby', { text: 'Welcome!', color: '#ffb000', brightness: 90 });
		await putSign('cafe', { text: 'Open', color: '#33cc66' });
		// A device on the lobby sign, so the screenshots show one online.
		const device = startSimulator(harper, 'lobby');
		simulators.push(device);
		await device.events.waitFor((event) => event.event === 'connected', 'the simulator to connect', 15_000);
		const desktop = await panel(admin, '/sign/lobby');
		await expect.poll(() => previewLabel(desktop)).toContain('"Welcome!"');
		await expect.poll(() => text(desktop, '#device-text')).toContain('up to date');
		await screenshot(desktop, 'panel.png');

		const page = await panel(await contextAs(harper.admin, 360, 740), '/sign/lobby');
		expect(await overflow(page)).toBeLessThanOrEqual(0);
		expect(await page.locator('#text').isVisible()).toBe(true);
		expect(await inView(page, '#show-list')).toBe(true);
		await screenshot(page, 'panel-phone.png');

		await page.locator('#show-list').click();
		expect(await inView(page, 'a[data-sign="cafe"]')).toBe(true);
		expect(await page.locator('#text').isHidden()).toBe(true);
		expect(await overflow(page)).toBeLessThanOrEqual(0);
		await screenshot(page, 'panel-phone-list.png');

		await page.locator('a[data-sign="cafe"]').click();
		await expect.poll(() => page.locator('#text').inputValue()).toBe('Open');
		expect(await inView(page, '#text')).toBe(true);
		// And back to the editor of the sign without choosing again.
		await page.locator('#show-list').click();
		expect(await inView(page, '#show-editor')).toBe(true);
		await page.locator('#show-editor').click();
		expect(await page.locator('#sign-title').textContent()).toBe('cafe');
		expect(await overflow(page)).toBeLessThanOrEqual(0);
	});

	it('works by keyboard alone: the list, Enter and Escape in the text, sliders, the switch and the dialog', async () => {
		await putSign('keys', { text: 'by keyboard', brightness: 50, power: true });
		const page = await panel(admin, '/');
		await tabTo(page, 'a[data-sign="keys"]');
		expect(await showsFocus(page)).toBe(true);
		await page.keyboard.press('Enter');
		await expect.poll(() => page.locator('#sign-title').textContent()).toBe('keys');

		await tabTo(page, '#text');
		expect(await showsFocus(page)).toBe(true);
		await page.keyboard.press('Control+A');
		await page.keyboard.type('typed, never sent');
		await page.keyboard.press('Escape');
		expect(await page.locator('#text').inputValue()).toBe('by keyboard');
		await page.keyboard.press('Control+A');
		await page.keyboard.type('sent by Enter');
		await page.keyboard.press('Enter');
		await expect.poll(async () => (await stored('keys')).text).toBe('sent by Enter');

		await tabTo(page, '#brightness');
		expect(await showsFocus(page)).toBe(true);
		for (let press = 0; press < 3; press++) await page.keyboard.press('ArrowLeft');
		await expect.poll(async () => (await stored('keys')).brightness).toBe(47);
		await tabTo(page, '#power');
		expect(await showsFocus(page)).toBe(true);
		await page.keyboard.press('Space');
		await expect.poll(async () => (await stored('keys')).power).toBe(false);

		// The dialog: Enter opens it with the focus on Cancel, Escape closes it and hands the focus back.
		await tabTo(page, '#delete-sign', 'Shift+Tab');
		expect(await showsFocus(page)).toBe(true);
		await page.keyboard.press('Enter');
		await page.getByRole('dialog').waitFor();
		expect(await isFocused(page, '#delete-cancel')).toBe(true);
		expect(await showsFocus(page)).toBe(true);
		await page.keyboard.press('Escape');
		await page.getByRole('dialog').waitFor({ state: 'hidden' });
		expect(await isFocused(page, '#delete-sign')).toBe(true);
		expect((await rest(harper, 'GET', '/LedSign/keys')).status).toBe(200);

		// Adding a sign from the keyboard opens it.
		await tabTo(page, '#new-id', 'Shift+Tab');
		await page.keyboard.type('keys-2');
		await page.keyboard.press('Enter');
		await expect.poll(() => page.locator('#sign-title').textContent()).toBe('keys-2');
		expect(await stored('keys-2')).toMatchObject({ id: 'keys-2', version: 1 });
	});

	it('says why an invalid deep link names no sign, and offers nothing that could not work', async () => {
		const page = await panel(admin, '/sign/bad%20id');
		await expect.poll(() => text(page, '#invalid-sign')).toContain('“bad id”');
		expect(await text(page, '#invalid-sign')).toContain("may contain only letters, digits, '-' and '_'");
		for (const hidden of ['#missing-sign', '#controls', '#preview', '#delete-sign']) {
			expect(await page.locator(hidden).isHidden(), hidden).toBe(true);
		}
		expect(await page.getByRole('button', { name: 'Create it' }).isHidden()).toBe(true);
		expect(await text(page, '#new-id-error')).toBe('');

		// A valid id that names no sign yet: the offer to create it, and its error next to it.
		const valid = await panel(admin, '/sign/not-yet');
		expect(await valid.getByRole('button', { name: 'Create it' }).isVisible()).toBe(true);
		expect(await valid.locator('#invalid-sign').isHidden()).toBe(true);
	});
});

describe('the login from another machine on the LAN, over plain HTTP', () => {
	let lan: Browser;
	let origin: string;

	beforeAll(async () => {
		// A LAN-like name: Chromium sends no Sec-Fetch-* headers to a non-secure origin that is not localhost.
		lan = await launchBrowser(['--host-resolver-rules=MAP marquee.lan 127.0.0.1']);
		origin = `http://marquee.lan:${new URL(harper.httpUrl).port}`;
	});

	afterAll(async () => {
		await lan?.close();
	});

	async function loginPage(): Promise<Page> {
		const page = await lan.newPage({ baseURL: origin, viewport: { width: 1280, height: 900 } });
		await page.goto('/');
		await page.locator('#login-view').waitFor({ state: 'visible', timeout: 10_000 });
		return page;
	}

	/** Logs in and waits for the answer (the form is busy from the click until then); answers how long it took. */
	async function tryLogin(page: Page, user: Credentials, password: string): Promise<number> {
		await page.getByLabel('Username').fill(user.username);
		await page.getByLabel('Password').fill(password);
		const startedAt = Date.now();
		await page.getByRole('button', { name: 'Log in' }).click();
		await page.locator('#login:not([aria-busy="true"])').waitFor({ timeout: 5000 });
		expect(await text(page, '#login-message')).not.toBe('');
		return Date.now() - startedAt;
	}

	it('answers a wrong password with a message at once, and a right one with the panel', async () => {
		const page = await loginPage();
		expect(await page.evaluate(() => window.isSecureContext)).toBe(false);
		const took = await tryLogin(page, laner, 'not-the-password');
		expect(await text(page, '#login-message')).toBe('The username or password is not correct.');
		expect(took).toBeLessThan(5000);
		await page.getByLabel('Password').fill(laner.password);
		await page.getByRole('button', { name: 'Log in' }).click();
		await page.locator('#link[data-state="live"]').waitFor({ timeout: 10_000 });
		expect(await page.locator('#account-name').textContent()).toBe(laner.username);
		await page.close();
	});

	it('answers a throttled login, a server that is down, failing or silent, each with a message in seconds', async () => {
		const page = await loginPage();
		let answer = '';
		for (let attempt = 0; attempt < 20 && !answer.includes('Too many'); attempt++) {
			await tryLogin(page, guesser, `wrong-${attempt}`);
			answer = await text(page, '#login-message');
		}
		expect(answer).toMatch(/^Too many failed logins.*Try again in \d+ s\.$/);

		await page.route('**/Session', (route) =>
			route.request().method() === 'POST' ? route.abort('connectionrefused') : route.fallback()
		);
		await tryLogin(page, laner, laner.password);
		expect(await text(page, '#login-message')).toBe('The server cannot be reached. Try again in a moment.');
		await page.unroute('**/Session');

		await page.route('**/Session', (route) =>
			route.request().method() === 'POST'
				? route.fulfill({ status: 503, body: 'down for maintenance' })
				: route.fallback()
		);
		await tryLogin(page, laner, laner.password);
		expect(await text(page, '#login-message')).toBe('The server could not log you in (503). Try again in a moment.');
		await page.unroute('**/Session');

		// A server that takes the request and never answers.
		await page.route('**/Session', (route) => (route.request().method() === 'POST' ? undefined : route.fallback()));
		await page.getByLabel('Password').fill(laner.password);
		const startedAt = Date.now();
		await page.getByRole('button', { name: 'Log in' }).click();
		await page.locator('#login-message:has-text("did not answer")').waitFor({ timeout: 15_000 });
		expect(Date.now() - startedAt).toBeLessThan(12_000);
		await page.close();
	}, 60_000);
});

describe('from a click to the sign', () => {
	it('measures the time from Send to a simulated device showing the version, and to its status saying so', async () => {
		await putSign('timed', { text: 'start' });
		const device = startSimulator(harper, 'timed');
		simulators.push(device);
		await device.events.waitFor((event) => event.event === 'connected', 'the simulator to connect', 15_000);
		const statuses = await mqttPeer(harper, { subscribe: ['SignStatus/timed'] });
		peers.push(statuses);
		const page = await panel(admin, '/sign/timed');
		const textField = page.getByLabel('Text', { exact: true });
		const send = page.getByRole('button', { name: 'Send', exact: true });
		// Every time is taken where it happens: the click in the page (its capture listener runs first), each device
		// event and status report as it reaches this process (both clocks are this machine's).
		await page.evaluate(() => {
			const clicks: number[] = [];
			Object.assign(window, { clicks });
			document.getElementById('send')?.addEventListener('click', () => clicks.push(Date.now()), true);
		});
		const shownAt = new Map<string, number>();
		device.events.forEach((event) => {
			if (event.event === 'showing' && event.record) shownAt.set(event.record.text, Date.now());
		});
		const reportedAt = new Map<number, number>();
		statuses.inbox.forEach((message) => {
			const version = (message.json as Partial<SignStatusRecord> | undefined)?.shownVersion;
			if (typeof version === 'number' && !reportedAt.has(version)) reportedAt.set(version, Date.now());
		});
		const shown: number[] = [];
		const reported: number[] = [];
		for (let round = 0; round < 20; round++) {
			const words = `round ${round}`;
			await textField.fill(words);
			await send.click();
			const showing = await device.events.waitFor(
				(event) => event.event === 'showing' && event.record?.text === words,
				`the device to show "${words}"`
			);
			const version = showing.record?.version ?? -1;
			await statuses.inbox.waitFor(
				(message) => (message.json as Partial<SignStatusRecord> | undefined)?.shownVersion === version,
				`the status to report version ${version}`
			);
			const clickedAt = await page.evaluate(() => (window as unknown as { clicks: number[] }).clicks.at(-1) ?? 0);
			shown.push((shownAt.get(words) ?? Infinity) - clickedAt);
			reported.push((reportedAt.get(version) ?? Infinity) - clickedAt);
		}
		await expect.poll(() => text(page, '#device-text')).toContain('up to date');
		const summary = (samples: number[]): { p50: number; p99: number; max: number } => {
			const sorted = [...samples].sort((a, b) => a - b);
			const at = (quantile: number): number =>
				sorted[Math.min(sorted.length - 1, Math.ceil(quantile * sorted.length) - 1)] ?? -1;
			return { p50: at(0.5), p99: at(0.99), max: sorted.at(-1) ?? -1 };
		};
		const report = {
			samples: shown.length,
			clickToDeviceShowsMs: summary(shown),
			clickToStatusReportsMs: summary(reported),
			shown,
			reported,
		};
		saveArtifact('click-to-sign.json', report);
		console.log(
			`click → device shows: ${JSON.stringify(report.clickToDeviceShowsMs)}; → status reports it: ${JSON.stringify(report.clickToStatusReportsMs)} (20 samples: p99 is the slowest)`
		);
		expect(shown.every((delay) => delay > 0 && delay < 5000)).toBe(true);
		expect(reported.every((delay) => delay > 0 && delay < 5000)).toBe(true);
	});
});
