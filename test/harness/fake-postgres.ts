/**
 * A hostile PostgreSQL server for tests (net.createServer, wire protocol v3): it answers the
 * startup handshake, then misbehaves when the first query arrives.
 *   drop      authenticates (trust), then closes the socket (FIN)
 *   reset     authenticates, then resets the socket (RST)
 *   stall     authenticates, then never answers
 *   silent    accepts TCP and never says anything
 *   cleartext asks for the password in clear text (AuthenticationCleartextPassword) and records it
 */
import type net from 'node:net';
import { startFakeServer, type FakeServer } from './fake-server.ts';

export type { FakeServer } from './fake-server.ts';
export type FakePgMode = 'drop' | 'reset' | 'stall' | 'silent' | 'cleartext';

export function startFakePostgres(mode: FakePgMode): Promise<FakeServer> {
  return startFakeServer((socket, state) => {
    if (mode === 'silent') return;
    let buf = Buffer.alloc(0);
    let started = false;
    socket.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      for (;;) {
        if (!started) {
          if (buf.length < 8) return;
          const len = buf.readInt32BE(0);
          if (buf.length < len) return;
          const code = buf.readInt32BE(4);
          buf = buf.subarray(len);
          if (code === 80877103 || code === 80877104) { socket.write('N'); continue; } // SSLRequest / GSSENCRequest: no
          started = true;
          if (mode === 'cleartext') socket.write(message('R', int32(3)));
          else authenticated(socket);
          continue;
        }
        if (buf.length < 5) return;
        const type = String.fromCharCode(buf[0]);
        const len = buf.readInt32BE(1);
        if (buf.length < 1 + len) return;
        const body = buf.subarray(5, 1 + len);
        buf = buf.subarray(1 + len);
        if (type === 'p') {
          state.passwords.push(body.subarray(0, body.indexOf(0)).toString('utf8'));
          authenticated(socket);
        } else if (type === 'X') {
          socket.end();
        } else if (mode === 'drop') {
          socket.end();
          return;
        } else if (mode === 'reset') {
          socket.resetAndDestroy();
          return;
        } else if (mode === 'cleartext') {
          socket.write(message('E', Buffer.from('SERROR\0C42501\0Mfake server\0\0')));
          socket.write(message('Z', Buffer.from('I')));
          return;
        } // stall: never answer
      }
    });
  });
}

function authenticated(socket: net.Socket): void {
  socket.write(Buffer.concat([
    message('R', int32(0)),
    message('S', Buffer.from('server_version\u000016.0\u0000')),
    message('K', Buffer.concat([int32(1234), int32(5678)])),
    message('Z', Buffer.from('I')),
  ]));
}

function int32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
}

function message(type: string, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from(type), int32(body.length + 4), body]);
}
