/**
 * The controls of one sign: a form with a control per field, checked against the server's published rules as
 * the user types. Nothing is sent without an explicit act: the text goes on Enter or Send (leaving the field or
 * choosing another sign sends nothing, and another sign drops the draft); a slider, the colour, the effect and
 * the switch go as they change, through the sign's ChangeQueue. A control with nothing unsent shows what the sign
 * holds, so a change made elsewhere shows at once, focused or not; a text draft stays, marked as not sent. A
 * refused value is undone where it was made, with the reason; the next accepted change clears the message.
 */
import { DEFAULT_DISPLAY, type DisplaySize } from '../../src/shared/display/frames.ts';
import { textFit } from '../../src/shared/display/text-fit.ts';
import {
	SETTING_FIELDS,
	checkField,
	type LedSignRecord,
	type SettingField,
	type SignRules,
} from '../../src/shared/sign-rules.ts';
import type { Refused, WriteResult } from './api.ts';
import { ChangeQueue, type Change } from './change-queue.ts';

type FieldControl = HTMLInputElement | HTMLSelectElement;

/** What the controls ask of the panel: the sign's REST calls, and where accepted changes go. */
export interface ControlsHost {
	patch(id: string, change: Change): Promise<WriteResult>;
	flash(id: string, change: Change): Promise<WriteResult>;
	/** An accepted change or flash, to put into the panel's copy at once (the stream brings it too). */
	accepted(result: Extract<WriteResult, { ok: true }>): void;
	/** A short confirmation for the status line. */
	confirm(message: string): void;
}

/** Fields sent as they move, once they rest; the others go at once. */
const SETTLING: ReadonlySet<SettingField> = new Set(['brightness', 'speed', 'color']);

function shown(field: SettingField, value: unknown): string {
	if (field === 'brightness') return `${String(value)}%`;
	if (field === 'power') return value ? 'on' : 'off';
	if (field === 'text') return `“${String(value)}”`;
	return String(value);
}

/** The reason a refusal gives for `field`: its own, else the first field's, else the sentence. */
function reasonFor(field: SettingField, result: Refused): string {
	return result.fields[field] ?? Object.values(result.fields)[0] ?? result.error;
}

export class SignControls {
	readonly #form: HTMLFormElement;
	readonly #host: ControlsHost;
	readonly #queues = new Map<string, ChangeQueue>();
	#rules: SignRules;
	#signId: string | undefined;
	#stored: LedSignRecord | undefined;
	#display: DisplaySize = DEFAULT_DISPLAY;
	/** The stored text when the user began the text draft; undefined while the field holds no draft. */
	#draftBase: string | undefined;
	/** Fields whose message is a refusal the next accepted change clears (a draft's own problem stays). */
	readonly #refused = new Set<SettingField>();

	constructor(form: HTMLFormElement, rules: SignRules, host: ControlsHost) {
		this.#form = form;
		this.#rules = rules;
		this.#host = host;
		this.#applyRules();
		// Enter in the text field, or its Send button: the one way the text is sent.
		form.addEventListener('submit', (event) => {
			event.preventDefault();
			this.#sendText();
		});
		this.#element('flash', HTMLButtonElement).addEventListener('click', () => void this.#flash());
		for (const field of SETTING_FIELDS) {
			const control = this.#control(field);
			control.addEventListener('input', () => this.#edited(field));
			if (field !== 'text') control.addEventListener('change', () => this.#changed(field));
			control.addEventListener('keydown', (event) => {
				if (event instanceof KeyboardEvent && event.key === 'Escape') this.#revert(field);
			});
		}
	}

	/** Shows a sign's stored state in every control that holds nothing unsent. Another sign drops the draft. */
	show(record: LedSignRecord): void {
		if (record.id !== this.#signId) {
			this.leave();
			this.#signId = record.id;
		}
		this.#stored = record;
		for (const field of SETTING_FIELDS) if (!this.#holds(field)) this.#write(field, record[field]);
		this.#renderDraft();
	}

	/**
	 * The user went to another sign (or none): the text draft is dropped, unsent, and the messages go. Values
	 * already queued for the sign still go: each was a change the user made.
	 */
	leave(): void {
		this.#signId = undefined;
		this.#stored = undefined;
		this.#draftBase = undefined;
		for (const field of SETTING_FIELDS) this.#say(field, undefined);
		this.#refused.clear();
		this.#renderDraft();
	}

	/** The size of the sign's display, which the draft's fit is judged by. */
	setDisplay(size: DisplaySize): void {
		this.#display = size;
		this.#renderDraft();
	}

	#applyRules(): void {
		const { brightness, speed, effects } = this.#rules;
		Object.assign(this.#control('brightness'), { min: String(brightness.min), max: String(brightness.max) });
		Object.assign(this.#control('speed'), { min: String(speed.min), max: String(speed.max) });
		const effect = this.#control('effect');
		effect.replaceChildren(...effects.map((name) => new Option(name[0]?.toUpperCase() + name.slice(1), name)));
		this.#element('text-hint', HTMLElement).textContent =
			`Up to ${this.#rules.text.maxLength} characters: ${this.#rules.text.description}.`;
	}

	#element<T extends HTMLElement>(id: string, type: new () => T): T {
		const found = this.#form.ownerDocument.getElementById(id);
		if (!(found instanceof type)) throw new Error(`The controls have no #${id}.`);
		return found;
	}

	#control(field: SettingField): FieldControl {
		const control = this.#form.elements.namedItem(field);
		if (!(control instanceof HTMLInputElement || control instanceof HTMLSelectElement)) {
			throw new Error(`The controls form has no "${field}" control.`);
		}
		return control;
	}

	#queue(): ChangeQueue | undefined {
		const id = this.#signId;
		if (id === undefined) return undefined;
		let queue = this.#queues.get(id);
		if (!queue) {
			queue = new ChangeQueue((change) => this.#host.patch(id, change), {
				answered: (sent, result): void => this.#answered(id, sent, result),
				waiting: (sent, seconds, reason): void => this.#waiting(id, sent, seconds, reason),
			});
			this.#queues.set(id, queue);
		}
		return queue;
	}

