/**
 * A logical replication connection (PostgreSQL docs, "Streaming Replication Protocol") on top of
 * `pg`: START_REPLICATION puts the connection in CopyBoth mode; the server's CopyData messages
 * are XLogData ('w') and primary keepalives ('k'); ours are standby status updates ('r').
 * Every status update - periodic, answering a keepalive, idle or not - reports the position the
 * *target has committed* as written, flushed and applied, never a merely received one, so the
 * slot never releases a change we may still need.
 *
 * Proof of life: every status update we send asks for a reply ("the client requests the server
 * to reply to this message immediately. This can be used to ping the server", same docs), so a
 * healthy walsender answers about once per PING_MS even when nothing is written. `lastHeardAt`
 * is the time of its last message of any kind; `silentMs()` is how long it has been silent while
 * we were reading (a paused socket is our backpressure, not the server's silence). Messages from
 * the server are parsed defensively: a short or unknown message fails the stream (onError), it
 * never throws out of the socket's event handler.
 */
import pg from 'pg';
import type { Logger } from '../../../logger.ts';
import type { PgEndpoint } from '../../endpoint.ts';
import { clientConfig, delay, quoteIdent, quoteLiteral } from '../../postgres/connection.ts';
import { formatLsn, nowAsPgTimestamp } from './lsn.ts';

export interface ReplicationHandlers {
  onData(payload: Buffer): void;
  /** The server has sent everything up to walEnd (its WAL read position). */
  onKeepalive(walEnd: bigint): void;
  onError(err: Error): void;
}

