/**
 * What the sign shows: the pixels of a sign's LED matrix at a moment, from its settings alone.
 *
 * The panel's preview and the device simulator draw these frames, and the ESP32 firmware's C++ core computes
 * the same ones (checked against golden frames), so every view of a sign agrees pixel for pixel. All timing is
 * integer arithmetic on milliseconds since the sign started showing its current settings, so any language
 * gets the same answer.
 */
import { STATUS_RULES, type SignSettings } from '../sign-rules.ts';
import { GLYPH_HEIGHT, glyph } from './font5x7.ts';

export interface DisplaySize {
	width: number;
	height: number;
}

/** Two chained 4-in-1 MAX7219 modules: 64 × 8, the size a panel previews unless a device says otherwise. */
export const DEFAULT_DISPLAY: Readonly<DisplaySize> = Object.freeze({
	// The size a device is assumed to have until it reports one, so it is the status rules' default.
	width: STATUS_RULES.defaults.width,
	height: STATUS_RULES.defaults.height,
});

/** One blank column between characters. */
export const GLYPH_SPACING = 1;

/** A scroll step at speed 1, in ms; speed n takes 1/n of it. Exported for the firmware's generated header. */
export const SCROLL_STEP_MS_AT_SPEED_1 = 400;

/** Half a blink at speed 1, in ms; speed n takes 1/n of it. Exported for the firmware's generated header. */
export const BLINK_HALF_PERIOD_MS_AT_SPEED_1 = 2000;

/** Milliseconds per one-column step of a scroll: speed 1 moves 2.5 columns a second, speed 10 moves 25. */
export function scrollStepMs(speed: number): number {
	return Math.floor(SCROLL_STEP_MS_AT_SPEED_1 / speed);
}

/** Milliseconds the text stays on, then off, when blinking: 2 s at speed 1, 0.2 s at speed 10. */
export function blinkHalfPeriodMs(speed: number): number {
	return Math.floor(BLINK_HALF_PERIOD_MS_AT_SPEED_1 / speed);
}

export interface Frame extends DisplaySize {
	/** Row-major, one entry per LED: 1 lit, 0 dark. */
	pixels: Uint8Array;
	/** #rrggbb of the lit LEDs. */
	color: string;
	/** 0-100: how bright a lit LED is driven. */
	brightness: number;
}

/** The text as column bytes (bit 0 = top row), glyphs separated by one blank column. */
export function textColumns(text: string): Uint8Array {
	const chars = [...text];
	if (chars.length === 0) return new Uint8Array(0);
	const columns: number[] = [];
	chars.forEach((char, index) => {
		if (index > 0) for (let gap = 0; gap < GLYPH_SPACING; gap++) columns.push(0);
		columns.push(...glyph(char));
	});
	return Uint8Array.from(columns);
}

/** Where the first text column sits on the display (may be negative or past the edge while scrolling). */
function textOffset(settings: SignSettings, textWidth: number, elapsedMs: number, width: number): number {
	if (settings.effect === 'scroll') {
		// Enter from the right edge, leave at the left, and start again: one cycle is text plus display width.
		const step = Math.floor(elapsedMs / scrollStepMs(settings.speed));
		return width - (step % (textWidth + width));
	}
	// Static and blink: centred when it fits, otherwise from the left edge (the rest is cut off).
	return textWidth <= width ? Math.floor((width - textWidth) / 2) : 0;
}

function isBlankedByBlink(settings: SignSettings, elapsedMs: number): boolean {
	return settings.effect === 'blink' && Math.floor(elapsedMs / blinkHalfPeriodMs(settings.speed)) % 2 === 1;
}

/** The frame a sign shows `elapsedMs` after it started showing `settings`. */
export function frameAt(settings: SignSettings, elapsedMs: number, size: DisplaySize = DEFAULT_DISPLAY): Frame {
	const { width, height } = size;
	const pixels = new Uint8Array(width * height);
	const frame = { width, height, pixels, color: settings.color, brightness: settings.brightness };
	const elapsed = Math.max(0, Math.floor(elapsedMs));
	if (!settings.power || isBlankedByBlink(settings, elapsed)) return frame;

	const columns = textColumns(settings.text);
	const offset = textOffset(settings, columns.length, elapsed, width);
	const top = Math.max(0, Math.floor((height - GLYPH_HEIGHT) / 2));
	for (let x = 0; x < width; x++) {
		const bits = columns[x - offset] ?? 0;
		for (let row = 0; row < GLYPH_HEIGHT && top + row < height; row++) {
			if ((bits >> row) & 1) pixels[(top + row) * width + x] = 1;
		}
	}
	return frame;
}

/** A frame as text, one line per row, `#` lit and `.` dark: for tests, golden files and terminals. */
export function frameToText(frame: Frame): string {
	const rows: string[] = [];
	for (let y = 0; y < frame.height; y++) {
		let row = '';
		for (let x = 0; x < frame.width; x++) row += frame.pixels[y * frame.width + x] ? '#' : '.';
		rows.push(row);
	}
	return rows.join('\n');
}
