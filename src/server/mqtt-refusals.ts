/**
 * MQTT v5 answers that say why a publish was refused. Harper 4.7 answers every refused publish with PUBACK
 * 0x80 "Unspecified error" (or 0x90 when a hook returns false), whatever the hook threw; a device author, and a
 * device that should back off, needs to tell "not allowed" from "slow down":
 *
 *   401, 403  PUBACK 0x87 "Not authorized"
 *   413       PUBACK 0x97 "Quota exceeded" (bigger packets never get this far: DISCONNECT 0x95, transport-limits.ts)
 *   429       PUBACK 0x97 "Quota exceeded"; a client that publishes again before the wait it was given is over,
 *             or whose refused publish was QoS 0 (no PUBACK to tell it), gets DISCONNECT 0x96 "Message rate too
 *             high". MQTT 5 allows 0x96 only in a DISCONNECT, and mqtt.js rejects a PUBACK carrying it.
 *
 * How: Harper emits an `error` event (with the socket and the refused PUBLISH) on `server.mqtt.events`, then, in
 * the same synchronous step, builds the PUBACK with the `generate` function of its `mqtt-packet` module. This
 * notes the reason on the event and rewrites that one PUBACK as it is generated. If Harper ever changes either
 * step, PUBACKs simply stay 0x80 (test/abuse-limits.test.ts and test/role-matrix.test.ts would say so).
 * It also gives a refused CONNECT the code of the client's MQTT version (see BAD_CREDENTIALS).
 */
import { createRequire } from 'node:module';
import { isSignError } from './errors.ts';
import { harperMqtt, type MqttPacket } from './harper-runtime.ts';
import { disconnectWithReason, type MqttSocket } from './mqtt-disconnect.ts';

const NOT_AUTHORIZED = 0x87;
const QUOTA_EXCEEDED = 0x97;
const UNSPECIFIED_ERROR = 0x80;
const PUBACK_BY_STATUS: Record<number, number> = {
	401: NOT_AUTHORIZED,
	403: NOT_AUTHORIZED,
	413: QUOTA_EXCEEDED,
	429: QUOTA_EXCEEDED,
};

/** CONNACK "bad user name or password": 4 in MQTT 3.1.1's return codes, 0x86 in MQTT 5's reason codes. */
const BAD_CREDENTIALS = { v4: 4, v5: 0x86 };

interface MqttPacketModule {
	generate: (packet: MqttPacket, options?: { protocolVersion?: number }) => Uint8Array;
}

/** The refusal waiting for its PUBACK: set by the error event, used by the very next generate(). */
let pending: { messageId: number; reasonCode: number } | undefined;

/** Per connection: until when it was told to wait after a rate refusal. */
const throttledUntil = new WeakMap<MqttSocket, number>();

export function answerRefusedPublishesPrecisely(): void {
	const events = harperMqtt()?.events;
	// Harper's own copy of mqtt-packet, the one whose generate() its MQTT server calls.
	const harperRequire = createRequire(createRequire(import.meta.url).resolve('harperdb'));
	const mqttMqttPacket = harperRequire('mqtt-packet') as MqttPacketModule;
	if (!events || (mqttMqttPacket.generate as { precise?: boolean }).precise) return;

	events.on('error', (error, socket, packet) => {
		pending = undefined;
		if (packet?.cmd !== 'publish') return;
		const status = isSignError(error) ? error.statusCode : 0;
		if (status === 429) throttle(socket, packet, isSignError(error) ? (error.retryAfter ?? 1) : 1);
		const reasonCode = PUBACK_BY_STATUS[status];
		if (reasonCode && (packet.qos ?? 0) > 0 && packet.messageId !== undefined) {
			pending = { messageId: packet.messageId, reasonCode };
		}
	});

	const generate = mqttMqttPacket.generate;
	mqttMqttPacket.generate = Object.assign(
		(packet: MqttPacket, options?: { protocolVersion?: number }): Uint8Array => {
			// Harper refuses credentials with reasonCode 4 and returnCode 0x86: each the other version's code, so an
			// MQTT 5 client reads "0x04" (no such reason) and a 3.1.1 client "134" (no such return code).
			if (packet.cmd === 'connack' && packet.reasonCode === BAD_CREDENTIALS.v4) {
				return generate({ ...packet, reasonCode: BAD_CREDENTIALS.v5, returnCode: BAD_CREDENTIALS.v4 }, options);
			}
			const refusal = pending;
			if (refusal && (packet.cmd === 'puback' || packet.cmd === 'pubrec')) {
				pending = undefined;
				if (packet.messageId === refusal.messageId && packet.reasonCode === UNSPECIFIED_ERROR) {
					return generate({ ...packet, reasonCode: refusal.reasonCode }, options);
				}
			}
			return generate(packet, options);
		},
		{ precise: true }
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
		disconnectWithReason(socket, 0x96, `publishing faster than allowed; wait ${retryAfterSeconds} s before publishing`)
	);
}
