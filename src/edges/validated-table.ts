/**
 * The protocol edges of a validated table: one hook per kind of client action, each calling the table's rules.
 * `LedSign` and `SignStatus` (resources.ts) are both built here, so every protocol enforces their rules the
 * same way. Which protocol calls which hook (Harper 4.7.29's REST and MQTT dispatch):
 *
 *   REST PUT              put()       full replace: missing fields take their defaults
 *   REST PATCH            patch()     merge; with "transient": true a flash (checked, delivered, not stored)
 *   REST POST /Table/     post()      create a new record (409 if the id is taken), where the rules allow it
 *   REST DELETE           delete()    remove the record (each record of a bulk delete, where allowed, one at a time)
 *   MQTT retained         put()       merge: MQTT has no PATCH, so a client can send just the fields it changes
 *   MQTT empty retained   delete()    refused: a stray empty publish must not wipe a record
 *   MQTT last will        put()       a retained publish, unless stale (the table's `will` rule decides, if it has one)
 *   MQTT non-retained     publish()   a transient message (checked, delivered, not stored) where the rules allow it
 *   WebSocket message     connect()   each one a patch() by the same client (a flash too); refusals come back on it
 *   subscribe / SSE       subscribe() the current record first, then every change
 *   REST GET              get()
 *
 * Every accepted change is committed through commit-change.ts (one change per record at a time, with the table's
 * journal entry when it keeps one: LedSign's history). A change may name what the rules need read first (a sign
 * change's preset: `resolve`).
 *
 * Who may call which edge is decided before it runs, by the gate the resource is wrapped in (src/access/gate.ts,
 * applied in resources.ts). The edges call admission (src/admission/admit.ts) for the abuse limits: message size,
 * changes per second per account and per sign, connections per account.
 */
import type { IterableEventQueue, RequestTarget, SubscriptionRequest } from 'harperdb';
import { checkSignId, flashOf, presetNamed, type ChangeMode, type Resolved } from '../shared/sign-rules.ts';
import { admitChange, admitMessageSize } from '../admission/admit.ts';
import { accountOf } from '../access/accounts.ts';
import { formOf } from '../access/access.ts';
import { refuseFormBodies } from '../access/cross-site.ts';
import { refuse, refuseWithHeaders, webSocketError } from '../harper/refusals.ts';
import {
	asConnectResult,
	contextOf,
	eventQueue,
	incomingOf,
	recordIds,
	recordTarget,
	storedRecord,
} from '../harper/facade.ts';
import type { HarperTable, StoredWill } from '../harper/shapes.ts';
import { jsonPayload } from '../harper/payloads.ts';
import { isMqtt, isStaleWill, isWill, protocolOf } from '../harper/hook-context.ts';
import { sendCurrentRecord } from '../harper/current-record.ts';
import {
	commitChange,
	deleteRecord,
	tableStores,
	type ChangeJournal,
	type ChangeOrigin,
	type ChangeRules,
} from './commit-change.ts';
import { decisionRefusal, mqttDeleteRefusal, noRecordToFlash, retainRequired, unnamedChange } from './edge-refusals.ts';
import { openStream } from './streams.ts';

/** Who asks for a change, for what the rules need read first: their account, and whether they are a client. */
export interface Asker {
	user: unknown;
	/** A client's request (checked by the gate), not the server's own code. */
	client: boolean;
}

export interface TableRules<R extends { id: string }> extends ChangeRules<R> {
	/**
	 * What a flash (a non-retained MQTT publish, or a PATCH or WebSocket message with "transient": true) delivers for
	 * an accepted change to `current`; without it, flashes are refused.
	 */
	transient?: (accepted: R, current: R) => R;
	/**
	 * Applies a last will for record `id` itself (deciding, under the record's lock, whether it is stale); without
	 * it, a will is a merge unless its client has connected again.
	 */
	will?(id: string): Promise<void>;
	/**
	 * What the rules need read before they decide a change (the preset a sign change names), read for `asker`; may
	 * refuse (a role that may not read what the change names).
	 */
	resolve?(input: unknown, asker: Asker): Promise<Resolved>;
	/** Keeps a record of every change to the table's records, written with the change (LedSign's history). */
	journal?: ChangeJournal<R>;
}

