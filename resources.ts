/**
 * Marquee's resources: the tables clients reach, each with validated protocol edges (src/edges/validated-table.ts)
 * that enforce its rules (src/shared/sign-rules.ts) on every write path, REST, MQTT and WebSocket alike, and each behind
 * the one gate (src/access/access.ts) that decides who may do what to it, whatever the protocol or method.
 */
import { Resource } from 'harperdb';
import {
	SIGN_RULES,
	STATUS_RULES,
	decidePresetWrite,
	decideStatusWrite,
	decideWrite,
	transientMessage,
	type LedSignRecord,
	type PresetRecord,
	type SignStatusRecord,
} from './src/shared/sign-rules.ts';
import { HISTORY_RULES } from './src/shared/history.ts';
import { ACCESS } from './src/access/access.ts';
import { gated } from './src/access/gate.ts';
import { withProtocolEdges } from './src/edges/validated-table.ts';
import { resolvePreset } from './src/edges/preset-resolution.ts';
import { expireRecords, tableNamed } from './src/harper/facade.ts';
import { historyJournal } from './src/history/journal.ts';
import { historyResource } from './src/history/history-resource.ts';
import { historyRetentionFrom } from './src/history/retention.ts';
import { installHarperGaps } from './src/harper/index.ts';
import { closedWhenLocalAuthIsOn } from './src/harper/production-guard.ts';
import { LIMITS } from './src/admission/admit.ts';
import { installMqttAdmission } from './src/admission/mqtt-admission.ts';
import { installHttpGate } from './src/access/http-gate.ts';
import { SessionResource } from './src/sessions/session.ts';
import { applyWill, installPresence } from './src/presence/presence.ts';

installHarperGaps({ messageBytes: LIMITS.messageBytes });
installMqttAdmission();
installHttpGate();
installPresence();

/**
 * Each sign's accepted changes, one entry each, written in the change's own transaction (src/history/journal.ts) and
 * kept for MARQUEE_HISTORY_DAYS by Harper's record expiration. Read-only to clients: GET /SignHistory/<sign> pages,
 * its stream sends new entries (src/history/history-resource.ts).
 */
const HistoryTable = tableNamed(ACCESS.SignHistory.name);
const HISTORY_RETENTION = historyRetentionFrom(process.env.MARQUEE_HISTORY_DAYS);
expireRecords(HistoryTable, HISTORY_RETENTION);
export class SignHistory extends closedWhenLocalAuthIsOn(gated(historyResource(HistoryTable), ACCESS.SignHistory)) {}

/**
 * One record per sign: what it shows. Exported as `LedSign`, which is the URL path (/LedSign/<id>) and the
 * MQTT topic root (LedSign/<id>). A change may apply a preset ({"preset":"open"}: its look is read first, for the
 * rules to decide with) and be flashed ("transient": true); each accepted change gets its SignHistory entry. Like
 * SignStatus, it refuses everything when Harper would let anyone on this machine in as the super user outside dev
 * mode (src/harper/production-guard.ts).
 */
const SignTable = withProtocolEdges<LedSignRecord>(tableNamed(ACCESS.LedSign.name), {
	name: ACCESS.LedSign.name,
	noun: ACCESS.LedSign.noun,
	decide: decideWrite,
	transient: transientMessage,
	resolve: resolvePreset,
	journal: historyJournal(HistoryTable),
});
export class LedSign extends closedWhenLocalAuthIsOn(gated(SignTable, ACCESS.LedSign)) {}

/**
 * One record per preset: a named full look (Preset/<id>), checked by the sign's own rules, every field required,
 * stored only (no flashes). Read and written like a sign over every protocol, deleted one at a time.
 */
const PresetTable = withProtocolEdges<PresetRecord>(tableNamed(ACCESS.Preset.name), {
	name: ACCESS.Preset.name,
	noun: ACCESS.Preset.noun,
	decide: decidePresetWrite,
});
export class Preset extends closedWhenLocalAuthIsOn(gated(PresetTable, ACCESS.Preset)) {}

/**
 * One record per sign: what its device reports (online, what it shows, firmware, signal, display size). Devices
 * write it over MQTT: a retained birth message and reports. Whether it is online the server decides from the
 * device's connection (src/presence); its retained last will is a fallback.
 */
const StatusTable = withProtocolEdges<SignStatusRecord>(tableNamed(ACCESS.SignStatus.name), {
	name: ACCESS.SignStatus.name,
	noun: ACCESS.SignStatus.noun,
	decide: decideStatusWrite,
	will: applyWill,
});
export class SignStatus extends closedWhenLocalAuthIsOn(gated(StatusTable, ACCESS.SignStatus)) {}

/** What a page of history may hold, and how long entries are kept. */
type HistoryRules = typeof HISTORY_RULES & { retentionDays: number };

/** The rules, read-only, so panels and devices learn the limits from the server: GET /SignRules. */
class RulesResource extends Resource {
	static override loadAsInstance = false;

	override get(): typeof SIGN_RULES & { status: typeof STATUS_RULES; history: HistoryRules } {
		return {
			...SIGN_RULES,
			status: STATUS_RULES,
			history: { ...HISTORY_RULES, retentionDays: HISTORY_RETENTION.seconds / 86_400 },
		};
	}
}
export class SignRules extends gated(RulesResource, ACCESS.SignRules) {}

/** The browser's login: who is signed in and what they may do (GET), log in (POST), log out (DELETE). */
export class Session extends gated(SessionResource, ACCESS.Session) {}
