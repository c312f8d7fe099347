/**
 * Presets and history in the panel (issue 14), in a real headless Chromium against a real Harper of this file's own:
 * a preset made anywhere is listed live and applied with one click as one version that the device shows; a preset
 * applied over MQTT shows in the panel; the sign's look saved as a preset and a preset deleted after a confirmation;
 * the timeline names who changed the sign over which protocol, newest first and live; a revert is a new
 * compare-and-set version that the device follows, refused with a reason when the sign moved on; a viewer sees
 * presets and the timeline with nothing to act on; keyboard-only use; the phone layout.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
	DEFAULT_SETTINGS,
	type LedSignRecord,
	type PresetRecord,
	type SignSettings,
} from '../src/shared/sign-rules.ts';
import type { HistoryPage } from '../src/shared/history.ts';
import {
	contextAs as browserContextAs,
	launchBrowser,
	openPanel,
	screenshot,
	type PanelPage,
} from '../harness/browser.ts';
import { mqttPeer, mqttPublish, rest, wsPeer, type Credentials } from '../harness/clients.ts';
import { closePages, inView, overflow, showsFocus, tabTo } from '../harness/panel-pages.ts';
import { startSimulator, type SimulatorProcess } from '../harness/simulator.ts';
import { putSign as putSignOn, storedSign } from '../harness/sign-records.ts';
import { useHarper } from '../harness/use-harper.ts';
import { addUser } from '../harness/users.ts';

const harper = useHarper();
const run = Math.random().toString(36).slice(2, 8);
const account = (name: string): Credentials => ({ username: `${name}-${run}`, password: `${name}-Pass-${run}-wordy` });
const operator = account('operator');
const viewer = account('viewer');

let browser: Browser;
const contexts: BrowserContext[] = [];
const opened: PanelPage[] = [];
const simulators: SimulatorProcess[] = [];
/** Console messages a test expects: the browser reports a refused request (a 409 the test causes) itself. */
let expectedProblems: RegExp | undefined;

async function contextAs(user: Credentials, width = 1280, height = 900): Promise<BrowserContext> {
	const context = await browserContextAs(browser, harper, user, { width, height });
	contexts.push(context);
	return context;
}

async function panel(user: Credentials, path: string, width?: number): Promise<Page> {
	const opening = await openPanel(await contextAs(user, width), path);
	opened.push(opening);
	return opening.page;
}

const putSign = (id: string, change: object): Promise<LedSignRecord> => putSignOn(harper, id, change);

async function putPreset(id: string, look: Partial<SignSettings>): Promise<PresetRecord> {
	const { status, body } = await rest(harper, 'PUT', `/Preset/${id}`, { ...DEFAULT_SETTINGS, ...look });
	expect(status).toBe(200);
	return body as PresetRecord;
}

const stored = (id: string): Promise<LedSignRecord> => storedSign(harper, id);

async function history(id: string): Promise<HistoryPage> {
	const { status, body } = await rest(harper, 'GET', `/SignHistory/${id}`);
	expect(status).toBe(200);
	return body as HistoryPage;
}

/** A simulated device on sign `id`, connected. */
async function device(id: string): Promise<SimulatorProcess> {
	const simulator = startSimulator(harper, id);
	simulators.push(simulator);
	await simulator.events.waitFor((event) => event.event === 'connected', `the device of ${id} to connect`, 15_000);
	return simulator;
}

/** Waits until the device shows `text` at `version`. */
async function deviceShows(simulator: SimulatorProcess, text: string, version: number): Promise<void> {
	await simulator.events.waitFor(
		(event) => event.event === 'showing' && event.record?.text === text && event.record.version === version,
		`the device to show "${text}" at version ${version}`,
		10_000
	);
}

/** The timeline's entries as the page shows them, newest first. */
const timeline = (page: Page): Promise<string[]> => page.locator('#history-list > li').allInnerTexts();
const statusLine = (page: Page): Promise<string> => page.locator('#write-status').innerText();

beforeAll(async () => {
	await addUser(harper, operator, 'marquee_operator');
	await addUser(harper, viewer, 'marquee_viewer');
	browser = await launchBrowser();
});

