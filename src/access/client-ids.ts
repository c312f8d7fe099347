/**
 * Client ids bound to their account: Harper keys an MQTT session, its subscriptions and its last will by the client
 * id alone, so Marquee keys them by "<username>/<client id>" (mqtt-admission.ts rewrites the CONNECT). Pure, so a
 * test can name the records Harper keeps for a client.
 */

/** The id Harper keys a client's session and last will by: its client id, within its account's own ids. */
export function sessionIdFor(username: string | undefined, clientId: string | undefined): string | undefined {
	// An empty client id stays empty: Harper gives such a client a session of its own that it keeps no record of.
	if (!clientId) return clientId;
	return `${username === undefined ? '' : encodeURIComponent(username)}/${clientId}`;
}
