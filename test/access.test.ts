/**
 * The gate's rule and its wrapper, without a server: decideAccess for every action, target form and kind of caller,
 * and gated() refusing every entry point a resource does not name, a future Harper's included, while code
 * calling a resource directly passes. The same gate on a real Harper: test/http-matrix.test.ts, test/role-matrix.test.ts.
 */
import { describe, expect, it, vi } from 'vitest';
import {
	ACCESS,
	decideAccess,
	formOf,
	isSupportedHttpMethod,
	operationsRefusal,
	type Caller,
} from '../src/access/access.ts';
import { entryPointsOf, gated } from '../src/access/gate.ts';

// gate.ts reaches Harper only for what these tests do not do (a device's binding, a WebSocket to close).
vi.mock('harperdb', () => ({ tables: {}, databases: {}, server: {} }));

const OPERATOR = { data: { tables: { LedSign: { read: true, insert: true, update: true, delete: false } } } };
const DEVICE = {
	LedSign: { read: true, insert: false, update: false, delete: false },
	SignStatus: { read: false, insert: true, update: true, delete: false },
};
const caller = (overrides: Partial<Caller>): Caller => ({
	username: 'someone',
	superUser: false,
	permission: {},
	boundSign: undefined,
	...overrides,
});
const admin = caller({ superUser: true, permission: { super_user: true } });
const operator = caller({ permission: OPERATOR });
const device = caller({ permission: DEVICE, boundSign: 'lobby' });
const statusOf = (refusal: { statusCode: number } | undefined): number => refusal?.statusCode ?? 200;

describe('formOf', () => {
	it.each([
		[{ id: 'lobby' }, 'record'],
		[{ id: 'lobby', search: 'select(text)' }, 'record'],
		[{ id: null, isCollection: true }, 'collection'],
		[{ id: null, isCollection: true, search: 'id=ne=x', conditions: [{}] }, 'query'],
		[{ isCollection: true, conditions: [{ attribute: 'id' }] }, 'query'],
		[{ id: null }, 'table'],
	] as const)('%j is a %s target', (target, form) => {
		expect(formOf(target)).toBe(form);
	});
});

