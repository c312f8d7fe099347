/**
 * The shapes of Harper 4.7's runtime objects that its type declarations lack or leave as `any`: requests and
 * resource contexts, users, sockets, MQTT packets and sessions. Declared once, here, seen only as far as Marquee
 * uses them; facade.ts is where untyped values are cast to them.
 */
import type { Socket } from 'node:net';
import type { Table, User } from 'harperdb';

// ---- tables -------------------------------------------------------------------------------------------------

/** A table class Harper built from schema.graphql. */
export type HarperTable = Table;

/** Who a write is made as; Harper records it in the audit log and checks it against the role's permissions. */
export interface WriteContext {
	user?: unknown;
}

/** A table's static read/write methods, typed for its records. */
export interface RecordStore<R> {
	get(id: string, context: WriteContext): Promise<R | undefined>;
	put(record: R, context: WriteContext): Promise<unknown>;
	delete(id: string, context: WriteContext): Promise<unknown>;
}

/** A user as Harper's authentication hands it over: its name and role, the role's permission as Harper keeps it. */
export interface HarperUser {
	username?: unknown;
	role?: { role?: unknown; permission?: { super_user?: unknown } & Record<string, unknown> };
}

// ---- HTTP ---------------------------------------------------------------------------------------------------

/** Request headers, read by lower-case name. */
export interface HeaderReader {
	get(name: string): string | undefined | null;
}

/** Harper's request headers: a view of Node's header object, keyed by lower-case name. */
export interface HarperHeaders extends HeaderReader {
	get(name: string): string | undefined;
	set(name: string, value: string): void;
	delete(name: string): void;
}

/** An HTTP request as Harper passes it to middleware and, as their context, to resources. */
export interface HarperRequest {
	method: string;
	url: string;
	headers: HarperHeaders;
	/** Set by Harper's authentication, which runs after `runFirst` middleware and before the rest. */
	user?: unknown;
	/** The client's address. */
	ip?: string;
	/** "http" or "https". */
	protocol?: string;
	isWebSocket?: boolean;
	/** Headers Harper adds to the response, a refusal's included (it builds them from here, not from the throw). */
	responseHeaders?: { set(name: string, value: string): void };
	/** The HTTP response Node is writing (for SSE: still open while the stream runs). */
	_nodeResponse?: { on(event: 'close', listener: () => void): unknown };
	/** The socket the request came on. */
	_nodeRequest?: { socket?: Socket };
}

/** The HTTP request of a resource call, with what Harper's sessions add to it (the panel's login uses them). */
export interface LoginRequest extends Partial<Omit<HarperRequest, 'user'>> {
	user?: User;
	/** The stored session ({} when the request carried no known session cookie); `update` writes it. */
	session?: { id?: string; user?: string | null; update?(session: { user: string | null }): unknown };
	/** Checks the password, then stores the user in the session (creating it and its cookie if needed). */
	login?(username: string, password: string): Promise<unknown>;
	mtlsConfig?: unknown;
	authorized?: boolean;
}

/** What a middleware answers: Harper sends `body` with `status` and `headers`. */
export interface HarperResponse {
	status?: number;
	headers?: Map<string, unknown> | Record<string, unknown> | { set(name: string, value: string): void };
	body?: unknown;
}

export type HttpMiddleware = (
	request: HarperRequest,
	next: (request: HarperRequest) => Promise<HarperResponse | undefined>
) => Promise<HarperResponse | undefined>;

/** A listening Node HTTP server Harper made for one port. */
export interface HttpServer {
	on(event: 'connection', listener: (socket: Socket) => void): unknown;
}

/** A listener's ports: plain and TLS, each undefined when off. */
export interface Ports {
	port?: number;
	securePort?: number;
}

/** The parts of Harper's configuration (`server.config`) Marquee reads. */
export interface HarperConfig {
	authentication?: { authorizeLocal?: unknown };
	operationsApi?: { network?: Record<string, unknown> };
	replication?: Record<string, unknown>;
}

// ---- resource calls -----------------------------------------------------------------------------------------

/**
 * The context of a resource call (`this.getContext()`): over HTTP the request itself (it has a `method`); over MQTT
 * a context built by the client's session, or a stored last will being published (neither has a `method`).
 */
