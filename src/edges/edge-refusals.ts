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

/**
 * A change the rules refused: 409 when it conflicts with the record as it is, 400 when it names what does not exist
 * (a preset), else 422.
 */
export function decisionRefusal(
	{ noun }: TableNames,
	decision: Extract<WriteDecision<unknown>, { ok: false }>
): SignError {
	switch (decision.reason) {
		case 'conflict':
			return signError('conflict', `The change conflicts with the ${noun} as it is now.`, decision.errors);
		case 'unresolved':
			return signError(
				'badRequest',
				`The ${noun} change names a preset that does not exist; nothing was changed.`,
				decision.errors
			);
		case 'invalid':
			return signError('invalid', `The ${noun} change is invalid; nothing was changed.`, decision.errors);
	}
}

/** A change that names a preset its caller's role may not read: it may not apply it either. */
export function presetNotReadable(refusal: SignError): SignError {
	return signError(
		refusal.statusCode === 401 ? 'unauthorized' : 'forbidden',
		`${refusal.error} So it may not apply one; nothing was changed.`,
		{
			preset: 'may not be applied: your role may not read presets',
		}
	);
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
