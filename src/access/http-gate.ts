/**
 * The HTTP edge of the gate (access.ts), on the app's port and the operations API's port, run before Harper's
 * own handlers:
 *
 *   every method but those Marquee serves     405 with a JSON body and an Allow header, before Harper routes it
 *   OPTIONS                                   Allow lists only what Marquee serves
 *   the operations API, replication           super users only (401 / 403), after Harper has read the login;
 *                                             over replication's WebSocket, other nodes too
 *   failed logins (Basic auth, Bearer)        counted per address and per username from it; past the limit a
 *                                             login from there gets 429 before its password is checked
 *   POST /Session                             reaches Harper without its session cookies (a fresh session)
 *   sockets that have not logged in           capped per address and closed when idle (unauthenticated-sockets)
 *   login-free access from this machine       refused to other web pages and rebinding names (local-origin.ts)
 *
 * A WebSocket upgrade passes the same checks; one refused is closed with the refusal's code and sentence.
 */
import { LIMITS, admitLogin, countFailedLogin } from '../admission/admit.ts';
import { accountOf } from './accounts.ts';
import { isSupportedHttpMethod, operationsRefusal, SUPPORTED_HTTP_METHODS, unsupportedMethod } from './access.ts';
import { isSignError, type SignError } from '../harper/refusals.ts';
import {
	closeWebSocketFor,
	harperConfig,
	httpFirst,
	jsonResponse,
	operationsApiPorts,
	portMiddleware,
	replicationPorts,
	rememberWebSocket,
	setResponseHeader,
	webSocketFirst,
} from '../harper/facade.ts';
import type { HarperRequest, HarperResponse, HttpMiddleware } from '../harper/shapes.ts';
import { crossOriginRefusal } from './local-origin.ts';
import { localAuthPosture } from '../harper/local-auth.ts';
import { forgetSessionCookies, isLogin } from '../sessions/session.ts';
import { httpSockets } from '../admission/unauthenticated-sockets.ts';

/** Refusals made here for WebSocket upgrades, for the WebSocket listener to close them with. */
const refusedUpgrades = new WeakMap<object, SignError>();

function refused(request: HarperRequest, refusal: SignError): HarperResponse {
	if (request.isWebSocket) refusedUpgrades.set(request, refusal);
	const { headers, ...body } = refusal;
	return jsonResponse(refusal.statusCode, body, headers);
}

/** The username of a Basic Authorization header ('' for one that names none), undefined for other schemes. */
function basicUsername(authorization: string): string | undefined {
	const [scheme, credentials = ''] = authorization.split(' ');
	if (scheme !== 'Basic') return undefined;
	const decoded = Buffer.from(credentials, 'base64').toString('utf8');
	return decoded.slice(0, Math.max(0, decoded.indexOf(':')));
}

/** Checks a login's failure count before Harper checks its password, and counts it if Harper refuses it. */
const throttleFailedLogins: HttpMiddleware = async (request, next) => {
	const authorization = request.headers.get('authorization');
	if (!authorization) return next(request);
	const username = basicUsername(authorization);
	try {
		admitLogin(username, request.ip);
	} catch (refusal) {
		if (isSignError(refusal)) return refused(request, refusal);
		throw refusal;
	}
	const response = await next(request);
	if (response?.status === 401) countFailedLogin(username, request.ip);
	return response;
};

/** Refuses what dev mode's login-free access must not answer (local-origin.ts), when it is on. */
function refuseOtherPages(): HttpMiddleware {
	const { authorizeLocal } = localAuthPosture(process.env, harperConfig());
	return (request, next) => {
		if (!authorizeLocal) return next(request);
		const refusal = crossOriginRefusal({
			address: request.ip,
			authorization: request.headers.get('authorization'),
			host: request.headers.get('host'),
			protocol: request.protocol,
			origin: request.headers.get('origin'),
			fetchSite: request.headers.get('sec-fetch-site'),
			fetchMode: request.headers.get('sec-fetch-mode'),
			method: request.method,
		});
		return refusal ? Promise.resolve(refused(request, refusal)) : next(request);
	};
}

