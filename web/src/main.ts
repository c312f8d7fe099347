/**
 * The control panel: the list of signs, the selected sign's live preview and controls, and the state of the
 * live link, behind a login. URLs are /sign/<id> (served by the http-router route in routes.js), so a sign can
 * be bookmarked. It shows only what the user may do: a viewer gets the list and the preview, no controls.
 */
import {
	checkSignId,
	type LedSignRecord,
	type PresetRecord,
	type SignRules,
	type SignStatusRecord,
} from '../../src/shared/sign-rules.ts';
import { ANONYMOUS, type SessionView } from '../../src/shared/session-view.ts';
import { DEFAULT_DISPLAY } from '../../src/shared/display/frames.ts';
import { textFit } from '../../src/shared/display/text-fit.ts';
import {
	applyPreset,
	createSign,
	deletePreset,
	deleteSign,
	fetchHistory,
	fetchRules,
	fetchSession,
	flashSign,
	logOut,
	patchSign,
	savePreset,
	whenUnauthorized,
} from './api.ts';
import { LoginView } from './login-view.ts';
import { SignControls } from './controls.ts';
import { LedPreview } from './led-preview.ts';
import { SignStore } from './sign-store.ts';
import { LiveStream, type LinkState, type SyncedStore } from './live-stream.ts';
import { describeDevice } from './device-status.ts';
import { KeyedStore } from './keyed-store.ts';
import { PresetsView } from './presets-view.ts';
import { HistoryView } from './history-view.ts';

function element<T extends HTMLElement>(id: string, type: new () => T): T {
	const found = document.getElementById(id);
	if (!(found instanceof type)) throw new Error(`The page has no #${id}.`);
	return found;
}

const SIGN_PATH = /^\/sign\/([^/]+)$/;

function signIdFromLocation(): string | undefined {
	const match = SIGN_PATH.exec(location.pathname);
	return match?.[1] ? decodeURIComponent(match[1]) : undefined;
}

/** A sign id as people read it in a sentence. */
const quoted = (id: string): string => `“${id}”`;

/** How long a confirmation stays in the status line. */
const CONFIRMATION_MS = 6000;

class Panel {
	readonly #store = new SignStore();
	readonly #statuses = new KeyedStore<SignStatusRecord>();
	readonly #presets = new KeyedStore<PresetRecord>();
	/** The state of each live stream; the indicator shows the worst of them. */
	readonly #links = new Map<string, LinkState>();
	readonly #rules: SignRules;
	readonly #preview = new LedPreview(element('preview', HTMLCanvasElement));
	readonly #controls: SignControls;
	readonly #streams: LiveStream<unknown>[] = [];
	readonly #onSignedOut: () => void;
	readonly #presetsView: PresetsView;
	readonly #history: HistoryView;
	/** Who is signed in and what they may do with signs, presets and history. */
	#session: SessionView = ANONYMOUS;
	#selected: string | undefined;
	#linkTimer: ReturnType<typeof setInterval> | undefined;
	#confirmTimer: ReturnType<typeof setTimeout> | undefined;

