/**
 * The protocol edges of a validated table: one hook per kind of client action, each calling the table's rules.
 * `LedSign` and `SignStatus` (resources.ts) are both built here, so every protocol enforces their rules the
 * same way. Which protocol calls which hook (Harper 4.7.29's REST and MQTT dispatch):
 *
 *   REST PUT              put()       full replace: missing fields take their defaults
 *   REST PATCH            patch()     merge
 *   REST POST /Table/     post()      create a new record (409 if the id is taken), where the rules allow it
 *   REST DELETE           delete()    remove the record
 *   MQTT retained         put()       merge: MQTT has no PATCH, so a client can send just the fields it changes
 *   MQTT empty retained   delete()    refused: a stray empty publish must not wipe a record
 *   MQTT non-retained     publish()   a transient message (checked, delivered, not stored) where the rules allow it
 *   WebSocket message     connect()   merge, like PATCH; refusals come back on the socket
 *   subscribe / SSE       subscribe() the current record first, then every change
 *   REST GET              get()
 *
 * Who may call which edge is decided before it runs, by the gate the resource is wrapped in (access.ts, applied
 * in resources.ts): Harper 4.7 checks no read permission on subscribe, WebSocket or SSE, checks only read
 * permission for a DELETE of a collection or query, and a role cannot confine a device account to its one sign.
 * The edges apply the abuse limits: changes per second per account and per sign, message size, connections per
 * account (admission/admit.ts).
 */
import type { IterableEventQueue, RequestTarget, SubscriptionRequest } from 'harperdb';
import { checkSignId, type ChangeMode, type WriteDecision } from '../shared/sign-rules.ts';
import { admitChange, admitConnection, admitMessageSize } from '../admission/admit.ts';
import { accountOf } from '../access/accounts.ts';
import { refuseFormBodies } from '../access/cross-site.ts';
import { refuse, refuseWithHeaders, signError, webSocketError, type SignError } from '../harper/refusals.ts';
import { closeWebSocketFor, httpRequestOf, transaction } from '../harper/facade.ts';
import type { HarperTable, HookContext, RecordStore, StoredWill, WriteContext } from '../harper/shapes.ts';
import { jsonPayload } from '../harper/payloads.ts';
import { isMqtt, isStaleWill, isWill } from '../harper/hook-context.ts';
import { withRecordLock } from '../harper/record-lock.ts';

export interface TableRules<R extends { id: string }> {
	/** The table's name: its URL path and MQTT topic root. */
	name: string;
	/** What one record is called in messages: "sign", "sign status". */
	noun: string;
	/** Decides a write: the record to store, or why it is refused. */
	decide(id: unknown, current: R | undefined, input: unknown, mode: ChangeMode): WriteDecision<R>;
	/** What a non-retained MQTT publish delivers for an accepted change; without it such publishes are refused. */
	transient?(accepted: R, current: R | undefined): R;
}

/**
 * Harper writes an SSE response's headers only with its first event, so a stream with nothing to send yet
 * (an empty table, a record not created yet) never opens in the browser. Harper's SSE serialiser writes an
 * object with `event` as an `event:` line; with no `data:` line the browser dispatches nothing, but the
 * headers go out and EventSource opens.
 */
const SSE_OPENING = { event: 'open' };

/**
 * Whether the target's id could name a record at all; `LedSign/a/b`, `LedSign/+` or `LedSign/..` cannot.
 * Over MQTT, a hook that returns false for such a topic makes Harper answer the publish with reason code 0x90,
 * "Topic Name invalid", which tells a device author exactly what is wrong (any other refusal is 0x80).
 */
function namesRecord(target: RequestTarget): target is RequestTarget & { id: string } {
	return checkSignId(target.id) === undefined;
}

function idInBody(data: unknown): unknown {
	return typeof data === 'object' && data !== null ? (data as { id?: unknown }).id : undefined;
}

