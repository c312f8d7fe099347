/** What the panel says about a sign's device, from its status record and the sign's stored record. */
import type { LedSignRecord, SignStatusRecord } from '../../src/shared/sign-rules.ts';

export interface DeviceSummary {
	state: 'online' | 'offline' | 'unknown';
	text: string;
}

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
	if (!status) return { state: 'unknown', text: 'No device has reported for this sign yet.' };
	const seen = `last seen ${ago(status.lastSeen, now)}`;
	if (!status.online) return { state: 'offline', text: `Device offline · ${seen}` };
	const version = `shows version ${status.shownVersion}`;
	const upToDate =
		!sign || status.shownVersion >= sign.version ? 'up to date' : `behind: the sign is at ${sign.version}`;
	return { state: 'online', text: `Device online · ${seen} · ${version} (${upToDate})` };
}