	/** `onSignedOut` is called when the server refuses the live stream for want of a login. */
	constructor(rules: SignRules, onSignedOut: () => void) {
		this.#rules = rules;
		this.#onSignedOut = onSignedOut;
		this.#controls = new SignControls(element('controls', HTMLFormElement), rules, {
			patch: patchSign,
			flash: flashSign,
			accepted: ({ record }): void =>
				this.#store.apply({ id: record.id, type: record.transient ? 'message' : 'put', value: record }),
			confirm: (message): void => this.#confirm(message),
		});
		this.#store.onChange((changedId) => {
			this.#renderList();
			if (changedId === undefined || changedId === this.#selected) this.#renderSelected();
		});
		const done = (message: string): void => this.#confirm(message);
		this.#presetsView = new PresetsView(element('presets', HTMLElement), this.#presets, {
			apply: applyPreset,
			save: savePreset,
			remove: deletePreset,
			done,
		});
		this.#history = new HistoryView(element('history', HTMLElement), {
			page: fetchHistory,
			revert: patchSign,
			done,
		});
		this.#wireNavigation();
		this.#wireAddForm();
		this.#wireDelete();
		element('create-missing', HTMLButtonElement).addEventListener('click', () => {
			if (this.#selected) void this.#create(this.#selected, element('create-error', HTMLElement));
		});
		this.#statuses.onChange((changedId) => {
			this.#renderList();
			if (changedId === undefined || changedId === this.#selected) this.#renderDevice();
		});
		// "Last seen 5 s ago" ages even when nothing arrives.
		setInterval(() => this.#renderDevice(), 5000);
	}

	/** Shows the panel for a signed-in user, as far as their role allows, and starts the live streams. */
	start(session: SessionView): void {
		this.#session = session;
		this.#applyCapabilities();
		this.#select(signIdFromLocation());
		this.#follow<LedSignRecord>('/LedSign/', this.#store);
		this.#follow<SignStatusRecord>('/SignStatus/', this.#statuses);
		if (session.presets.read) this.#follow<PresetRecord>('/Preset/', this.#presets);
	}

	/** Stops the streams and forgets every sign, so nothing of this user's view is left for the next one. */
	stop(): void {
		for (const stream of this.#streams.splice(0)) stream.stop();
		this.#links.clear();
		clearInterval(this.#linkTimer);
		this.#session = ANONYMOUS;
		this.#history.stop();
		this.#store.replaceAll([]);
		this.#statuses.replaceAll([]);
		this.#presets.replaceAll([]);
		element('link', HTMLElement).dataset.state = 'signed-out';
		element('link-text', HTMLElement).textContent = 'Signed out';
	}

	/** Controls a user may not use are removed from view (hidden), not merely disabled. */
	#applyCapabilities(): void {
		element('add-sign', HTMLFormElement).hidden = !this.#session.may.create;
		element('create-missing', HTMLButtonElement).hidden = !this.#session.may.create;
		element('controls-hint', HTMLElement).hidden = !this.#session.may.change;
		element('empty-hint', HTMLElement).textContent = this.#session.may.create
			? 'Choose a sign from the list, or add one. Every change here reaches the sign at once.'
			: 'Choose a sign from the list to watch it live.';
	}

	/** Follows a table over its live stream; the indicator shows the worst of the streams. */
	#follow<R>(path: string, store: SyncedStore<R>): void {
		this.#links.set(path, { kind: 'connecting' });
		const stream = new LiveStream<R>(
			path,
			store,
			(state) => {
				if (state.kind === 'unauthorized') {
					this.#onSignedOut();
					return;
				}
				this.#links.set(path, state);
				this.#renderLink();
			},
			undefined,
			() => fetchSession().then((session) => session.username !== null)
		);
		this.#streams.push(stream as LiveStream<unknown>);
		stream.start();
	}

	#wireNavigation(): void {
		// Links to /sign/<id> change the view without reloading; the back button works as usual.
		document.addEventListener('click', (event) => {
			const link = event.target instanceof Element ? event.target.closest('a[data-sign]') : null;
			if (!(link instanceof HTMLAnchorElement) || event.ctrlKey || event.metaKey || event.shiftKey) return;
			event.preventDefault();
			this.#navigate(link.dataset.sign);
		});
		window.addEventListener('popstate', () => this.#select(signIdFromLocation()));
		// On a phone the list and the editor take turns; each is one tap away.
		element('show-list', HTMLButtonElement).addEventListener('click', () => this.#showView('list'));
		element('show-editor', HTMLButtonElement).addEventListener('click', () => this.#showView('editor'));
	}

	#navigate(id: string | undefined): void {
		history.pushState(null, '', id ? `/sign/${encodeURIComponent(id)}` : '/');
		this.#select(id);
	}

	#wireAddForm(): void {
		const form = element('add-sign', HTMLFormElement);
		const input = element('new-id', HTMLInputElement);
		const error = element('new-id-error', HTMLElement);
		input.addEventListener('input', () => {
			const problem = input.value ? checkSignId(input.value, this.#rules) : undefined;
			error.textContent = problem ? `The id ${problem}.` : '';
			input.toggleAttribute('aria-invalid', Boolean(problem));
		});
		form.addEventListener('submit', (event) => {
			event.preventDefault();
			const id = input.value.trim();
			const problem = checkSignId(id, this.#rules);
			if (problem) {
				error.textContent = `The id ${problem}.`;
				input.setAttribute('aria-invalid', 'true');
				return;
			}
			void this.#create(id, error).then((created) => {
				if (created) input.value = '';
			});
		});
	}

	/** Creates a sign (or opens it, if it exists already); a refusal is said in `error`, next to what was used. */
	async #create(id: string, error: HTMLElement): Promise<boolean> {
		const result = await createSign(id);
		if (!result.ok && result.status !== 409) {
			error.textContent = result.fields.id ? `The id ${result.fields.id}.` : result.error;
			return false;
		}
		error.textContent = '';
		if (result.ok) {
			this.#store.apply({ id, type: 'put', value: result.record });
			this.#confirm(`Created ${id}`);
		}
		this.#navigate(id);
		return true;
	}

	#wireDelete(): void {
		const dialog = element('delete-dialog', HTMLDialogElement);
		const error = element('delete-error', HTMLElement);
		const confirm = element('delete-confirm', HTMLButtonElement);
		element('delete-sign', HTMLButtonElement).addEventListener('click', () => {
			if (!this.#selected) return;
			element('delete-name', HTMLElement).textContent = this.#selected;
			error.textContent = '';
			dialog.showModal();
		});
		confirm.addEventListener('click', () => {
			const id = this.#selected;
			if (!id) return;
			confirm.disabled = true;
			void deleteSign(id).then((result) => {
				confirm.disabled = false;
				if (!result.ok) {
					error.textContent = result.error;
					return;
				}
				dialog.close();
				this.#store.apply({ id, type: 'delete' });
				this.#navigate(undefined);
				this.#confirm(`Deleted ${id}`);
			});
		});
	}

	#select(id: string | undefined): void {
		if (id !== this.#selected) this.#controls.leave();
		this.#selected = id;
		this.#showView(id === undefined ? 'list' : 'editor');
		this.#renderList();
		this.#renderSelected();
	}

	/** Which of the list and the editor a phone shows (a wider screen shows both). */
	#showView(view: 'list' | 'editor'): void {
		const layout = element('signed-in', HTMLElement);
		const shown = view === 'editor' && this.#selected === undefined ? 'list' : view;
		layout.dataset.view = shown;
		element('show-list', HTMLButtonElement).setAttribute('aria-pressed', String(shown === 'list'));
		const editor = element('show-editor', HTMLButtonElement);
		editor.setAttribute('aria-pressed', String(shown === 'editor'));
		editor.disabled = this.#selected === undefined;
		editor.textContent = this.#selected === undefined ? 'No sign chosen' : `Sign ${this.#selected}`;
	}

	#renderList(): void {
		const list = element('sign-list', HTMLUListElement);
		const items = this.#store.ids().map((id) => {
			const sign = this.#store.shown(id);
			const item = document.createElement('li');
			const link = document.createElement('a');
			link.href = `/sign/${encodeURIComponent(id)}`;
			link.dataset.sign = id;
			if (id === this.#selected) link.setAttribute('aria-current', 'page');
			// The colour is a labelled square, so it does not read as a status light.
			const swatch = document.createElement('span');
			swatch.className = 'swatch';
			swatch.setAttribute('role', 'img');
			swatch.setAttribute('aria-label', `colour ${sign?.color ?? ''}`);
			swatch.title = `Colour ${sign?.color ?? ''}`;
			swatch.style.background = sign?.color ?? 'transparent';
			const name = document.createElement('span');
			name.className = 'name';
			name.textContent = id;
			const text = document.createElement('span');
			text.className = 'text';
			text.textContent = sign?.power ? sign.text || '(blank)' : '(off)';
			link.append(swatch, name, this.#deviceBadge(id), text);
			item.append(link);
			return item;
		});
		list.replaceChildren(...items);
		element('no-signs', HTMLElement).hidden = items.length > 0;
	}

	/** The device's state in the list: an icon of its own shape and words, never colour alone. */
	#deviceBadge(id: string): HTMLElement {
		const device = describeDevice(this.#statuses.get(id), this.#store.get(id), Date.now());
		const badge = document.createElement('span');
		badge.className = 'device';
		badge.dataset.state = device.state;
		const icon = document.createElement('span');
		icon.className = 'icon';
		icon.setAttribute('aria-hidden', 'true');
		icon.textContent = device.icon;
		const words = document.createElement('span');
		words.className = 'words';
		words.textContent = device.short;
		badge.append(icon, words);
		return badge;
	}

	#renderSelected(): void {
		const id = this.#selected;
		element('empty-view', HTMLElement).hidden = id !== undefined;
		element('sign-view', HTMLElement).hidden = id === undefined;
		if (id === undefined) {
			document.title = 'Marquee';
			return;
		}
		document.title = `${id} · Marquee`;
		element('sign-title', HTMLElement).textContent = id;
		// An address that cannot name a sign: say which rule it breaks, and offer nothing that could not work.
		const idProblem = checkSignId(id, this.#rules);
		const invalid = element('invalid-sign', HTMLElement);
		invalid.hidden = idProblem === undefined;
		invalid.textContent = idProblem
			? `${quoted(id)} is not a sign id: an id ${idProblem}. Check the address, or pick a sign from the list.`
			: '';
		const record = idProblem ? undefined : this.#store.get(id);
		element('missing-sign', HTMLElement).hidden = record !== undefined || idProblem !== undefined;
		element('missing-text', HTMLElement).textContent = this.#session.may.create
			? 'There is no sign with this name yet.'
			: 'There is no sign with this name.';
		element('controls', HTMLFormElement).hidden = record === undefined || !this.#session.may.change;
		element('controls-hint', HTMLElement).hidden = record === undefined || !this.#session.may.change;
		element('delete-sign', HTMLButtonElement).hidden = record === undefined || !this.#session.may.delete;
		element('preview-frame', HTMLElement).hidden = record === undefined;
		const shown = this.#store.shown(id);
		this.#preview.show(shown);
		element('sign-meta', HTMLElement).textContent = record
			? `Version ${record.version} · changed ${new Date(record.updatedAt).toLocaleString()}` +
				(shown !== record ? ' · showing a flash message until the next change' : '')
			: '';
		if (record) this.#controls.show(record);
		this.#presetsView.show(record, { apply: this.#session.may.change, presets: this.#session.presets });
		this.#history.show(idProblem ? undefined : id, record, this.#session.history.read, this.#session.may.change);
		this.#renderDevice();
	}

	/** The device line, and everything that depends on the device's display: the preview's size, the fit. */
	#renderDevice(): void {
		const slot = element('device-status', HTMLElement);
		const id = this.#selected;
		const record = id ? this.#store.get(id) : undefined;
		const status = id ? this.#statuses.get(id) : undefined;
		const device = record ? describeDevice(status, record, Date.now()) : undefined;
		slot.hidden = !device;
		if (device) {
			slot.dataset.state = device.state;
			slot.querySelector('.icon')?.replaceChildren(device.icon);
			element('device-text', HTMLElement).textContent = device.text;
		}
		const size = status ? { width: status.width, height: status.height } : DEFAULT_DISPLAY;
		this.#preview.resize(size);
		this.#controls.setDisplay(size);
		element('preview-size', HTMLElement).textContent = status
			? `${size.width} × ${size.height} LEDs, the size the device reports.`
			: `${size.width} × ${size.height} LEDs: the usual size, until a device reports its own.`;
		const shown = id ? this.#store.shown(id) : undefined;
		const fit = shown ? textFit(shown, size) : undefined;
		const warning = element('fit-warning', HTMLElement);
		warning.hidden = !shown?.power || fit === undefined || fit.fits;
		warning.textContent =
			fit && !fit.fits
				? `The text is ${fit.textWidth} LEDs wide and the display ${fit.displayWidth}: standing still, it shows only “${fit.shownText}”. Choose Scroll, or shorten the text.`
				: '';
	}

	/** A short confirmation in the status line (announced to screen readers), gone after a few seconds. */
	#confirm(message: string): void {
		const status = element('write-status', HTMLElement);
		status.textContent = message;
		clearTimeout(this.#confirmTimer);
		this.#confirmTimer = setTimeout(() => {
			status.textContent = '';
		}, CONFIRMATION_MS);
	}

	#renderLink(): void {
		const states = [...this.#links.values()];
		const offline = states.filter((state) => state.kind === 'offline');
		const state: LinkState =
			offline.length > 0
				? offline.reduce((soonest, next) => (next.retryAt < soonest.retryAt ? next : soonest))
				: states.every((each) => each.kind === 'live')
					? { kind: 'live' }
					: { kind: 'connecting' };
		const link = element('link', HTMLElement);
		const text = element('link-text', HTMLElement);
		clearInterval(this.#linkTimer);
		link.dataset.state = state.kind;
		if (state.kind === 'live') text.textContent = 'Live';
		else if (state.kind === 'connecting') text.textContent = 'Connecting…';
		else {
			const update = (): void => {
				const seconds = Math.max(0, Math.ceil((state.retryAt - Date.now()) / 1000));
				text.textContent = `Disconnected · retrying in ${seconds} s`;
			};
			update();
			this.#linkTimer = setInterval(update, 1000);
		}
	}
}