const serveOnlySupportedMethods: HttpMiddleware = async (request, next) => {
	if (!isSupportedHttpMethod(request.method)) {
		const response = refused(request, unsupportedMethod(request.method));
		setResponseHeader(response, 'Allow', SUPPORTED_HTTP_METHODS.join(', '));
		return response;
	}
	const response = await next(request);
	if (request.method === 'OPTIONS' && response) setResponseHeader(response, 'Allow', SUPPORTED_HTTP_METHODS.join(', '));
	return response;
};

/** A login reaches Harper without the session cookies it came with, so it gets a session of its own (session.ts). */
const freshSessionAtLogin: HttpMiddleware = (request, next) => {
	if (isLogin(request)) forgetSessionCookies(request);
	return next(request);
};

/** Marks the socket of a request busy while it runs, and logged in once a request on it is. */
const trackSockets: HttpMiddleware = async (request, next) => {
	const socket = request._nodeRequest?.socket;
	httpSockets.started(socket);
	try {
		return await next(request);
	} finally {
		if (request.user !== undefined) httpSockets.authenticated(socket);
		else if (request._nodeResponse && !request.isWebSocket)
			request._nodeResponse.on('close', () => httpSockets.ended(socket));
		else httpSockets.ended(socket);
	}
};

/**
 * The operations API is for super users only: checked after Harper has read the login, before it runs anything.
 * The same goes for replication's WebSocket, on the operations port or a port of its own: Harper runs the
 * operations another node sends over it as the connection's user, and lets an account log in to it with a
 * password. Only another node (Harper knows it by its certificate or address, and names it in `request.user`)
 * or a super user may hold one; any other account's login is taken off the upgrade, which Harper's replication
 * then closes as unauthorized.
 */
const superUsersOnly: HttpMiddleware = (request, next) => {
	// Harper's health check says only that it runs; load balancers ask it without a login.
	if (request.method === 'GET' && request.url === '/health') return next(request);
	const refusal = operationsRefusal(request.user);
	if (request.isWebSocket) {
		if (refusal && accountOf(request.user)) request.user = undefined;
		return next(request);
	}
	return refusal ? Promise.resolve(refused(request, refusal)) : next(request);
};

/** `middleware` run in order, each calling the next. */
function inOrder(...middleware: HttpMiddleware[]): HttpMiddleware {
	return middleware.reduceRight<HttpMiddleware>(
		(rest, layer) => (request, next) => layer(request, (passed) => rest(passed, next)),
		(request, next) => next(request)
	);
}

let installed = false;

export function installHttpGate(): void {
	if (installed) return;
	installed = true;
	const otherPages = refuseOtherPages();
	const servers = httpFirst(
		inOrder(otherPages, serveOnlySupportedMethods, freshSessionAtLogin, trackSockets, throttleFailedLogins)
	);
	for (const httpServer of servers) httpServer.on('connection', (socket) => httpSockets.admit(socket));

	webSocketFirst((ws, request, completion, next) => {
		rememberWebSocket(request, ws);
		const refusal = refusedUpgrades.get(request);
		if (refusal) return closeWebSocketFor(request, refusal);
		if (ws._socket) {
			const socket = ws._socket;
			httpSockets.onExpire(socket, () =>
				ws.close(1008, `Log in: a WebSocket that has not is closed after ${LIMITS.unauthenticatedSeconds} s`)
			);
		}
		return next?.(ws, request, completion);
	});

	portMiddleware(operationsApiPorts(), inOrder(otherPages, throttleFailedLogins), { runFirst: true });
	portMiddleware(operationsApiPorts(), superUsersOnly, { runFirst: false });
	const replication = replicationPorts();
	if (replication.port !== operationsApiPorts().port || replication.securePort !== operationsApiPorts().securePort) {
		portMiddleware(replication, superUsersOnly, { runFirst: false });
	}
}
