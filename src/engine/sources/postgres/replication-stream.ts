/**
 * A logical replication connection (PostgreSQL docs, "Streaming Replication Protocol") on top of
 * `pg`: START_REPLICATION puts the connection in CopyBoth mode; the server's CopyData messages
 * are XLogData ('w') and primary keepalives ('k'); ours are standby status updates ('r').
 * Every status update - periodic, answering a keepalive, idle or not - reports the position the
 * *target has committed* as written, flushed and applied, never a merely received one, so the
 * slot never releases a change we may still need.
 */
import pg from 'pg';
import type { Logger } from '../../../logger.ts';
import type { PgEndpoint } from '../../endpoint.ts';
import { clientConfig, delay, quoteIdent, quoteLiteral } from '../../postgres/connection.ts';
import { formatLsn, nowAsPgTimestamp } from './lsn.ts';

export interface ReplicationHandlers {
  onData(payload: Buffer): void;
  /** The server has sent everything up to walEnd. */
  onKeepalive(walEnd: bigint): void;
  onError(err: Error): void;
}

/** Well inside the server's wal_sender_timeout (60 s by default). */
const STATUS_INTERVAL_MS = 10_000;

/** The parts of pg's internal Connection this relies on (node_modules/pg/lib/connection.js). */
interface PgConnection {
  stream: { pause(): void; resume(): void; destroy(): void; destroyed: boolean };
  on(event: 'copyData', fn: (msg: { chunk: Buffer }) => void): void;
  once(event: 'replicationStart', fn: () => void): void;
  sendCopyFromChunk(chunk: Buffer): void;
  endCopyFrom(): void;
}

export class ReplicationStream {
  private client: pg.Client | undefined;
  private con: PgConnection | undefined;
  private copyDone: Promise<unknown> | undefined;
  private flushed = 0n;
  private timer: NodeJS.Timeout | undefined;
  private paused = false;
  private ended = false;

  constructor(private readonly endpoint: PgEndpoint, private readonly applicationName: string, private readonly logger: Logger) {}

  /** The walsender's backend pid (BackendKeyData): teardown terminates this one only, never a newer owner's. */
  get backendPid(): number | null {
    return (this.client as unknown as { processID?: number | null } | undefined)?.processID ?? null;
  }

  /**
   * Streams from `startLsn`, the last committed position (0: the slot's confirmed position);
   * resolves once the server is in CopyBoth mode.
   */
  async start(slot: string, publication: string, startLsn: bigint, handlers: ReplicationHandlers): Promise<void> {
    this.flushed = startLsn;
    const client = new pg.Client({ ...clientConfig(this.endpoint, this.applicationName), replication: 'database' } as pg.ClientConfig);
    this.client = client;
    const fail = (err: Error) => { if (!this.ended) { this.ended = true; clearInterval(this.timer); handlers.onError(err); } };
    client.on('error', fail);
    client.on('end', () => fail(new Error('the replication connection was closed')));
    await client.connect();
    const con = (client as unknown as { connection: PgConnection }).connection;
    this.con = con;
    con.on('copyData', (msg) => {
      const c = msg.chunk;
      if (c[0] === 0x77 /* w: XLogData, payload after a 24-byte header */) handlers.onData(c.subarray(25));
      else if (c[0] === 0x6b /* k: keepalive */) {
        handlers.onKeepalive(c.readBigUInt64BE(1));
        if (c[17] === 1) this.sendStatus();
      }
    });
    const started = new Promise<void>((resolve) => con.once('replicationStart', resolve));
    const sql = `START_REPLICATION SLOT ${quoteIdent(slot)} LOGICAL ${formatLsn(startLsn)} (proto_version '1', publication_names ${quoteLiteral(publication)})`;
    const copyDone = client.query(sql);
    this.copyDone = copyDone;
    copyDone.then(() => fail(new Error('the server ended the replication stream')), (err: Error) => fail(err));
    await Promise.race([started, copyDone.then(() => { throw new Error('replication ended before it started'); })]);
    this.timer = setInterval(() => this.sendStatus(), STATUS_INTERVAL_MS);
    this.timer.unref();
  }

  /** Records a position the target has committed and reports it to the server. */
  acknowledge(lsn: bigint): void {
    if (lsn > this.flushed) this.flushed = lsn;
    this.sendStatus();
  }

  pause(): void {
    if (!this.paused) { this.paused = true; this.con?.stream.pause(); }
  }

  resume(): void {
    if (this.paused) { this.paused = false; this.con?.stream.resume(); }
  }

  /** Graceful end: final status update, CopyDone, wait (bounded) for the server's answer, disconnect. */
  async end(timeoutMs: number): Promise<void> {
    const client = this.client;
    const con = this.con;
    if (!client || !con || this.ended) { this.destroy(); return; }
    this.ended = true;
    clearInterval(this.timer);
    this.resume();
    this.sendStatus();
    try { con.endCopyFrom(); } catch { /* socket already gone */ }
    await Promise.race([this.copyDone?.catch(() => undefined), delay(timeoutMs)]);
    await Promise.race([client.end().catch(() => undefined), delay(Math.min(1000, timeoutMs))]);
    con.stream.destroy();
  }

  destroy(): void {
    this.ended = true;
    clearInterval(this.timer);
    this.con?.stream.destroy();
  }

  private sendStatus(): void {
    const con = this.con;
    if (!con || con.stream.destroyed) return;
    const buf = Buffer.alloc(34);
    buf.write('r', 0);
    buf.writeBigUInt64BE(this.flushed, 1); // written
    buf.writeBigUInt64BE(this.flushed, 9); // flushed
    buf.writeBigUInt64BE(this.flushed, 17); // applied
    buf.writeBigUInt64BE(nowAsPgTimestamp(), 25);
    buf.writeUInt8(0, 33); // no reply requested
    try { con.sendCopyFromChunk(buf); } catch (err) { this.logger.warn('could not send a standby status update', { error: err }); }
  }
}
