/**
 * One sign's outgoing changes. At most one request is in flight per sign; values set meanwhile are merged (the
 * latest of each field wins) and go out when the answer comes, after a short settle delay. So a slider dragged or
 * an arrow key held down becomes a few writes, within the server's rate limits (src/admission/limits.ts), that
 * end on its last value. A change the rate limit refuses (429) stays queued and goes again when the server says,
 * behind any newer value of the same field.
 */
import type { SettingField, SignSettings } from '../../src/shared/sign-rules.ts';
import type { WriteResult } from './api.ts';

export type Change = Partial<SignSettings>;

/** How long a slider must rest before its value goes; a long drag still sends one at least this often. */
const SETTLE_MS = 150;
const MAX_WAIT_MS = 400;
/** How often a change the rate limit refused is tried again before it counts as refused. */
const RATE_RETRIES = 5;
/** The longest wait before such a retry, whatever the server asks. */
const MAX_RETRY_WAIT_S = 10;

export interface QueueListener {
	/** The answer to `sent`: accepted, or refused (for a 429, once the retries are spent). */
	answered(sent: Change, result: WriteResult): void;
	/** The rate limit refused `sent`; it goes again in `seconds`. */
	waiting(sent: Change, seconds: number, reason: string): void;
}

export class ChangeQueue {
	readonly #send: (change: Change) => Promise<WriteResult>;
	readonly #listener: QueueListener;
	#queued: Change = {};
	#inFlight: Change | undefined;
	#timer: ReturnType<typeof setTimeout> | undefined;
	/** When the oldest queued value was set: a drag that never rests still sends every MAX_WAIT_MS. */
	#queuedSince: number | undefined;
	#retries = 0;
	#notBefore = 0;

	constructor(send: (change: Change) => Promise<WriteResult>, listener: QueueListener) {
		this.#send = send;
		this.#listener = listener;
	}

	/** Queues `change`: with `settle` it goes once the value rests (a slider), else as soon as nothing is in flight. */
	set(change: Change, settle: boolean): void {
		Object.assign(this.#queued, change);
		this.#queuedSince ??= Date.now();
		this.#schedule(settle ? SETTLE_MS : 0);
	}

	/** Drops a value not sent yet (Escape); one in flight cannot be called back, its answer shows what happened. */
	drop(field: SettingField): void {
		delete this.#queued[field];
	}

	/** Whether `field` has a value waiting or in flight. */
	holds(field: SettingField): boolean {
		return field in this.#queued || (this.#inFlight !== undefined && field in this.#inFlight);
	}

	/** The value `field` is about to have: the one waiting, else the one in flight. */
	pending(field: SettingField): unknown {
		return field in this.#queued ? this.#queued[field] : this.#inFlight?.[field];
	}

	/** Whether `field` has a value waiting, newer than any in flight. */
	hasQueued(field: SettingField): boolean {
		return field in this.#queued;
	}

	#schedule(delay: number): void {
		if (this.#inFlight) return; // the answer sends what is queued
		clearTimeout(this.#timer);
		const now = Date.now();
		const due = Math.max(this.#notBefore, Math.min(now + delay, (this.#queuedSince ?? now) + MAX_WAIT_MS));
		this.#timer = setTimeout(() => void this.#flush(), Math.max(0, due - now));
	}

	async #flush(): Promise<void> {
		if (this.#inFlight || Object.keys(this.#queued).length === 0) return;
		const sent = this.#queued;
		this.#queued = {};
		this.#queuedSince = undefined;
		this.#inFlight = sent;
		const result = await this.#send(sent);
		this.#inFlight = undefined;
		if (!result.ok && result.status === 429 && this.#retries < RATE_RETRIES) {
			this.#retries++;
			const seconds = Math.min(MAX_RETRY_WAIT_S, result.retryAfter ?? 1);
			this.#queued = { ...sent, ...this.#queued };
			this.#queuedSince ??= Date.now();
			this.#notBefore = Date.now() + seconds * 1000;
			this.#listener.waiting(sent, seconds, result.error);
			this.#schedule(0);
			return;
		}
		this.#retries = 0;
		this.#notBefore = 0;
		this.#listener.answered(sent, result);
		if (Object.keys(this.#queued).length > 0) this.#schedule(SETTLE_MS);
	}
}
