/**
 * What each role may do on each protocol: the expectations test/role-matrix.test.ts checks against a real
 * Harper, and the table docs/security.md shows (the test fails if the two differ).
 *
 * Each cell is what the client observes: "ok" (allowed, and the data arrived or the change was stored), an HTTP
 * status, a WebSocket close code, or an MQTT v5 reason code (SUBACK / PUBACK; CONNACK when the connection itself
 * is refused).
 */

export const ACTORS = ['admin', 'operator', 'viewer', 'device', 'deviceOther', 'deviceUnbound', 'anonymous'] as const;
export type Actor = (typeof ACTORS)[number];

export const ACTOR_TITLES: Record<Actor, string> = {
	admin: 'admin',
	operator: 'operator',
	viewer: 'viewer',
	device: 'device, its sign',
	deviceOther: 'device, another sign',
	deviceUnbound: 'device, no sign',
	anonymous: 'anonymous',
};

export const ACTIONS = [
	'restGetSign',
	'restGetAll',
	'restPatchSign',
	'restPostSign',
	'restDeleteSign',
	'sseSign',
	'wsReadSign',
	'wsWriteSign',
	'mqttSubscribeSign',
	'mqttSubscribeAll',
	'mqttPublishRetained',
	'mqttPublishTransient',
	'mqttWsSubscribeSign',
	'restGetStatus',
	'restPutStatus',
	'mqttSubscribeStatus',
	'mqttPublishStatus',
	'restFlashSign',
	'restApplyPreset',
	'restGetPreset',
	'restPutPreset',
	'restDeletePreset',
	'ssePreset',
	'mqttSubscribePreset',
	'mqttPublishPreset',
	'restGetHistory',
	'sseHistory',
	'mqttSubscribeHistory',
	'restPutHistory',
] as const;
export type Action = (typeof ACTIONS)[number];

export const ACTION_TITLES: Record<Action, string> = {
	restGetSign: 'REST `GET /LedSign/<id>`',
	restGetAll: 'REST `GET /LedSign/` (every sign)',
	restPatchSign: 'REST `PATCH /LedSign/<id>`',
	restPostSign: 'REST `POST /LedSign/` (create)',
	restDeleteSign: 'REST `DELETE /LedSign/<id>`',
	sseSign: 'SSE `/LedSign/<id>`',
	wsReadSign: 'WebSocket `/LedSign/<id>`: receive',
	wsWriteSign: 'WebSocket `/LedSign/<id>`: send a change',
	mqttSubscribeSign: 'MQTT subscribe `LedSign/<id>`',
	mqttSubscribeAll: 'MQTT subscribe `LedSign/#`',
	mqttPublishRetained: 'MQTT publish `LedSign/<id>`, retained',
	mqttPublishTransient: 'MQTT publish `LedSign/<id>`, not retained',
	mqttWsSubscribeSign: 'MQTT over WebSocket, subscribe `LedSign/<id>`',
	restGetStatus: 'REST `GET /SignStatus/<id>`',
	restPutStatus: 'REST `PUT /SignStatus/<id>`',
	mqttSubscribeStatus: 'MQTT subscribe `SignStatus/<id>`',
	mqttPublishStatus: 'MQTT publish `SignStatus/<id>`, retained',
	restFlashSign: 'REST `PATCH /LedSign/<id>` with `"transient": true` (a flash)',
	restApplyPreset: 'REST `PATCH /LedSign/<id>` with `"preset"` (apply a preset)',
	restGetPreset: 'REST `GET /Preset/<id>`',
	restPutPreset: 'REST `PUT /Preset/<id>`',
	restDeletePreset: 'REST `DELETE /Preset/<id>`',
	ssePreset: 'SSE `/Preset/<id>`',
	mqttSubscribePreset: 'MQTT subscribe `Preset/<id>`',
	mqttPublishPreset: 'MQTT publish `Preset/<id>`, retained',
	restGetHistory: 'REST `GET /SignHistory/<id>`',
	sseHistory: 'SSE `/SignHistory/<id>`: new entries',
	mqttSubscribeHistory: 'MQTT subscribe `SignHistory/<id>/#`: new entries',
	restPutHistory: 'REST `PUT /SignHistory/<id>` (any write)',
};