describe('decideAccess', () => {
	it('refuses with 405 what a resource does not name, before asking who is calling', () => {
		expect(statusOf(decideAccess(ACCESS.LedSign, 'query', 'collection', undefined, admin))).toBe(405);
		expect(statusOf(decideAccess(ACCESS.LedSign, 'put', 'collection', undefined, admin))).toBe(405);
		expect(
			statusOf(decideAccess(ACCESS.SignRules, 'connect', 'table', undefined, caller({ username: undefined })))
		).toBe(405);
		expect(decideAccess(ACCESS.LedSign, 'put', 'query', undefined, admin)?.fields).toEqual({
			target: 'must be one sign (/LedSign/<id>)',
		});
	});

	it('asks for a login, then for the role, action by action', () => {
		const anonymous = caller({ username: undefined });
		expect(statusOf(decideAccess(ACCESS.LedSign, 'get', 'record', 'lobby', anonymous))).toBe(401);
		expect(statusOf(decideAccess(ACCESS.LedSign, 'patch', 'record', 'lobby', operator))).toBe(200);
		expect(statusOf(decideAccess(ACCESS.LedSign, 'post', 'collection', undefined, operator))).toBe(200);
		expect(statusOf(decideAccess(ACCESS.LedSign, 'delete', 'record', 'lobby', operator))).toBe(403);
		expect(statusOf(decideAccess(ACCESS.SignStatus, 'put', 'record', 'lobby', operator))).toBe(403);
	});

	it('lets only a role that may delete every record delete a collection or a query', () => {
		const deleter = caller({ permission: { LedSign: { read: true, delete: true } } });
		for (const form of ['collection', 'query'] as const) {
			expect(statusOf(decideAccess(ACCESS.LedSign, 'delete', form, undefined, admin))).toBe(200);
			expect(statusOf(decideAccess(ACCESS.LedSign, 'delete', form, undefined, deleter))).toBe(200);
			expect(statusOf(decideAccess(ACCESS.LedSign, 'delete', form, undefined, operator))).toBe(403);
			// A device role granted delete is still bound to its one record.
			const boundDeleter = caller({ permission: { LedSign: { delete: true } }, boundSign: 'lobby' });
			expect(statusOf(decideAccess(ACCESS.LedSign, 'delete', form, undefined, boundDeleter))).toBe(403);
		}
	});

	it('confines a device account to its own sign: read its LedSign, report its SignStatus, nothing else', () => {
		expect(statusOf(decideAccess(ACCESS.LedSign, 'get', 'record', 'lobby', device))).toBe(200);
		expect(statusOf(decideAccess(ACCESS.LedSign, 'subscribe', 'record', 'lobby', device))).toBe(200);
		expect(statusOf(decideAccess(ACCESS.SignStatus, 'put', 'record', 'lobby', device))).toBe(200);
		expect(statusOf(decideAccess(ACCESS.LedSign, 'get', 'record', 'cafe', device))).toBe(403);
		expect(statusOf(decideAccess(ACCESS.LedSign, 'get', 'collection', undefined, device))).toBe(403);
		expect(statusOf(decideAccess(ACCESS.LedSign, 'get', 'query', undefined, device))).toBe(403);
		expect(statusOf(decideAccess(ACCESS.SignStatus, 'get', 'record', 'lobby', device))).toBe(403);
		expect(statusOf(decideAccess(ACCESS.SignStatus, 'put', 'record', 'cafe', device))).toBe(403);
		const unbound = caller({ permission: DEVICE, boundSign: null });
		expect(decideAccess(ACCESS.LedSign, 'get', 'record', 'lobby', unbound)?.error).toMatch(/bound to no sign/);
	});

	it('lets presets be deleted one at a time only, by anyone whose role may: no bulk delete even for an admin', () => {
		const presetOperator = caller({
			permission: { Preset: { read: true, insert: true, update: true, delete: true } },
		});
		expect(statusOf(decideAccess(ACCESS.Preset, 'delete', 'record', 'open', presetOperator))).toBe(200);
		for (const form of ['collection', 'query'] as const) {
			expect(statusOf(decideAccess(ACCESS.Preset, 'delete', form, undefined, admin))).toBe(405);
			expect(statusOf(decideAccess(ACCESS.Preset, 'delete', form, undefined, presetOperator))).toBe(405);
		}
		expect(statusOf(decideAccess(ACCESS.Preset, 'patch', 'record', 'open', operator))).toBe(403);
		expect(decideAccess(ACCESS.Preset, 'get', 'record', 'open', device)?.error).toBe(
			'Your role may not read this preset.'
		);
	});

	it('lets the history be read (one sign, or streamed), by roles that may, and written by no client at all', () => {
		const reader = caller({ permission: { SignHistory: { read: true } } });
		expect(statusOf(decideAccess(ACCESS.SignHistory, 'get', 'record', 'lobby', reader))).toBe(200);
		expect(statusOf(decideAccess(ACCESS.SignHistory, 'connect', 'collection', undefined, reader))).toBe(200);
		expect(statusOf(decideAccess(ACCESS.SignHistory, 'get', 'collection', undefined, admin))).toBe(405);
		for (const entry of ['put', 'patch', 'post', 'delete', 'publish'] as const) {
			const refusal = decideAccess(ACCESS.SignHistory, entry, 'record', 'lobby', admin);
			expect(refusal?.statusCode, entry).toBe(405);
			expect(refusal?.error).toMatch(/Only the server writes SignHistory/);
		}
		expect(statusOf(decideAccess(ACCESS.SignHistory, 'get', 'record', 'lobby', operator))).toBe(403);
		expect(statusOf(decideAccess(ACCESS.SignHistory, 'get', 'record', 'lobby', device))).toBe(403);
	});

	it('leaves the published rules and the login open to anyone', () => {
		const anonymous = caller({ username: undefined });
		expect(statusOf(decideAccess(ACCESS.SignRules, 'get', 'table', undefined, anonymous))).toBe(200);
		expect(statusOf(decideAccess(ACCESS.Session, 'post', 'table', undefined, anonymous))).toBe(200);
		expect(statusOf(decideAccess(ACCESS.Session, 'post', 'collection', undefined, anonymous))).toBe(405);
	});

	it('lets only a super user direct replication', () => {
		const directing = { ...operator, directsReplication: true };
		expect(statusOf(decideAccess(ACCESS.LedSign, 'patch', 'record', 'lobby', directing))).toBe(403);
		expect(
			statusOf(decideAccess(ACCESS.LedSign, 'patch', 'record', 'lobby', { ...admin, directsReplication: true }))
		).toBe(200);
	});
});

