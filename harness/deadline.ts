/** Bounded waits: a test that meets a server that hangs fails saying what it waited for, instead of timing out. */

/** `promise`, or a rejection after `ms` naming `what` it waited for. */
export function withDeadline<T>(promise: Promise<T>, ms: number, what = 'it to settle'): Promise<T> {
	let timer: NodeJS.Timeout | undefined;
	const late = new Promise<never>((_resolve, reject) => {
		timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms waiting for ${what}`)), ms);
	});
	return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}
