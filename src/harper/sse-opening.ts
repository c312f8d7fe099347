/**
 * Harper writes an SSE response's headers only with its first event, so a stream with nothing to send yet (an
 * empty table, a record not created yet) never opens in the browser. Harper's SSE serialiser writes an object with
 * `event` as an `event:` line; with no `data:` line the browser dispatches nothing, but the headers go out and
 * EventSource opens.
 */
import type { IterableEventQueue } from 'harperdb';

export function openSseStream(stream: IterableEventQueue): void {
	stream.send({ event: 'open' });
}
