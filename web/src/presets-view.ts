/**
 * The presets of the selected sign's panel: every preset, live, each applied to the sign with one click (one
 * change, one version: `PATCH /LedSign/<id>` with `{"preset": <name>}`), the sign's current look saved as a
 * preset, and a preset deleted after a confirmation. Only what the role allows is shown: a viewer sees the
 * presets, an operator applies and keeps them.
 */
import {
	checkSignId,
	lookOf,
	type LedSignRecord,
	type PresetRecord,
	type SignSettings,
} from '../../src/shared/sign-rules.ts';
import type { Capabilities } from '../../src/shared/session-view.ts';
import type { Refused, WriteResult } from './api.ts';
import type { KeyedStore } from './keyed-store.ts';

export interface PresetActions {
	apply(sign: string, preset: string): Promise<WriteResult>;
	/** Saves `look` as preset `name`: a new one, or a replacement of the version the panel holds. */
	save(name: string, look: SignSettings, replacing: PresetRecord | undefined): Promise<{ ok: true } | Refused>;
	remove(name: string): Promise<{ ok: true } | Refused>;
	/** Says what a click achieved (the panel's "sent" note). */
	done(message: string): void;
}

export interface PresetPermissions {
	/** May change the sign (apply a preset to it). */
	apply: boolean;
	presets: Capabilities;
}

function element<T extends HTMLElement>(root: HTMLElement, selector: string, type: new () => T): T {
	const found = root.querySelector(selector);
	if (!(found instanceof type)) throw new Error(`The presets section has no ${selector}.`);
	return found;
}

function sameLook(a: SignSettings, b: SignSettings): boolean {
	const left = lookOf(a);
	const right = lookOf(b);
	return (Object.keys(left) as (keyof SignSettings)[]).every((field) => left[field] === right[field]);
}

/** "static · 80 % · speed 5", or "off". */
function summary(look: SignSettings): string {
	return look.power ? `${look.effect} · ${look.brightness} % · speed ${look.speed}` : 'off';
}

function button(
	label: string,
	action: string,
	preset: string,
	accessibleName: string,
	classes = 'secondary'
): HTMLButtonElement {
	const made = document.createElement('button');
	made.type = 'button';
	made.className = classes;
	made.textContent = label;
	made.dataset.action = action;
	made.dataset.preset = preset;
	made.setAttribute('aria-label', accessibleName);
	return made;
}

export class PresetsView {
	readonly #section: HTMLElement;
	readonly #list: HTMLUListElement;
	readonly #form: HTMLFormElement;
	readonly #name: HTMLInputElement;
	readonly #error: HTMLElement;
	readonly #store: KeyedStore<PresetRecord>;
	readonly #actions: PresetActions;
	#may: PresetPermissions = { apply: false, presets: { read: false, change: false, create: false, delete: false } };
	#sign: LedSignRecord | undefined;
	/** The preset whose deletion waits for a confirmation, if any. */
	#confirming: string | undefined;

