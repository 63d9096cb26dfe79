/**
 * Servers that speak just enough of a database protocol to ask a client for its password in a
 * way that reveals it, and record every byte the client sends: what the client would have told a
 * hostile server is in `received`.
 *   PostgreSQL: answers SSLRequest with 'N', then AuthenticationCleartextPassword (PostgreSQL
 *   docs, "Message Formats").
 *   MySQL: a HandshakeV10 without the SSL capability, then an AuthSwitchRequest to the given
 *   plugin; for caching_sha2_password, after the client's scramble, "perform full
 *   authentication" (MySQL internals, "Connection Phase").
 */
import net from 'node:net';

export interface FakeServer { port: number; received(): Buffer; close(): Promise<void> }

async function serve(onConnection: (socket: net.Socket, log: (b: Buffer) => void) => void): Promise<FakeServer> {
  const chunks: Buffer[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
    onConnection(socket, (b) => chunks.push(b));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    received: () => Buffer.concat(chunks),
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

export function fakePostgres(): Promise<FakeServer> {
  return serve((socket, log) => {
    let buf = Buffer.alloc(0);
    let startupSeen = false;
    socket.on('data', (d) => {
      log(d);
      if (startupSeen) return;
      buf = Buffer.concat([buf, d]);
      if (buf.length < 8) return;
      const len = buf.readInt32BE(0);
      if (buf.length < len) return;
      const code = buf.readInt32BE(4);
      buf = buf.subarray(len);
      if (code === 80877103) { socket.write('N'); return; } // SSLRequest: no TLS here
      startupSeen = true;
      const auth = Buffer.alloc(9);
      auth.write('R', 0);
      auth.writeInt32BE(8, 1);
      auth.writeInt32BE(3, 5); // AuthenticationCleartextPassword
      socket.write(auth);
    });
  });
}

function packet(seq: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(4);
  header.writeUIntLE(payload.length, 0, 3);
  header[3] = seq;
  return Buffer.concat([header, payload]);
}

/** `plugin`: what the AuthSwitchRequest asks for. */
export function fakeMySql(plugin: 'mysql_clear_password' | 'sha256_password' | 'caching_sha2_password'): Promise<FakeServer> {
  const scramble = Buffer.from('0123456789abcdefghij');
  return serve((socket, log) => {
    const caps = 0x1 | 0x8 | 0x200 | 0x2000 | 0x8000 | 0x80000; // long password, with db, 4.1, transactions, secure conn, plugin auth
    const hello = Buffer.concat([
      Buffer.from([10]), Buffer.from('5.7.99-fake\0'), Buffer.from([1, 0, 0, 0]), scramble.subarray(0, 8), Buffer.from([0]),
      Buffer.from([caps & 0xff, (caps >> 8) & 0xff]), Buffer.from([33]), Buffer.from([2, 0]), Buffer.from([(caps >> 16) & 0xff, (caps >> 24) & 0xff]),
      Buffer.from([21]), Buffer.alloc(10), scramble.subarray(8), Buffer.from([0]), Buffer.from('mysql_native_password\0'),
    ]);
    socket.write(packet(0, hello));
    let step = 0;
    socket.on('data', (d) => {
      log(d);
      step++;
      if (step === 1) socket.write(packet(2, Buffer.concat([Buffer.from([0xfe]), Buffer.from(`${plugin}\0`), scramble, Buffer.from([0])])));
      else if (step === 2 && plugin === 'caching_sha2_password') socket.write(packet(4, Buffer.from([0x01, 0x04]))); // perform full authentication
    });
  });
}
