/**
 * The control panel in a real headless Chromium against a real Harper (its own instance: one test restarts it).
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SIGN_RULES, type LedSignRecord } from '../src/shared/sign-rules.ts';
import {
	launchBrowser,
	loggedInContext,
	openPanel,
	saveArtifact,
	screenshot,
	type PanelPage,
} from '../harness/browser.ts';
import { mqttPeer, mqttPublish, rest } from '../harness/clients.ts';
import { closePages } from '../harness/panel-pages.ts';
import { putSign as putSignOn, storedSign } from '../harness/sign-records.ts';
import { useHarper } from '../harness/use-harper.ts';

const harper = useHarper();
let browser: Browser;
let context: BrowserContext;
const opened: PanelPage[] = [];
/** Console messages a test expects (the browser reports failed connections while the server is down). */
let expectedProblems: RegExp | undefined;

async function panel(path: string): Promise<Page> {
	const opening = await openPanel(context, path);
	opened.push(opening);
	return opening.page;
}

const putSign = (id: string, change: object): Promise<LedSignRecord> => putSignOn(harper, id, change);

const stored = (id: string): Promise<LedSignRecord> => storedSign(harper, id);

/** What the preview says it shows (its accessible description, rebuilt on every change). */
const previewLabel = (page: Page): Promise<string | null> => page.locator('#preview').getAttribute('aria-label');

beforeAll(async () => {
	browser = await launchBrowser();
	context = await loggedInContext(browser, harper);
});

afterEach(async () => {
	const expected = expectedProblems;
	expectedProblems = undefined;
	await closePages(opened.splice(0), expected);
});

afterAll(async () => {
	await browser?.close();
});

