/**
 * SignHistory: each sign's accepted changes (written with each change by journal.ts), read-only to every client.
 *
 *   GET /SignHistory/<sign>?limit=&before=   a page, newest first: { sign, entries, next } (next: the `before` of
 *                                            the page after it, or null)
 *   SSE, WebSocket /SignHistory/<sign>       each new entry of the sign, in Harper's event envelope
 *                                            { id: <entry id>, type: 'put', value: <entry> }
 *   SSE, WebSocket /SignHistory/             every sign's new entries
 *   MQTT SignHistory/<sign>/# (or /+)        each new entry, on its own topic SignHistory/<sign>/<position>
 *   MQTT SignHistory/#                       every sign's
 *
 * An entry's id is `<sign>/<position>`, a child of its sign in Harper's key hierarchy, so a stream of one sign is
 * Harper's own subscription to the sign's children. Writes of any kind the gate refuses with 405 (ACCESS.SignHistory);
 * a WebSocket message is answered with the same refusal.
 */
import { Resource, type IterableEventQueue, type RequestTarget, type SubscriptionRequest } from 'harperdb';
import { ACCESS } from '../access/access.ts';
import { openStream } from '../edges/streams.ts';
import { asConnectResult, contextOf, incomingOf, recordsInKeyRange, subscribeToChildren } from '../harper/facade.ts';
import { isMqtt } from '../harper/hook-context.ts';
import { refuse, signError, webSocketError, type SignError } from '../harper/refusals.ts';
import { checkHistoryQuery, historyPage, pageRange, type HistoryEntry, type HistoryPage } from '../shared/history.ts';
import { checkSignId } from '../shared/sign-rules.ts';

const { name } = ACCESS.SignHistory;

function historyIsReadOnly(): SignError {
	return signError('notAllowed', ACCESS.SignHistory.only, { body: `${name} takes no messages; it only sends entries` });
}

/** The sign `id` names (an id, or the `<id>/` of its children), refused naming `sign` when it names none. */
function signNamed(id: unknown): string {
	const sign = typeof id === 'string' && id.endsWith('/') ? id.slice(0, -1) : id;
	const problem = checkSignId(sign);
	if (problem) refuse(signError('badRequest', `/${name}/<sign> must name a sign.`, { sign: problem }));
	return sign as string;
}

/** The resource class over the history table `History`. */
// eslint-disable-next-line @typescript-eslint/explicit-function-return-type -- the class it returns is its type
export function historyResource(History: object) {
	return class HistoryResource extends Resource {
		static override loadAsInstance = false;

		/** One page of a sign's history, newest first: the query checked, then one range of the primary index read. */
		override async get(target: RequestTarget): Promise<HistoryPage> {
			const sign = signNamed(target.id);
			const query = checkHistoryQuery(target.entries());
			if (!query.ok) refuse(signError('badRequest', `The ${name} query is invalid.`, query.errors));
			const read = await recordsInKeyRange<HistoryEntry>(History, {
				...pageRange(sign, query.value),
				limit: query.value.limit + 1,
			});
			return historyPage(sign, read, query.value);
		}

		/**
		 * The new entries of one sign (`<sign>`, or over MQTT `<sign>/#`) or of every sign (the collection). MQTT sends
		 * each entry on its own topic under the sign's, which only a wildcard filter matches, so a subscription to the
		 * sign's topic alone is refused saying which filter to use.
		 */
		override subscribe(request: SubscriptionRequest): AsyncIterable<unknown> {
			return asConnectResult(this.#entriesOf(request));
		}

		#entriesOf(request: SubscriptionRequest): Promise<IterableEventQueue> {
			const { id, isCollection } = request;
			if (isCollection && (id === null || id === undefined)) return subscribeToChildren(History, null);
			const sign = signNamed(id);
			if (!isCollection && isMqtt(contextOf(this))) {
				refuse(
					signError('notFound', `Subscribe to ${name}/${sign}/#: each entry is sent on its own topic under it.`, {
						topic: `must be ${name}/${sign}/# (or ${name}/# for every sign)`,
					})
				);
			}
			return subscribeToChildren(History, sign);
		}

		/** SSE and WebSocket: the subscription's entries go out; a WebSocket's messages are refused. */
		override connect(target: RequestTarget, incoming: IterableEventQueue | null): AsyncIterable<unknown> {
			return asConnectResult(
				openStream(this, target, incoming, {
					events: () => this.subscribe(target),
					receive: async (messages, outgoing) => {
						for await (const _message of incomingOf(messages)) outgoing.send(webSocketError(historyIsReadOnly()));
					},
				})
			);
		}
	};
}
