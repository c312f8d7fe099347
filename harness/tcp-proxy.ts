/**
 * A loopback TCP relay between a client and the server, which can go silent without closing anything: the
 * way a device's Wi-Fi dies. Neither side sees a FIN or RST; only the MQTT keep-alive can tell. It can also go
 * down (every connection closed, new ones refused) and come back up: a link that drops for as long as a test
 * needs, so the test decides what changes on the server before the client reconnects.
 */
import { once } from 'node:events';
import { createConnection, createServer, type Socket } from 'node:net';

export interface TcpProxy {
	port: number;
	/** Stops relaying bytes in both directions, leaving every socket open. */
	goSilent(): void;
	/** Closes every connection and refuses new ones until goUp(). */
	goDown(): void;
	/** Accepts and relays new connections again. */
	goUp(): void;
	close(): Promise<void>;
}

export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
	let silent = false;
	let down = false;
	const sockets = new Set<Socket>();
	const server = createServer((client) => {
		if (down) {
			client.destroy();
			return;
		}
		const upstream = createConnection({ host: '127.0.0.1', port: targetPort });
		for (const socket of [client, upstream]) {
			sockets.add(socket);
			socket.on('error', () => undefined);
			socket.on('close', () => sockets.delete(socket));
		}
		client.on('data', (chunk) => silent || upstream.write(chunk));
		upstream.on('data', (chunk) => silent || client.write(chunk));
		client.on('close', () => silent || upstream.destroy());
		upstream.on('close', () => silent || client.destroy());
	});
	server.listen(0, '127.0.0.1');
	await once(server, 'listening');
	const address = server.address();
	if (typeof address !== 'object' || !address) throw new Error('proxy did not listen');
	return {
		port: address.port,
		goSilent: (): void => {
			silent = true;
		},
		goDown: (): void => {
			down = true;
			for (const socket of sockets) socket.destroy();
		},
		goUp: (): void => {
			down = false;
		},
		async close(): Promise<void> {
			for (const socket of sockets) socket.destroy();
			server.close();
			await once(server, 'close');
		},
	};
}
