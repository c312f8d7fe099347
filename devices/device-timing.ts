/**
 * How a sign device keeps its link to the server (docs/device-protocol.md). The simulator uses these, and the
 * firmware gets them through its generated header (sign_rules.h), so the two kinds of device cannot drift apart.
 */
export const DEVICE_TIMING = Object.freeze({
	/** MQTT keep-alive: the server drops a silent connection after 1.5 × this and publishes the will. */
	keepaliveSeconds: 30,
	/** A status report this often keeps lastSeen fresh. */
	heartbeatSeconds: 60,
	/** Reconnect: wait this long first, then double the wait after each failure, up to maxRetryMs. */
	firstRetryMs: 1000,
	maxRetryMs: 30_000,
	/** Each wait varies by up to ± this percentage, so a fleet that lost the server does not return in step. */
	retryJitterPercent: 20,
});
