/**
 * The controls of one sign: a form with a control per field. Each control is checked against the server's
 * published rules as the user types, and sent on its own when committed (Enter or leaving a text field,
 * letting go of a slider, picking an option). Changes from elsewhere update every control except one the
 * user is in the middle of editing, so nobody loses what they are typing.
 */
import {
	SETTING_FIELDS,
	checkField,
	type LedSignRecord,
	type SettingField,
	type SignRules,
	type SignSettings,
} from '../../src/shared/sign-rules.ts';
import type { WriteResult } from './api.ts';

type Commit = (change: Partial<SignSettings>) => Promise<WriteResult>;
type FieldControl = HTMLInputElement | HTMLSelectElement;

export class SignControls {
	readonly #form: HTMLFormElement;
	readonly #commit: Commit;
	#rules: SignRules;
	#stored: LedSignRecord | undefined;
	/** Fields the user changed and has not had accepted yet: incoming updates leave them alone. */
	readonly #dirty = new Set<SettingField>();

	constructor(form: HTMLFormElement, rules: SignRules, commit: Commit) {
		this.#form = form;
		this.#rules = rules;
		this.#commit = commit;
		this.#applyRules();
		// Enter in the text field, or its Send button, commits the text through its change event.
		form.addEventListener('submit', (event) => event.preventDefault());
		for (const field of SETTING_FIELDS) {
			const control = this.#control(field);
			control.addEventListener('input', () => this.#edited(field));
			control.addEventListener('change', () => void this.#send(field));
			control.addEventListener('keydown', (event) => {
				if (event instanceof KeyboardEvent && event.key === 'Escape') this.#revert(field);
			});
		}
	}

	/** Shows a sign's stored state, keeping any field the user is editing. A new sign discards all edits. */
	show(record: LedSignRecord, isAnotherSign: boolean): void {
		if (isAnotherSign) {
			this.#dirty.clear();
			for (const field of SETTING_FIELDS) this.#setError(field, undefined);
		}
		this.#stored = record;
		for (const field of SETTING_FIELDS) {
			const control = this.#control(field);
			if (this.#dirty.has(field) || document.activeElement === control) continue;
			this.#write(field, record[field]);
		}
	}

	#applyRules(): void {
		const { brightness, speed, effects } = this.#rules;
		Object.assign(this.#control('brightness'), { min: String(brightness.min), max: String(brightness.max) });
		Object.assign(this.#control('speed'), { min: String(speed.min), max: String(speed.max) });
		const effect = this.#control('effect');
		effect.replaceChildren(...effects.map((name) => new Option(name[0]?.toUpperCase() + name.slice(1), name)));
		const hint = this.#form.querySelector('#text-hint');
		if (hint) hint.textContent = `Up to ${this.#rules.text.maxLength} characters: ${this.#rules.text.description}.`;
	}

	#control(field: SettingField): FieldControl {
		const control = this.#form.elements.namedItem(field);
		if (!(control instanceof HTMLInputElement || control instanceof HTMLSelectElement)) {
			throw new Error(`The controls form has no "${field}" control.`);
		}
		return control;
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
		this.#dirty.add(field);
		this.#showValue(field);
		this.#setError(field, checkField(field, this.#read(field), this.#rules));
	}

	#revert(field: SettingField): void {
		if (!this.#stored) return;
		this.#dirty.delete(field);
		this.#write(field, this.#stored[field]);
		this.#setError(field, undefined);
	}

	async #send(field: SettingField): Promise<void> {
		const value = this.#read(field);
		if (this.#stored && value === this.#stored[field]) {
			this.#dirty.delete(field);
			return;
		}
		const problem = checkField(field, value, this.#rules);
		this.#setError(field, problem);
		if (problem) return; // flagged before sending; the user fixes it or presses Escape to revert
		const control = this.#control(field);
		control.setAttribute('aria-busy', 'true');
		const result = await this.#commit({ [field]: value });
		control.removeAttribute('aria-busy');
		if (result.ok) {
			this.#dirty.delete(field);
			return;
		}
		// The server refused: say why next to the field, keep what the user entered so it can be fixed.
		this.#setError(field, result.fields[field] ?? Object.values(result.fields)[0] ?? result.error);
	}

	#setError(field: SettingField, message: string | undefined): void {
		const control = this.#control(field);
		const slot = this.#form.querySelector(`#${field}-error`);
		if (slot) slot.textContent = message ?? '';
		if (message) control.setAttribute('aria-invalid', 'true');
		else control.removeAttribute('aria-invalid');
	}
}