afterEach(async () => {
	const expected = expectedProblems;
	expectedProblems = undefined;
	await closePages(opened.splice(0), expected);
	for (const simulator of simulators.splice(0)) await simulator.kill('SIGTERM');
});

afterAll(async () => {
	for (const context of contexts) await context.close();
	await browser?.close();
});

describe('presets in the panel', () => {
	it('lists a preset made elsewhere, applies it with one click as one version, and the device shows it', async () => {
		const before = await putSign('cafe', { text: 'hello' });
		const simulator = await device('cafe');
		const page = await panel(operator, '/sign/cafe');
		await putPreset('open', { text: 'OPEN', color: '#00ff00', brightness: 80 });
		const apply = page.getByRole('button', { name: 'Apply preset open' });
		await apply.waitFor();
		await apply.click();
		const version = before.version + 1;
		await expect.poll(() => stored('cafe')).toMatchObject({ text: 'OPEN', color: '#00ff00', brightness: 80, version });
		await deviceShows(simulator, 'OPEN', version);
		await expect.poll(() => statusLine(page)).toContain(`Applied preset open · version ${version}`);
		await expect.poll(() => page.locator('#text').inputValue()).toBe('OPEN');
		await expect
			.poll(() => page.locator('#preset-list li[aria-current="true"]').getAttribute('data-preset'))
			.toBe('open');
		const [newest] = (await history('cafe')).entries;
		expect(newest).toMatchObject({ version, preset: 'open', user: operator.username, protocol: 'rest' });
		await expect.poll(async () => (await timeline(page))[0]).toContain(`preset open`);
	});

	it('shows a preset applied over MQTT at once, with its version and its history entry', async () => {
		const before = await putSign('bistro', { text: 'welcome' });
		await putPreset('closed', { text: 'CLOSED', color: '#ff0000' });
		const page = await panel(operator, '/sign/bistro');
		await expect.poll(() => page.locator('#text').inputValue()).toBe('welcome');
		const publisher = await mqttPeer(harper);
		try {
			expect(await mqttPublish(publisher, 'LedSign/bistro', JSON.stringify({ preset: 'closed' }), true)).toBe(0);
		} finally {
			await publisher.close();
		}
		await expect.poll(() => page.locator('#text').inputValue()).toBe('CLOSED');
		expect(await page.locator('#sign-meta').innerText()).toContain(`Version ${before.version + 1}`);
		await expect.poll(async () => (await timeline(page))[0]).toMatch(/preset closed.*over MQTT/s);
	});

	it("saves the sign's look as a preset, refuses a bad name before sending, and deletes one after a confirmation", async () => {
		await putSign('deli', { text: 'Soup 3.50', color: '#ffaa00', effect: 'scroll', speed: 7 });
		const page = await panel(operator, '/sign/deli');
		const posts: string[] = [];
		page.on('request', (request) => {
			if (request.method() !== 'GET') posts.push(`${request.method()} ${new URL(request.url()).pathname}`);
		});
		const name = page.getByLabel("Save this sign's look as a preset");
		await name.fill('bad name');
		await expect.poll(() => page.locator('#preset-error').innerText()).toContain('The preset name may contain only');
		await name.press('Enter');
		expect(posts).toEqual([]);

		await name.fill('soup');
		await name.press('Enter');
		await expect.poll(() => statusLine(page)).toContain('Saved preset soup');
		const saved = (await rest(harper, 'GET', '/Preset/soup')).body as PresetRecord;
		expect(saved).toMatchObject({ id: 'soup', text: 'Soup 3.50', color: '#ffaa00', effect: 'scroll', speed: 7 });
		await page.getByRole('button', { name: 'Apply preset soup' }).waitFor();
		await name.fill('soup');
		await expect.poll(() => page.locator('#save-preset button[type="submit"]').innerText()).toBe('Replace soup');
		await name.fill('');

		await page.getByRole('button', { name: 'Delete preset soup', exact: true }).click();
		expect((await rest(harper, 'GET', '/Preset/soup')).status).toBe(200); // asked, not yet deleted
		await page.getByRole('button', { name: 'Delete preset soup for good' }).click();
		await expect.poll(async () => (await rest(harper, 'GET', '/Preset/soup')).status).toBe(404);
		await expect.poll(() => page.locator('#preset-list li[data-preset="soup"]').count()).toBe(0);
		expect(posts).toEqual(['POST /Preset/', 'DELETE /Preset/soup']);
	});
});

