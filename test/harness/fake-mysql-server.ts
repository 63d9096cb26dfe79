/**
 * A hostile MySQL server for robustness tests: it speaks just enough of the protocol (an initial
 * handshake v10 for mysql_native_password, then OK to any login) and then misbehaves as told:
 *   - 'reset':   resets the connection right after the login;
 *   - 'garbage': answers the first command with well-framed packets whose contents are nonsense
 *                (a result set header, then random bytes as column definitions and rows);
 *   - 'silent':  never answers a command;
 *   - 'mute':    accepts the TCP connection and never even greets.
 * A free port on 127.0.0.1.
 */
import crypto from 'node:crypto';
import net from 'node:net';

export type FakeMode = 'reset' | 'garbage' | 'silent' | 'mute';

function packet(seq: number, body: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head.writeUIntLE(body.length, 0, 3);
  head[3] = seq;
  return Buffer.concat([head, body]);
}

function greeting(connectionId: number): Buffer {
  const scramble = crypto.randomBytes(20).map((b) => (b % 94) + 33); // printable, no NUL
  const caps = 0xa28f | 0x00080000 | 0x8000; // LONG_PASSWORD .. PROTOCOL_41, SECURE_CONNECTION, PLUGIN_AUTH (no SSL)
  const body = Buffer.concat([
    Buffer.from([10]), Buffer.from('5.7.99-fake\0', 'latin1'),
    Buffer.from(Uint32Array.of(connectionId).buffer), scramble.subarray(0, 8), Buffer.from([0]),
    Buffer.from(Uint16Array.of(caps & 0xffff).buffer), Buffer.from([33]), Buffer.from(Uint16Array.of(2).buffer),
    Buffer.from(Uint16Array.of(caps >>> 16).buffer), Buffer.from([21]), Buffer.alloc(10),
    scramble.subarray(8), Buffer.from([0]), Buffer.from('mysql_native_password\0', 'latin1'),
  ]);
  return packet(0, body);
}

const OK = Buffer.from([0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00]);

export class FakeMySqlServer {
  /** Connections accepted so far. */
  accepted = 0;
  private readonly sockets = new Set<net.Socket>();

  private constructor(private readonly server: net.Server, readonly port: number) {}

  readonly host = '127.0.0.1';

  static async start(mode: FakeMode): Promise<FakeMySqlServer> {
    let fake: FakeMySqlServer | undefined;
    const server = net.createServer((socket) => fake!.serve(socket, mode));
    await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(0, '127.0.0.1', () => resolve()); });
    fake = new FakeMySqlServer(server, (server.address() as net.AddressInfo).port);
    return fake;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private serve(socket: net.Socket, mode: FakeMode): void {
    this.accepted++;
    this.sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => this.sockets.delete(socket));
    if (mode === 'mute') return;
    socket.write(greeting(this.accepted));
    let loggedIn = false;
    socket.on('data', () => {
      if (!loggedIn) {
        loggedIn = true;
        socket.write(packet(2, OK));
        if (mode === 'reset') setImmediate(() => socket.resetAndDestroy());
        return;
      }
      if (mode === 'garbage') {
        socket.write(Buffer.concat([packet(1, Buffer.from([0x03])), ...[2, 3, 4, 5, 6].map((seq) => packet(seq, crypto.randomBytes(40)))]));
      }
      // 'silent': never answers
    });
  }
}
