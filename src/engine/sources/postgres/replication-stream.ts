/**
 * A logical replication connection (PostgreSQL docs, "Streaming Replication Protocol") on top of
 * `pg`: START_REPLICATION puts the connection in CopyBoth mode; the server's CopyData messages
 * are XLogData ('w') and primary keepalives ('k'); ours are standby status updates ('r').
 * Every status update reports the position the *target has committed* as written, flushed and
 * applied, never a merely received one, so the slot never releases WAL we still need.
 */
import pg from 'pg';
import type { Logger } from '../../../logger.ts';
import type { PgEndpoint } from '../../endpoint.ts';
import { formatLsn, nowAsPgTimestamp } from './lsn.ts';

export interface ReplicationHandlers {
  onData(walStart: bigint, payload: Buffer): void;
  /** The server has sent everything up to walEnd (keepalive). */
  onKeepalive(walEnd: bigint): void;
  onError(err: Error): void;
}

const STATUS_INTERVAL_MS = 10_000;

export class ReplicationStream {
  private client: pg.Client | undefined;
  private copyDone: Promise<unknown> | undefined;
  private flushed = 0n;
  private timer: NodeJS.Timeout | undefined;
  private paused = false;
  private ended = false;

  constructor(private readonly endpoint: PgEndpoint, private readonly logger: Logger) {}

  /** Starts streaming from `startLsn` (0 = the slot's confirmed position); resolves once the server is in CopyBoth mode. */
  async start(slot: string, publication: string, startLsn: bigint, handlers: ReplicationHandlers): Promise<void> {
    const client = new pg.Client({ ...clientConfig(this.endpoint), replication: 'database' } as pg.ClientConfig);
    this.client = client;
    client.on('error', (err) => { if (!this.ended) handlers.onError(err); });
    await client.connect();
    const con = (client as any).connection;
    con.on('copyData', (msg: { chunk: Buffer }) => {
      const c = msg.chunk;
      if (c[0] === 0x77 /* w */) handlers.onData(c.readBigUInt64BE(1), c.subarray(25));
      else if (c[0] === 0x6b /* k */) {
        handlers.onKeepalive(c.readBigUInt64BE(1));
        if (c[17] === 1) this.sendStatus();
      }
    });
    const started = new Promise<void>((resolve) => con.once('replicationStart', resolve));
    const sql = `START_REPLICATION SLOT ${quoteIdent(slot)} LOGICAL ${formatLsn(startLsn)} (proto_version '1', publication_names ${quoteLiteral(publication)})`;
    this.copyDone = client.query(sql);
    const failed = this.copyDone.then(() => { throw new Error('replication ended before it started'); });
    this.copyDone.catch((err) => { if (!this.ended) handlers.onError(err); });
    await Promise.race([started, failed]);
    this.timer = setInterval(() => this.sendStatus(), STATUS_INTERVAL_MS);
  }

  /** Records the position the target has committed and reports it to the server. */
  acknowledge(lsn: bigint): void {
    if (lsn > this.flushed) this.flushed = lsn;
    this.sendStatus();
  }

  pause(): void {
    if (!this.paused) { this.paused = true; (this.client as any)?.connection.stream.pause(); }
  }

  resume(): void {
    if (this.paused) { this.paused = false; (this.client as any)?.connection.stream.resume(); }
  }

  /** Graceful end: final status update, CopyDone, wait for the server to finish, disconnect. */
  async end(timeoutMs: number): Promise<void> {
    if (!this.client || this.ended) return;
    this.ended = true;
    clearInterval(this.timer);
    const client = this.client;
    this.resume();
    this.sendStatus();
    (client as any).connection.endCopyFrom();
    await Promise.race([this.copyDone?.catch(() => undefined), delay(timeoutMs)]);
    await Promise.race([client.end().catch(() => undefined), delay(1000)]);
    (client as any).connection.stream.destroy();
  }

  destroy(): void {
    this.ended = true;
    clearInterval(this.timer);
    (this.client as any)?.connection.stream.destroy();
  }

  private sendStatus(): void {
    const con = (this.client as any)?.connection;
    if (!con || con.stream.destroyed) return;
    const buf = Buffer.alloc(34);
    buf.write('r', 0);
    buf.writeBigUInt64BE(this.flushed, 1); // written
    buf.writeBigUInt64BE(this.flushed, 9); // flushed
    buf.writeBigUInt64BE(this.flushed, 17); // applied
    buf.writeBigUInt64BE(nowAsPgTimestamp(), 25);
    buf.writeUInt8(0, 33);
    try { con.sendCopyFromChunk(buf); } catch (err) { this.logger.warn('could not send a standby status update', { error: err }); }
  }
}

export function clientConfig(e: PgEndpoint): pg.ClientConfig {
  return { host: e.host, port: e.port, database: e.database, user: e.user, password: e.password, connectionTimeoutMillis: 10_000, keepAlive: true };
}

export function quoteIdent(s: string): string {
  return `"${s.replace(/"/g, '""')}"`;
}

function quoteLiteral(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref());
}
