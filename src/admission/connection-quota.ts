/** Counts the connections each account holds open and refuses one more than its quota. */
export class ConnectionQuota {
	readonly #limit: number;
	readonly #open = new Map<string, number>();

	constructor(limit: number) {
		this.#limit = limit;
	}

	/** Counts a new connection for `account`: a function that releases it (once), or undefined when at quota. */
	open(account: string): (() => void) | undefined {
		const count = this.#open.get(account) ?? 0;
		if (count >= this.#limit) return undefined;
		this.#open.set(account, count + 1);
		let released = false;
		return () => {
			if (released) return;
			released = true;
			const left = (this.#open.get(account) ?? 1) - 1;
			if (left > 0) this.#open.set(account, left);
			else this.#open.delete(account);
		};
	}

	/** Connections open for `account`. */
	count(account: string): number {
		return this.#open.get(account) ?? 0;
	}
}
