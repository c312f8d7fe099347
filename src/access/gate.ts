/**
 * The one gate, applied: `gated(Resource, policy)` puts every entry point Harper can route to a resource behind the
 * rule of access.ts. Each entry point the policy names first passes `authorize` (who asks, the action, the form of
 * the target, a device's binding); every other one Harper marks as an entry point (any transactional static it
 * finds, including ones a later Harper adds) refuses a client with 405. Calls from code (no `checkPermission` on
 * the target) pass straight through: the server trusts itself.
 */
import { accountOf, DEVICE_ROLE } from './accounts.ts';
import {
	decideAccess,
	formOf,
	isClientRequest,
	unsupported,
	type AccessPolicy,
	type Caller,
	type EntryPoint,
	type TargetLike,
} from './access.ts';
import { boundSign } from './device-binding.ts';
import { refuse, type SignError } from '../harper/refusals.ts';
import {
	closeWebSocketFor,
	contextOf,
	resourceSubclass,
	transactionalStatics,
	type Overrides,
	type ResourceInstance,
} from '../harper/facade.ts';

/** The caller of a request, read from Harper's user (a device account's binding is looked up on every request). */
export async function callerOf(user: unknown, directsReplication = false): Promise<Caller> {
	const account = accountOf(user);
	return {
		username: account?.username,
		superUser: account?.superUser ?? false,
		permission: account?.permission,
		boundSign: account?.role === DEVICE_ROLE ? await boundSign(account) : undefined,
		directsReplication,
	};
}

/** What a resource instance offers the gate: who is asking, and the request's context. */
export type GateSubject = ResourceInstance;

/** Applies the gate to one client request; throws the refusal (closing a refused WebSocket with its reason). */
export async function authorize(
	policy: AccessPolicy,
	entry: EntryPoint,
	target: TargetLike,
	subject: GateSubject
): Promise<void> {
	const context = contextOf(subject);
	const directs = Boolean(context?.replicateTo ?? context?.replicatedConfirmation);
	const caller = await callerOf(subject.getCurrentUser() ?? target.user, directs);
	const form = formOf(target);
	const id = form === 'record' ? String(target.id) : undefined;
	const refusal = decideAccess(policy, entry, form, id, caller);
	if (refusal) refuseClient(entry, context, refusal);
}

/** Throws `refusal`; a WebSocket (connect) is first closed with its precise code and reason. */
function refuseClient(entry: string, context: unknown, refusal: SignError): never {
	if (entry === 'connect') closeWebSocketFor(context, refusal);
	return refuse(refusal);
}

/** Harper's transactional statics on a resource class and its ancestors: the entry points it can be reached by. */
export const entryPointsOf = transactionalStatics;

/** `Base` behind the gate (see the module comment). */
export function gated<C>(Base: C, policy: AccessPolicy): C {
	const supported = new Set<string>(Object.keys(policy.entries));
	const overrides: Required<Overrides> = { instance: {}, statics: {} };
	for (const entry of Object.keys(policy.entries) as EntryPoint[]) {
		overrides.instance[entry === 'query' ? 'search' : entry] = (original) =>
			async function (target, ...rest): Promise<unknown> {
				if (isClientRequest(target)) await authorize(policy, entry, target, this);
				return original.call(this, target, ...rest);
			};
	}
	for (const name of entryPointsOf(Base as object)) {
		if (supported.has(name)) continue;
		overrides.statics[name] = (original) =>
			function (target, ...rest): unknown {
				if (!isClientRequest(target)) return original?.call(this, target, ...rest);
				// The target is not parsed yet at this level (Harper parses it inside the static), nor does it matter. A
				// stream is connect(target, incoming, context): its context is the WebSocket's, to close it with.
				return refuseClient(name, name === 'connect' ? rest[1] : undefined, unsupported(policy, name, undefined));
			};
	}
	return resourceSubclass(Base, overrides);
}
