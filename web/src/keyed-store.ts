/**
 * The panel's copy of a table whose records are keyed by id (device statuses, presets), kept from its live
 * stream: each event replaces or deletes one record, and a snapshot after every (re)connect replaces them all.
 */
import type { SignEvent } from './sign-store.ts';

export type KeyedListener = (changedId: string | undefined) => void;

export class KeyedStore<R extends { id: string }> {
	#records = new Map<string, R>();
	readonly #listeners = new Set<KeyedListener>();

	get(id: string): R | undefined {
		return this.#records.get(id);
	}

	/** Every record, by id. */
	all(): R[] {
		return [...this.#records.values()].sort((a, b) => a.id.localeCompare(b.id));
	}

	onChange(listener: KeyedListener): void {
		this.#listeners.add(listener);
	}

	apply(event: SignEvent<R>): void {
		const id = String(event.id);
		if (event.type === 'delete') {
			if (!this.#records.delete(id)) return;
		} else if (event.value) this.#records.set(id, event.value);
		else return;
		this.#emit(id);
	}

	replaceAll(records: R[]): void {
		this.#records = new Map(records.map((record) => [record.id, record]));
		this.#emit(undefined);
	}

	#emit(changedId: string | undefined): void {
		for (const listener of this.#listeners) listener(changedId);
	}
}
