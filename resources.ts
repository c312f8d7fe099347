/**
 * Marquee's resources: the tables clients reach, each with validated protocol edges (src/server/protocol-edges.ts)
 * that enforce its rules (src/sign-rules.ts) on every write path, REST, MQTT and WebSocket alike.
 */
import { Resource } from 'harperdb';
import {
	SIGN_RULES,
	STATUS_RULES,
	decideStatusWrite,
	decideWrite,
	type LedSignRecord,
	type SignStatusRecord,
} from './src/sign-rules.ts';
import { withProtocolEdges } from './src/server/protocol-edges.ts';
import { tableNamed } from './src/server/harper-runtime.ts';
import { installStrictJson } from './src/server/strict-json.ts';
import { sendMqttWithoutDelay } from './src/server/mqtt-nodelay.ts';
import { quietUnauthorizedForPages } from './src/server/quiet-unauthorized.ts';

installStrictJson();
sendMqttWithoutDelay();
quietUnauthorizedForPages();

/**
 * One record per sign: what it shows. Exported as `LedSign`, which is the URL path (/LedSign/<id>) and the
 * MQTT topic root (LedSign/<id>).
 */
export class LedSign extends withProtocolEdges<LedSignRecord>(tableNamed('LedSign'), {
	name: 'LedSign',
	noun: 'sign',
	decide: (id, current, input, mode) => decideWrite(id, current, input, mode),
	// A non-retained publish shows until the next change and is never stored: it goes out as the whole state the
	// sign should show (so a device never merges), marked transient and carrying the stored version.
	transient: (accepted, current) => ({
		...accepted,
		version: current?.version ?? 0,
		updatedAt: current?.updatedAt ?? accepted.updatedAt,
		transient: true,
	}),
	creatable: true,
}) {}

/**
 * One record per sign: what its device reports (online, what it shows, firmware, signal, display size). Devices
 * write it over MQTT: a retained birth message, reports, and a retained last will that marks them offline.
 */
export class SignStatus extends withProtocolEdges<SignStatusRecord>(tableNamed('SignStatus'), {
	name: 'SignStatus',
	noun: 'sign status',
	decide: (id, current, input, mode) => decideStatusWrite(id, current, input, mode),
	creatable: false,
}) {}

/** The rules, read-only, so panels and devices learn the limits from the server: GET /SignRules. */
export class SignRules extends Resource {
	static override loadAsInstance = false;

	override get(): typeof SIGN_RULES & { status: typeof STATUS_RULES } {
		return { ...SIGN_RULES, status: STATUS_RULES };
	}

	override allowRead(): boolean {
		return true;
	}
}

/** The browser's login: who is signed in and what they may do (GET), log in (POST), log out (DELETE). */
export { Session } from './src/server/session.ts';
