/**
 * Fails closed when Harper runs outside dev mode with `authentication.authorizeLocal` on.
 *
 * With authorizeLocal, Harper makes every credential-less HTTP request, WebSocket and MQTT connection that comes
 * from a loopback address the super user. That is dev mode's "no login on this machine"; anywhere else it gives
 * the sign to any local process, and to the whole internet behind a reverse proxy on the same host. A root first
 * installed by `npm run dev` keeps `authorizeLocal: true` in its harperdb-config.yaml, so a plain `harperdb run` on
 * it would serve production with the door open (`npm start` turns it off for its run: scripts/harper.mjs).
 *
 * Refusing only the requests that authorizeLocal alone let in is not possible: an MQTT session keeps the user
 * Harper gave it but not whether the CONNECT carried a username, so a local anonymous device and a logged-in
 * admin look the same. So Marquee's data resources refuse every request, with a message that says how to fix it.
 */
import { logger } from 'harperdb';
import { harperConfig, hasInstanceMethod, resourceSubclass, type EntryMethod } from './facade.ts';
import { refuse, signError } from './refusals.ts';
import { isUnsafeOutsideDev, localAuthPosture, type LocalAuthPosture } from './local-auth.ts';

export const LOCAL_AUTH_REFUSAL = signError(
	'unavailable',
	'Marquee is refusing requests: Harper runs outside dev mode with authentication.authorizeLocal on, which makes ' +
		'every connection from this machine the super user without a login. Set authentication.authorizeLocal: false ' +
		'in harperdb-config.yaml (npm start does this for you), unset AUTHENTICATION_AUTHORIZELOCAL, and restart.',
	{ authorizeLocal: 'must be false outside dev mode' }
);

/** Every instance method through which a client request reaches a resource (Harper's static methods call them). */
const ENTRY_POINTS = [
	'get',
	'search',
	'put',
	'patch',
	'post',
	'update',
	'create',
	'delete',
	'invalidate',
	'publish',
	'subscribe',
	'connect',
] as const;

let warned = false;

/**
 * `Resource` as it is, or, when the posture is unsafe, a subclass whose every entry point refuses with
 * LOCAL_AUTH_REFUSAL (HTTP 503, an MQTT PUBACK/SUBACK failure, a closed WebSocket).
 */
export function closedWhenLocalAuthIsOn<C>(
	Resource: C,
	posture: LocalAuthPosture = localAuthPosture(process.env, harperConfig())
): C {
	if (!isUnsafeOutsideDev(posture)) return Resource;
	if (!warned) {
		warned = true;
		const banner = `\n${'!'.repeat(100)}\n${LOCAL_AUTH_REFUSAL.error}\n${'!'.repeat(100)}`;
		logger.error?.(banner);
		console.error(banner);
	}
	const refusing = (): EntryMethod => (): never => refuse(LOCAL_AUTH_REFUSAL);
	// A resource that is not a table (SignHistory) has only some of them; Harper answers the others as unsupported.
	const present = ENTRY_POINTS.filter((name) => hasInstanceMethod(Resource, name));
	return resourceSubclass(Resource, { instance: Object.fromEntries(present.map((name) => [name, refusing])) });
}