	/** Whether the control holds something the sign does not: a text draft, or a value waiting or in flight. */
	#holds(field: SettingField): boolean {
		if (field === 'text' && this.#draftBase !== undefined) return true;
		return this.#queue()?.holds(field) ?? false;
	}

	#read(field: SettingField): unknown {
		const control = this.#control(field);
		if (control instanceof HTMLInputElement && control.type === 'checkbox') return control.checked;
		if (control instanceof HTMLInputElement && control.type === 'range') return Number(control.value);
		return control.value;
	}

	#write(field: SettingField, value: unknown): void {
		const control = this.#control(field);
		if (control instanceof HTMLInputElement && control.type === 'checkbox') control.checked = value === true;
		else control.value = String(value);
		this.#showValue(field);
	}

	/** Sliders show their number beside them. */
	#showValue(field: SettingField): void {
		const output = this.#form.querySelector(`output[for="${field}"]`);
		if (output) output.textContent = String(this.#read(field));
	}

	#edited(field: SettingField): void {
		this.#showValue(field);
		const value = this.#read(field);
		const problem = checkField(field, value, this.#rules);
		if (field === 'text') {
			this.#draftBase = value === this.#stored?.text ? undefined : (this.#draftBase ?? this.#stored?.text ?? '');
			this.#say(field, problem);
			this.#renderDraft();
			return;
		}
		if (SETTLING.has(field)) this.#queueChange(field, value, problem);
	}

	/** A committed change of a control other than the text: a switch, an option, a slider let go. */
	#changed(field: SettingField): void {
		const value = this.#read(field);
		this.#queueChange(field, value, checkField(field, value, this.#rules));
	}

	#queueChange(field: SettingField, value: unknown, problem: string | undefined): void {
		const queue = this.#queue();
		if (!queue || !this.#stored) return;
		if (problem) {
			// Flagged before sending: the control goes back to what the sign holds.
			queue.drop(field);
			this.#undo(field, problem);
			return;
		}
		this.#say(field, undefined);
		if (!queue.holds(field) && value === this.#stored[field]) return;
		queue.set({ [field]: value } as Change, SETTLING.has(field));
	}

	#sendText(): void {
		const queue = this.#queue();
		if (!queue || !this.#stored) return;
		const text = String(this.#read('text'));
		const problem = checkField('text', text, this.#rules);
		this.#say('text', problem);
		if (problem) return; // flagged before sending: the user fixes it, or Escape puts back the sign's text
		if (this.#draftBase === undefined && !queue.holds('text')) return; // nothing typed: nothing to send
		queue.set({ text }, false);
		this.#renderDraft();
	}

	#revert(field: SettingField): void {
		if (!this.#stored) return;
		this.#queue()?.drop(field);
		if (field === 'text') this.#draftBase = undefined;
		this.#write(field, this.#stored[field]);
		this.#say(field, undefined);
		this.#renderDraft();
	}

	/** Puts a control back to what the sign holds, saying why its value did not go. */
	#undo(field: SettingField, reason: string): void {
		const value = this.#stored?.[field];
		this.#write(field, value);
		this.#say(field, `${reason.replace(/\.$/, '')}; back to ${shown(field, value)}, what the sign has.`, true);
	}

	#answered(id: string, sent: Change, result: WriteResult): void {
		if (result.ok) this.#host.accepted(result);
		if (id !== this.#signId) return;
		const fields = Object.keys(sent) as SettingField[];
		if (result.ok) {
			if (sent.text !== undefined && this.#read('text') === sent.text) this.#draftBase = undefined;
			// Messages of earlier refusals go, this change went through; except a refused text still in the field.
			for (const field of [...this.#refused]) if (field !== 'text' || !this.#holds(field)) this.#say(field, undefined);
			const latest = this.#stored;
			for (const field of fields) {
				if (this.#holds(field) || !latest) continue;
				this.#write(field, latest[field]);
				// Someone else's change came after this one: say so, or the user would think theirs was lost.
				if (latest.version > result.record.version && latest[field] !== sent[field]) {
					this.#say(field, `Changed again elsewhere since: now ${shown(field, latest[field])}.`);
				}
			}
			this.#host.confirm(`Sent · version ${result.record.version}`);
		} else {
			for (const field of fields) {
				if (this.#queue()?.hasQueued(field)) continue; // a newer value is on its way
				// A refused text stays in the field as a draft, to be fixed; any other value goes back.
				if (field === 'text') this.#say(field, reasonFor(field, result), true);
				else this.#undo(field, reasonFor(field, result));
			}
		}
		this.#renderDraft();
	}

	#waiting(id: string, sent: Change, seconds: number, reason: string): void {
		if (id !== this.#signId) return;
		for (const field of Object.keys(sent) as SettingField[]) {
			this.#say(field, `${reason.replace(/\.$/, '')}: sending it again in ${seconds} s.`, true, 'note');
		}
	}

	async #flash(): Promise<void> {
		const id = this.#signId;
		if (id === undefined) return;
		const text = String(this.#read('text'));
		const problem = checkField('text', text, this.#rules);
		this.#say('text', problem);
		if (problem) return;
		const button = this.#element('flash', HTMLButtonElement);
		button.setAttribute('aria-busy', 'true');
		const result = await this.#host.flash(id, { text });
		button.removeAttribute('aria-busy');
		if (id !== this.#signId) return;
		if (!result.ok) {
			this.#say('text', reasonFor('text', result), true);
			return;
		}
		// Nothing was stored: the field goes back to the sign's stored text.
		this.#host.accepted(result);
		this.#draftBase = undefined;
		if (this.#stored) this.#write('text', this.#stored.text);
		this.#say('text', undefined);
		this.#renderDraft();
		this.#host.confirm('Flash sent · shown until the next change');
	}

	/** The line under the text field that says the field holds a draft, and what it would do on this display. */
	#renderDraft(): void {
		const line = this.#element('text-draft', HTMLElement);
		const stored = this.#stored;
		const sending = this.#queue()?.holds('text') ?? false;
		if (!stored || (this.#draftBase === undefined && !sending)) {
			line.hidden = true;
			line.textContent = '';
			return;
		}
		const draft = String(this.#read('text'));
		const parts =
			sending && draft === this.#queue()?.pending('text')
				? ['Sending…']
				: ['Draft, not sent: Enter or Send sends it, Escape puts back the sign’s text.'];
		if (!sending && this.#draftBase !== undefined && this.#draftBase !== stored.text) {
			parts.push(`Meanwhile the sign changed to “${stored.text}”.`);
		}
		const fit = textFit({ text: draft, effect: stored.effect }, this.#display);
		if (!fit.fits) {
			parts.push(`At ${fit.displayWidth} LEDs wide, the sign would show only “${fit.shownText}”.`);
		}
		line.hidden = false;
		line.textContent = parts.join(' ');
	}

	/** Shows `message` under a field: an error (marks the control invalid) or a note. */
	#say(field: SettingField, message: string | undefined, refusal = false, kind: 'error' | 'note' = 'error'): void {
		const control = this.#control(field);
		const slot = this.#form.querySelector(`#${field}-error`);
		if (slot instanceof HTMLElement) {
			slot.textContent = message ?? '';
			slot.dataset.kind = kind;
		}
		if (message && kind === 'error') control.setAttribute('aria-invalid', 'true');
		else control.removeAttribute('aria-invalid');
		if (message && refusal) this.#refused.add(field);
		else this.#refused.delete(field);
	}
}
