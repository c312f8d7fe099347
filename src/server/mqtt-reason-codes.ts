/**
 * MQTT v5 reason codes that say why a publish was refused. Harper 4.7 answers every refused publish with
 * PUBACK 0x80 "Unspecified error" (or 0x90 when a hook returns false), whatever the hook threw. A device
 * author, and a device that should back off, needs to tell "not allowed" (0x87) from "slow down" (0x96)
 * and "too big" (0x95). It also swaps the codes of a refused CONNECT to the client's MQTT version (below).
 *
 * How: Harper emits an `error` event (with the refused PUBLISH packet) on `server.mqtt.events`, and then, in
 * the same synchronous step, builds the PUBACK with the `generate` function of its `mqtt-packet` module. This
 * notes the reason on the event and rewrites that one PUBACK as it is generated. If Harper ever changes either
 * step, PUBACKs simply stay 0x80 (test/security-matrix.test.ts would say so).
 */
import { createRequire } from 'node:module';
import { server } from 'harperdb';

const REASON_BY_STATUS: Record<number, number> = {
	401: 0x87, // Not authorized
	403: 0x87, // Not authorized
	413: 0x95, // Packet too large
	429: 0x96, // Message rate too high
};

const UNSPECIFIED_ERROR = 0x80;

interface Packet {
	cmd?: string;
	messageId?: number;
	qos?: number;
	reasonCode?: number;
	returnCode?: number;
}

/** CONNACK "bad user name or password": 4 in MQTT 3.1.1's return codes, 0x86 in MQTT 5's reason codes. */
const BAD_CREDENTIALS = { v4: 4, v5: 0x86 };

interface MqttPacketModule {
	generate: (packet: Packet, options?: object) => Uint8Array;
}

interface MqttEvents {
	on(event: 'error', listener: (error: unknown, socket: unknown, packet?: Packet) => void): unknown;
}

/** The refusal waiting for its PUBACK: set by the error event, used by the very next generate(). */
let pending: { messageId: number; reasonCode: number } | undefined;

export function answerRefusedPublishesPrecisely(): void {
	const events = (server as unknown as { mqtt?: { events?: MqttEvents } }).mqtt?.events;
	// Harper's own copy of mqtt-packet, the one whose generate() its MQTT server calls.
	const harperRequire = createRequire(createRequire(import.meta.url).resolve('harperdb'));
	const mqttPacket = harperRequire('mqtt-packet') as MqttPacketModule;
	if (!events || (mqttPacket.generate as { precise?: boolean }).precise) return;

	events.on('error', (error, _socket, packet) => {
		const status = typeof error === 'object' && error !== null ? (error as { statusCode?: unknown }).statusCode : 0;
		const reasonCode = REASON_BY_STATUS[Number(status)];
		pending =
			packet?.cmd === 'publish' && (packet.qos ?? 0) > 0 && reasonCode && packet.messageId !== undefined
				? { messageId: packet.messageId, reasonCode }
				: undefined;
	});

	const generate = mqttPacket.generate;
	mqttPacket.generate = Object.assign(
		(packet: Packet, options?: { protocolVersion?: number }): Uint8Array => {
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
