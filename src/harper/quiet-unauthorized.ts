/**
 * Harper adds `WWW-Authenticate: Basic` to every 401, and a browser answers that header with its own login
 * dialog, even for a page's fetch or EventSource; where no dialog can be shown the request just hangs. The panel
 * has a login form of its own, so the header is dropped for requests a page's script makes, and kept for curl,
 * devices and a browser opening an address directly. A script's request is known by
 * - its Sec-Fetch-Mode other than "navigate", which browsers send to secure origins and localhost; or, since
 *   they send no Sec-Fetch-* headers to any other origin (a LAN address over plain HTTP),
 * - its Accept header, naming only what a script reads: JSON (the panel's fetch) or an event stream (its
 *   EventSource). A navigation asks for text/html, curl and most devices for any type (or say nothing).
 */
import { httpFirst } from './facade.ts';
import type { HarperRequest, HarperResponse, HttpMiddleware } from './shapes.ts';

const SCRIPT_TYPES: ReadonlySet<string> = new Set(['application/json', 'text/event-stream']);

/** The media types an Accept header names, without their parameters (`text/html;q=0.9` → `text/html`). */
function acceptedTypes(accept: string): string[] {
	return accept
		.split(',')
		.map((type) => type.split(';')[0]?.trim().toLowerCase() ?? '')
		.filter((type) => type !== '');
}

function isPageScript(request: HarperRequest): boolean {
	const mode = request.headers.get('sec-fetch-mode');
	if (mode !== undefined) return mode !== 'navigate';
	const types = acceptedTypes(request.headers.get('accept') ?? '');
	return types.length > 0 && types.every((type) => SCRIPT_TYPES.has(type));
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
