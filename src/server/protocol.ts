/**
 * Which protocol a hook was called from. Harper calls `put()` for both a REST PUT and a retained MQTT publish,
 * and `delete()` for both a REST DELETE and an empty retained publish, but the two mean different things
 * for a sign (see resources.ts). HTTP calls run with the HTTP request as context, which has a `method`;
 * MQTT calls run with a context built by the MQTT session (or its stored last will), which has none.
 */
export interface HarperContext {
	method?: string;
	user?: unknown;
}

export function isMqtt(context: HarperContext | undefined): boolean {
	return typeof context?.method !== 'string';
}
