/**
 * A sign, as the firmware behaves (docs/device-protocol.md), over MQTT v5 with mqtt.js:
 * - registers a retained last will {"online":false} on SignStatus/<id>, so the server marks it offline if
 *   the connection dies without a DISCONNECT;
 * - on every connect: subscribes to LedSign/<id> (the server answers with the current state at once) and
 *   publishes a retained birth message {"online":true,...};
 * - follows the device rule (shouldShow in src/shared/sign-rules.ts): the first message of each subscription
 *   always, a transient message always, and otherwise a stored change only if it was committed after the one it
 *   shows (commitTime; version from an older server); a delete (payload `null` or empty) blanks it and clears
 *   what it shows, so the sign created again next is shown even at version 1;
 * - reports the version it shows, and that it is online every minute (a heartbeat that keeps lastSeen fresh);
 * - reconnects with backoff (1 s doubling to 30 s) and resyncs on reconnect.
 */
import { EventEmitter } from 'node:events';
import mqtt, { type MqttClient } from 'mqtt';
import { DEFAULT_DISPLAY, type DisplaySize } from '../../src/shared/display/frames.ts';
import {
	orderingOf,
	shouldShow,
	shownChangeOf,
	type LedSignRecord,
	type ShownChange,
	type SignMessage,
	type SignStatusReport,
} from '../../src/shared/sign-rules.ts';
import { DEVICE_TIMING } from '../device-timing.ts';

export const FIRMWARE = 'marquee-sim 1.0.0';

export interface DeviceOptions {
	id: string;
	url: string;
	username?: string;
	password?: string;
	/** Seconds; the server declares the device gone after 1.5 × this without a packet. */
	keepalive?: number;
	/** Seconds between status heartbeats. */
	heartbeat?: number;
	display?: DisplaySize;
}

/** What the device shows, and since when (the effect's clock). */
export interface Showing {
	record: SignMessage;
	since: number;
}

export interface SignDeviceEvents {
	connected: [];
	disconnected: [];
	showing: [Showing];
	ignored: [LedSignRecord, string];
	/** The sign was deleted: the device is blank, and shows whatever the sign is created as next. */
	deleted: [];
	problem: [string];
}

const { firstRetryMs: FIRST_RETRY_MS, maxRetryMs: MAX_RETRY_MS, retryJitterPercent } = DEVICE_TIMING;

export class SignDevice extends EventEmitter<SignDeviceEvents> {
	readonly id: string;
	readonly #options: DeviceOptions;
	readonly #display: DisplaySize;
	#client: MqttClient | undefined;
	/** The version of what the display shows, as SignStatus reports it; kept across reconnects and deletes. */
	#shownVersion = 0;
	/** The stored change shown since this subscription began, which the device rule compares with; none yet. */
	#shown: ShownChange | undefined;
	#showing: Showing | undefined;
	#heartbeat: ReturnType<typeof setInterval> | undefined;

	constructor(options: DeviceOptions) {
		super();
		this.id = options.id;
		this.#options = options;
		this.#display = options.display ?? DEFAULT_DISPLAY;
	}

	get showing(): Showing | undefined {
		return this.#showing;
	}

	get shownVersion(): number {
		return this.#shownVersion;
	}

	get connected(): boolean {
		return this.#client?.connected ?? false;
	}

