/**
 * A request address with a malformed percent-escape (`/LedSign/%ff`, `/LedSign/%E0%A4%A`, `?text=%ff`) makes
 * Harper's REST handler throw decodeURIComponent's URIError while it parses the id or the query: the client gets
 * a 500 (a WebSocket, close 1011 "internal error") and the log an error with a stack trace, for every such request
 * (a cheap way to flood the log). The mistake is the client's, so it is answered here, before Harper parses the
 * address: HTTP 400 that says so, or a WebSocket closed with 1008 and the reason. test/hostile-input.test.ts
 * sends such addresses.
 */
import { httpFirst, webSocketFirst } from './facade.ts';
import type { HarperResponse, HttpMiddleware, WebSocketMiddleware } from './shapes.ts';

/** WebSocket close code 1008, "Policy Violation": the generic "your request broke the rules". */
const POLICY_VIOLATION = 1008;

function decodes(url: string): boolean {
	try {
		decodeURIComponent(url);
		return true;
	} catch {
		return false;
	}
}

const MALFORMED: HarperResponse & { headers: Record<string, string> } = {
	status: 400,
	headers: { 'content-type': 'application/json' },
	body: JSON.stringify({
		statusCode: 400,
		error: 'The address has a malformed percent-escape.',
		fields: { url: 'each % must start a valid UTF-8 escape such as %2F' },
	}),
};

let installed = false;

export function installMalformedUrlGuard(): void {
	if (installed) return;
	installed = true;
	const listener: HttpMiddleware = (request, next) =>
		decodes(request.url) ? next(request) : Promise.resolve({ ...MALFORMED, headers: { ...MALFORMED.headers } });
	// runFirst: ahead of Harper's own handlers, which are where the address is decoded.
	httpFirst(listener);
	const wsListener: WebSocketMiddleware = (ws, request, completion, next) => {
		if (decodes(request.url)) return next?.(ws, request, completion);
		return ws.close(POLICY_VIOLATION, 'malformed percent-escape in the address');
	};
	webSocketFirst(wsListener);
}
