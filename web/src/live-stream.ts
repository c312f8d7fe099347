/**
 * The panel's live links to the server: a Server-Sent Events stream on a whole table (/LedSign/ for every
 * sign, /SignStatus/ for every device), kept in step with a store.
 *
 * SSE rather than WebSocket because the panel only listens on the stream (its writes go over REST, where a
 * refusal answers the request that caused it), EventSource carries the login cookie by itself, and it is plain
 * HTTP. The browser's own EventSource retry is replaced by ours: an increasing, jittered backoff, and a full
 * resync on every (re)connect. That resync is a REST snapshot taken once the stream is open, so signs that
 * changed or were deleted while the panel was away are never left stale.
 */
import type { SignEvent } from './sign-store.ts';

/** What a stream keeps up to date: events as they come, and a whole snapshot after each (re)connect. */
export interface SyncedStore<R> {
	apply(event: SignEvent<R>): void;
	replaceAll(records: R[]): void;
}

/** `unauthorized`: the server refused the stream for want of a login; it is not retried. */
export type LinkState =
	| { kind: 'connecting' }
	| { kind: 'live' }
	| { kind: 'offline'; retryAt: number; attempt: number }
	| { kind: 'unauthorized' };

/** Whether the browser is still signed in (asked when the stream is refused: EventSource hides the status). */
export type SignedInCheck = () => Promise<boolean>;

export interface BackoffOptions {
	firstDelayMs: number;
	maxDelayMs: number;
}

const DEFAULT_BACKOFF: BackoffOptions = { firstDelayMs: 500, maxDelayMs: 10_000 };

/** The wait before reconnect attempt `attempt` (0-based): doubling from the first delay, capped, ±20% jitter. */
export function backoffDelay(attempt: number, options: BackoffOptions = DEFAULT_BACKOFF): number {
	const base = Math.min(options.maxDelayMs, options.firstDelayMs * 2 ** attempt);
	return Math.round(base * (0.8 + Math.random() * 0.4));
}

function parseEvent<R>(data: string): SignEvent<R> | undefined {
	try {
		const event = JSON.parse(data) as SignEvent<R>;
		return typeof event === 'object' && event !== null && 'id' in event && 'type' in event ? event : undefined;
	} catch {
		return undefined;
	}
}

export class LiveStream<R> {
	readonly #path: string;
	readonly #store: SyncedStore<R>;
	readonly #onState: (state: LinkState) => void;
	readonly #backoff: BackoffOptions;
	readonly #isSignedIn: SignedInCheck;
	#source: EventSource | undefined;
	#attempt = 0;
	#timer: ReturnType<typeof setTimeout> | undefined;
	/** Events that arrive between the stream opening and the snapshot answering; applied after it. */
	#pending: SignEvent<R>[] | undefined;

	constructor(
		path: string,
		store: SyncedStore<R>,
		onState: (state: LinkState) => void,
		backoff: BackoffOptions = DEFAULT_BACKOFF,
		isSignedIn: SignedInCheck = () => Promise.resolve(true)
	) {
		this.#path = path;
		this.#store = store;
		this.#onState = onState;
		this.#backoff = backoff;
		this.#isSignedIn = isSignedIn;
	}

	start(): void {
		this.#connect();
	}

	stop(): void {
		clearTimeout(this.#timer);
		this.#source?.close();
		this.#source = undefined;
	}

	#connect(): void {
		this.#onState({ kind: 'connecting' });
		const source = new EventSource(this.#path);
		this.#source = source;
		this.#pending = [];
		source.onmessage = (message: MessageEvent<string>): void => {
			const event = parseEvent<R>(message.data);
			if (!event) return;
			if (this.#pending) this.#pending.push(event);
			else this.#store.apply(event);
		};
		source.onopen = (): void => void this.#resync(source);
		source.onerror = (): void => {
			if (this.#source !== source) return;
			// CLOSED means the server answered with an error status (a lost connection leaves it CONNECTING);
			// the status itself is hidden from the page, so ask whether the login is what is missing.
			if (source.readyState === EventSource.CLOSED) void this.#retryUnlessSignedOut(source);
			else this.#retryLater();
		};
	}

	async #resync(source: EventSource): Promise<void> {
		try {
			const response = await fetch(this.#path, { headers: { accept: 'application/json' } });
			if (response.status === 401 && this.#source === source) return this.#signedOut();
			if (!response.ok) throw new Error(`GET ${this.#path} answered ${response.status}`);
			const records = (await response.json()) as R[];
			if (this.#source !== source) return;
			this.#store.replaceAll(records);
			for (const event of this.#pending ?? []) this.#store.apply(event);
			this.#pending = undefined;
			this.#attempt = 0;
			this.#onState({ kind: 'live' });
		} catch {
			if (this.#source === source) this.#retryLater();
		}
	}

	async #retryUnlessSignedOut(source: EventSource): Promise<void> {
		source.close();
		const signedIn = await this.#isSignedIn().catch(() => true);
		if (this.#source !== source) return;
		if (signedIn) this.#retryLater();
		else this.#signedOut();
	}

	#signedOut(): void {
		this.stop();
		this.#onState({ kind: 'unauthorized' });
	}

	#retryLater(): void {
		this.#source?.close();
		this.#source = undefined;
		const delay = backoffDelay(this.#attempt, this.#backoff);
		this.#onState({ kind: 'offline', retryAt: Date.now() + delay, attempt: this.#attempt });
		this.#attempt++;
		clearTimeout(this.#timer);
		this.#timer = setTimeout(() => this.#connect(), delay);
	}
}
