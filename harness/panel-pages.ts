/** What the panel's browser tests ask of a page: focus by keyboard, whether a thing is in view, the overflow. */
import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import type { PanelPage } from './browser.ts';

export const isFocused = (page: Page, selector: string): Promise<boolean> =>
	page.evaluate((wanted) => document.activeElement?.matches(wanted) ?? false, selector);

/** Presses Tab (or Shift+Tab) until `selector` has the focus, at most `limit` times. */
export async function tabTo(page: Page, selector: string, key = 'Tab', limit = 60): Promise<void> {
	for (let press = 0; press < limit; press++) {
		if (await isFocused(page, selector)) return;
		await page.keyboard.press(key);
	}
	throw new Error(`${key} did not reach ${selector} in ${limit} presses`);
}

/** Whether the focused element draws a focus ring a person can see. */
export const showsFocus = (page: Page): Promise<boolean> =>
	page.evaluate(() => {
		const focused = document.activeElement;
		if (!focused || focused === document.body) return false;
		const style = getComputedStyle(focused);
		return style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2;
	});

/** How far the page is wider than its window (0 or less: no horizontal scroll). */
export const overflow = (page: Page): Promise<number> =>
	page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);

/** Whether the element is shown and lies inside the window, so a tap reaches it without scrolling. */
export const inView = (page: Page, selector: string): Promise<boolean> =>
	page.evaluate((wanted) => {
		const found = document.querySelector(wanted);
		if (!found) return false;
		const box = found.getBoundingClientRect();
		return box.width > 0 && box.height > 0 && box.top >= 0 && box.bottom <= window.innerHeight;
	}, selector);

/**
 * Closes `pages`, then fails on any console error or exception one of them produced that `expected` does not
 * match. All are closed first, so a failing check leaves no page (and no stream of it) open for the next test.
 */
export async function closePages(pages: PanelPage[], expected: RegExp | undefined): Promise<void> {
	for (const { page } of pages) await page.close();
	const unexpected = pages.flatMap(({ problems }) => problems.filter((problem) => !expected?.test(problem)));
	expect(unexpected, 'console errors in the page').toEqual([]);
}
