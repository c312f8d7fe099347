/**
 * Draws a frame of the sign in a terminal: each LED a dot in the sign's colour (24-bit ANSI), dimmed by its
 * brightness, unlit LEDs faint grey. The frames come from the shared renderer, as in the panel's preview.
 */
import type { Frame } from '../../src/shared/display/frames.ts';

const LIT = '●';
const DARK = '\x1b[38;2;45;45;45m·';
const RESET = '\x1b[0m';

function scaled(color: string, brightness: number): string {
	const channel = (offset: number): number => {
		const value = parseInt(color.slice(offset, offset + 2), 16);
		// A lit LED stays visible at low brightness, as on a real matrix.
		return Math.round(value * (0.25 + (0.75 * brightness) / 100));
	};
	return `\x1b[38;2;${channel(1)};${channel(3)};${channel(5)}m`;
}

/** The frame as terminal lines (no trailing newline). */
export function frameToAnsi(frame: Frame): string {
	const on = frame.brightness > 0 ? `${scaled(frame.color, frame.brightness)}${LIT}` : DARK;
	const rows: string[] = [];
	for (let y = 0; y < frame.height; y++) {
		let row = '';
		for (let x = 0; x < frame.width; x++) row += frame.pixels[y * frame.width + x] ? on : DARK;
		rows.push(row + RESET);
	}
	return rows.join('\n');
}
