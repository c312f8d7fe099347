/**
 * The panel's copy of the signs, kept from the live stream. Versions decide: an event older than what the
 * panel already holds is dropped, so a resync snapshot and late stream events can arrive in any order.
 */
import type { LedSignRecord } from '../../src/shared/sign-rules.ts';

/** One event from Harper's stream on a table (Server-Sent Events `data:` or WebSocket message). */
export interface SignEvent<R = LedSignRecord> {
	id: string;
	/** put or patch (a stored change), message (transient), delete; other types are ignored. */
	type: string;
	value?: R | null;
}

export type SignListener = (changedId: string | undefined) => void;

export class SignStore {
	#signs = new Map<string, LedSignRecord>();
	/** Transient MQTT messages: what a sign shows until its next stored change. */
	#transient = new Map<string, LedSignRecord>();
	#listeners = new Set<SignListener>();

	/** The stored sign. */
	get(id: string): LedSignRecord | undefined {
		return this.#signs.get(id);
	}

	/** What the sign shows now: a transient message if one arrived since the last stored change. */
	shown(id: string): LedSignRecord | undefined {
		return this.#transient.get(id) ?? this.#signs.get(id);
	}

	ids(): string[] {
		return [...this.#signs.keys()].sort((a, b) => a.localeCompare(b));
	}

	onChange(listener: SignListener): void {
		this.#listeners.add(listener);
	}

	apply(event: SignEvent): void {
		const id = String(event.id);
		if (event.type === 'delete') {
			if (!this.#signs.delete(id)) return;
			this.#transient.delete(id);
		} else if (event.type === 'message' && event.value) {
			this.#transient.set(id, event.value);
		} else if (event.value) {
			const held = this.#signs.get(id);
			if (held && held.version >= event.value.version) return;
			this.#signs.set(id, event.value);
			this.#transient.delete(id);
		} else return;
		this.#emit(id);
	}

	/** Replaces everything with a snapshot of the server (after a reconnect: drops signs deleted meanwhile). */
	replaceAll(records: LedSignRecord[]): void {
		this.#signs = new Map(records.map((record) => [record.id, record]));
		this.#transient.clear();
		this.#emit(undefined);
	}

	#emit(changedId: string | undefined): void {
		for (const listener of this.#listeners) listener(changedId);
	}
}
