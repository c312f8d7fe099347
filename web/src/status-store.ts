/** The panel's copy of every device's status (the SignStatus table), kept from its live stream. */
import type { SignStatusRecord } from '../../src/shared/sign-rules.ts';
import type { SignEvent } from './sign-store.ts';

export class StatusStore {
	#statuses = new Map<string, SignStatusRecord>();
	#listeners = new Set<(changedId: string | undefined) => void>();

	get(id: string): SignStatusRecord | undefined {
		return this.#statuses.get(id);
	}

	onChange(listener: (changedId: string | undefined) => void): void {
		this.#listeners.add(listener);
	}

	apply(event: SignEvent<SignStatusRecord>): void {
		const id = String(event.id);
		if (event.type === 'delete') this.#statuses.delete(id);
		else if (event.value) this.#statuses.set(id, event.value);
		else return;
		for (const listener of this.#listeners) listener(id);
	}

	replaceAll(records: SignStatusRecord[]): void {
		this.#statuses = new Map(records.map((record) => [record.id, record]));
		for (const listener of this.#listeners) listener(undefined);
	}
}
