/**
 * Harper adds `WWW-Authenticate: Basic` to every 401, and a browser answers that header with its own login
 * dialog, even for a page's fetch or EventSource. The panel has a login form of its own, so for requests made by
 * a page's script (the browser marks them with a Sec-Fetch-Mode other than "navigate") the header is dropped;
 * curl, devices and a browser opening an API address directly still get the Basic challenge.
 */
import { httpFirst } from './harper-runtime.ts';

interface HttpRequest {
	headers: { get(name: string): string | undefined };
}

interface HttpResponse {
	status?: number;
	headers?: Map<string, unknown> | Record<string, unknown>;
}

type Listener = (request: HttpRequest, next: (request: HttpRequest) => Promise<HttpResponse>) => Promise<HttpResponse>;

function isPageScript(request: HttpRequest): boolean {
	const mode = request.headers.get('sec-fetch-mode');
	return mode !== undefined && mode !== 'navigate';
}

function dropChallenge(response: HttpResponse): void {
	const { headers } = response;
	// Harper's response headers are a Map keyed by the lower-case name; a handler may also return a plain object.
	if (headers instanceof Map) headers.delete('www-authenticate');
	else if (headers) for (const name of Object.keys(headers)) if (/^www-authenticate$/i.test(name)) delete headers[name];
}

let installed = false;

export function quietUnauthorizedForPages(): void {
	if (installed) return;
	installed = true;
	const listener: Listener = async (request, next) => {
		const response = await next(request);
		if (response?.status === 401 && isPageScript(request)) dropChallenge(response);
		return response;
	};
	// runFirst puts this listener outside Harper's authentication layer, which is where the header is added.
	httpFirst(listener);
}
