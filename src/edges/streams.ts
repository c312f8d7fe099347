/**
 * A WebSocket or SSE stream on a resource, the same way on every one: it holds one of the caller's connection slots
 * (admission) for as long as it is open, however it ends; an SSE stream opens at once, before it has anything to
 * send (Harper 4.7 would wait for the first event: src/harper/sse-opening.ts); a WebSocket's incoming messages go to
 * `receive`. A refused WebSocket is closed with the refusal's code and sentence.
 */
import type { IterableEventQueue, RequestTarget } from 'harperdb';
import { admitConnection } from '../admission/admit.ts';
import { accountOf } from '../access/accounts.ts';
import { isSignError } from '../harper/refusals.ts';
import { closeWebSocketFor, contextOf, eventQueue, type ResourceInstance } from '../harper/facade.ts';
import { openSseStream } from '../harper/sse-opening.ts';

export interface StreamEnds {
	/** The stream's outgoing events: the resource's own subscription (Harper's queue, or a promise of it). */
	events: () => unknown;
	/** Consumes a WebSocket's incoming messages, answering on `outgoing`. */
	receive: (incoming: IterableEventQueue, outgoing: IterableEventQueue) => Promise<void>;
}

export async function openStream(
	subject: ResourceInstance,
	target: RequestTarget,
	incoming: IterableEventQueue | null,
	{ events, receive }: StreamEnds
): Promise<IterableEventQueue> {
	const context = contextOf(subject);
	let release = (): void => undefined;
	try {
		if (target.checkPermission) release = admitConnection(accountOf(subject.getCurrentUser()));
	} catch (refusal) {
		if (incoming && isSignError(refusal)) closeWebSocketFor(context, refusal);
		throw refusal;
	}
	let outgoing: IterableEventQueue;
	try {
		outgoing = await eventQueue(events());
	} catch (err) {
		release();
		if (incoming && isSignError(err)) closeWebSocketFor(context, err);
		throw err;
	}
	// The slot is given back however the stream ends: the queue closing (a WebSocket's close ends it), or the
	// HTTP response closing. An SSE client that goes away closes only the response; Harper ends its queue
	// at the next event, which for a quiet sign may be hours later.
	outgoing.on('close', release);
	context._nodeResponse?.on('close', release);
	if (incoming) void receive(incoming, outgoing);
	else openSseStream(outgoing);
	return outgoing;
}
