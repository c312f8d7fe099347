/**
 * Which of Harper's worker threads logged what. Harper starts each entry with its thread ("[http/1]", "[http/2]";
 * the main thread is "[main/0]"), and an entry runs on over the lines after it up to the next such start: a
 * refusal is logged as an object over several lines. Tests use it to show that requests landed on every thread.
 */

/** The threads (e.g. ["http/1", "http/2"]) that logged an entry containing `text` in `log`. */
export function threadsThatLogged(log: string, text: string): string[] {
	const threads = new Set<string>();
	let thread: string | undefined;
	let entry = '';
	const close = (): void => {
		if (thread && entry.includes(text)) threads.add(thread);
	};
	for (const line of log.split('\n')) {
		const start = /^\[(\w+\/\d+)\]/.exec(line);
		if (!start) {
			entry += `\n${line}`;
			continue;
		}
		close();
		[thread, entry] = [start[1], line];
	}
	close();
	return [...threads].sort();
}
