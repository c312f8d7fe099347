/**
 * One write at a time per record, so each accepted change reads the version the previous one committed.
 * Harper runs each request in its own transaction and commits after the hook returns, so two simultaneous
 * changes to one sign would otherwise both read version N and both store N+1.
 */
const tails = new Map<string, Promise<unknown>>();

export function withRecordLock<T>(id: string, work: () => Promise<T>): Promise<T> {
	const previous = tails.get(id) ?? Promise.resolve();
	const result = previous.then(work, work);
	const tail = result.then(
		() => undefined,
		() => undefined
	);
	tails.set(id, tail);
	void tail.then(() => {
		if (tails.get(id) === tail) tails.delete(id);
	});
	return result;
}
