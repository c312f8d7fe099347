/**
 * Harper 4.7 sends a new subscriber to one record its current state only for instances it loaded itself, which
 * `loadAsInstance = false` resources are not: a sign that connects later would show nothing until the next
 * change. This sends it. Subscribing before reading means no change is missed; if one already arrived, it is newer
 * than what was read, so the read is not sent.
 */
import type { IterableEventQueue } from 'harperdb';

export function sendCurrentRecord(
	subscription: IterableEventQueue,
	current: ({ id: string } & object) | undefined
): IterableEventQueue {
	if (current && !subscription.queue?.length) {
		subscription.send({ id: current.id, localTime: Date.now(), value: current, type: 'put' });
	}
	return subscription;
}
