/**
 * The selected sign's history: a timeline of its accepted changes, newest first (`GET /SignHistory/<id>`, a page at
 * a time), kept live by the history's own stream, with a one-click revert. A revert is an
 * ordinary compare-and-set change of the older look (src/shared/history.ts, revertChange): a new version and a
 * new entry, refused if the sign moved on meanwhile. A viewer sees the timeline; only a role that may change the
 * sign gets the revert buttons.
 */
import { revertChange, type HistoryEntry, type HistoryPage } from '../../src/shared/history.ts';
import type { LedSignRecord } from '../../src/shared/sign-rules.ts';
import type { Refused, WriteResult } from './api.ts';
import type { SignEvent } from './sign-store.ts';
import { LiveStream, SignedOut } from './live-stream.ts';

export interface HistoryActions {
	page(sign: string, before: string | undefined): Promise<HistoryPage | Refused>;
	revert(sign: string, change: ReturnType<typeof revertChange>): Promise<WriteResult>;
	done(message: string): void;
}

const PROTOCOL_NAMES: Record<HistoryEntry['protocol'], string> = {
	rest: 'REST',
	mqtt: 'MQTT',
	websocket: 'WebSocket',
	server: 'the server',
};

function element<T extends HTMLElement>(root: HTMLElement, selector: string, type: new () => T): T {
	const found = root.querySelector(selector);
	if (!(found instanceof type)) throw new Error(`The history section has no ${selector}.`);
	return found;
}

function isRefused(answer: HistoryPage | Refused): answer is Refused {
	return 'ok' in answer && answer.ok === false;
}

/** "created", "changed", "deleted", with the preset it applied. */
function what(entry: HistoryEntry): string {
	const verb = { create: 'Created', change: 'Changed', delete: 'Deleted' }[entry.action];
	return entry.preset ? `${verb} (preset ${entry.preset})` : verb;
}

function look(entry: HistoryEntry): string {
	const { state } = entry;
	if (!state.power) return 'off';
	return `"${state.text}" · ${state.color} · ${state.effect} · ${state.brightness} %`;
}

export class HistoryView {
	readonly #section: HTMLElement;
	readonly #list: HTMLOListElement;
	readonly #more: HTMLButtonElement;
	readonly #message: HTMLElement;
	readonly #actions: HistoryActions;
	#sign: LedSignRecord | undefined;
	#signId: string | undefined;
	#mayRevert = false;
	#entries: HistoryEntry[] = [];
	#next: string | null = null;
	#stream: LiveStream<HistoryEntry> | undefined;
	/** Bumped on every sign switch: an answer for an earlier sign is dropped. */
	#generation = 0;

