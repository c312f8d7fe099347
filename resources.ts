/**
 * Marquee's resources: the protocol edges of the LedSign table.
 *
 * Every way a change can arrive ends in `decideWrite` from the sign rules, so REST, MQTT and WebSocket
 * enforce the same limits. Each hook below is the edge for one kind of client action (see
 * `../shared/harper-notes.md` §2 for which protocol calls which hook):
 *
 *   REST PUT              put()      full replace: missing fields take their defaults
 *   REST PATCH            patch()    merge
 *   REST POST /LedSign/   post()     create a new sign (409 if the id is taken)
 *   REST DELETE           delete()   remove the sign
 *   MQTT retained         put()      merge: MQTT has no PATCH, so a device can send just {"text":"Hi"}
 *   MQTT empty retained   delete()   refused: a stray empty publish must not wipe a sign
 *   MQTT non-retained     publish()  a transient message: validated and delivered, not stored
 *   WebSocket message     connect()  merge, like PATCH; refusals come back on the socket
 */
import { Resource, type RequestTarget, type IterableEventQueue, type SubscriptionRequest } from 'harperdb';

import {
	SIGN_RULES,
	checkSignId,
	decideWrite,
	type ChangeMode,
	type LedSignRecord,
	type WriteDecision,
} from './src/sign-rules.ts';
import { refuse, signError, webSocketError, type SignError } from './src/server/errors.ts';
import { jsonPayload } from './src/server/payloads.ts';
import { installStrictJson } from './src/server/strict-json.ts';
import { isMqtt, type HarperContext } from './src/server/protocol.ts';
import { withSignLock } from './src/server/sign-lock.ts';
import {
	LedSignTable,
	bareSignStore,
	transaction,
	type SignStore,
	type WriteContext,
} from './src/server/harper-runtime.ts';

installStrictJson();

/**
 * Harper writes an SSE response's headers only with its first event, so a stream with nothing to send yet
 * (an empty table, a sign not created yet) never opens in the browser. Harper's SSE serialiser writes an
 * object with `event` as an `event:` line; with no `data:` line the browser dispatches nothing, but the
 * headers go out and EventSource opens.
 */
const SSE_OPENING = { event: 'open' };

/** The LedSign table, with every write path validated. Exported as `LedSign`: the URL path and MQTT topic root. */
export class LedSign extends LedSignTable {
	static override loadAsInstance = false;

	override put(target: RequestTarget, data: unknown): Promise<LedSignRecord> | false {
		if (!isMqtt(this.#context())) return this.#write(target, data, 'replace');
		return mqttTopicInvalid(target) ? false : this.#write(target, data, 'merge');
	}

	override patch(target: RequestTarget, data: unknown): Promise<LedSignRecord> {
		return this.#write(target, data, 'merge');
	}

	/** POST /LedSign/ with an `id` in the body (or POST /LedSign/<id>) creates a sign that does not exist yet. */
	override async post(target: RequestTarget, data: unknown): Promise<unknown> {
		// The id from the body is only read here; #write checks the caller's role before it judges the body.
		const fromBody = typeof data === 'object' && data !== null ? (data as { id?: unknown }).id : undefined;
		const id = target.isCollection ? fromBody : target.id;
		const record = await this.#write({ id, checkPermission: target.checkPermission } as RequestTarget, data, 'create');
		return { status: 201, headers: { location: `/LedSign/${record.id}` }, data: record };
	}

	override delete(target: RequestTarget): Promise<boolean> {
		if (isMqtt(this.#context())) {
			refuse(
				signError('badRequest', 'Signs cannot be deleted over MQTT; an empty retained payload is refused.', {
					body: 'must be a JSON object of sign fields; to delete a sign use REST DELETE /LedSign/<id>',
				})
			);
		}
		return super.delete(target);
	}

	/**
	 * A non-retained MQTT publish: a transient message. It is validated like a merge onto the stored sign and
	 * delivered as the complete state the sign should show (so a device never has to merge), marked
	 * `transient: true` and carrying the stored version; nothing is stored.
	 */
	// eslint-disable-next-line @typescript-eslint/no-misused-promises -- Harper awaits publish(): the PUBACK waits for it
	override async publish(target: RequestTarget, message: unknown): Promise<void | false> {
		if (mqttTopicInvalid(target)) return false;
		await this.#authorize(target, 'create', message);
		const current = await this.#current(target);
		const decision = decideWrite(target.id, current, jsonPayload(message), 'merge');
		if (!decision.ok) refuse(toSignError(decision));
		const shown = { ...decision.record, version: current?.version ?? 0, transient: true };
		if (current) shown.updatedAt = current.updatedAt;
		return super.publish(target, shown);
	}

	/**
	 * WebSocket (and SSE, which has no incoming side). Harper's own connect streams the record's changes and
	 * ignores what the client sends; here each client message is applied as a merge, with the client's own
	 * identity so its permissions apply, and a refusal is sent back on the same socket.
	 */
	override connect(target: RequestTarget, incoming: IterableEventQueue | null): AsyncIterable<unknown> {
		// Harper's types promise an AsyncIterable, but the table's connect resolves to its event queue
		// asynchronously; Harper awaits whichever it gets, so the promise is passed through unchanged.
		const outgoing = super.connect(target, incoming as IterableEventQueue) as unknown as Promise<IterableEventQueue>;
		if (incoming) {
			const user = this.getCurrentUser();
			void outgoing.then((queue) => applyWebSocketMessages(target, incoming, queue, user));
		} else {
			void outgoing.then((queue) => queue.send(SSE_OPENING));
		}
		return outgoing as unknown as AsyncIterable<unknown>;
	}

	/**
	 * Every subscriber to one sign gets its current state first: a sign that connects later shows the right
	 * thing at once. (Harper 4.7 sends the current record only for instances it loaded itself, which
	 * `loadAsInstance = false` resources are not.) Subscribing before reading means no change is missed; if
	 * one already arrived, it is newer than what was read, so the read is not sent.
	 */
	override async subscribe(request: SubscriptionRequest): Promise<IterableEventQueue> {
		const subscription = (await super.subscribe(request)) as IterableEventQueue;
		if (request.isCollection || request.omitCurrent || typeof request.id !== 'string') return subscription;
		const current = await this.#current(request);
		if (current && !subscription.queue?.length) {
			const localTime = Date.parse(current.updatedAt);
			subscription.send({ id: current.id, localTime, value: current, version: localTime, type: 'put' });
		}
		return subscription;
	}

	#context(): HarperContext {
		return this.getContext() as HarperContext;
	}

	/** The stored sign, or undefined when there is none (or the id could never name one). */
	async #current(target: RequestTarget): Promise<LedSignRecord | undefined> {
		if (checkSignId(target.id)) return undefined;
		return ((await super.get(target)) as LedSignRecord | undefined) ?? undefined;
	}

	/**
	 * Reads, decides and commits in a transaction of its own, one at a time per sign (see sign-lock.ts), so
	 * the version a change gets is exactly one more than the version it replaced. Writes as the caller, so the
	 * audit log names who changed the sign.
	 */
	async #write(target: RequestTarget, data: unknown, mode: ChangeMode): Promise<LedSignRecord> {
		await this.#authorize(target, mode === 'create' ? 'create' : 'update', data);
		const input = jsonPayload(data);
		const context: WriteContext = { user: this.getCurrentUser() };
		return withSignLock(String(target.id), () =>
			transaction(context, async () => {
				const current = checkSignId(target.id) ? undefined : await signs.get(target.id as string, context);
				const decision = decideWrite(target.id, current, input, mode);
				if (!decision.ok) refuse(toSignError(decision));
				await bareSignStore.put(decision.record, context);
				return decision.record;
			})
		);
	}

