/**
 * Whether a sign's text fits its display. Text that stands still (static or blinking) is drawn centred when it
 * fits and from the left edge when it does not, the rest cut off (frames.ts); scrolling text passes by whole at
 * any length. The panel warns with this before the owner finds out at the sign; the simulator could too.
 */
import type { SignSettings } from '../sign-rules.ts';
import { textColumns, type DisplaySize } from './frames.ts';

export interface TextFit {
	/** LED columns the text takes, glyphs and the gaps between them. */
	textWidth: number;
	displayWidth: number;
	/** Whether the display shows all of it: always, for scrolling text. */
	fits: boolean;
	/** The characters a still display shows whole (all of them when it fits). */
	shownText: string;
}

export function textFit(settings: Pick<SignSettings, 'text' | 'effect'>, size: Pick<DisplaySize, 'width'>): TextFit {
	const textWidth = textColumns(settings.text).length;
	const fits = settings.effect === 'scroll' || textWidth <= size.width;
	return {
		textWidth,
		displayWidth: size.width,
		fits,
		shownText: fits ? settings.text : shownWhole(settings.text, size.width),
	};
}

/** The longest start of `text` whose columns all lie on a display `width` wide. */
function shownWhole(text: string, width: number): string {
	const chars = [...text];
	let count = 0;
	while (count < chars.length && textColumns(chars.slice(0, count + 1).join('')).length <= width) count++;
	return chars.slice(0, count).join('');
}