describe('history in the panel', () => {
	it('shows every change with who made it over which protocol, newest first, as it happens', async () => {
		await putSign('hall', { text: 'one' });
		const page = await panel(operator, '/sign/hall');
		await expect.poll(async () => (await timeline(page)).length).toBe(1);
		expect((await rest(harper, 'PATCH', '/LedSign/hall', { text: 'two' }, { user: operator })).status).toBe(200);
		const publisher = await mqttPeer(harper);
		try {
			expect(await mqttPublish(publisher, 'LedSign/hall', JSON.stringify({ text: 'three' }), true)).toBe(0);
		} finally {
			await publisher.close();
		}
		const socket = await wsPeer(harper, '/LedSign/hall');
		try {
			socket.send({ text: 'four' });
			await expect.poll(async () => (await timeline(page)).length).toBe(4);
		} finally {
			await socket.close();
		}
		const shown = await timeline(page);
		expect(shown[0]).toMatch(
			new RegExp(`Changed · version 4 · by ${harper.admin.username} over WebSocket.*"four"`, 's')
		);
		expect(shown[1]).toMatch(new RegExp(`Changed · version 3 · by ${harper.admin.username} over MQTT.*"three"`, 's'));
		expect(shown[2]).toMatch(new RegExp(`Changed · version 2 · by ${operator.username} over REST.*"two"`, 's'));
		expect(shown[3]).toMatch(new RegExp(`Created · version 1 · by ${harper.admin.username} over REST.*"one"`, 's'));
	});

	it('reverts with one click: a new version the device follows, and the older entries stay as they were', async () => {
		await putSign('porch', { text: 'first', color: '#112233' });
		await rest(harper, 'PATCH', '/LedSign/porch', { text: 'second', color: '#445566' });
		const simulator = await device('porch');
		await deviceShows(simulator, 'second', 2);
		const page = await panel(operator, '/sign/porch');
		await expect.poll(async () => (await timeline(page)).length).toBe(2);
		const kept = (await history('porch')).entries;
		await page.getByRole('button', { name: /^Revert to version 1 / }).click();
		await expect.poll(() => stored('porch')).toMatchObject({ text: 'first', color: '#112233', version: 3 });
		await deviceShows(simulator, 'first', 3);
		await expect.poll(() => statusLine(page)).toContain("Reverted to version 1's look · now version 3");
		const after = (await history('porch')).entries;
		expect(after.slice(1)).toEqual(kept);
		expect(after[0]).toMatchObject({ version: 3, user: operator.username, protocol: 'rest', action: 'change' });
		await expect.poll(async () => (await timeline(page)).length).toBe(3);
	});

	it('says why a revert was refused when the sign moved on meanwhile, and changes nothing', async () => {
		await putSign('attic', { text: 'old' });
		await rest(harper, 'PATCH', '/LedSign/attic', { text: 'newer' });
		const page = await panel(operator, '/sign/attic');
		await expect.poll(async () => (await timeline(page)).length).toBe(2);
		// Someone else changes the sign just before the panel's revert reaches the server.
		await page.route('**/LedSign/attic', async (route) => {
			if (route.request().method() === 'PATCH') {
				await rest(harper, 'PATCH', '/LedSign/attic', { text: 'elsewhere' });
			}
			await route.continue();
		});
		expectedProblems = /409/;
		await page.getByRole('button', { name: /^Revert to version 1 / }).click();
		await expect.poll(() => page.locator('#history-message').innerText()).toContain('the sign changed meanwhile');
		expect(await stored('attic')).toMatchObject({ text: 'elsewhere', version: 3 });
	});

	it('gives a viewer the presets and the timeline, with nothing to apply, save, revert or delete', async () => {
		await putSign('lobby', { text: 'watch me' });
		await rest(harper, 'PATCH', '/LedSign/lobby', { text: 'changed' });
		await putPreset('quiet', { text: 'shh', brightness: 5 });
		const page = await panel(viewer, '/sign/lobby');
		await page.locator('#preset-list li[data-preset="quiet"]').waitFor();
		await expect.poll(async () => (await timeline(page)).length).toBe(2);
		expect(await page.locator('#presets button:visible').count()).toBe(0);
		expect(await page.locator('#save-preset').isVisible()).toBe(false);
		expect(await page.locator('#history button:visible').count()).toBe(0);
	});
});