/** The table class Harper built from the schema, extended with validated protocol edges. */
// eslint-disable-next-line @typescript-eslint/explicit-function-return-type -- the class it returns is its type
export function withProtocolEdges<R extends { id: string }>(Table: HarperTable, rules: TableRules<R>) {
	const toError = (decision: Extract<WriteDecision<R>, { ok: false }>): SignError =>
		decision.reason === 'conflict'
			? signError('conflict', `The change conflicts with the ${rules.noun} as it is now.`, decision.errors)
			: signError('invalid', `The ${rules.noun} change is invalid; nothing was changed.`, decision.errors);

	class ValidatedTable extends Table {
		static override loadAsInstance = false;

		override put(target: RequestTarget, data: unknown): Promise<R | undefined> | false {
			const context = this.#context();
			if (!isMqtt(context)) return this.#write(target, data, 'replace');
			if (!namesRecord(target)) return false;
			if (isWill(context)) return this.#will(target, data, context);
			return this.#write(target, data, 'merge');
		}

		/** A last will: applied like any retained publish, unless its client has connected again (see isStaleWill). */
		async #will(target: RequestTarget, data: unknown, will: StoredWill): Promise<R | undefined> {
			if (!(await isStaleWill(will))) return this.#write(target, data, 'merge');
			return this.#current(target);
		}

		override patch(target: RequestTarget, data: unknown): Promise<R> {
			return this.#write(target, data, 'merge');
		}

		/** POST /Table/ with an `id` in the body (or POST /Table/<id>) creates a record that does not exist yet. */
		override async post(target: RequestTarget, data: unknown): Promise<unknown> {
			// The id is only read here; the gate has checked the caller's role before the body is judged.
			const id = target.isCollection ? idInBody(data) : target.id;
			const record = await this.#write(
				{ id, checkPermission: target.checkPermission } as RequestTarget,
				data,
				'create'
			);
			return { status: 201, headers: { location: `/${rules.name}/${record.id}` }, data: record };
		}

		override delete(target: RequestTarget): Promise<boolean> {
			if (isMqtt(this.#context())) {
				refuse(
					signError(
						'badRequest',
						`A ${rules.noun} cannot be deleted over MQTT; an empty retained payload is refused.`,
						{
							body: `must be a JSON object of ${rules.noun} fields; to delete, use REST DELETE /${rules.name}/<id>`,
						}
					)
				);
			}
			return super.delete(target);
		}

		/**
		 * A non-retained MQTT publish: a transient message, validated like a merge onto the stored record and
		 * delivered as the rules shape it; nothing is stored.
		 */
		// eslint-disable-next-line @typescript-eslint/no-misused-promises -- Harper awaits publish(): the PUBACK waits for it
		override async publish(target: RequestTarget, message: unknown): Promise<void | false> {
			if (!namesRecord(target)) return false;
			if (!rules.transient) {
				refuse(
					signError('notAllowed', `A ${rules.noun} must be published with retain set.`, {
						retain: `must be true: ${rules.name} messages are stored`,
					})
				);
			}
			const input = jsonPayload(message);
			this.#admit(target, input);
			const current = await this.#current(target);
			const decision = rules.decide(target.id, current, input, 'merge');
			if (!decision.ok) refuse(toError(decision));
			return super.publish(target, rules.transient(decision.record, current));
		}

		/**
		 * WebSocket (and SSE, which has no incoming side). Harper's own connect streams the record's changes and
		 * ignores what the client sends; here each client message is applied as a merge, with the client's own
		 * identity so its permissions apply, and a refusal is sent back on the same socket.
		 */
		override connect(target: RequestTarget, incoming: IterableEventQueue | null): AsyncIterable<unknown> {
			// Harper's types promise an AsyncIterable, but the table's connect resolves to its event queue
			// asynchronously; Harper awaits whichever it gets, so the promise is passed through unchanged.
			return this.#connect(target, incoming) as unknown as AsyncIterable<unknown>;
		}

		async #connect(target: RequestTarget, incoming: IterableEventQueue | null): Promise<IterableEventQueue> {
			const user = this.getCurrentUser();
			const context = httpRequestOf(this.getContext());
			let release = (): void => undefined;
			try {
				if (target.checkPermission) release = admitConnection(accountOf(user));
			} catch (refusal) {
				if (incoming) closeWebSocketFor(context, refusal as SignError);
				throw refusal;
			}
			let outgoing: IterableEventQueue;
			try {
				outgoing = await (super.connect(
					target,
					incoming as IterableEventQueue
				) as unknown as Promise<IterableEventQueue>);
			} catch (err) {
				release();
				throw err;
			}
			// The slot is given back however the stream ends: the queue closing (a WebSocket's close ends it), or the
			// HTTP response closing. An SSE client that goes away closes only the response; Harper ends its queue
			// at the next event, which for a quiet sign may be hours later.
			outgoing.on('close', release);
			context?._nodeResponse?.on('close', release);
			if (incoming) void this.#applyMessages(target, incoming, outgoing, user);
			else outgoing.send(SSE_OPENING);
			return outgoing;
		}

		/**
		 * Applies each message a WebSocket client sends, as a PATCH by the same client: through this resource's own
		 * class (this.constructor), so the gate it is wrapped in checks each one. On the collection a message names
		 * its record by `id`. A refusal is sent back on the socket.
		 */
		async #applyMessages(
			target: RequestTarget,
			incoming: IterableEventQueue,
			outgoing: IterableEventQueue,
			user: unknown
		): Promise<void> {
			const Self = this.constructor as typeof ValidatedTable;
			for await (const message of incoming) {
				try {
					const change = jsonPayload(message);
					const id = target.isCollection ? idInBody(change) : target.id;
					if (typeof id !== 'string') {
						refuse(
							signError('invalid', `On /${rules.name}/ each change must name its ${rules.noun}.`, { id: 'is required' })
						);
					}
					// The same checks as a REST PATCH by this user: Harper marks client requests with checkPermission.
					const messageTarget = { id, checkPermission: target.checkPermission } as unknown as RequestTarget;
					await Self.patch(messageTarget, change as object, { user, authorize: true } as never);
				} catch (err) {
					outgoing.send(webSocketError(err));
				}
			}
		}

		/**
		 * Every subscriber to one record gets its current state first: a sign that connects later shows the right
		 * thing at once. (Harper 4.7 sends the current record only for instances it loaded itself, which
		 * `loadAsInstance = false` resources are not.) Subscribing before reading means no change is missed; if
		 * one already arrived, it is newer than what was read, so the read is not sent.
		 */
		override async subscribe(request: SubscriptionRequest): Promise<IterableEventQueue> {
			const subscription = (await super.subscribe(request)) as IterableEventQueue;
			if (request.isCollection || request.omitCurrent || typeof request.id !== 'string') return subscription;
			const current = await this.#current(request);
			if (current && !subscription.queue?.length) {
				subscription.send({ id: current.id, localTime: Date.now(), value: current, type: 'put' });
			}
			return subscription;
		}

		#context(): HookContext {
			return this.getContext() as HookContext;
		}

		/** The stored record, or undefined when there is none (or the id could never name one). */
		async #current(target: RequestTarget): Promise<R | undefined> {
			if (!namesRecord(target)) return undefined;
			return ((await super.get(target)) as R | undefined) ?? undefined;
		}

		/**
		 * Reads, decides and commits in a transaction of its own, one at a time per record (see record-lock.ts), so
		 * a change always builds on the one before it (a sign's version goes up by exactly one). Writes as the
		 * caller, so the audit log names who made the change.
		 */
		async #write(target: RequestTarget, data: unknown, mode: ChangeMode): Promise<R> {
			if (target.checkPermission) refuseFormBodies(this.#context().headers);
			const input = jsonPayload(data);
			this.#admit(target, input);
			const context: WriteContext = { user: this.getCurrentUser() };
			return withRecordLock(`${rules.name}/${String(target.id)}`, () =>
				transaction(context, async () => {
					const current = namesRecord(target) ? await ownReads.get(target.id, context) : undefined;
					const decision = rules.decide(target.id, current, input, mode);
					if (!decision.ok) refuse(toError(decision));
					await bareWrites.put(decision.record, context);
					return decision.record;
				})
			);
		}

		/** The abuse limits, for a client's change that its role allows: message size, then the rate limits. */
		#admit(target: RequestTarget, input: unknown): void {
			if (!target.checkPermission) return;
			try {
				admitMessageSize(input);
				admitChange(accountOf(this.getCurrentUser()), `${rules.name}/${String(target.id)}`);
			} catch (refusal) {
				refuseWithHeaders(this.getContext(), refusal);
			}
		}
	}

	/** Reads through the validated class (V2 style, so they return plain records). */
	const ownReads = ValidatedTable as unknown as Pick<RecordStore<R>, 'get'>;
	/** Writes straight to the table, below the hooks: only for records the rules have already accepted. */
	const bareWrites = Table as unknown as Pick<RecordStore<R>, 'put'>;

	return ValidatedTable;
}
