/** The refusals the protocol edges make, in one voice: each names the field and says what to send instead. */
import type { WriteDecision } from '../shared/sign-rules.ts';
import { signError, type SignError } from '../harper/refusals.ts';

/** What a table's records are called, for its refusals. */
export interface TableNames {
	/** The table's name: its URL path and MQTT topic root. */
	name: string;
	/** What one record is called in messages: "sign", "sign status". */
	noun: string;
}

/** A change the rules refused: 409 when it conflicts with the record as it is, else 400. */
export function decisionRefusal(
	{ noun }: TableNames,
	decision: Extract<WriteDecision<unknown>, { ok: false }>
): SignError {
	return decision.reason === 'conflict'
		? signError('conflict', `The change conflicts with the ${noun} as it is now.`, decision.errors)
		: signError('invalid', `The ${noun} change is invalid; nothing was changed.`, decision.errors);
}

/** An empty retained publish (Harper's MQTT delete): a stray one must not wipe a record. */
export function mqttDeleteRefusal({ name, noun }: TableNames): SignError {
	return signError('badRequest', `A ${noun} cannot be deleted over MQTT; an empty retained payload is refused.`, {
		body: `must be a JSON object of ${noun} fields; to delete, use REST DELETE /${name}/<id>`,
	});
}

/** A non-retained publish to a table whose messages are always stored. */
export function retainRequired({ name, noun }: TableNames): SignError {
	return signError('notAllowed', `A ${noun} must be published with retain set.`, {
		retain: `must be true: ${name} messages are stored`,
	});
}

/** A WebSocket message on the collection that does not say which record it changes. */
export function unnamedChange({ name, noun }: TableNames): SignError {
	return signError('invalid', `On /${name}/ each change must name its ${noun}.`, { id: 'is required' });
}

/** A flash (a transient message) to a record that does not exist: there is nothing for it to be shown on. */
export function noRecordToFlash({ name, noun }: TableNames, id: string): SignError {
	return signError('notFound', `There is no ${noun} "${id}" to flash a message on; nothing was sent.`, {
		id: `must name an existing ${noun} (create it first with PUT or POST /${name}/)`,
	});
}
