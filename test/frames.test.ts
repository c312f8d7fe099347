import { describe, expect, it } from 'vitest';
import { glyph, FIRST_CHAR, LAST_CHAR } from '../src/shared/display/font5x7.ts';
import { blinkHalfPeriodMs, frameAt, frameToText, scrollStepMs, textColumns } from '../src/shared/display/frames.ts';
import { textFit } from '../src/shared/display/text-fit.ts';
import { DEFAULT_SETTINGS, SIGN_RULES, type SignSettings } from '../src/shared/sign-rules.ts';

const sign = (change: Partial<SignSettings>): SignSettings => ({ ...DEFAULT_SETTINGS, ...change });
const small = { width: 12, height: 8 };

describe('the font', () => {
	it('has a glyph for every character the sign rules accept, and only those', () => {
		expect(FIRST_CHAR).toBe(SIGN_RULES.text.firstCharCode);
		expect(LAST_CHAR).toBe(SIGN_RULES.text.lastCharCode);
	});

	it('draws every printable character except space with at least one pixel, within 7 rows', () => {
		for (let code = FIRST_CHAR + 1; code <= LAST_CHAR; code++) {
			const columns = glyph(String.fromCharCode(code));
			expect(
				columns.some((bits) => bits !== 0),
				String.fromCharCode(code)
			).toBe(true);
			expect(columns.every((bits) => bits < 0x80)).toBe(true);
		}
	});

	it('gives distinct glyphs to distinct characters', () => {
		const seen = new Map<string, string>();
		for (let code = FIRST_CHAR; code <= LAST_CHAR; code++) {
			const key = glyph(String.fromCharCode(code)).join(',');
			expect(seen.get(key), `${String.fromCharCode(code)} looks like ${seen.get(key)}`).toBeUndefined();
			seen.set(key, String.fromCharCode(code));
		}
	});
});

describe('frames', () => {
	it('centres static text that fits', () => {
		expect(textColumns('Hi')).toHaveLength(11);
		expect(frameToText(frameAt(sign({ text: 'Hi' }), 0, small))).toBe(
			[
				'#...#...#...',
				'#...#.......',
				'#...#..##...',
				'#####...#...',
				'#...#...#...',
				'#...#...#...',
				'#...#..###..',
				'............',
			].join('\n')
		);
	});

	it('is dark when the sign is off, whatever the text', () => {
		expect(frameAt(sign({ text: 'Hi', power: false }), 0, small).pixels.every((pixel) => pixel === 0)).toBe(true);
	});

	it('carries colour and brightness for the drawer', () => {
		expect(frameAt(sign({ color: '#00ff00', brightness: 7 }), 0, small)).toMatchObject({
			color: '#00ff00',
			brightness: 7,
		});
	});

	it('blinks: on for a half period, then off, at the chosen speed', () => {
		const blinking = sign({ text: 'Hi', effect: 'blink', speed: 4 });
		const half = blinkHalfPeriodMs(4);
		expect(half).toBe(500);
		const lit = (ms: number): number => frameAt(blinking, ms, small).pixels.reduce((sum, pixel) => sum + pixel, 0);
		expect(lit(0)).toBeGreaterThan(0);
		expect(lit(half - 1)).toBeGreaterThan(0);
		expect(lit(half)).toBe(0);
		expect(lit(2 * half)).toBeGreaterThan(0);
	});

	it('scrolls in from the right one column per step, and starts again', () => {
		const scrolling = sign({ text: 'I', effect: 'scroll', speed: 10 });
		const step = scrollStepMs(10);
		expect(step).toBe(40);
		const firstLitColumn = (ms: number): number => {
			const frame = frameAt(scrolling, ms, small);
			for (let x = 0; x < frame.width; x++) for (let y = 0; y < 8; y++) if (frame.pixels[y * 12 + x]) return x;
			return -1;
		};
		expect(firstLitColumn(0)).toBe(-1); // still off the right edge
		expect(firstLitColumn(2 * step)).toBe(11); // "I" has a blank first column: it shows one step later
		expect(firstLitColumn(3 * step)).toBe(10);
		const cycle = (textColumns('I').length + small.width) * step;
		expect(frameToText(frameAt(scrolling, cycle + 3 * step, small))).toBe(
			frameToText(frameAt(scrolling, 3 * step, small))
		);
	});

	it('cuts off static text wider than the display at the right edge', () => {
		const frame = frameAt(sign({ text: 'WWWW' }), 0, small);
		expect(frameToText(frame).split('\n')[0]).toBe('#...#.#...#.');
	});
});

describe('whether text fits the display', () => {
	it('measures text as the frames draw it, and names the characters a still display shows whole', () => {
		expect(textFit({ text: 'Welcome!', effect: 'static' }, { width: 64 })).toEqual({
			textWidth: 47,
			displayWidth: 64,
			fits: true,
			shownText: 'Welcome!',
		});
		const narrow = textFit({ text: 'Welcome!', effect: 'blink' }, { width: 32 });
		expect(narrow).toEqual({ textWidth: 47, displayWidth: 32, fits: false, shownText: 'Welco' });
		// The frame lights nothing past the characters named, and does light the cut-off one.
		const frame = frameToText(frameAt(sign({ text: 'Welcome!' }), 0, { width: 32, height: 8 })).split('\n');
		const shownWidth = textColumns(narrow.shownText).length;
		expect(frame.some((row) => row.slice(shownWidth).includes('#'))).toBe(true);
		expect(textColumns('Welcom').length).toBeGreaterThan(32);
	});

	it('says scrolling text always fits, and the empty text too', () => {
		expect(textFit({ text: 'x'.repeat(128), effect: 'scroll' }, { width: 8 }).fits).toBe(true);
		expect(textFit({ text: '', effect: 'static' }, { width: 1 })).toMatchObject({ fits: true, textWidth: 0 });
	});
});
