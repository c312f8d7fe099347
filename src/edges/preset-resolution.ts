/**
 * What a sign change needs read before the rules decide it: the look of the preset it names (`"preset": "open"`).
 * Read from the Preset table as the server, once the caller's role is known to allow reading that preset: a role that
 * may change signs but not read presets may not apply one. The rules then decide with the look in hand, so the
 * decision stays pure (src/shared/sign-rules.ts); a preset that does not exist is theirs to refuse.
 */
import { ACCESS, decideAccess } from '../access/access.ts';
import { callerOf } from '../access/gate.ts';
import { refuse } from '../harper/refusals.ts';
import { recordOf, storedRecord } from '../harper/facade.ts';
import { lookOf, presetNamed, type PresetRecord, type Resolved } from '../shared/sign-rules.ts';
import { presetNotReadable } from './edge-refusals.ts';
import type { Asker } from './validated-table.ts';

export async function resolvePreset(input: unknown, { user, client }: Asker): Promise<Resolved> {
	const id = presetNamed(input);
	if (id === undefined) return {};
	if (client) {
		const refusal = decideAccess(ACCESS.Preset, 'get', 'record', id, await callerOf(user));
		if (refusal) refuse(presetNotReadable(refusal));
	}
	const preset = storedRecord<PresetRecord>(await recordOf(ACCESS.Preset.name, id));
	return { presets: new Map(preset ? [[id, lookOf(preset)]] : []) };
}