	constructor(section: HTMLElement, store: KeyedStore<PresetRecord>, actions: PresetActions) {
		this.#section = section;
		this.#list = element(section, '#preset-list', HTMLUListElement);
		this.#form = element(section, '#save-preset', HTMLFormElement);
		this.#name = element(section, '#preset-name', HTMLInputElement);
		this.#error = element(section, '#preset-error', HTMLElement);
		this.#store = store;
		this.#actions = actions;
		store.onChange(() => this.#render());
		this.#list.addEventListener('click', (event) => {
			const target = event.target instanceof Element ? event.target.closest('button[data-action]') : null;
			if (target instanceof HTMLButtonElement) void this.#act(target.dataset.action, target.dataset.preset ?? '');
		});
		this.#name.addEventListener('input', () => this.#checkName());
		this.#form.addEventListener('submit', (event) => {
			event.preventDefault();
			void this.#save();
		});
	}

	/** Shows the presets for `sign` (undefined: no sign, or it does not exist), as far as `may` allows. */
	show(sign: LedSignRecord | undefined, may: PresetPermissions): void {
		const otherSign = sign?.id !== this.#sign?.id;
		this.#sign = sign;
		this.#may = may;
		if (otherSign) {
			this.#confirming = undefined;
			this.#say('');
		}
		this.#section.hidden = !sign || !may.presets.read;
		this.#form.hidden = !(may.presets.create || may.presets.change);
		this.#render();
	}

	#render(): void {
		if (this.#section.hidden) return;
		const focused = document.activeElement instanceof HTMLElement ? document.activeElement.dataset : undefined;
		const refocus = focused?.action
			? `button[data-action="${focused.action}"][data-preset="${CSS.escape(focused.preset ?? '')}"]`
			: undefined;
		const presets = this.#store.all();
		this.#list.replaceChildren(...presets.map((preset) => this.#item(preset)));
		element(this.#section, '#no-presets', HTMLElement).hidden = presets.length > 0;
		if (refocus && this.#list.contains(document.activeElement) === false) {
			const again = this.#list.querySelector(refocus);
			if (again instanceof HTMLElement) again.focus();
		}
		this.#checkName();
	}

	#item(preset: PresetRecord): HTMLLIElement {
		const item = document.createElement('li');
		item.dataset.preset = preset.id;
		const inUse = this.#sign !== undefined && sameLook(preset, this.#sign);
		if (inUse) item.setAttribute('aria-current', 'true');
		const sample = document.createElement('span');
		sample.className = 'look-sample';
		sample.textContent = preset.power ? preset.text || '(blank)' : '(off)';
		sample.style.color = preset.power ? preset.color : '';
		sample.setAttribute('aria-hidden', 'true');
		const name = document.createElement('span');
		name.className = 'preset-name';
		name.textContent = preset.id;
		const about = document.createElement('span');
		about.className = 'quiet small-print preset-about';
		about.textContent = `"${preset.text}" · ${preset.color} · ${summary(preset)}${inUse ? ' · shown now' : ''}`;
		const actions = document.createElement('span');
		actions.className = 'preset-actions';
		if (this.#confirming === preset.id) {
			const question = document.createElement('span');
			question.textContent = `Delete preset ${preset.id}?`;
			actions.append(
				question,
				button('Delete', 'confirm-delete', preset.id, `Delete preset ${preset.id} for good`, 'danger'),
				button('Keep', 'keep', preset.id, `Keep preset ${preset.id}`)
			);
		} else {
			if (this.#may.apply) actions.append(button('Apply', 'apply', preset.id, `Apply preset ${preset.id}`));
			if (this.#may.presets.delete) {
				actions.append(button('Delete…', 'delete', preset.id, `Delete preset ${preset.id}`, 'secondary danger'));
			}
		}
		item.append(sample, name, about, actions);
		return item;
	}

	async #act(action: string | undefined, preset: string): Promise<void> {
		const sign = this.#sign;
		if (!sign) return;
		if (action === 'delete' || action === 'keep') {
			this.#confirming = action === 'delete' ? preset : undefined;
			this.#render();
			this.#list.querySelector<HTMLElement>(`button[data-preset="${CSS.escape(preset)}"]`)?.focus();
			return;
		}
		if (action === 'confirm-delete') {
			const result = await this.#actions.remove(preset);
			this.#confirming = undefined;
			if (!result.ok) return this.#say(`Preset ${preset} was not deleted: ${result.error}`);
			this.#say('');
			this.#actions.done(`Deleted preset ${preset}`);
			this.#render();
			return;
		}
		if (action !== 'apply') return;
		const result = await this.#actions.apply(sign.id, preset);
		if (!result.ok) return this.#say(`Preset ${preset} was not applied: ${result.fields.preset ?? result.error}`);
		this.#say('');
		this.#actions.done(`Applied preset ${preset} · version ${result.record.version}`);
	}

	/** Flags a name the rules refuse, and says when saving would replace an existing preset. */
	#checkName(): string | undefined {
		const name = this.#name.value.trim();
		const problem = name ? checkSignId(name) : undefined;
		const replacing = name && !problem ? this.#store.get(name) : undefined;
		this.#name.toggleAttribute('aria-invalid', Boolean(problem));
		const submit = this.#form.querySelector('button[type="submit"]');
		if (submit) submit.textContent = replacing ? `Replace ${name}` : 'Save preset';
		if (problem) this.#say(`The preset name ${problem}.`);
		else if (this.#error.dataset.from === 'name') this.#say('');
		if (problem) this.#error.dataset.from = 'name';
		return problem;
	}

	async #save(): Promise<void> {
		const sign = this.#sign;
		const name = this.#name.value.trim();
		if (!sign) return;
		if (!name) {
			this.#say('Name the preset first.');
			this.#name.focus();
			return;
		}
		if (this.#checkName()) {
			this.#name.focus();
			return;
		}
		const replacing = this.#store.get(name);
		const result = await this.#actions.save(name, lookOf(sign), replacing);
		if (!result.ok) {
			this.#say(`Preset ${name} was not saved: ${Object.values(result.fields)[0] ?? result.error}`);
			return;
		}
		this.#name.value = '';
		this.#say('');
		this.#checkName();
		this.#actions.done(`${replacing ? 'Replaced' : 'Saved'} preset ${name}`);
	}

	#say(message: string): void {
		this.#error.textContent = message;
		delete this.#error.dataset.from;
	}
}
