/**
 * A TCP proxy between a client under test and a real server, to make the network misbehave on
 * purpose: `freeze()` holds every byte of the connections open now in both directions (the server
 * keeps writing into the proxy, the client hears nothing: a silent peer, as a hung VM or a dropped
 * route looks), while new connections pass; `refuse(true)` resets new connections at once (a server
 * that is down); `cutAfter(n)` drops every connection once n more bytes came from the server (a crash
 * in the middle of a stream). A free port on 127.0.0.1.
 */
import net from 'node:net';

interface Pair { client: net.Socket; upstream: net.Socket; frozen: boolean; held: { to: net.Socket; data: Buffer }[] }

export class TcpProxy {
  private readonly pairs = new Set<Pair>();
  private refusing = false;
  private cut: { bytes: number; done: () => void } | undefined;

  private constructor(private readonly server: net.Server, readonly port: number) {}

  static async start(targetHost: string, targetPort: number): Promise<TcpProxy> {
    let proxy: TcpProxy | undefined;
    const server = net.createServer((client) => proxy!.accept(client, targetHost, targetPort));
    await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(0, '127.0.0.1', () => resolve()); });
    proxy = new TcpProxy(server, (server.address() as net.AddressInfo).port);
    return proxy;
  }

  readonly host = '127.0.0.1';

  /** Holds the traffic of every connection open now; later connections pass. */
  freeze(): void {
    for (const p of this.pairs) p.frozen = true;
  }

  /** Delivers what was held and lets the frozen connections flow again. */
  thaw(): void {
    for (const p of this.pairs) {
      p.frozen = false;
      for (const h of p.held.splice(0)) h.to.write(h.data);
    }
  }

  /** While on, new connections are reset as soon as they arrive. */
  refuse(on: boolean): void {
    this.refusing = on;
  }

  /** Resolves after every connection was dropped, once `bytes` more bytes came from the server. */
  cutAfter(bytes: number): Promise<void> {
    return new Promise((resolve) => { this.cut = { bytes, done: resolve }; });
  }

  /** Connections open now (each a client socket and its upstream socket). */
  get connections(): number { return this.pairs.size; }

  async close(): Promise<void> {
    for (const p of this.pairs) { p.client.destroy(); p.upstream.destroy(); }
    this.pairs.clear();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: net.Socket, host: string, port: number): void {
    if (this.refusing) { client.resetAndDestroy(); return; }
    const upstream = net.connect(port, host);
    const pair: Pair = { client, upstream, frozen: false, held: [] };
    this.pairs.add(pair);
    const forward = (from: net.Socket, to: net.Socket) => from.on('data', (data) => {
      if (pair.frozen) pair.held.push({ to, data });
      else to.write(data);
      if (from === upstream && this.cut && (this.cut.bytes -= data.length) <= 0) {
        const { done } = this.cut;
        this.cut = undefined;
        for (const p of this.pairs) { p.client.resetAndDestroy(); p.upstream.destroy(); }
        this.pairs.clear();
        done();
      }
    });
    forward(client, upstream);
    forward(upstream, client);
    const end = () => {
      if (pair.frozen) return; // a frozen peer hears nothing, not even the close
      this.pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    for (const s of [client, upstream]) { s.on('error', end); s.on('close', end); }
  }
}
