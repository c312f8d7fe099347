/**
 * Everything Marquee adds to Harper 4.7 only because Harper does not do it yet, installed in one call. Each gap,
 * the module that fills it, the test that proves it and when it can go are in README.md, beside this file.
 * Every installer is safe to run twice and keeps what it wraps working.
 */
import { installMalformedUrlGuard } from './malformed-urls.ts';
import { installMqttNoDelay } from './mqtt-nodelay.ts';
import { installMqttRefusals } from './mqtt-refusals.ts';
import { installQuietUnauthorized } from './quiet-unauthorized.ts';
import { installStrictJson } from './strict-json.ts';
import { installTransportLimits } from './transport-limits.ts';

export interface GapOptions {
	/** The largest message a client may send (the JSON of one change); the transports refuse bigger packets. */
	messageBytes: number;
}

export function installHarperGaps({ messageBytes }: GapOptions): void {
	// The order is the order their listeners run in: a transport's size limit before anything reads a packet, and
	// on HTTP the 401 rewrite outside the address check, both ahead of the app's own gate (installed after these).
	installStrictJson();
	installMqttNoDelay();
	installTransportLimits(messageBytes);
	installMqttRefusals();
	installQuietUnauthorized();
	installMalformedUrlGuard();
}