describe('the HTTP methods and the operations API', () => {
	it('serves GET, HEAD, PUT, PATCH, POST, DELETE and OPTIONS only', () => {
		expect(['GET', 'head', 'PUT', 'PATCH', 'POST', 'DELETE', 'OPTIONS'].every(isSupportedHttpMethod)).toBe(true);
		expect(['QUERY', 'COPY', 'MOVE', 'TRACE', 'CONNECT', 'PROPFIND', 'BREW'].some(isSupportedHttpMethod)).toBe(false);
	});

	it('lets super users only into the operations API', () => {
		expect(operationsRefusal({ username: 'root', role: { permission: { super_user: true } } })).toBeUndefined();
		expect(operationsRefusal({ username: 'op', role: { permission: OPERATOR } })?.statusCode).toBe(403);
		expect(operationsRefusal(undefined)?.statusCode).toBe(401);
	});
});

describe('gated()', () => {
	/** Harper's transactional statics as Harper marks them, one of them an entry point no Harper has yet. */
	function transactional(
		name: string
	): (this: { prototype: Record<string, (...args: unknown[]) => unknown> }, target: unknown) => unknown {
		const method = function (
			this: { prototype: Record<string, (...args: unknown[]) => unknown> },
			target: unknown
		): unknown {
			return `${name} ran for ${JSON.stringify(target)}`;
		};
		return Object.assign(method, { reliesOnPrototype: true });
	}
	class Base {
		static get = transactional('get');
		static query = transactional('query');
		static copy = transactional('copy');
		static frobnicate = transactional('frobnicate');
		getCurrentUser(): unknown {
			return undefined;
		}
		getContext(): unknown {
			return {};
		}
		get(target: unknown): unknown {
			return `read ${JSON.stringify(target)}`;
		}
	}
	const policy = {
		name: 'Thing',
		noun: 'thing',
		entries: { get: { record: 'read' } },
		public: true,
		device: [],
	} as const;
	const Gated = gated(Base, policy);

	it('finds every entry point Harper marks, a future one included', () => {
		expect(entryPointsOf(Base)).toEqual(['copy', 'frobnicate', 'get', 'query']);
	});

	it('refuses a client every entry point the policy does not name, with 405', () => {
		for (const name of ['query', 'copy', 'frobnicate'] as const) {
			const call = (): unknown =>
				(Gated as unknown as Record<string, (target: object) => unknown>)[name]!({ checkPermission: {} });
			expect(call).toThrow(expect.objectContaining({ statusCode: 405 }) as Error);
		}
	});

	it('lets code call any of them directly (no checkPermission: the server trusts itself)', () => {
		expect((Gated as unknown as Record<string, (target: string) => unknown>).frobnicate!('x')).toBe(
			'frobnicate ran for "x"'
		);
	});

	it('passes a supported entry point through the gate, then runs it', async () => {
		const instance = new (Gated as unknown as new () => Base)();
		await expect(Promise.resolve(instance.get({ id: 'a', checkPermission: {} }))).resolves.toBe(
			'read {"id":"a","checkPermission":{}}'
		);
		await expect(
			Promise.resolve(instance.get({ id: null, isCollection: true, checkPermission: {} }))
		).rejects.toMatchObject({
			statusCode: 405,
		});
	});
});
