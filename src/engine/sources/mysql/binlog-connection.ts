/**
 * The replication connection: the only file that touches mysql2 internals (`addCommand`, the
 * packet's `buffer/offset/end`, `sequenceId`, `_registerSlave`). mysql2 does authentication,
 * packet framing, >16 MB packet reassembly and pause/resume; we send COM_BINLOG_DUMP ourselves and
 * hand each event's bytes to a callback. Pin the mysql2 minor version: these internals are not API.
 */
import mysql from 'mysql2';
import type { DbEndpoint } from '../../endpoint.ts';
import { mysqlConnectionOptions } from '../../mysql/connection.ts';
import type { DumpThread } from './dump-thread.ts';

export interface DumpHandlers {
  /** One binlog event: `buf[start..end)` (header included). The buffer is reused: copy what you keep. */
  onEvent(buf: Buffer, start: number, end: number): void;
  /**
   * The stream failed (server error packet such as 1236, lost connection). Called at most once.
   * `replication`: the server refused the replica registration or the dump itself.
   */
  onError(err: Error & { errno?: number; code?: string; replication?: boolean }): void;
  /** Non-blocking dumps only: the server reached the end of its binlog and ended the dump. */
  onEnd?(): void;
}

/**
 * `nonBlocking`: COM_BINLOG_DUMP flag BINLOG_DUMP_NON_BLOCK (1); the server sends EOF at the end
 * of the binlog (-> onEnd) instead of waiting for more. Used to scan, never to stream.
 *
 * `gtid` (MariaDB only, non-empty): start right after these GTIDs instead of at file:offset
 * (`file`/`offset` are then ignored). The session gets @slave_connect_state = the state,
 * @slave_gtid_strict_mode = 1 (a requested GTID missing from the binlog is error 1236, never a
 * silent start at a later sequence number) and @slave_gtid_ignore_duplicates = 0 (we read one
 * server, not a multi-source topology), and COM_BINLOG_DUMP carries an empty file name and offset
 * 4. The server opens the dump with an artificial ROTATE naming the file it found the state in.
 */
export interface DumpStart {
  serverId: number; file: string; offset: number; heartbeatMs: number; mariaDb: boolean; nonBlocking?: boolean; gtid?: string;
  /**
   * The watchdog: no packet (event or heartbeat) for this long while reading (not paused) fails the
   * dump and drops the socket. Needs `heartbeatMs` well below it. 0 / absent: no watchdog.
   */
  deadAfterMs?: number;
  /** The bound on each step before the dump streams, the login included; default 60 s. */
  stepTimeoutMs?: number;
}

/**
 * The watchdog's verdict: the server sent nothing, not even a heartbeat, for longer than the bound.
 * Recoverable: a new connection (after KILLing our stale dump thread) usually streams again.
 */
export class DumpStalledError extends Error {
  override name = 'DumpStalledError';
  readonly code = 'SOURCE_STALLED';
}

/** A MariaDB GTID state as positions carry it: `domain-server-seq` comma-separated (may be empty). */
export const GTID_STATE = /^(\d+-\d+-\d+(,\d+-\d+-\d+)*)?$/;

/** Internal mysql2 shapes we rely on. */
interface RawConnection {
  threadId: number;
  sequenceId: number;
  clientEncoding: string;
  stream: { destroy(): void };
  addCommand(cmd: unknown): void;
  write(b: Buffer): void;
  _resetSequenceId(): void;
  _registerSlave(opts: { serverId: number }, cb: (err: Error | null) => void): void;
  pause(): void;
  resume(): void;
  on(ev: string, fn: (...a: any[]) => void): void;
  query(sql: string, cb: (err: Error | null, rows: any) => void): void;
}
interface RawPacket { buffer: Buffer; offset: number; end: number; asError(enc: string): Error }

export class BinlogConnection {
  private conn: RawConnection | undefined;
  private failed = false;
  private closed = false;
  private paused = false;
  private watchdog: NodeJS.Timeout | undefined;
  private heartbeatMs = 0;
  /** When the last packet arrived, or reading resumed (the watchdog's reference). */
  private silentSince = 0;
  /** When the server last sent anything (an event or a heartbeat); 0 before the first packet. */
  lastPacketAt = 0;
  threadId = 0;
  /** PROCESSLIST.HOST of this connection as the server sees it (host:port). */
  peer = '';

  constructor(private readonly endpoint: DbEndpoint, private readonly handlers: DumpHandlers) {}

