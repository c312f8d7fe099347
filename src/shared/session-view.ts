/**
 * What `/Session` answers (src/sessions/session.ts), shared with the panel: who is signed in and what they may do
 * with signs, presets and history. The panel shows only the controls the user may use; the server still checks every request.
 */

export interface Capabilities {
	/** See the records and follow their changes. */
	read: boolean;
	/** Change an existing record (Harper's `update` permission: PATCH, PUT, MQTT, WebSocket). */
	change: boolean;
	/** Create a record (Harper's `insert` permission: POST). */
	create: boolean;
	delete: boolean;
}

export interface SessionView {
	username: string | null;
	role: string | null;
	/** What the user may do with signs (the LedSign table). */
	may: Capabilities;
	/** What the user may do with presets (the Preset table); applying one to a sign needs `read` and `may.change`. */
	presets: Capabilities;
	/** What the user may do with the signs' history (SignHistory): `read` at most, since only the server writes it. */
	history: Capabilities;
	/** A device account's bound sign (DeviceAccount table); null for everyone else. */
	sign: string | null;
	/** Harper let the request in without credentials or session (dev mode's authorizeLocal): no login needed. */
	autoLogin: boolean;
}

export const NOTHING: Capabilities = Object.freeze({ read: false, change: false, create: false, delete: false });

export const ANONYMOUS: SessionView = Object.freeze({
	username: null,
	role: null,
	may: NOTHING,
	presets: NOTHING,
	history: NOTHING,
	sign: null,
	autoLogin: false,
});