	start(): void {
		const statusTopic = `SignStatus/${this.id}`;
		const client = mqtt.connect(this.#options.url, {
			protocolVersion: 5,
			clientId: `marquee-sign-${this.id}`,
			clean: true,
			keepalive: this.#options.keepalive ?? DEVICE_TIMING.keepaliveSeconds,
			username: this.#options.username,
			password: this.#options.password,
			reconnectPeriod: FIRST_RETRY_MS,
			will: { topic: statusTopic, payload: Buffer.from('{"online":false}'), qos: 1, retain: true },
		});
		this.#client = client;
		client.on('connect', () => {
			client.options.reconnectPeriod = FIRST_RETRY_MS;
			this.#onConnect(client).then(
				() => this.emit('connected'),
				(err: unknown) => {
					// A server that has just restarted may take connections before its topics exist: drop the
					// connection, and the reconnect (with backoff) tries again.
					this.emit('problem', `subscribe or birth message refused: ${String(err)}`);
					client.stream.destroy();
				}
			);
		});
		client.on('close', () => {
			// Back off: each failed attempt doubles the wait, up to the maximum, with jitter so a fleet spreads out.
			const next = Math.min(MAX_RETRY_MS, (client.options.reconnectPeriod ?? FIRST_RETRY_MS) * 2);
			const jitter = ((Math.random() * 2 - 1) * retryJitterPercent) / 100;
			client.options.reconnectPeriod = Math.round(next * (1 + jitter));
			this.emit('disconnected');
		});
		client.on('message', (topic, payload) => {
			if (topic === `LedSign/${this.id}`) this.receive(payload.toString('utf8'));
		});
		client.on('error', () => undefined); // reported through 'close'; the client retries
		this.#heartbeat = setInterval(
			() => {
				if (client.connected) this.#report({ online: true, shownVersion: this.#shownVersion });
			},
			(this.#options.heartbeat ?? DEVICE_TIMING.heartbeatSeconds) * 1000
		);
	}

	#report(status: Partial<SignStatusReport>): void {
		this.#client
			?.publishAsync(`SignStatus/${this.id}`, JSON.stringify(status), { qos: 1, retain: true })
			.catch((err: unknown) => this.emit('problem', `status report refused: ${String(err)}`));
	}

	async #onConnect(client: MqttClient): Promise<void> {
		// A new subscription: its first message is the server's current truth and is shown whatever was shown
		// before (the sign may have been deleted and created again, restored, or settled by a cluster meanwhile).
		// Cleared before subscribing, so it is cleared before that message can arrive.
		this.#shown = undefined;
		await client.subscribeAsync(`LedSign/${this.id}`, { qos: 1 });
		const birth: Partial<SignStatusReport> = {
			online: true,
			shownVersion: this.#shownVersion,
			firmware: FIRMWARE,
			rssi: null,
			width: this.#display.width,
			height: this.#display.height,
		};
		await client.publishAsync(`SignStatus/${this.id}`, JSON.stringify(birth), { qos: 1, retain: true });
	}

	/** Handles one LedSign payload, as delivered on LedSign/<id>. */
	receive(payload: string): void {
		let record: SignMessage | null;
		try {
			// An empty payload is MQTT's way of clearing a retained message: a delete, like `null`.
			record = payload.trim() === '' ? null : (JSON.parse(payload) as typeof record);
		} catch {
			return; // not a sign record: nothing to show
		}
		if (record === null) {
			this.#deleted();
			return;
		}
		if (typeof record !== 'object' || typeof record.version !== 'number') return;
		const shown = this.#shown;
		if (shown !== undefined && !shouldShow(record, shown)) {
			this.emit('ignored', record, ignoredBecause(record, shown));
			return;
		}
		this.#showing = { record, since: Date.now() };
		this.emit('showing', this.#showing);
		if (record.transient) return;
		this.#shown = shownChangeOf(record);
		this.#shownVersion = record.version;
		this.#report({ online: true, shownVersion: record.version });
	}

	#deleted(): void {
		// Nothing is shown, so whatever the sign is created as next (from version 1 again) is shown.
		this.#shown = undefined;
		this.#showing = undefined;
		this.emit('deleted');
	}

	/** A clean stop: DISCONNECT, after which the server does not send the will, so report offline first. */
	async stop(): Promise<void> {
		const client = this.#client;
		if (!client) return;
		clearInterval(this.#heartbeat);
		this.#client = undefined;
		if (client.connected) {
			await client
				.publishAsync(`SignStatus/${this.id}`, '{"online":false}', { qos: 1, retain: true })
				.catch(() => undefined);
		}
		await client.endAsync();
	}
}

/** Why the device rule ignores `record` while `shown` is shown, for the `ignored` event. */
function ignoredBecause(record: SignMessage, shown: ShownChange): string {
	const { by, incoming, shown: current } = orderingOf(record, shown);
	if (by === 'commitTime') {
		return `commitTime ${incoming} is not after ${current}, the commitTime of the change shown (version ${shown.version})`;
	}
	return `version ${incoming} is not newer than ${current} (no commitTime to compare)`;
}