  async start(o: DumpStart): Promise<void> {
    const stepTimeoutMs = o.stepTimeoutMs ?? 60_000;
    const options = mysqlConnectionOptions(this.endpoint);
    const c = mysql.createConnection({ ...options, connectTimeout: Math.min(options.connectTimeout ?? stepTimeoutMs, stepTimeoutMs) }) as unknown as RawConnection;
    this.conn = c;
    c.on('error', (e: Error) => this.fail(e));
    c.on('end', () => this.fail(Object.assign(new Error('the MySQL server closed the binlog connection'), { code: 'PROTOCOL_CONNECTION_LOST' })));
    // Every step up to the dump is bounded: a server that goes silent after the login fails the start.
    const bounded = <T>(what: string, run: (res: (v: T) => void, rej: (e: Error) => void) => void) => new Promise<T>((res, rej) => {
      const timer = setTimeout(() => {
        c.stream.destroy();
        rej(new Error(`the MySQL server did not answer within ${stepTimeoutMs} ms while starting a binlog dump (${what})`));
      }, stepTimeoutMs);
      run((v) => { clearTimeout(timer); res(v); }, (e) => { clearTimeout(timer); rej(e); });
    });
    const q = (sql: string) => bounded<any>(sql, (res, rej) => c.query(sql, (e, r) => (e ? rej(e) : res(r))));
    // How the server sees this connection (host:port): with the thread id it tells our dump thread
    // from a namesake later, also behind a proxy or NAT where our own local port means nothing.
    const [me] = await q('SELECT HOST AS host FROM information_schema.PROCESSLIST WHERE ID = CONNECTION_ID()');
    this.threadId = c.threadId;
    this.peer = String(me?.host ?? '');
    // The server sends CRC32-checksummed events only to a reader that says it can verify them.
    await q('SET @master_binlog_checksum = @@global.binlog_checksum');
    // Heartbeats when idle: proof of life while nothing is written (nanoseconds).
    await q(`SET @master_heartbeat_period = ${Math.round(o.heartbeatMs * 1e6)}`);
    // MariaDB: real GTID events (transaction begin markers), no fake BEGIN queries.
    if (o.mariaDb) await q('SET @mariadb_slave_capability = 4');
    const byGtid = !!o.gtid;
    if (byGtid) {
      if (!o.mariaDb) throw new Error('a GTID-state binlog dump needs MariaDB');
      if (!GTID_STATE.test(o.gtid!)) throw new Error(`not a MariaDB GTID state: ${o.gtid}`);
      await q(`SET @slave_connect_state = '${o.gtid}'`);
      await q('SET @slave_gtid_strict_mode = 1');
      await q('SET @slave_gtid_ignore_duplicates = 0');
    }
    // Errors from here on are the replication protocol's (privileges.ts tells a missing REPLICATION SLAVE from a bad login by this).
    const replication = (e: Error) => Object.assign(e, { replication: true });
    await bounded<void>('register as a replica', (res, rej) => c._registerSlave({ serverId: o.serverId }, (e) => (e ? rej(replication(e)) : res())));
    const name = Buffer.from(byGtid ? '' : o.file, 'latin1');
    const dumpOffset = byGtid ? 4 : o.offset;
    let sent = false;
    const cmd = {
      onResult: (e: Error | null) => { if (e) this.fail(replication(e)); },
      execute: (packet: RawPacket | null, connection: RawConnection): boolean => {
        if (!sent) {
          // COM_BINLOG_DUMP: [len u24][seq][0x12][offset u32][flags u16: 0 blocking, 1 non-blocking][server id u32][file]
          connection._resetSequenceId();
          const b = Buffer.alloc(15 + name.length);
          b.writeUIntLE(b.length - 4, 0, 3);
          b[4] = 0x12; b.writeUInt32LE(dumpOffset, 5); b.writeUInt16LE(o.nonBlocking ? 1 : 0, 9); b.writeUInt32LE(o.serverId, 11); name.copy(b, 15);
          connection.write(b);
          connection.sequenceId = 1;
          sent = true;
          return false;
        }
        if (!packet) return false;
        const { buffer, offset, end } = packet;
        if (buffer[offset] === 0xff) { this.fail(replication(packet.asError(connection.clientEncoding))); return true; } // e.g. 1236: purged
        if (buffer[offset] === 0xfe && end - offset < 13) {
          if (o.nonBlocking && !this.closed && !this.failed) { this.failed = true; this.handlers.onEnd?.(); } else this.fail(new Error('the MySQL server ended the binlog dump'));
          return true;
        }
        if (this.closed) return false;
        this.lastPacketAt = this.silentSince = Date.now();
        try { this.handlers.onEvent(buffer, offset + 1, end); } catch (err) { this.fail(err as Error); }
        return false;
      },
    };
    c.addCommand(cmd);
    this.heartbeatMs = o.heartbeatMs;
    if (o.deadAfterMs) this.startWatchdog(o.deadAfterMs);
  }

  pause(): void { if (!this.paused) { this.paused = true; this.conn?.pause(); } }
  resume(): void { if (this.paused) { this.paused = false; this.silentSince = Date.now(); this.conn?.resume(); } }
  get isPaused(): boolean { return this.paused; }

  /** Our server thread (dump-thread.ts). */
  get thread(): DumpThread { return { threadId: this.threadId, peer: this.peer }; }

  /** Drops the socket at once; the server notices on its next write (close() KILLs the thread too). */
  destroy(): void {
    this.closed = true;
    this.stopWatchdog();
    this.conn?.stream.destroy();
  }

  private startWatchdog(deadAfterMs: number): void {
    this.silentSince = Date.now();
    const tick = Math.min(1_000, Math.max(10, deadAfterMs / 4));
    let lastTick = Date.now();
    this.watchdog = setInterval(() => {
      const now = Date.now();
      // While paused we are not reading: silence then is ours, not the server's. A tick far too
      // late means our own event loop was blocked: packets may be waiting unread, so no verdict.
      const blocked = now - lastTick > 2 * tick + 1_000;
      lastTick = now;
      if (this.paused || blocked) { this.silentSince = now; return; }
      if (now - this.silentSince <= deadAfterMs) return;
      const due = this.heartbeatMs ? `heartbeats are due every ${this.heartbeatMs} ms; ` : '';
      this.fail(new DumpStalledError(`the MySQL binlog dump went silent: no event and no heartbeat for ${Math.round((now - this.silentSince) / 1000)} s `
        + `(${due}stall bound ${deadAfterMs} ms); reconnecting`));
      this.destroy();
    }, tick);
    this.watchdog.unref();
  }

  private stopWatchdog(): void {
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = undefined;
  }

  private fail(err: Error): void {
    if (this.closed || this.failed) return;
    this.failed = true;
    this.stopWatchdog();
    this.handlers.onError(err);
  }
}

