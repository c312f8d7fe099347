/** What the panel says about a sign's device, from its status record and the sign's stored record. */
import type { LedSignRecord, SignStatusRecord } from '../../src/shared/sign-rules.ts';

export type DeviceState = 'online' | 'offline' | 'never';

export interface DeviceSummary {
	state: DeviceState;
	/** One sentence, for under the sign's title. */
	text: string;
	/** A few words, for the list. */
	short: string;
	/** A mark of its own shape for each state, so the state never rests on colour alone. */
	icon: string;
}

const ICONS: Record<DeviceState, string> = { online: '●', offline: '○', never: '–' };

function ago(iso: string, now: number): string {
	const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
	if (seconds < 60) return `${seconds} s ago`;
	if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
	return new Date(iso).toLocaleString();
}

export function describeDevice(
	status: SignStatusRecord | undefined,
	sign: LedSignRecord | undefined,
	now: number
): DeviceSummary {
	if (!status) {
		return {
			state: 'never',
			text: 'No device has reported for this sign yet.',
			short: 'Never seen',
			icon: ICONS.never,
		};
	}
	const seen = `last seen ${ago(status.lastSeen, now)}`;
	const behind = sign !== undefined && status.shownVersion < sign.version;
	if (!status.online) {
		return {
			state: 'offline',
			text: `Device offline · ${seen}`,
			short: behind ? 'Offline · behind' : 'Offline',
			icon: ICONS.offline,
		};
	}
	const version = `shows version ${status.shownVersion}`;
	const upToDate = behind ? `behind: the sign is at ${sign.version}` : 'up to date';
	return {
		state: 'online',
		text: `Device online · ${seen} · ${version} (${upToDate})`,
		short: behind ? `Online · behind (shows version ${status.shownVersion})` : 'Online · up to date',
		icon: ICONS.online,
	};
}
