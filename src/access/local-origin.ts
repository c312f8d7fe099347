/**
 * Dev mode's login-free access is for this machine's own tools: curl, mosquitto, the panel on localhost. Harper
 * grants it (authorizeLocal) to any request from a loopback address that brings no credentials, and a web page on
 * any site the developer visits can make the browser send such requests: to http://localhost:9926 directly (its
 * Origin is then that site's), or through a name of its own that it re-points at 127.0.0.1 (DNS rebinding: the
 * Host is then that name). Harper answers both as the super user, on the app's port and the operations port, and
 * in dev mode allows every origin (CORS "*"). So while authorizeLocal is on, such a request is refused unless it
 * names this machine by a loopback name and comes from the same origin (or from no page at all).
 */
import { signError, type SignError } from '../harper/refusals.ts';

export interface RequestOrigin {
	/** The client's address. */
	address: string | undefined;
	/** The Authorization header: a request that brings credentials does not ride on the login-free access. */
	authorization: string | undefined;
	host: string | undefined;
	/** "http" or "https". */
	protocol: string | undefined;
	origin: string | undefined;
	/** Sec-Fetch-Site and Sec-Fetch-Mode: how a browser says where a request comes from. */
	fetchSite: string | undefined;
	fetchMode: string | undefined;
	method: string;
}

export function isLoopbackAddress(address: string | undefined): boolean {
	if (!address) return false;
	const plain = address.replace(/^::ffff:/, '');
	return plain === '::1' || /^127\.\d+\.\d+\.\d+$/.test(plain);
}

/** A Host header that names this machine: localhost (and *.localhost, which browsers keep local), 127.x, [::1]. */
export function isLoopbackHost(host: string | undefined): boolean {
	if (!host) return false;
	const name = host
		.toLowerCase()
		.replace(/:\d+$/, '')
		.replace(/^\[(.*)\]$/, '$1');
	return name === 'localhost' || name.endsWith('.localhost') || name === '::1' || /^127\.\d+\.\d+\.\d+$/.test(name);
}

function sameOrigin(origin: string, request: RequestOrigin): boolean {
	try {
		const url = new URL(origin);
		return url.host === request.host?.toLowerCase() && url.protocol === `${request.protocol ?? 'http'}:`;
	} catch {
		return false; // "null" (a sandboxed frame, a file:// page) or not a URL
	}
}

const FIX = 'Open the panel at http://localhost (or 127.0.0.1), or send credentials.';

/** Why a request that would be let in without a login must be refused (403), or undefined to let it through. */
export function crossOriginRefusal(request: RequestOrigin): SignError | undefined {
	if (!isLoopbackAddress(request.address) || request.authorization) return undefined;
	if (!isLoopbackHost(request.host)) {
		return signError(
			'forbidden',
			`Dev mode answers this machine only at a loopback name, not ${request.host}. ${FIX}`,
			{
				host: 'must be localhost, 127.0.0.1 or [::1] while requests from this machine need no login',
			}
		);
	}
	if (request.origin !== undefined && !sameOrigin(request.origin, request)) {
		return signError('forbidden', `Dev mode refuses requests from other web pages (${request.origin}). ${FIX}`, {
			origin: `must be ${request.protocol ?? 'http'}://${request.host} while requests from this machine need no login`,
		});
	}
	// A request a page made without saying its origin (an image, a form's GET): only a top-level navigation,
	// which shows the answer to the user rather than to the page, may come from another site.
	const navigation = request.fetchMode === 'navigate' && (request.method === 'GET' || request.method === 'HEAD');
	if ((request.fetchSite === 'cross-site' || request.fetchSite === 'same-site') && !navigation) {
		return signError('forbidden', `Dev mode refuses requests from other web pages. ${FIX}`, {
			origin: 'must be this page while requests from this machine need no login',
		});
	}
	return undefined;
}
