/**
 * Whether Harper lets credential-less connections from this machine in as the super user (its `authorizeLocal`),
 * decided the way Harper 4.7 decides it, so the production guard sees what Harper does (see production-guard.ts).
 */
import type { HarperConfig } from './shapes.ts';

export interface LocalAuthPosture {
	/** `harperdb dev` (it sets DEV_MODE for the whole process). */
	devMode: boolean;
	/** Whether Harper authorises credential-less loopback connections as the super user, on HTTP or MQTT. */
	authorizeLocal: boolean;
}

export type Env = Record<string, string | undefined>;

/** The part of Harper's root configuration (harperdb-config.yaml, as `server.config`) that decides it. */
export type AuthConfig = Pick<HarperConfig, 'authentication'>;

/**
 * Harper's own rule, read from its 4.7 code: HTTP takes the AUTHENTICATION_AUTHORIZELOCAL variable as it is (so
 * even "false" turns it on), then the config, then DEV_MODE; MQTT takes the config, then DEV_MODE.
 * Without the config (a Harper that no longer offers it) the answer is "on": the guard fails closed.
 */
export function localAuthPosture(env: Env, config: AuthConfig | undefined): LocalAuthPosture {
	const configured = config ? config.authentication?.authorizeLocal : true;
	const overHttp = env.AUTHENTICATION_AUTHORIZELOCAL ?? configured ?? env.DEV_MODE;
	const overMqtt = configured ?? env.DEV_MODE;
	return { devMode: Boolean(env.DEV_MODE), authorizeLocal: Boolean(overHttp) || Boolean(overMqtt) };
}

/** Only dev mode may let this machine in without a login. */
export function isUnsafeOutsideDev(posture: LocalAuthPosture): boolean {
	return !posture.devMode && posture.authorizeLocal;
}