	/**
	 * The caller's role must allow the write, checked with Harper's own allowCreate/allowUpdate (the checks its
	 * table methods make, which #write bypasses by writing below the hooks). Harper asks for the check by
	 * setting `checkPermission` on the target of every request from a client; code calling the resource
	 * directly, trusted, does not. Checked before validation, so a refused caller learns nothing more.
	 */
	async #authorize(target: RequestTarget, action: 'create' | 'update', data: unknown): Promise<void> {
		if (!target.checkPermission) return;
		const user = this.getCurrentUser();
		const fields = typeof data === 'object' && data !== null ? data : {};
		const context = this.getContext() as never;
		// Harper's own checks answer at once, but a subclass may answer with a promise (ResourceInterface).
		const verdict: boolean | Promise<boolean> =
			action === 'create'
				? this.allowCreate(user as never, fields as never, context)
				: this.allowUpdate(user as never, fields as never, context);
		const allowed = await Promise.resolve(verdict);
		if (!allowed) {
			refuse(
				user
					? signError(
							'forbidden',
							`Your role may not ${action === 'create' ? 'create signs or send messages to them' : 'change signs'}.`
						)
					: signError('unauthorized', 'Log in to change signs.')
			);
		}
	}
}

/**
 * A topic that can never name a sign (`LedSign/a/b`, `LedSign/+`, `LedSign/..`). Returning false from a hook
 * makes Harper answer the publish with MQTT v5 reason code 0x90, "Topic Name invalid", which tells a device
 * author exactly what is wrong; any other refusal can only be the generic 0x80.
 */
function mqttTopicInvalid(target: RequestTarget): boolean {
	return checkSignId(target.id) !== undefined;
}

/** LedSign's own reads (V2 style, so they return plain records). */
const signs = LedSign as unknown as Pick<SignStore, 'get'>;

function toSignError(decision: Extract<WriteDecision, { ok: false }>): SignError {
	return decision.reason === 'conflict'
		? signError('conflict', 'The sign changed since the version this change is based on.', decision.errors)
		: signError('invalid', 'The sign change is invalid; nothing was changed.', decision.errors);
}

/** Applies each message a WebSocket client sends; on `/LedSign/` (all signs) a message names its sign by `id`. */
async function applyWebSocketMessages(
	target: RequestTarget,
	incoming: IterableEventQueue,
	outgoing: IterableEventQueue,
	user: unknown
): Promise<void> {
	const permission = target.checkPermission;
	for await (const message of incoming) {
		try {
			const change = jsonPayload(message);
			const id = target.isCollection ? (change as { id?: unknown } | null)?.id : target.id;
			if (typeof id !== 'string') {
				refuse(signError('invalid', 'On /LedSign/ each change must name its sign.', { id: 'is required' }));
			}
			// The same checks as a REST PATCH by this user: Harper marks client requests with checkPermission.
			const messageTarget = { id, checkPermission: permission } as unknown as RequestTarget;
			await LedSign.patch(messageTarget, change as object, { user, authorize: true } as never);
		} catch (err) {
			outgoing.send(webSocketError(err));
		}
	}
}

/** The sign rules, read-only, so panels and devices learn the limits from the server: GET /SignRules. */
export class SignRules extends Resource {
	static override loadAsInstance = false;

	override get(): typeof SIGN_RULES {
		return SIGN_RULES;
	}

	override allowRead(): boolean {
		return true;
	}
}