/** What a role is called in the header: `marquee_operator` → "operator", `super_user` → "super user". */
function roleLabel(role: string | null): string {
	return (role ?? '').replace(/^marquee_/, '').replace(/_/g, ' ');
}

/** The login and the panel behind it: which one shows, who is signed in, logging out. */
class App {
	readonly #panel: Panel;
	readonly #login: LoginView;

	constructor(rules: SignRules) {
		this.#panel = new Panel(rules, () => this.#sessionEnded());
		this.#login = new LoginView(element('login-view', HTMLElement), (session) => this.#signedIn(session));
		element('logout', HTMLButtonElement).addEventListener('click', () => void this.#logOut());
		whenUnauthorized(() => this.#sessionEnded());
	}

	async start(): Promise<void> {
		const session = await fetchSession();
		if (session.username === null) this.#signedOut();
		else this.#signedIn(session);
	}

	#signedIn(session: SessionView): void {
		// A device account (or a role that may not read signs) would only be refused by every stream: say so.
		if (!session.may.read || session.sign !== null) {
			this.#panel.stop();
			element('signed-in', HTMLElement).hidden = true;
			this.#login.show(
				session.sign !== null
					? `${session.username} is the account of the device on sign ${session.sign}; devices cannot use the panel. Log in as a person.`
					: `${session.username} may not watch signs. Log in with another account.`
			);
			return;
		}
		this.#login.hide();
		element('account-name', HTMLElement).textContent = session.username;
		element('account-role', HTMLElement).textContent = roleLabel(session.role);
		// Dev mode lets every local request in as the super user: there is nothing to log out of.
		element('auto-login', HTMLElement).hidden = !session.autoLogin;
		element('logout', HTMLButtonElement).hidden = session.autoLogin;
		element('account', HTMLElement).hidden = false;
		element('signed-in', HTMLElement).hidden = false;
		this.#panel.start(session);
	}

	#signedOut(note = ''): void {
		this.#panel.stop();
		element('account', HTMLElement).hidden = true;
		element('signed-in', HTMLElement).hidden = true;
		this.#login.show(note);
	}

	/** A 401 from the API or the stream: the session ended elsewhere (or the server forgot it). */
	#sessionEnded(): void {
		if (element('signed-in', HTMLElement).hidden) return;
		this.#signedOut('Your session has ended. Log in again.');
	}

	async #logOut(): Promise<void> {
		try {
			await logOut();
		} catch {
			element('link-text', HTMLElement).textContent = 'Could not log out: the server cannot be reached.';
			return;
		}
		this.#signedOut('You have logged out.');
	}
}

fetchRules()
	.then((rules) => new App(rules).start())
	.catch((err: unknown) => {
		element('link-text', HTMLElement).textContent = 'The server cannot be reached. Reload to try again.';
		console.warn(err);
	});
