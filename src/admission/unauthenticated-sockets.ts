/**
 * Connections that have not logged in yet cost the server memory and a file descriptor while asking nothing of
 * anyone: an MQTT socket that never sends its CONNECT, an HTTP connection that never sends a request, a
 * WebSocket that no resource let in. Harper holds them for as long as the client likes. Each transport tracks
 * its sockets here from the moment they connect until they log in: an address may hold at most
 * `unauthenticatedPerAddress` of them over every transport and worker thread (one more is closed at once), and one
 * that sits idle for `idleMs` (no request in flight) is closed.
 *
 * Sockets are known by the client's address and port, which a TLS socket and the TCP socket under it share.
 */
import type { Socket } from 'node:net';
import { addressKey, LIMITS } from './admit.ts';
import { sharedMemory } from '../harper/facade.ts';
import { SharedCounters, sharedCountersBytes } from './shared-counters.ts';

interface Tracked {
	socket: Socket;
	release: () => void;
	inFlight: number;
	timer?: NodeJS.Timeout;
	/** How to close it when it has sat idle too long (a WebSocket says why; a bare socket is just closed). */
	expire: () => void;
}

/** A socket's identity: the client's address and port (undefined once it has closed). */
function keyOf(socket: Socket): string | undefined {
	return socket.remotePort === undefined ? undefined : `${addressKey(socket.remoteAddress)}|${socket.remotePort}`;
}

export class UnauthenticatedSockets {
	readonly #perAddress: SharedCounters;
	readonly #idleMs: number;
	/** This thread's sockets (a socket lives on the thread that accepted it); the counts are the threads' shared. */
	readonly #tracked = new Map<string, Tracked>();

	/** `perAddress`: the sockets each address holds, over every transport and thread, and their limit. */
	constructor({ perAddress, idleMs }: { perAddress: SharedCounters; idleMs: number }) {
		this.#perAddress = perAddress;
		this.#idleMs = idleMs;
	}

	/** A socket that just connected: tracked until it logs in, or closed at once if its address is at the cap. */
	admit(socket: Socket, expire: () => void = () => socket.destroy()): void {
		const key = keyOf(socket);
		// Counted once: a second count under the same key would be overwritten below, and never given back.
		if (key === undefined || this.#tracked.has(key)) return;
		const release = this.#perAddress.take(addressKey(socket.remoteAddress));
		if (!release) {
			socket.destroy();
			return;
		}
		const tracked: Tracked = { socket, release, inFlight: 0, expire };
		this.#tracked.set(key, tracked);
		socket.once('close', () => this.#forget(key));
		this.#arm(tracked);
	}

	/** How to close `socket` when it expires, once it is known to be more than a bare socket (a WebSocket). */
	onExpire(socket: Socket, expire: () => void): void {
		const tracked = this.#get(socket);
		if (tracked) tracked.expire = expire;
	}

	/** A request started on `socket`: it is not idle until the request ends. */
	started(socket: Socket | undefined): void {
		const tracked = this.#get(socket);
		if (!tracked) return;
		tracked.inFlight++;
		clearTimeout(tracked.timer);
	}

	ended(socket: Socket | undefined): void {
		const tracked = this.#get(socket);
		if (!tracked) return;
		tracked.inFlight = Math.max(0, tracked.inFlight - 1);
		if (tracked.inFlight === 0) this.#arm(tracked);
	}

	/** `socket` carried a request that logged in: from now on it is an account's, and its limits apply. */
	authenticated(socket: Socket | undefined): void {
		const key = socket && keyOf(socket);
		if (key !== undefined) this.#forget(key);
	}

	/** Sockets tracked now (for tests of the bound). */
	get size(): number {
		return this.#tracked.size;
	}

	#get(socket: Socket | undefined): Tracked | undefined {
		const key = socket && keyOf(socket);
		return key === undefined ? undefined : this.#tracked.get(key);
	}

	#arm(tracked: Tracked): void {
		clearTimeout(tracked.timer);
		tracked.timer = setTimeout(() => {
			if (tracked.inFlight === 0) tracked.expire();
		}, this.#idleMs);
		tracked.timer.unref();
	}

	#forget(key: string): void {
		const tracked = this.#tracked.get(key);
		if (!tracked) return;
		this.#tracked.delete(key);
		clearTimeout(tracked.timer);
		tracked.release();
	}
}

/** Addresses holding sockets that have not logged in, at once. */
const ADDRESSES = 16_384;
const limits = {
	// One count per address for both transports: the limit is on what an address holds, however it connects.
	perAddress: new SharedCounters(
		LIMITS.unauthenticatedPerAddress,
		sharedMemory('unauthenticated-per-address', sharedCountersBytes(ADDRESSES))
	),
	idleMs: LIMITS.unauthenticatedSeconds * 1000,
};

/** Sockets on the app's HTTP port (REST, SSE, WebSocket, MQTT over WebSocket) that have not logged in yet. */
export const httpSockets = new UnauthenticatedSockets(limits);

/** MQTT sockets over TCP that have not sent an accepted CONNECT (over WebSocket, httpSockets tracks them). */
export const mqttSockets = new UnauthenticatedSockets(limits);