const OK = 'ok';
/** MQTT CONNACK 0x86, "Bad user name or password": Harper refuses a connection without credentials. */
const NO_MQTT = 'CONNACK 0x86';

/** [admin, operator, viewer, device on its sign, device on another sign, device bound to none, anonymous] */
const row = (...cells: [string, string, string, string, string, string, string]): Record<Actor, string> =>
	Object.fromEntries(ACTORS.map((actor, i) => [actor, cells[i]])) as Record<Actor, string>;

export const EXPECTED: Record<Action, Record<Actor, string>> = {
	restGetSign: row(OK, OK, OK, OK, '403', '403', '401'),
	restGetAll: row(OK, OK, OK, '403', '403', '403', '401'),
	restPatchSign: row(OK, OK, '403', '403', '403', '403', '401'),
	restPostSign: row(OK, OK, '403', '403', '403', '403', '401'),
	restDeleteSign: row(OK, '403', '403', '403', '403', '403', '401'),
	sseSign: row(OK, OK, OK, OK, '403', '403', '401'),
	wsReadSign: row(OK, OK, OK, OK, 'close 3003', 'close 3003', 'close 3000'),
	wsWriteSign: row(OK, OK, 'error 403', 'error 403', 'close 3003', 'close 3003', 'close 3000'),
	mqttSubscribeSign: row(OK, OK, OK, OK, '0x87', '0x87', NO_MQTT),
	mqttSubscribeAll: row(OK, OK, OK, '0x87', '0x87', '0x87', NO_MQTT),
	mqttPublishRetained: row(OK, OK, '0x87', '0x87', '0x87', '0x87', NO_MQTT),
	mqttPublishTransient: row(OK, OK, '0x87', '0x87', '0x87', '0x87', NO_MQTT),
	mqttWsSubscribeSign: row(OK, OK, OK, OK, '0x87', '0x87', NO_MQTT),
	restGetStatus: row(OK, OK, OK, '403', '403', '403', '401'),
	restPutStatus: row(OK, '403', '403', OK, '403', '403', '401'),
	mqttSubscribeStatus: row(OK, OK, OK, '0x87', '0x87', '0x87', NO_MQTT),
	mqttPublishStatus: row(OK, '0x87', '0x87', OK, '0x87', '0x87', NO_MQTT),
	restFlashSign: row(OK, OK, '403', '403', '403', '403', '401'),
	restApplyPreset: row(OK, OK, '403', '403', '403', '403', '401'),
	restGetPreset: row(OK, OK, OK, '403', '403', '403', '401'),
	restPutPreset: row(OK, OK, '403', '403', '403', '403', '401'),
	restDeletePreset: row(OK, OK, '403', '403', '403', '403', '401'),
	ssePreset: row(OK, OK, OK, '403', '403', '403', '401'),
	mqttSubscribePreset: row(OK, OK, OK, '0x87', '0x87', '0x87', NO_MQTT),
	mqttPublishPreset: row(OK, OK, '0x87', '0x87', '0x87', '0x87', NO_MQTT),
	restGetHistory: row(OK, OK, OK, '403', '403', '403', '401'),
	sseHistory: row(OK, OK, OK, '403', '403', '403', '401'),
	mqttSubscribeHistory: row(OK, OK, OK, '0x87', '0x87', '0x87', NO_MQTT),
	// Only the server writes history: refused before anyone's role is looked at, so anonymously too.
	restPutHistory: row('405', '405', '405', '405', '405', '405', '405'),
};

/** The Markdown table docs/security.md carries between its role-matrix markers. */
export function matrixMarkdown(): string {
	const cell = (value: string): string => (value === OK ? '✅' : `❌ ${value}`);
	const lines = [
		`| action | ${ACTORS.map((actor) => ACTOR_TITLES[actor]).join(' | ')} |`,
		`| --- | ${ACTORS.map(() => '---').join(' | ')} |`,
		...ACTIONS.map(
			(action) => `| ${ACTION_TITLES[action]} | ${ACTORS.map((actor) => cell(EXPECTED[action][actor])).join(' | ')} |`
		),
	];
	return lines.join('\n');
}
