/**
 * MQTT 5 answers that say why: the most precise reason code each packet allows (mqtt-reason-codes.ts) and a
 * Reason String with the refusal's sentence and the fields it names. Harper 4.7 answers every refused publish
 * with PUBACK 0x80 "Unspecified error" (0x90 when a hook returns false), whatever the hook threw, sends no reason
 * strings, and swaps the CONNACK codes for bad credentials (0x04 to an MQTT 5 client, 134 to a 3.1.1 one).
 *
 *   PUBACK    0x87 not authorized, 0x99 payload format invalid (not JSON, a field the rules refuse, no payload),
 *             0x97 quota exceeded (a rate or size limit), 0x83 not accepted here (a version conflict, a
 *             non-retained publish where only retained ones are)
 *   SUBACK    the code mqtt-admission.ts chose for each refused topic, with its reasons
 *   CONNACK   0x86 bad credentials, 0x97 quota, 0x9F connection rate exceeded (too many failed logins)
 *
 * A 429 also throttles: a client that publishes again before the wait it was given is over, or whose refused
 * publish was QoS 0 (no PUBACK to tell it), gets DISCONNECT 0x96 "Message rate too high" (MQTT 5 allows 0x96
 * only in a DISCONNECT, and mqtt.js rejects a PUBACK carrying it).
 *
 * How: Harper builds every packet it sends with the `generate` function of its own `mqtt-packet`; this wraps it.
 * The connection a packet is for is the current one (mqtt-connections.ts); the refusal it reports was noted on
 * that connection just before (by the `error` event Harper emits for a refused publish, or by mqtt-admission.ts).
 */
import { isSignError, refusalText, truncateUtf8 } from './refusals.ts';
import { harperMqtt, harperMqttPacket } from './facade.ts';
import { currentMqttConnection, mqttConnectionOf, type MqttConnection } from './mqtt-connections.ts';
import { disconnectWithReason } from './mqtt-disconnect.ts';
import type { MqttPacket, MqttSocket } from './shapes.ts';
import { CONNACK, connackCodes, DISCONNECT, PUBACK, pubackCodeFor } from './mqtt-reason-codes.ts';

/** A Reason String is kept short: a device's MQTT buffer may be 1 KB, and the packet must fit it. */
const REASON_BYTES = 256;

/** Per connection: until when it was told to wait after a rate refusal. */
const throttledUntil = new WeakMap<MqttSocket, number>();

/** `packet` with an MQTT 5 Reason String, unless the client said it takes no packets that big. */
function withReason(
	packet: MqttPacket,
	reason: string | undefined,
	connection: MqttConnection | undefined
): MqttPacket {
	if (!reason) return packet;
	const text = truncateUtf8(reason, REASON_BYTES);
	const maximum = connection?.maximumPacketSize;
	if (maximum !== undefined && Buffer.byteLength(text) + 64 > maximum) return packet;
	return { ...packet, properties: { ...packet.properties, reasonString: text } };
}

function connack(packet: MqttPacket, connection: MqttConnection | undefined, version: number): MqttPacket {
	const refused = connection?.refusedConnect;
	const failed = (packet.reasonCode ?? 0) !== 0 || (packet.returnCode ?? 0) !== 0;
	if (!failed) return packet;
	if (connection) connection.refusedConnect = undefined;
	// Harper's credential refusal carries 0x04 (the 3.1.1 code) as its reason code.
	const codes = connackCodes(
		refused?.code ?? (packet.reasonCode === 4 ? CONNACK.badCredentials.v5 : (packet.reasonCode ?? 0))
	);
	if (version < 5) return { ...packet, reasonCode: codes.v4, returnCode: codes.v4 };
	return withReason({ ...packet, reasonCode: codes.v5, returnCode: codes.v5 }, refused?.reason, connection);
}

function puback(packet: MqttPacket, connection: MqttConnection | undefined, version: number): MqttPacket {
	if (packet.reasonCode !== PUBACK.unspecified || packet.messageId === undefined || !connection) return packet;
	const refusal = connection.refusedPublishes.get(packet.messageId);
	if (!refusal) return packet;
	connection.refusedPublishes.delete(packet.messageId);
	if (version < 5) return packet;
	return withReason({ ...packet, reasonCode: pubackCodeFor(refusal.statusCode) }, refusalText(refusal), connection);
}

function suback(packet: MqttPacket, connection: MqttConnection | undefined, version: number): MqttPacket {
	if (!connection || connection.refusedTopics.length === 0) return packet;
	const reasons = connection.refusedTopics.splice(0);
	return version < 5 ? packet : withReason(packet, [...new Set(reasons)].join(' '), connection);
}

let installed = false;

export function installMqttRefusals(): void {
	const events = harperMqtt()?.events;
	const mqttPacket = harperMqttPacket();
	if (!events || installed || mqttPacket.generate.marquee) return;
	installed = true;

	events.on('error', (error, socket, packet) => {
		if (packet?.cmd !== 'publish' || !isSignError(error)) return;
		if (error.statusCode === 429) throttle(socket, packet, error.retryAfter ?? 1);
		const connection = mqttConnectionOf(socket);
		if (connection && (packet.qos ?? 0) > 0 && packet.messageId !== undefined) {
			connection.refusedPublishes.set(packet.messageId, error);
		}
	});

	const generate = mqttPacket.generate;
	mqttPacket.generate = Object.assign(
		(packet: MqttPacket, options?: { protocolVersion?: number }): Uint8Array => {
			const connection = currentMqttConnection();
			const version = options?.protocolVersion ?? 4;
			switch (packet.cmd) {
				case 'connack':
					return generate(connack(packet, connection, version), options);
				case 'puback':
				case 'pubrec':
					return generate(puback(packet, connection, version), options);
				case 'suback':
					return generate(suback(packet, connection, version), options);
				default:
					return generate(packet, options);
			}
		},
		{ marquee: true }
	);
}

/** A first rate refusal is answered; ignoring it (or being unanswerable, at QoS 0) ends the connection. */
function throttle(socket: MqttSocket, packet: MqttPacket, retryAfterSeconds: number): void {
	const now = Date.now();
	const ignoredTheLastOne = (throttledUntil.get(socket) ?? 0) > now;
	throttledUntil.set(socket, now + retryAfterSeconds * 1000);
	if (!ignoredTheLastOne && (packet.qos ?? 0) > 0) return;
	// After Harper has sent the PUBACK for this publish (it does so right after the event).
	setImmediate(() =>
		disconnectWithReason(
			socket,
			DISCONNECT.messageRateTooHigh,
			`publishing faster than allowed; wait ${retryAfterSeconds} s before publishing`
		)
	);
}