/**
 * Whether the target's id could name a record at all; `LedSign/a/b`, `LedSign/+` or `LedSign/..` cannot.
 * Over MQTT, a hook that returns false for such a topic makes Harper answer the publish with reason code 0x90,
 * "Topic Name invalid", which tells a device author exactly what is wrong.
 */
function namesRecord(target: RequestTarget): target is RequestTarget & { id: string } {
	return checkSignId(target.id) === undefined;
}

function idInBody(data: unknown): unknown {
	return typeof data === 'object' && data !== null && 'id' in data ? data.id : undefined;
}

/** The table class Harper built from the schema, extended with validated protocol edges. */
// eslint-disable-next-line @typescript-eslint/explicit-function-return-type -- the class it returns is its type
export function withProtocolEdges<R extends { id: string }>(Table: HarperTable, rules: TableRules<R>) {
	class ValidatedTable extends Table {
		static override loadAsInstance = false;

		override put(target: RequestTarget, data: unknown): Promise<R | undefined> | false {
			const context = contextOf(this);
			if (!isMqtt(context)) return this.#change(target, data, 'replace');
			if (!namesRecord(target)) return false;
			if (isWill(context)) return this.#will(target, data, context);
			return this.#change(target, data, 'merge');
		}

		async #will(target: RequestTarget & { id: string }, data: unknown, will: StoredWill): Promise<R | undefined> {
			if (rules.will) await rules.will(target.id);
			else if (!(await isStaleWill(will))) return this.#change(target, data, 'merge');
			return this.#current(target);
		}

		/** A merge; or, with "transient": true, a flash (REST PATCH and WebSocket messages alike). */
		override patch(target: RequestTarget, data: unknown): Promise<R> {
			return this.#change(target, data, 'merge', { mayFlash: true });
		}

		/** POST /Table/ with an `id` in the body (or POST /Table/<id>) creates a record that does not exist yet. */
		override async post(target: RequestTarget, data: unknown): Promise<unknown> {
			// The id is only read here; the gate has checked the caller's role before the body is judged.
			const id = target.isCollection ? idInBody(data) : target.id;
			const record = await this.#change(recordTarget(id, target), data, 'create');
			return { status: 201, headers: { location: `/${rules.name}/${record.id}` }, data: record };
		}

		/**
		 * REST DELETE of a record, or (where the gate allows it) of every record a collection or query matches: each one
		 * deleted under its lock, with its journal entry. Answers true, as Harper's own delete does.
		 */
		override async delete(target: RequestTarget): Promise<boolean> {
			const context = contextOf(this);
			if (isMqtt(context)) refuse(mqttDeleteRefusal(rules));
			const writer = { user: this.getCurrentUser() };
			const origin = { protocol: protocolOf(context, Boolean(target.checkPermission)) };
			const ids = formOf(target) === 'record' ? [target.id] : await recordIds(super.search(target));
			for (const id of ids) {
				if (checkSignId(id) === undefined)
					await deleteRecord(stores, { name: rules.name, id: String(id), writer, origin });
			}
			return true;
		}

		/** A non-retained MQTT publish: a flash (it may say "transient": true, or leave it out). */
		// eslint-disable-next-line @typescript-eslint/no-misused-promises -- Harper awaits publish(): the PUBACK waits for it
		override async publish(target: RequestTarget, message: unknown): Promise<void | false> {
			if (!namesRecord(target)) return false;
			if (!rules.transient) refuse(retainRequired(rules));
			const input = jsonPayload(message);
			await this.#flash(target, flashOf(input) ?? input);
		}

		/**
		 * A flash: validated like a merge onto the stored record (which must exist), delivered to every listener as the
		 * record it shows, marked transient with the stored version, and never stored. Answers what was delivered.
		 */
		async #flash(target: RequestTarget, input: unknown): Promise<R> {
			const transient = rules.transient;
			if (!transient) refuse(retainRequired(rules));
			this.#admit(target, input);
			const resolved = await this.#resolve(target, input);
			const current = await this.#current(target);
			const decision = rules.decide(target.id, current, input, 'merge', new Date(), resolved);
			if (!decision.ok) refuse(decisionRefusal(rules, decision));
			if (!current) refuse(noRecordToFlash(rules, decision.record.id));
			const message = transient(decision.record, current);
			// Harper queues the message on the request's transaction (sent to every listener when it commits); a role
			// it refuses is thrown from here.
			super.publish(target, message);
			return message;
		}

		/** WebSocket and SSE: the record's changes go out; a WebSocket's messages come in as patches. */
		override connect(target: RequestTarget, incoming: IterableEventQueue | null): AsyncIterable<unknown> {
			return asConnectResult(this.#connect(target, incoming));
		}

		#connect(target: RequestTarget, incoming: IterableEventQueue | null): Promise<IterableEventQueue> {
			return openStream(this, target, incoming, {
				events: () => super.connect(target, incomingOf(incoming)),
				receive: (messages, outgoing) => this.#applyMessages(target, messages, outgoing),
			});
		}

		/**
		 * Each message a WebSocket client sends is a patch() by that client, through this resource's own entry point,
		 * so the gate it is wrapped in checks each one. On the collection a message names its record by `id`. A
		 * refusal is sent back on the socket.
		 */
		async #applyMessages(
			target: RequestTarget,
			incoming: IterableEventQueue,
			outgoing: IterableEventQueue
		): Promise<void> {
			for await (const message of incoming) {
				try {
					const id = target.isCollection ? idInBody(message) : target.id;
					if (typeof id !== 'string') {
						jsonPayload(message); // a payload that is not JSON at all is told so first
						refuse(unnamedChange(rules));
					}
					await this.patch(recordTarget(id, target), message);
				} catch (err) {
					outgoing.send(webSocketError(err));
				}
			}
		}

		override async subscribe(request: SubscriptionRequest): Promise<IterableEventQueue> {
			const subscription = await eventQueue(super.subscribe(request));
			if (request.isCollection || request.omitCurrent || typeof request.id !== 'string') return subscription;
			return sendCurrentRecord(subscription, await this.#current(request));
		}

		/** The stored record, or undefined when there is none (or the id could never name one). */
		async #current(target: RequestTarget): Promise<R | undefined> {
			if (!namesRecord(target)) return undefined;
			return storedRecord<R>(await super.get(target));
		}

		/** A client's change: stored in `mode`, or where `mayFlash` and it asks for one, a flash. */
		async #change(target: RequestTarget, data: unknown, mode: ChangeMode, { mayFlash = false } = {}): Promise<R> {
			const context = contextOf(this);
			// A WebSocket message has no body headers of its own (its upgrade request's are not about it).
			if (target.checkPermission && !context.isWebSocket) refuseFormBodies(context.headers);
			const input = jsonPayload(data);
			const flash = mayFlash && rules.transient ? flashOf(input) : undefined;
			if (flash) return this.#flash(target, flash);
			this.#admit(target, input);
			const resolved = await this.#resolve(target, input);
			const writer = { user: this.getCurrentUser() };
			const origin = this.#origin(target, input);
			const change = { id: target.id, namesRecord: namesRecord(target), input, mode, writer, resolved, origin };
			return commitChange(rules, stores, change);
		}

		/** What the rules need read first, read for this caller. */
		#resolve(target: RequestTarget, input: unknown): Promise<Resolved> | Resolved {
			const asker = { user: this.getCurrentUser(), client: Boolean(target.checkPermission) };
			return rules.resolve ? rules.resolve(input, asker) : {};
		}

		/** How this change reached the server, and the preset it applies: what its journal entry says. */
		#origin(target: RequestTarget, input: unknown): ChangeOrigin {
			const origin: ChangeOrigin = { protocol: protocolOf(contextOf(this), Boolean(target.checkPermission)) };
			const preset = presetNamed(input);
			if (preset !== undefined) origin.preset = preset;
			return origin;
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

	const stores = tableStores<R>(Table, ValidatedTable, rules.journal);
	return ValidatedTable;
}
