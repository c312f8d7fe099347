/**
 * Harper adds `WWW-Authenticate: Basic` to every 401, and a browser answers that header with its own login
 * dialog, even for a page's fetch or EventSource. The panel has a login form of its own, so for requests made by
 * a page's script (the browser marks them with a Sec-Fetch-Mode other than "navigate") the header is dropped;
 * curl, devices and a browser opening an API address directly still get the Basic challenge.
 */
import { httpFirst } from './facade.ts';
import type { HarperRequest, HarperResponse, HttpMiddleware } from './shapes.ts';

function isPageScript(request: HarperRequest): boolean {
	const mode = request.headers.get('sec-fetch-mode');
	return mode !== undefined && mode !== 'navigate';
}

function dropChallenge(response: HarperResponse): void {
	const { headers } = response;
	// Harper's response headers are a Map keyed by the lower-case name; a handler may also return a plain object.
	if (headers instanceof Map) headers.delete('www-authenticate');
	else if (headers) {
		const record = headers as Record<string, unknown>;
		for (const name of Object.keys(record)) if (/^www-authenticate$/i.test(name)) delete record[name];
	}
}

let installed = false;

export function installQuietUnauthorized(): void {
	if (installed) return;
	installed = true;
	const listener: HttpMiddleware = async (request, next) => {
		const response = await next(request);
		if (response?.status === 401 && isPageScript(request)) dropChallenge(response);
		return response;
	};
	// runFirst puts this listener outside Harper's authentication layer, which is where the header is added.
	httpFirst(listener);
}
