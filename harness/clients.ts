/**
 * The real protocol clients for tests and the bench, in one import: REST and the operations API (node:http(s)),
 * MQTT (mqtt.js), WebSocket (ws) and SSE, each feeding an Inbox that tests wait on with a deadline instead of
 * sleeping. Each takes a ServerInfo, and with it the server's TLS settings when it speaks TLS only.
 */
export { basicAuth, parseJsonOr } from './http.ts';
export { Inbox } from './inbox.ts';
export {
	mqttConnectCode,
	mqttPeer,
	mqttPublish,
	mqttPublishAck,
	tryMqttPeer,
	type MqttMessage,
	type MqttPeer,
	type MqttPeerOptions,
} from './mqtt-client.ts';
export { operation, operationAnswer, type OperationAnswer } from './operations.ts';
export { rest, type RestOptions, type RestResponse } from './rest.ts';
export { sseFirstEvent, sseGlance, ssePeer, type SseGlance, type SsePeer } from './sse-client.ts';
export type { ClientTls, Credentials, ServerInfo } from './types.ts';
export { wsFirstAnswer, wsPeer, type WsFirstAnswer, type WsPeer } from './ws-client.ts';
