/**
 * A hostile MySQL server for tests (net.createServer, client/server protocol 4.1): it sends the
 * initial handshake, accepts any login, then misbehaves on the first command.
 *   drop   closes the socket (FIN)   reset  resets it (RST)   stall  never answers
 */
import { startFakeServer, type FakeServer } from './fake-server.ts';

export type FakeMySqlMode = 'drop' | 'reset' | 'stall';

const CAPABILITIES = 0x00000001 | 0x00000008 | 0x00000200 | 0x00002000 | 0x00008000 | 0x00080000; // LONG_PASSWORD, CONNECT_WITH_DB, PROTOCOL_41, TRANSACTIONS, SECURE_CONNECTION, PLUGIN_AUTH

export function startFakeMySql(mode: FakeMySqlMode): Promise<FakeServer> {
  return startFakeServer((socket) => {
    socket.write(packet(0, handshake()));
    let buf = Buffer.alloc(0);
    let loggedIn = false;
    socket.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 4) {
        const len = buf.readUIntLE(0, 3);
        if (buf.length < 4 + len) return;
        const seq = buf[3];
        const body = buf.subarray(4, 4 + len);
        buf = buf.subarray(4 + len);
        if (!loggedIn) {
          loggedIn = true;
          socket.write(packet(seq + 1, Buffer.from([0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00]))); // OK
          continue;
        }
        if (body[0] === 0x01) { socket.end(); return; } // COM_QUIT
        if (mode === 'drop') { socket.end(); return; }
        if (mode === 'reset') { socket.resetAndDestroy(); return; }
        // stall: never answer
      }
    });
  });
}

function handshake(): Buffer {
  const scramble1 = Buffer.from('abcdefgh');
  const scramble2 = Buffer.from('ijklmnopqrst\0');
  const caps = Buffer.alloc(2);
  return Buffer.concat([
    Buffer.from([10]), Buffer.from('8.0.36-fake\0'), Buffer.from([1, 0, 0, 0]), scramble1, Buffer.from([0]),
    (caps.writeUInt16LE(CAPABILITIES & 0xffff), caps), Buffer.from([0x21]), Buffer.from([0x02, 0x00]),
    u16(CAPABILITIES >>> 16), Buffer.from([21]), Buffer.alloc(10), scramble2, Buffer.from('mysql_native_password\0'),
  ]);
}

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(n);
  return b;
}

function packet(seq: number, body: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head.writeUIntLE(body.length, 0, 3);
  head[3] = seq & 0xff;
  return Buffer.concat([head, body]);
}