describe('the panel', () => {
	it('opens the sign a deep link names', async () => {
		await putSign('alpha', { text: 'A sign' });
		await putSign('beta', { text: 'B sign', color: '#00aaff' });
		const page = await panel('/sign/beta');
		await expect.poll(() => page.locator('#sign-title').textContent()).toBe('beta');
		await expect.poll(() => page.locator('#text').inputValue()).toBe('B sign');
		expect(await page.locator('#color').inputValue()).toBe('#00aaff');
		expect(await page.locator('a[aria-current="page"]').getAttribute('data-sign')).toBe('beta');
		expect(await previewLabel(page)).toContain('"B sign"');
	});

	it('offers to create a sign a deep link names that does not exist yet', async () => {
		const page = await panel('/sign/brand-new');
		await page.getByRole('button', { name: 'Create it' }).click();
		await expect.poll(() => page.locator('#text').isVisible()).toBe(true);
		expect(await stored('brand-new')).toMatchObject({ id: 'brand-new', version: 1 });
	});

	it('keeps two pages in sync, whichever changes the sign', async () => {
		await putSign('sync', { text: 'start' });
		const first = await panel('/sign/sync');
		const second = await panel('/sign/sync');
		await first.getByLabel('Text', { exact: true }).fill('typed in the first page');
		await first.getByLabel('Text', { exact: true }).press('Enter');
		await expect.poll(() => second.locator('#text').inputValue()).toBe('typed in the first page');
		await expect.poll(() => previewLabel(second)).toContain('"typed in the first page"');

		// Keyboard only: a slider moves with the arrow keys, a switch toggles with space.
		await second.getByLabel('Speed').focus();
		await second.keyboard.press('ArrowRight');
		await second.getByLabel('On', { exact: true }).focus();
		await second.keyboard.press('Space');
		await expect.poll(async () => (await stored('sync')).power).toBe(false);
		expect((await stored('sync')).speed).toBe(6);
		await expect.poll(() => first.locator('#speed').inputValue()).toBe('6');
		await expect.poll(() => first.locator('#power').isChecked()).toBe(false);
		await expect.poll(() => previewLabel(first)).toBe('The sign is off.');
	});

	it('shows a change published over MQTT, and measures how long it takes to reach the page', async () => {
		await putSign('from-mqtt', { text: 'waiting' });
		const page = await panel('/sign/from-mqtt');
		const device = await mqttPeer(harper);
		// Record when the preview starts showing each text, from inside the page.
		await page.evaluate(() => {
			const preview = document.getElementById('preview');
			if (!preview) throw new Error('no preview');
			const seen: [string, number][] = [];
			Object.assign(window, { previewChanges: seen });
			new MutationObserver(() => seen.push([preview.getAttribute('aria-label') ?? '', Date.now()])).observe(preview, {
				attributes: true,
			});
		});
		const delays: number[] = [];
		for (let round = 0; round < 20; round++) {
			const text = `"mqtt round ${round}"`;
			const sentAt = Date.now();
			expect(await mqttPublish(device, 'LedSign/from-mqtt', JSON.stringify({ text: text.slice(1, -1) }), true)).toBe(0);
			const shownAt = await page.waitForFunction(
				(expected) =>
					(window as unknown as { previewChanges: [string, number][] }).previewChanges.find(([label]) =>
						label.includes(expected)
					)?.[1],
				text
			);
			delays.push(((await shownAt.jsonValue()) as number) - sentAt);
		}
		await device.close();
		expect(await page.locator('#text').inputValue()).toBe('mqtt round 19');
		const sorted = [...delays].sort((a, b) => a - b);
		const report = { samples: delays.length, p50Ms: sorted[10], maxMs: sorted.at(-1) };
		saveArtifact('mqtt-to-page-latency.json', { ...report, delays });
		console.log(`MQTT publish → panel: ${JSON.stringify(report)}`);
	});

	it('does not overwrite what the user is typing when the sign changes elsewhere', async () => {
		await putSign('busy', { text: 'original', brightness: 50 });
		const page = await panel('/sign/busy');
		await page.getByLabel('Text', { exact: true }).fill('half-typed');
		await rest(harper, 'PATCH', '/LedSign/busy', { text: 'changed elsewhere', brightness: 80 });
		await expect.poll(() => page.locator('#brightness').inputValue()).toBe('80');
		expect(await page.locator('#text').inputValue()).toBe('half-typed');
		await expect.poll(() => previewLabel(page)).toContain('"changed elsewhere"');
		await page.getByLabel('Text', { exact: true }).press('Escape');
		expect(await page.locator('#text').inputValue()).toBe('changed elsewhere');
	});

	it('flags invalid input before sending it, and sends nothing', async () => {
		const before = await putSign('picky', { text: 'fine' });
		const page = await panel('/sign/picky');
		await page.getByLabel('Text', { exact: true }).fill('café');
		await expect.poll(() => page.locator('#text-error').textContent()).toContain('U+00E9');
		expect(await page.locator('#text').getAttribute('aria-invalid')).toBe('true');
		await page.getByLabel('Text', { exact: true }).press('Enter');
		expect(await stored('picky')).toEqual(before);
	});

	it('shows the server’s error next to the field when the server refuses, and keeps the stored state', async () => {
		const before = await putSign('strict', { text: 'stored text' });
		// A panel whose idea of the limits is out of date (here: it was told text may be 500 long) lets the
		// entry through; the server's own rules still refuse it.
		const loose = { ...SIGN_RULES, text: { ...SIGN_RULES.text, maxLength: 500 } };
		const page = await context.newPage();
		await page.route('**/SignRules', (route) => route.fulfill({ json: loose }));
		const problems: string[] = [];
		page.on('console', (message) => {
			// The browser reports the refused request itself; that is the server doing its job.
			if (message.type() === 'error' && !/status of 422/.test(message.text())) problems.push(message.text());
		});
		await page.goto('/sign/strict');
		await page.locator('#link[data-state="live"]').waitFor();
		await page.getByLabel('Text', { exact: true }).fill('x'.repeat(200));
		await page.getByLabel('Text', { exact: true }).press('Enter');
		await expect.poll(() => page.locator('#text-error').textContent()).toBe('is 200 characters, at most 128');
		expect(await previewLabel(page)).toContain('"stored text"');
		expect(await stored('strict')).toEqual(before);
		expect(problems).toEqual([]);
		await page.close();
	});

	it('shows whether the sign’s device is online, when it was last seen, and whether it is up to date', async () => {
		const sign = await putSign('with-device', { text: 'v1' });
		const page = await panel('/sign/with-device');
		const deviceText = (): Promise<string | null> => page.locator('#device-text').textContent();
		await expect.poll(deviceText).toBe('No device has reported for this sign yet.');
		const device = await mqttPeer(harper, { deviceOf: 'with-device' });
		const report = { online: true, shownVersion: sign.version, firmware: 'test', width: 64, height: 8 };
		expect(await mqttPublish(device, 'SignStatus/with-device', JSON.stringify(report), true)).toBe(0);
		await expect.poll(deviceText).toMatch(/^Device online · last seen \d+ s ago · shows version 1 \(up to date\)$/);
		await rest(harper, 'PATCH', '/LedSign/with-device', { text: 'v2' });
		await expect.poll(deviceText).toContain('behind: the sign is at 2');
		expect(await mqttPublish(device, 'SignStatus/with-device', '{"online":false}', true)).toBe(0);
		await expect.poll(deviceText).toMatch(/^Device offline · last seen/);
		expect(await page.locator('#device-status').getAttribute('data-state')).toBe('offline');
		await device.close();
	});

	it('lists a sign created anywhere, without a reload, and can add one', async () => {
		const page = await panel('/');
		await putSign('made-by-curl', { text: 'hello' });
		await page.locator('a[data-sign="made-by-curl"]').waitFor();
		await page.getByLabel('Add a sign').fill('made-in-panel');
		await page.getByLabel('Add a sign').press('Enter');
		await expect.poll(() => page.url()).toMatch(/\/sign\/made-in-panel$/);
		expect(await stored('made-in-panel')).toMatchObject({ id: 'made-in-panel', version: 1 });
		await page.getByLabel('Add a sign').fill('no/slashes');
		await expect.poll(() => page.locator('#new-id-error').textContent()).toContain('may contain only');
	});

	it('works on a 360 px wide phone, and saves screenshots', async () => {
		await putSign('lobby', { text: 'Welcome!', color: '#ffb000', brightness: 90 });
		const desktop = await panel('/sign/lobby');
		await screenshot(desktop, 'panel.png');
		const phoneContext = await loggedInContext(browser, harper, 360);
		const phone = await openPanel(phoneContext, '/sign/lobby');
		opened.push(phone);
		const overflow = await phone.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
		expect(overflow).toBeLessThanOrEqual(0);
		await screenshot(phone.page, 'panel-phone.png');
		const timing = await desktop.evaluate(() => {
			const [navigation] = performance.getEntriesByType('navigation') as PerformanceNavigationTiming[];
			return navigation ? Math.round(navigation.loadEventEnd) : -1;
		});
		saveArtifact('panel-load.json', { loadEventEndMs: timing });
		console.log(`panel load event after ${timing} ms`);
		await phone.page.close();
		opened.pop();
		await phoneContext.close();
	});

	it('shows when the server goes away, then reconnects and catches up with what changed meanwhile', async () => {
		await putSign('outage', { text: 'before the outage' });
		await putSign('doomed', { text: 'deleted while away' });
		const page = await panel('/sign/outage');
		expectedProblems = /ERR_CONNECTION_REFUSED|ERR_FAILED|Failed to load resource|WebSocket connection/;

		await harper.stop();
		await page.locator('#link[data-state="offline"]').waitFor({ timeout: 10_000 });
		expect(await page.locator('#link-text').textContent()).toMatch(/Disconnected · retrying in \d+ s/);

		// Keep the page away from the stream until changes have been made, so they can only reach it by resync.
		await page.route('**/LedSign/', (route) => route.abort('connectionrefused'));
		await harper.restart();
		await rest(harper, 'PATCH', '/LedSign/outage', { text: 'changed while away' });
		await rest(harper, 'DELETE', '/LedSign/doomed');
		expect(await page.locator('#link').getAttribute('data-state')).not.toBe('live');
		expect(await page.locator('#text').inputValue()).toBe('before the outage');

		await page.unroute('**/LedSign/');
		await page.locator('#link[data-state="live"]').waitFor({ timeout: 20_000 });
		await expect.poll(() => page.locator('#text').inputValue()).toBe('changed while away');
		await expect.poll(() => page.locator('a[data-sign="doomed"]').count()).toBe(0);
	});
});