	constructor(section: HTMLElement, actions: HistoryActions) {
		this.#section = section;
		this.#list = element(section, '#history-list', HTMLOListElement);
		this.#more = element(section, '#history-more', HTMLButtonElement);
		this.#message = element(section, '#history-message', HTMLElement);
		this.#actions = actions;
		this.#more.addEventListener('click', () => void this.#loadOlder());
		this.#list.addEventListener('click', (event) => {
			const target = event.target instanceof Element ? event.target.closest('button[data-entry]') : null;
			if (target instanceof HTMLButtonElement) void this.#revert(target.dataset.entry ?? '');
		});
	}

	/**
	 * Shows the history of `sign` (the stored record, or undefined when it does not exist), if `mayRead`; a new
	 * sign id loads its first page and follows its stream.
	 */
	show(signId: string | undefined, sign: LedSignRecord | undefined, mayRead: boolean, mayRevert: boolean): void {
		this.#sign = sign;
		this.#mayRevert = mayRevert;
		const id = mayRead ? signId : undefined;
		this.#section.hidden = id === undefined;
		if (id !== this.#signId) this.#follow(id);
		else this.#render();
	}

	stop(): void {
		this.#follow(undefined);
	}

	#follow(id: string | undefined): void {
		this.#stream?.stop();
		this.#stream = undefined;
		this.#signId = id;
		this.#generation++;
		this.#entries = [];
		this.#next = null;
		this.#say('');
		this.#render();
		if (id === undefined) return;
		const generation = this.#generation;
		// On every (re)connect the first page is read again, so entries made while the stream was down appear.
		const store = {
			apply: (event: SignEvent<HistoryEntry>): void => this.#received(event),
			replaceAll: (entries: HistoryEntry[]): void => this.#firstPageShown(entries),
		};
		const firstPage = async (): Promise<HistoryEntry[]> => {
			const answer = await this.#actions.page(id, undefined);
			if (isRefused(answer)) {
				if (answer.status === 401) throw new SignedOut();
				if (generation === this.#generation) this.#say(`The history could not be read: ${answer.error}`);
				throw new Error(answer.error);
			}
			if (generation === this.#generation) this.#next = answer.next;
			return answer.entries;
		};
		this.#stream = new LiveStream(
			`/SignHistory/${encodeURIComponent(id)}`,
			store,
			() => undefined,
			undefined,
			undefined,
			firstPage
		);
		this.#stream.start();
	}

	/** The newest page, read after the stream (re)opened: it replaces what was shown. */
	#firstPageShown(entries: HistoryEntry[]): void {
		this.#entries = [...entries];
		this.#say(this.#entries.length === 0 ? 'No changes kept yet.' : '');
		this.#render();
	}

	#received(event: SignEvent<HistoryEntry>): void {
		const entry = event.value;
		if (!entry || entry.sign !== this.#signId || this.#entries.some((each) => each.id === entry.id)) return;
		this.#entries = [entry, ...this.#entries].sort((a, b) => b.id.localeCompare(a.id));
		this.#render();
	}

	/** Reads the page after the oldest one shown. */
	async #loadOlder(): Promise<void> {
		const id = this.#signId;
		const before = this.#next;
		if (id === undefined || before === null) return;
		const generation = this.#generation;
		this.#more.setAttribute('aria-busy', 'true');
		const answer = await this.#actions.page(id, before);
		this.#more.removeAttribute('aria-busy');
		if (generation !== this.#generation) return;
		if (isRefused(answer)) return this.#say(`The older changes could not be read: ${answer.error}`);
		const merged = new Map([...this.#entries, ...answer.entries].map((entry) => [entry.id, entry]));
		this.#entries = [...merged.values()].sort((a, b) => b.id.localeCompare(a.id));
		this.#next = answer.next;
		this.#render();
	}

	#render(): void {
		const current = this.#sign;
		this.#list.replaceChildren(...this.#entries.map((entry, index) => this.#item(entry, index === 0, current)));
		this.#more.hidden = this.#next === null;
	}

	#item(entry: HistoryEntry, newest: boolean, current: LedSignRecord | undefined): HTMLLIElement {
		const item = document.createElement('li');
		item.dataset.version = String(entry.version);
		item.dataset.action = entry.action;
		const time = document.createElement('time');
		time.dateTime = entry.at;
		time.textContent = new Date(entry.at).toLocaleString();
		const head = document.createElement('span');
		head.className = 'history-what';
		head.textContent = `${what(entry)} · version ${entry.version} · by ${entry.user ?? 'nobody'} over ${PROTOCOL_NAMES[entry.protocol]}`;
		const sample = document.createElement('span');
		sample.className = 'history-look';
		sample.textContent = look(entry);
		const swatch = document.createElement('span');
		swatch.className = 'colour-chip';
		swatch.style.background = entry.state.color;
		swatch.setAttribute('aria-hidden', 'true');
		sample.prepend(swatch);
		item.append(time, head, sample);
		const isShown = newest && current !== undefined && current.version === entry.version && entry.action !== 'delete';
		if (isShown) {
			const note = document.createElement('span');
			note.className = 'quiet small-print';
			note.textContent = 'shown now';
			item.append(note);
		} else if (this.#mayRevert && current !== undefined && entry.action !== 'delete') {
			const revert = document.createElement('button');
			revert.type = 'button';
			revert.className = 'secondary';
			revert.dataset.entry = entry.id;
			revert.textContent = 'Revert to this';
			revert.setAttribute('aria-label', `Revert to version ${entry.version} (${look(entry)})`);
			item.append(revert);
		}
		return item;
	}

	async #revert(entryId: string): Promise<void> {
		const entry = this.#entries.find((each) => each.id === entryId);
		const sign = this.#sign;
		if (!entry || !sign) return;
		const result = await this.#actions.revert(sign.id, revertChange(entry, sign.version));
		if (!result.ok) {
			const why =
				result.status === 409
					? 'the sign changed meanwhile; its latest state is shown now. Try again.'
					: (Object.values(result.fields)[0] ?? result.error);
			return this.#say(`Not reverted: ${why}`);
		}
		this.#say('');
		this.#actions.done(`Reverted to version ${entry.version}'s look · now version ${result.record.version}`);
	}

	#say(message: string): void {
		this.#message.textContent = message;
	}
}