/** How often we report our position and ask the walsender for a reply (well inside wal_sender_timeout). */
export const PING_MS = 1_000;
/** START_REPLICATION must reach CopyBoth mode within this (the slot may be busy, the server slow). */
const START_TIMEOUT_MS = 30_000;

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
  private heardAt = 0;
  /** Silence is counted from the later of the last message and the last time reading resumed. */
  private watchFrom = 0;
  private fail: (err: Error) => void = () => undefined;

  constructor(private readonly endpoint: PgEndpoint, private readonly applicationName: string, private readonly logger: Logger) {}

  /** The walsender's backend pid (BackendKeyData): teardown terminates this one only, never a newer owner's. */
  get backendPid(): number | null {
    return (this.client as unknown as { processID?: number | null } | undefined)?.processID ?? null;
  }

  /** When the walsender last sent anything (data or keepalive); null before its first message. */
  get lastHeardAt(): Date | null {
    return this.heardAt ? new Date(this.heardAt) : null;
  }

  /** How long the walsender has sent nothing while we were reading (0 while paused). */
  silentMs(now = Date.now()): number {
    return this.paused || this.ended ? 0 : Math.max(0, now - Math.max(this.heardAt, this.watchFrom));
  }

  /**
   * Streams from `startLsn`, the last committed position (0: the slot's confirmed position);
   * resolves once the server is in CopyBoth mode.
   */
  async start(slot: string, publication: string, startLsn: bigint, handlers: ReplicationHandlers): Promise<void> {
    this.flushed = startLsn;
    const client = new pg.Client({ ...clientConfig(this.endpoint, this.applicationName), replication: 'database' } as pg.ClientConfig);
    this.client = client;
    this.fail = (err: Error) => { if (!this.ended) { this.ended = true; clearInterval(this.timer); handlers.onError(err); } };
    client.on('error', (err) => this.fail(err));
    client.on('end', () => this.fail(new Error('the replication connection was closed')));
    await client.connect();
    const con = (client as unknown as { connection: PgConnection }).connection;
    this.con = con;
    con.on('copyData', (msg) => {
      try {
        this.receive(msg.chunk, handlers);
      } catch (err) {
        this.fail(err instanceof Error ? err : new Error(String(err)));
        this.destroy();
      }
    });
    const started = new Promise<void>((resolve) => con.once('replicationStart', resolve));
    const sql = `START_REPLICATION SLOT ${quoteIdent(slot)} LOGICAL ${formatLsn(startLsn)} (proto_version '1', publication_names ${quoteLiteral(publication)})`;
    const copyDone = client.query(sql);
    this.copyDone = copyDone;
    copyDone.then(() => this.fail(new Error('the server ended the replication stream')), (err: Error) => this.fail(err));
    const timedOut = delay(START_TIMEOUT_MS).then(() => { throw new Error(`START_REPLICATION did not answer within ${START_TIMEOUT_MS / 1000} s`); });
    try {
      await Promise.race([started, copyDone.then(() => { throw new Error('replication ended before it started'); }), timedOut]);
    } catch (err) {
      this.destroy();
      throw err;
    }
    if (this.ended) return; // failed as it started (onError has the reason)
    this.heardAt = Date.now();
    this.watchFrom = this.heardAt;
    this.timer = setInterval(() => this.sendStatus(true), PING_MS);
    this.timer.unref();
    this.sendStatus(true);
  }

  /** Records a position the target has committed and reports it to the server. */
  acknowledge(lsn: bigint): void {
    if (lsn > this.flushed) this.flushed = lsn;
    this.sendStatus(false);
  }

  /** Asks the walsender for an immediate keepalive (its answer carries how far it has read). */
  ping(): void {
    this.sendStatus(true);
  }

  pause(): void {
    if (!this.paused) { this.paused = true; this.con?.stream.pause(); }
  }

  resume(): void {
    if (this.paused) { this.paused = false; this.watchFrom = Date.now(); this.con?.stream.resume(); }
  }

  /** Graceful end: final status update, CopyDone, wait (bounded) for the server's answer, disconnect. */
  async end(timeoutMs: number): Promise<void> {
    const client = this.client;
    const con = this.con;
    if (!client || !con || this.ended) { this.destroy(); return; }
    this.ended = true;
    clearInterval(this.timer);
    this.resume();
    this.sendStatus(false);
    try { con.endCopyFrom(); } catch { /* socket already gone */ }
    await Promise.race([this.copyDone?.catch(() => undefined), delay(timeoutMs)]);
    await Promise.race([client.end().catch(() => undefined), delay(Math.min(1000, timeoutMs))]);
    con.stream.destroy();
  }

  destroy(): void {
    this.ended = true;
    clearInterval(this.timer);
    const stream = this.con?.stream ?? (this.client as unknown as { connection?: PgConnection } | undefined)?.connection?.stream;
    stream?.destroy();
  }

  /** One CopyData message from the server; throws on a malformed one. */
  private receive(c: Buffer, handlers: ReplicationHandlers): void {
    if (this.ended) return;
    this.heardAt = Date.now();
    const kind = c.length > 0 ? c[0] : -1;
    if (kind === 0x77 /* w: XLogData: start, walEnd, sendTime (3 x int64), then the payload */) {
      if (c.length < 26) throw new Error(`the server sent a malformed XLogData message (${c.length} bytes)`);
      handlers.onData(c.subarray(25));
    } else if (kind === 0x6b /* k: keepalive: walEnd, sendTime (int64), replyRequested (byte) */) {
      if (c.length < 18) throw new Error(`the server sent a malformed keepalive message (${c.length} bytes)`);
      handlers.onKeepalive(c.readBigUInt64BE(1));
      if (c[17] === 1) this.sendStatus(false);
    } else {
      throw new Error(`the server sent an unknown replication message (type ${kind})`);
    }
  }

  private sendStatus(replyRequested: boolean): void {
    const con = this.con;
    if (!con || con.stream.destroyed) return;
    const buf = Buffer.alloc(34);
    buf.write('r', 0);
    buf.writeBigUInt64BE(this.flushed, 1); // written
    buf.writeBigUInt64BE(this.flushed, 9); // flushed
    buf.writeBigUInt64BE(this.flushed, 17); // applied
    buf.writeBigUInt64BE(nowAsPgTimestamp(), 25);
    buf.writeUInt8(replyRequested ? 1 : 0, 33);
    try { con.sendCopyFromChunk(buf); } catch (err) { this.logger.warn('could not send a standby status update', { error: err }); }
  }
}
