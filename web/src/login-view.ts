/**
 * The login form. It posts JSON to /Session with fetch, so a wrong password is answered on the form without a
 * reload, and so is every other failure (throttled, server down or failing, no answer within seconds: api.ts). The password never goes into an address: the form's own submission is POST, and its button stays
 * disabled until this script runs (so the browser cannot submit it by itself either).
 */
import type { SessionView } from '../../src/shared/session-view.ts';
import { logIn } from './api.ts';

export class LoginView {
	readonly #view: HTMLElement;
	readonly #form: HTMLFormElement;
	readonly #username: HTMLInputElement;
	readonly #password: HTMLInputElement;
	readonly #submit: HTMLButtonElement;
	readonly #message: HTMLElement;

	constructor(view: HTMLElement, onLoggedIn: (session: SessionView) => void) {
		this.#view = view;
		const form = view.querySelector('form');
		const username = view.querySelector('input[name="username"]');
		const password = view.querySelector('input[name="password"]');
		const submit = view.querySelector('button[type="submit"]');
		const message = view.querySelector('[role="alert"]');
		if (
			!(form instanceof HTMLFormElement) ||
			!(username instanceof HTMLInputElement) ||
			!(password instanceof HTMLInputElement) ||
			!(submit instanceof HTMLButtonElement) ||
			!(message instanceof HTMLElement)
		) {
			throw new Error('The login view is incomplete.');
		}
		this.#form = form;
		this.#username = username;
		this.#password = password;
		this.#submit = submit;
		this.#message = message;
		form.addEventListener('submit', (event) => {
			event.preventDefault();
			void this.#submitForm(onLoggedIn);
		});
		submit.disabled = false;
	}

	/** Shows the form, with a note (such as "your session has ended"), and puts the cursor in the first field. */
	show(note = ''): void {
		this.#view.hidden = false;
		this.#password.value = '';
		this.#say(note);
		this.#username.focus();
	}

	hide(): void {
		this.#view.hidden = true;
		this.#password.value = '';
		this.#say('');
	}

	async #submitForm(onLoggedIn: (session: SessionView) => void): Promise<void> {
		const username = this.#username.value.trim();
		const password = this.#password.value;
		const empty = !username ? this.#username : !password ? this.#password : undefined;
		this.#mark(this.#username, !username);
		this.#mark(this.#password, !password);
		if (empty) {
			this.#say(!username ? 'Enter your username.' : 'Enter your password.');
			empty.focus();
			return;
		}
		// The last answer goes at once, so whatever is shown next is the answer to this attempt.
		this.#say('');
		this.#busy(true);
		const result = await logIn(username, password);
		this.#busy(false);
		if (result.ok) {
			onLoggedIn(result.session);
			return;
		}
		this.#password.value = '';
		this.#mark(this.#password, true);
		this.#say(result.error);
		this.#password.focus();
	}

	#say(text: string): void {
		this.#message.textContent = text;
	}

	#mark(input: HTMLInputElement, invalid: boolean): void {
		if (invalid) input.setAttribute('aria-invalid', 'true');
		else input.removeAttribute('aria-invalid');
	}

	#busy(busy: boolean): void {
		this.#submit.disabled = busy;
		if (busy) this.#form.setAttribute('aria-busy', 'true');
		else this.#form.removeAttribute('aria-busy');
	}
}
