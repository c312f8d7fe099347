/**
 * A real headless Chromium (Debian's `chromium`, driven by playwright-core) for the panel tests. `.ci/run`
 * installs it; elsewhere `apt-get install chromium`, or point CHROMIUM_PATH at another Chromium.
 * A missing browser fails the tests: it never skips them.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { basicAuth, type Credentials, type ServerInfo } from './clients.ts';

/**
 * Screenshots and measurements. Outside the project by default: Harper serves the project folder as the app,
 * and a file written inside it while Harper runs left Chromium unable to connect to it (seen here).
 */
export const ARTIFACTS = process.env.MARQUEE_ARTIFACTS ?? join(tmpdir(), 'marquee-test-artifacts');

/** `extraArgs`: more Chromium switches, e.g. `--host-resolver-rules` to point a test name at 127.0.0.1. */
export async function launchBrowser(extraArgs: string[] = []): Promise<Browser> {
	const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
	if (!existsSync(executablePath)) {
		throw new Error(`No Chromium at ${executablePath}: run "apt-get install chromium" (or set CHROMIUM_PATH).`);
	}
	return chromium.launch({
		executablePath,
		// This machine has no network beyond loopback: without these, Chromium keeps trying Google's services.
		args: [
			'--no-sandbox',
			'--disable-gpu',
			'--disable-quic',
			'--no-first-run',
			'--disable-background-networking',
			'--disable-component-update',
			'--disable-sync',
			...extraArgs,
		],
	});
}

export interface PanelPage {
	page: Page;
	/** Console errors and uncaught exceptions the page produced. */
	problems: string[];
}

/** A browser context logged in as `user` (the server's admin unless told): HTTP Basic on every request, streams too. */
export function contextAs(
	browser: Browser,
	server: ServerInfo,
	user: Credentials = server.admin,
	viewport: { width: number; height: number } = { width: 1280, height: 900 }
): Promise<BrowserContext> {
	return browser.newContext({
		baseURL: server.httpUrl,
		viewport,
		extraHTTPHeaders: { authorization: basicAuth(user) },
	});
}

/** A browser context logged in as the server's admin, `width` wide. */
export function loggedInContext(browser: Browser, server: ServerInfo, width = 1280): Promise<BrowserContext> {
	return contextAs(browser, server, server.admin, { width, height: 900 });
}

export async function openPanel(context: BrowserContext, path = '/'): Promise<PanelPage> {
	const page = await context.newPage();
	const problems: string[] = [];
	page.on('console', (message) => {
		if (message.type() === 'error') problems.push(`console: ${message.text()}`);
	});
	page.on('pageerror', (error) => problems.push(`exception: ${error.message}`));
	await page.goto(path);
	await page.locator('#link[data-state="live"]').waitFor({ timeout: 10_000 });
	return { page, problems };
}

/** The whole page, or with `fullPage: false` the window as the user sees it (a modal dialog over the page). */
export async function screenshot(page: Page, name: string, { fullPage = true } = {}): Promise<string> {
	mkdirSync(ARTIFACTS, { recursive: true });
	const path = join(ARTIFACTS, name);
	await page.screenshot({ path, fullPage });
	return path;
}

/** Saves a measurement as JSON beside the screenshots. */
export function saveArtifact(name: string, data: object): void {
	mkdirSync(ARTIFACTS, { recursive: true });
	writeFileSync(join(ARTIFACTS, name), `${JSON.stringify(data, null, 2)}\n`);
}
