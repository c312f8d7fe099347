/**
 * Who may hold an MQTT connection, and how much of the server it may hold, over TCP and WebSocket alike:
 *
 *   before its CONNECT      an address may hold `unauthenticatedPerAddress` such sockets, each for
 *                           `unauthenticatedSeconds` (Harper would wait forever)
 *   a failed login          counted against the username and the address (admit.ts); past the limit every
 *                           CONNECT from there is answered 0x9F "Connection rate exceeded", right password or not
 *   a refused CONNECT       the connection is closed after its CONNACK (MQTT 5 requires it; Harper would take
 *                           another CONNECT on the same socket, and another guess)
 *   per account             the connection quota: CONNACK 0x97 "Quota exceeded"
 *   the client id           bound to the account: Harper keys a session, its subscriptions and its last will by
 *                           the client id alone, so another account connecting with the same id would resume
 *                           that session or replace that will. Each account's ids are its own
 *                           ("<username>/<client id>" inside Harper); the client sees nothing of it.
 *   subscriptions           at most `subscriptionsPerConnection` topics: SUBACK 0x97 beyond
 *
 * `server.mqtt.authorizeClient(connect, user)` is Harper's hook before it accepts a CONNECT; a throw carrying
 * `code` becomes the CONNACK's reason code (mqtt-refusals.ts gives it its reason string).
 */
import { admitConnection, admitLogin, BAD_CREDENTIALS, countFailedLogin, LIMITS } from './admit.ts';
import { accountOf } from '../access/accounts.ts';
import { reasonOf, signError, statusCodeOf } from '../harper/refusals.ts';
import { chainAuthorizeClient, harperMqtt, isWebSocket } from '../harper/facade.ts';
import type { MqttPacket, MqttSession } from '../harper/shapes.ts';
import { closeAfterConnack } from '../harper/mqtt-disconnect.ts';
import {
	currentMqttConnection,
	mqttConnectionOf,
	trackMqttConnections,
	type MqttConnection,
} from '../harper/mqtt-connections.ts';
import { CONNACK, subackCodeFor } from '../harper/mqtt-reason-codes.ts';
import { sessionIdFor } from '../access/client-ids.ts';
import { httpSockets, mqttSockets } from './unauthenticated-sockets.ts';

/** Refuses the CONNECT being authorized: notes why for its CONNACK, and throws the code Harper answers with. */
function refuseConnect(connection: MqttConnection, code: number, refusal: unknown): never {
	const reason = reasonOf(refusal) || 'connection refused';
	connection.refusedConnect = { code, reason };
	throw Object.assign(new Error(reason), { code });
}

function authorizeClient(packet: MqttPacket, user: unknown): void {
	const connection = currentMqttConnection();
	if (!connection) throw Object.assign(new Error('connection not tracked'), { code: CONNACK.unspecified.v5 });
	connection.protocolVersion = packet.protocolVersion;
	connection.maximumPacketSize = packet.properties?.maximumPacketSize;
	connection.user = user;
	connection.willTopic = packet.will?.topic;
	try {
		admitLogin(packet.username, connection.address);
	} catch (refusal) {
		refuseConnect(connection, CONNACK.connectionRateExceeded.v5, refusal);
	}
	const account = accountOf(user);
	// Harper takes another CONNECT on a connection already accepted (and replaces its session): it holds one slot.
	connection.release?.();
	connection.release = undefined;
	try {
		connection.release = admitConnection(account);
	} catch (refusal) {
		refuseConnect(connection, CONNACK.quotaExceeded.v5, refusal);
	}
	packet.clientId = sessionIdFor(account?.username, packet.clientId);
}

/** Harper's own refusal of a CONNECT (wrong or no credentials): counted, and answered precisely. */
function onRefusedConnect(connection: MqttConnection, username: string | undefined, error: unknown): void {
	if (!connection.refusedConnect) {
		const credentials = error === undefined || statusCodeOf(error) === 401;
		if (credentials && username !== undefined) {
			try {
				admitLogin(username, connection.address);
				countFailedLogin(username, connection.address);
				connection.refusedConnect = { code: CONNACK.badCredentials.v5, reason: BAD_CREDENTIALS };
			} catch (refusal) {
				// Already past the limit: the same answer a right password gets from here, so it tells nothing.
				connection.refusedConnect = { code: CONNACK.connectionRateExceeded.v5, reason: reasonOf(refusal) };
			}
		} else if (credentials) {
			connection.refusedConnect = { code: CONNACK.badCredentials.v5, reason: 'Log in: send a username and password.' };
		}
	}
	closeAfterConnack(connection.socket, connection.refusedConnect?.reason ?? 'connection refused');
}

/**
 * At most `subscriptionsPerConnection` topics per connection, and a refused topic answered with the code that
 * says why (Harper would answer a refusal of any status but 403 with 0x80, and log it): Harper turns the `qos` of
 * what addSubscription returns into that topic's SUBACK code.
 */
function limitSubscriptions(session: MqttSession, connection: MqttConnection): void {
	const add = session.addSubscription?.bind(session);
	if (!add) return;
	const refused = (refusal: unknown): { qos: number } => {
		// A refusal of Marquee's, or Harper's own error (404 for a topic no resource serves), with its status.
		const status = statusCodeOf(refusal) ?? 0;
		connection.refusedTopics.push(reasonOf(refusal) || 'the subscription failed');
		return { qos: subackCodeFor(status, connection.protocolVersion) };
	};
	session.addSubscription = async (subscription, needsAck): Promise<unknown> => {
		const subscriptions = session.subscriptions ?? [];
		const isNew = !subscriptions.some((each) => each.topic === subscription.topic);
		if (isNew && subscriptions.length >= LIMITS.subscriptionsPerConnection) {
			return refused(
				signError(
					'tooMany',
					`At most ${LIMITS.subscriptionsPerConnection} subscriptions per connection; ${subscription.topic} was not added.`,
					{ topic: `over ${LIMITS.subscriptionsPerConnection} subscriptions` }
				)
			);
		}
		try {
			return await add(subscription, needsAck);
		} catch (refusal) {
			return refused(refusal);
		}
	};
}

let installed = false;

export function installMqttAdmission(): void {
	const mqtt = harperMqtt();
	if (!mqtt?.events || installed) return;
	installed = true;
	trackMqttConnections((connection) => {
		if (!isWebSocket(connection.socket) && connection.tcpSocket) mqttSockets.admit(connection.tcpSocket);
	});
	chainAuthorizeClient(mqtt, authorizeClient);
	mqtt.events.on('connected', (session, socket) => {
		const connection = mqttConnectionOf(socket);
		mqttSockets.authenticated(connection?.tcpSocket);
		httpSockets.authenticated(connection?.tcpSocket);
		if (session && connection) limitSubscriptions(session, connection);
	});
	mqtt.events.on('auth-failed', (packet, socket, error) => {
		const connection = mqttConnectionOf(socket);
		if (connection) onRefusedConnect(connection, packet.username, error);
	});
	mqtt.events.on('disconnected', (_session, socket) => mqttConnectionOf(socket)?.release?.());
}
