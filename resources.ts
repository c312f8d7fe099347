/**
 * Marquee's resources: the tables clients reach, each with validated protocol edges (src/edges/validated-table.ts)
 * that enforce its rules (src/shared/sign-rules.ts) on every write path, REST, MQTT and WebSocket alike, and each behind
 * the one gate (src/access/access.ts) that decides who may do what to it, whatever the protocol or method.
 */
import { Resource } from 'harperdb';
import {
	SIGN_RULES,
	STATUS_RULES,
	decideStatusWrite,
	decideWrite,
	transientMessage,
	type LedSignRecord,
	type SignStatusRecord,
} from './src/shared/sign-rules.ts';
import { ACCESS } from './src/access/access.ts';
import { gated } from './src/access/gate.ts';
import { withProtocolEdges } from './src/edges/validated-table.ts';
import { tableNamed } from './src/harper/facade.ts';
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
 * One record per sign: what it shows. Exported as `LedSign`, which is the URL path (/LedSign/<id>) and the
 * MQTT topic root (LedSign/<id>). Like SignStatus, it refuses everything when Harper would let anyone on this
 * machine in as the super user outside dev mode (src/harper/production-guard.ts).
 */
const SignTable = withProtocolEdges<LedSignRecord>(tableNamed(ACCESS.LedSign.name), {
	name: ACCESS.LedSign.name,
	noun: ACCESS.LedSign.noun,
	decide: decideWrite,
	transient: transientMessage,
});
export class LedSign extends closedWhenLocalAuthIsOn(gated(SignTable, ACCESS.LedSign)) {}

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

/** The rules, read-only, so panels and devices learn the limits from the server: GET /SignRules. */
class RulesResource extends Resource {
	static override loadAsInstance = false;

	override get(): typeof SIGN_RULES & { status: typeof STATUS_RULES } {
		return { ...SIGN_RULES, status: STATUS_RULES };
	}
}
export class SignRules extends gated(RulesResource, ACCESS.SignRules) {}

/** The browser's login: who is signed in and what they may do (GET), log in (POST), log out (DELETE). */
export class Session extends gated(SessionResource, ACCESS.Session) {}