export interface HookContext {
	method?: string;
	headers?: HeaderReader;
	user?: unknown;
	/** The MQTT session, on calls from a connected client (its publishes, and its will when it drops). */
	session?: unknown;
	/** Set when the context is a stored last will: its topic and the client id it belongs to. */
	topic?: string;
	id?: string;
	/** Over HTTP: set on a WebSocket's upgrade request (the context of everything done on that socket). */
	isWebSocket?: boolean;
	/** Over HTTP: the response Node is writing (for SSE: still open while the stream runs). */
	_nodeResponse?: HarperRequest['_nodeResponse'];
	/** Set on a write that came from another node by replication. */
	replicateTo?: unknown;
	replicatedConfirmation?: unknown;
}

/** A stored last will, as Harper passes it as the context of its publish. */
export interface StoredWill extends HookContext {
	id: string;
	topic: string;
	data?: unknown;
	qos?: number;
	retain?: boolean;
}

/** How Harper hands a resource a message body it could not parse as JSON (text, binary, broken JSON). */
export interface OpaquePayload {
	contentType: string;
	data: unknown;
}

// ---- sockets ------------------------------------------------------------------------------------------------

/** A WebSocket, as the ws library gives it to Harper (REST WebSocket and MQTT over WebSocket alike). */
export interface HarperWebSocket {
	on(event: 'message', listener: (data: Uint8Array) => void): unknown;
	send(data: Uint8Array): unknown;
	close(code: number, reason: string): unknown;
	/** ws's frame reader; it closes the socket with 1009 when a message exceeds `_maxPayload`. */
	_receiver?: { _maxPayload?: number };
	/** The TCP socket under it. */
	_socket?: Socket;
}

/** A WebSocket listener on the HTTP port: the socket, its upgrade request, the upgrade's completion, the rest. */
export type WebSocketMiddleware = (
	ws: HarperWebSocket,
	request: HarperRequest,
	completion: unknown,
	next?: WebSocketMiddleware
) => unknown;

/** An MQTT client's TCP (or TLS) socket. */
export interface TcpSocket {
	remoteAddress?: string;
	on(event: 'data', listener: (chunk: Uint8Array) => void): unknown;
	removeAllListeners(event: 'data'): unknown;
	resume(): unknown;
	end(data: Uint8Array): unknown;
	destroy(): unknown;
	setNoDelay?(noDelay: boolean): unknown;
}

/** The socket Harper hands to `server.mqtt.events` listeners: a TCP/TLS socket or a WebSocket. */
export type MqttSocket = TcpSocket | HarperWebSocket;

// ---- MQTT ---------------------------------------------------------------------------------------------------

/** An MQTT packet as Harper's mqtt-packet parses or builds it, seen only as far as Marquee needs. */
export interface MqttPacket {
	cmd?: string;
	messageId?: number;
	qos?: number;
	reasonCode?: number;
	returnCode?: number;
	clientId?: string;
	username?: string;
	protocolVersion?: number;
	granted?: number[];
	properties?: { reasonString?: string; maximumPacketSize?: number };
	/** A CONNECT's last will. */
	will?: { topic?: string };
}

/** One subscription of a session: Harper tags each with its topic. */
export interface MqttSubscription {
	topic?: string;
}

/** A connected MQTT client as Harper keeps it: its client id and its subscriptions. */
export interface MqttSession {
	sessionId?: string;
	subscriptions?: MqttSubscription[];
	/** Harper calls this for each topic of a SUBSCRIBE; a result's `qos` becomes that topic's SUBACK code. */
	addSubscription?: (subscription: { topic: string; qos?: number }, needsAck: boolean) => Promise<unknown>;
}

/** Harper's hook before it accepts a CONNECT: a throw carrying `code` becomes the CONNACK's reason code. */
export type AuthorizeClient = (connect: MqttPacket, user: unknown) => void;

/**
 * Harper's MQTT server (`server.mqtt`, one per worker thread): its live sessions, the hook it calls before it
 * accepts a CONNECT, and the events it emits. None of it is in Harper 4.7's type declarations.
 */
export interface HarperMqtt {
	sessions?: Set<MqttSession>;
	authorizeClient?: AuthorizeClient;
	events?: {
		on(event: 'connection', listener: (socket: MqttSocket) => void): unknown;
		on(
			event: 'connected' | 'disconnected',
			listener: (session: MqttSession | undefined, socket: MqttSocket) => void
		): unknown;
		on(event: 'auth-failed', listener: (connect: MqttPacket, socket: MqttSocket, error?: unknown) => void): unknown;
		on(event: 'error', listener: (error: unknown, socket: MqttSocket, packet?: MqttPacket) => void): unknown;
	};
}

/** mqtt-packet's encoder, which Harper's MQTT server calls for every packet it sends. */
export type MqttGenerate = ((packet: MqttPacket, options?: { protocolVersion?: number }) => Uint8Array) & {
	marquee?: boolean;
};
