/** The shapes the harness hands around: who logs in, how a client trusts the server, where a server listens. */

export interface Credentials {
	username: string;
	password: string;
}

/**
 * How a client trusts a TLS server: Harper's certificate is its own self-signed one, so the harness's clients accept
 * it (`rejectUnauthorized: false`); they only talk to a 127.0.0.1 server the harness started.
 */
export interface ClientTls {
	rejectUnauthorized?: boolean;
	ca?: string;
}

/** What a client needs of a Harper: its URLs, its admin and, when it speaks TLS only, how to trust it. */
export interface ServerInfo {
	/** e.g. http://127.0.0.1:41234 (REST, SSE, WebSocket, MQTT over WebSocket); https:// in production */
	httpUrl: string;
	/** e.g. ws://127.0.0.1:41234; wss:// in production */
	wsUrl: string;
	/** e.g. mqtt://127.0.0.1:41235; mqtts:// in production */
	mqttUrl: string;
	/** e.g. http://127.0.0.1:41236 (operations API); https:// in production */
	operationsUrl: string;
	admin: Credentials;
	/** Set for a production (TLS-only) Harper; every shared client passes it on. */
	tls?: ClientTls;
}
