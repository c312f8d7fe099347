/** Messages as they arrive, and a way to wait for one that matches, with a deadline instead of a sleep. */
export class Inbox<T> {
	readonly received: T[] = [];
	#waiters: { match: (item: T) => boolean; resolve: (item: T) => void }[] = [];
	#listeners: ((item: T) => void)[] = [];
	#cursor = 0;

	push(item: T): void {
		this.received.push(item);
		for (const listener of this.#listeners) listener(item);
		for (const waiter of [...this.#waiters]) {
			if (waiter.match(item)) {
				this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
				waiter.resolve(item);
			}
		}
	}

	/** The first message (received already or later) that matches, or a rejection after `timeoutMs`. */
	waitFor(match: (item: T) => boolean, what: string, timeoutMs = 5000): Promise<T> {
		const found = this.received.find(match);
		if (found !== undefined) return Promise.resolve(found);
		return this.waitForNext(match, what, timeoutMs);
	}

	/** The first message from now on that matches, or a rejection after `timeoutMs`. */
	waitForNext(match: (item: T) => boolean, what: string, timeoutMs = 5000): Promise<T> {
		return new Promise((resolve, reject) => {
			const waiter = {
				match,
				resolve: (item: T): void => {
					clearTimeout(timer);
					resolve(item);
				},
			};
			const timer = setTimeout(() => {
				this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
				reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; got ${JSON.stringify(this.received)}`));
			}, timeoutMs);
			this.#waiters.push(waiter);
		});
	}

	/** Calls `listener` with every message, those received already and those to come. */
	forEach(listener: (item: T) => void): void {
		this.received.forEach(listener);
		this.#listeners.push(listener);
	}

	/** Everything received since the last call (for "nothing else arrived in between" checks). */
	takeNew(): T[] {
		const fresh = this.received.slice(this.#cursor);
		this.#cursor = this.received.length;
		return fresh;
	}
}
