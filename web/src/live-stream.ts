/**
 * The panel's live links to the server: a WebSocket on a whole table (/LedSign/ for every sign, /SignStatus/ for
 * every device, /Preset/ for the presets) or on one sign's history, kept in step with a store.
 *
 * WebSocket rather than Server-Sent Events because a browser opens at most six HTTP/1.1 connections to a host, for
 * all its tabs together, and an EventSource holds one for as long as it is open: with four streams a tab, a second
 * tab would leave no connection for the REST calls of either. WebSockets have no such shared cap. The panel only
 * listens on them (its writes go over REST, where a refusal answers the request that caused it), and the browser
 * sends the login cookie with the upgrade by itself. Reconnects use an increasing, jittered backoff, and every
 * (re)connect is followed by a full resync: a REST snapshot taken once the socket is open, so records that changed
 * or were deleted while the panel was away are never left stale.
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

/** Whether the browser is still signed in (asked when a socket closes: a refused upgrade hides the status). */
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

/** A snapshot's answer that the login is missing (401): the stream is not retried. */
export class SignedOut extends Error {
	constructor() {
		super('the server asks for a login');
	}
}

function parseEvent<R>(data: string): SignEvent<R> | undefined {
	try {
		const event = JSON.parse(data) as SignEvent<R>;
		return typeof event === 'object' && event !== null && 'id' in event && 'type' in event ? event : undefined;
	} catch {
		return undefined;
	}
}

/** The records a resync starts from; by default a GET of the stream's own path, which answers an array. */
export type Snapshot<R> = () => Promise<R[]>;

/** The WebSocket address of `path` on the page's own server. */
function socketUrl(path: string): string {
	return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${path}`;
}

export class LiveStream<R> {
	readonly #path: string;
	readonly #store: SyncedStore<R>;
	readonly #onState: (state: LinkState) => void;
	readonly #backoff: BackoffOptions;
	readonly #isSignedIn: SignedInCheck;
	readonly #snapshot: Snapshot<R>;
	#source: WebSocket | undefined;
	#attempt = 0;
	#timer: ReturnType<typeof setTimeout> | undefined;
	/** Events that arrive between the stream opening and the snapshot answering; applied after it. */
	#pending: SignEvent<R>[] | undefined;

	constructor(
		path: string,
		store: SyncedStore<R>,
		onState: (state: LinkState) => void,
		backoff: BackoffOptions = DEFAULT_BACKOFF,
		isSignedIn: SignedInCheck = () => Promise.resolve(true),
		snapshot?: Snapshot<R>
	) {
		this.#path = path;
		this.#store = store;
		this.#onState = onState;
		this.#backoff = backoff;
		this.#isSignedIn = isSignedIn;
		this.#snapshot = snapshot ?? ((): Promise<R[]> => this.#fetchPath());
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
		const source = new WebSocket(socketUrl(this.#path));
		this.#source = source;
		this.#pending = [];
		source.onmessage = (message: MessageEvent<unknown>): void => {
			const event = typeof message.data === 'string' ? parseEvent<R>(message.data) : undefined;
			if (!event) return;
			if (this.#pending) this.#pending.push(event);
			else this.#store.apply(event);
		};
		source.onopen = (): void => void this.#resync(source);
		// A refused upgrade (no login) and a lost connection both end in close, without a status: ask which it was.
		source.onclose = (): void => {
			if (this.#source === source) void this.#retryUnlessSignedOut(source);
		};
	}

	async #fetchPath(): Promise<R[]> {
		const response = await fetch(this.#path, { headers: { accept: 'application/json' } });
		if (response.status === 401) throw new SignedOut();
		if (!response.ok) throw new Error(`GET ${this.#path} answered ${response.status}`);
		return (await response.json()) as R[];
	}

	async #resync(source: WebSocket): Promise<void> {
		try {
			const records = await this.#snapshot();
			if (this.#source !== source) return;
			this.#store.replaceAll(records);
			for (const event of this.#pending ?? []) this.#store.apply(event);
			this.#pending = undefined;
			this.#attempt = 0;
			this.#onState({ kind: 'live' });
		} catch (err) {
			if (this.#source !== source) return;
			if (err instanceof SignedOut) this.#signedOut();
			else this.#retryLater();
		}
	}

	async #retryUnlessSignedOut(source: WebSocket): Promise<void> {
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
