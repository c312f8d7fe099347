/**
 * The live preview: the sign's LED matrix drawn on a canvas, frame by frame, from the shared renderer
 * (src/shared/display/frames.ts), so it shows exactly what the device simulator and the firmware show, at the
 * size the sign's device reports.
 */
import { DEFAULT_DISPLAY, frameAt, type DisplaySize, type Frame } from '../../src/shared/display/frames.ts';
import { SETTING_FIELDS, type SignSettings } from '../../src/shared/sign-rules.ts';

/** Canvas pixels per LED: the dot and the gap around it. */
const PITCH = 10;
const DOT_RADIUS = 3.6;
/** A lit LED at brightness 1 is still visible; at 100 it is fully opaque. */
const MIN_GLOW = 0.25;
const DARK_LED = 'rgba(140, 140, 140, 0.14)';

function describe(settings: SignSettings): string {
	if (!settings.power) return 'The sign is off.';
	const words = settings.text ? `"${settings.text}"` : 'nothing';
	const motion = { static: 'still', scroll: 'scrolling', blink: 'blinking' }[settings.effect];
	return `The sign shows ${words}, ${motion}, in ${settings.color} at ${settings.brightness}% brightness.`;
}

export class LedPreview {
	readonly #canvas: HTMLCanvasElement;
	readonly #context: CanvasRenderingContext2D;
	#size: DisplaySize;
	#settings: SignSettings | undefined;
	#shownKey = '';
	#startedAt = 0;
	#drawn = '';
	#animation = 0;

	constructor(canvas: HTMLCanvasElement, size: DisplaySize = DEFAULT_DISPLAY) {
		const context = canvas.getContext('2d');
		if (!context) throw new Error('This browser cannot draw on a canvas.');
		this.#canvas = canvas;
		this.#context = context;
		this.#size = size;
		this.#fit();
	}

	/** Draws at another display size from now on (a device reported its own); the effect keeps its clock. */
	resize(size: DisplaySize): void {
		if (size.width === this.#size.width && size.height === this.#size.height) return;
		this.#size = { width: size.width, height: size.height };
		this.#fit();
		this.#drawn = '';
		cancelAnimationFrame(this.#animation);
		this.#animation = requestAnimationFrame((now) => this.#tick(now));
	}

	#fit(): void {
		this.#canvas.width = this.#size.width * PITCH;
		this.#canvas.height = this.#size.height * PITCH;
		// A narrower sign looks narrower: the page never draws an LED bigger than its pitch.
		this.#canvas.style.maxWidth = `${this.#size.width * PITCH}px`;
	}

	/** Shows these settings; the effect restarts when what is shown changes, as it does on the sign. */
	show(settings: SignSettings | undefined): void {
		const key = settings ? SETTING_FIELDS.map((field) => String(settings[field])).join('\u0000') : '';
		if (key === this.#shownKey) return;
		this.#shownKey = key;
		this.#settings = settings;
		this.#startedAt = performance.now();
		this.#canvas.setAttribute('aria-label', settings ? describe(settings) : 'No sign selected.');
		cancelAnimationFrame(this.#animation);
		this.#animation = requestAnimationFrame((now) => this.#tick(now));
	}

	#tick(now: number): void {
		if (!this.#settings) return;
		const frame = frameAt(this.#settings, now - this.#startedAt, this.#size);
		const key = `${frame.color}${frame.brightness}${frame.pixels.join('')}`;
		if (key !== this.#drawn) {
			this.#draw(frame);
			this.#drawn = key;
		}
		// Only moving effects need more frames.
		if (this.#settings.power && this.#settings.effect !== 'static') {
			this.#animation = requestAnimationFrame((next) => this.#tick(next));
		}
	}

	#draw(frame: Frame): void {
		const context = this.#context;
		context.clearRect(0, 0, this.#canvas.width, this.#canvas.height);
		const glow = frame.brightness === 0 ? 0 : MIN_GLOW + ((1 - MIN_GLOW) * frame.brightness) / 100;
		for (let y = 0; y < frame.height; y++) {
			for (let x = 0; x < frame.width; x++) {
				const lit = frame.pixels[y * frame.width + x] === 1 && glow > 0;
				context.globalAlpha = lit ? glow : 1;
				context.fillStyle = lit ? frame.color : DARK_LED;
				context.beginPath();
				context.arc(x * PITCH + PITCH / 2, y * PITCH + PITCH / 2, DOT_RADIUS, 0, 2 * Math.PI);
				context.fill();
			}
		}
		context.globalAlpha = 1;
	}
}