describe('by keyboard and on a phone', () => {
	it('applies a preset and reverts without a mouse, with the focus always visible', async () => {
		await putSign('keys', { text: 'typed' });
		await putPreset('bright', { text: 'BRIGHT', brightness: 100 });
		const page = await panel(operator, '/sign/keys');
		await page.getByRole('button', { name: 'Apply preset bright' }).waitFor();
		await tabTo(page, 'button[aria-label="Apply preset bright"]');
		expect(await showsFocus(page)).toBe(true);
		await page.keyboard.press('Enter');
		await expect.poll(() => stored('keys')).toMatchObject({ text: 'BRIGHT', version: 2 });
		await page.getByRole('button', { name: /^Revert to version 1 / }).waitFor();
		await tabTo(page, '#history-list button[data-entry]');
		expect(await showsFocus(page)).toBe(true);
		await page.keyboard.press('Space');
		await expect.poll(() => stored('keys')).toMatchObject({ text: 'typed', version: 3 });
	});

	it('fits presets and the timeline on a 360 px phone, with no sideways scroll', async () => {
		await putSign('phone', { text: 'small screen' });
		await rest(harper, 'PATCH', '/LedSign/phone', { text: 'smaller screen', effect: 'scroll' });
		await putPreset('phone-open', { text: 'OPEN NOW', color: '#33ccff' });
		const page = await panel(operator, '/sign/phone', 360);
		await page.getByRole('button', { name: 'Apply preset phone-open' }).waitFor();
		await expect.poll(async () => (await timeline(page)).length).toBe(2);
		expect(await overflow(page)).toBeLessThanOrEqual(0);
		await page.locator('#history').scrollIntoViewIfNeeded();
		expect(await inView(page, '#history-heading')).toBe(true);
		await screenshot(page, 'panel-presets-history-phone.png');
	});

	it('takes the screenshot of presets and history on a desktop', async () => {
		await putSign('window', { text: 'Fresh bread', color: '#ffb000', effect: 'scroll' });
		await rest(harper, 'PATCH', '/LedSign/window', { text: 'Coffee 2.00', color: '#00ccff' });
		await putPreset('open', { text: 'OPEN', color: '#00ff00', brightness: 80 });
		await rest(harper, 'PATCH', '/LedSign/window', { preset: 'open' });
		const page = await panel(operator, '/sign/window');
		await expect.poll(async () => (await timeline(page)).length).toBe(3);
		await screenshot(page, 'panel-presets-history.png');
	});
});

describe('in several tabs', () => {
	it('keeps three tabs of one browser live and able to change the sign', async () => {
		// A browser gives a host six HTTP/1.1 connections for all its tabs; each open stream kept one while the panel
		// listened with EventSource, so a second tab (four streams each) left no connection for anyone's REST calls.
		await putSign('tabs', { text: 'three tabs' });
		await putPreset('tab-look', { text: 'TABS', color: '#aa00ff' });
		const context = await contextAs(operator);
		const tabs: Page[] = [];
		for (let tab = 0; tab < 3; tab++) {
			const opening = await openPanel(context, '/sign/tabs');
			opened.push(opening);
			tabs.push(opening.page);
		}
		const last = tabs[2] as Page;
		await last.getByRole('button', { name: 'Apply preset tab-look' }).click();
		await expect.poll(() => stored('tabs')).toMatchObject({ text: 'TABS', version: 2 });
		for (const tab of tabs) {
			await expect.poll(() => tab.locator('#text').inputValue()).toBe('TABS');
			await expect.poll(async () => (await timeline(tab)).length).toBe(2);
		}
	});
});
