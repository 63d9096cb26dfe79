/** A TCP server for hostile fake databases: tracks its sockets so `close` ends them all. */
import net from 'node:net';
import type { AddressInfo } from 'node:net';

export interface FakeServer {
  port: number;
  /** Passwords clients sent (modes that ask for one). */
  passwords: string[];
  /** Connections accepted so far. */
  connections: number;
  close(): Promise<void>;
}

export async function startFakeServer(onConnection: (socket: net.Socket, state: FakeServer) => void): Promise<FakeServer> {
  const sockets = new Set<net.Socket>();
  const state: FakeServer = { port: 0, passwords: [], connections: 0, close: async () => undefined };
  const server = net.createServer((socket) => {
    state.connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    onConnection(socket, state);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.port = (server.address() as AddressInfo).port;
  state.close = () => new Promise<void>((resolve) => { for (const s of sockets) s.destroy(); server.close(() => resolve()); });
  return state;
}
