/**
 * "Start from a point in time" (StartParam.startPosition.timestamp) for the MySQL/MariaDB source:
 * the position just before the first transaction whose timestamp is at or after a given time,
 * found in the binlogs still on the server.
 *
 * How: SHOW BINARY LOGS, then a binary search over the files by the timestamp of each file's
 * FORMAT_DESCRIPTION event (written when the file was opened; read by a dump from file:4 that is
 * torn down after that one event). The last file opened before the wanted second is then scanned,
 * into the following files as needed, by a non-blocking dump (BINLOG_DUMP_NON_BLOCK: the server
 * ends the dump with EOF at the end of its binlog) that looks at event headers and QUERY heads
 * only. Every dump runs on its own connection with its own reader state (nothing reaches the
 * source's queue) and is KILLed and waited for afterwards, so no dump thread stays on the server.
 *
 * Resolution: binlog event timestamps are whole seconds (the statement's start time, UTC), so the
 * result is "the first transaction in the same second as `time` or later": transactions earlier in
 * that second are delivered too. A transaction counts by the later of its first and last event's
 * timestamps (its commit). Binlog order is commit order; timestamps are statement start times, so a
 * long statement that started before `time` but committed after a qualifying transaction is delivered.
 */
import type { Logger } from '../../../logger.ts';
import type { DbEndpoint } from '../../endpoint.ts';
import { UnrecoverableError } from '../../errors.ts';
import { BinlogConnection } from './binlog-connection.ts';
import { EV } from './binlog-events.ts';
import { releaseDumpThread } from './dump-thread.ts';
import type { BinlogPosition } from './position.ts';
import type { Queryable } from './table-info.ts';

export interface TimeScanContext {
  endpoint: DbEndpoint;
  /** The replica server_id the scanning dumps register with (not the task's: a second dump with an id drops the first). */
  serverId: number;
  mariaDb: boolean;
  control: Queryable;
  logger: Logger;
}

const SCAN_SILENCE_MS = 30_000;
const XA_ROLLBACK_OR_COMMIT = /^(COMMIT|ROLLBACK|XA COMMIT|XA ROLLBACK)\b/;

/** Where a transaction-boundary position at or just before `time` is; gtid left null (the caller adds MariaDB's). */
export async function findPositionAt(ctx: TimeScanContext, time: Date): Promise<BinlogPosition | 'end'> {
  const want = Math.floor(time.getTime() / 1000);
  const [[now]] = await ctx.control.query('SELECT UNIX_TIMESTAMP() AS t') as any;
  // Nothing in the binlog can be stamped later than the server's clock: a future time is the end.
  if (want > Number(now.t)) return 'end';
  const [logs] = await ctx.control.query('SHOW BINARY LOGS');
  const files = (logs as any[]).map((r) => String(r.Log_name));
  if (files.length === 0) throw new UnrecoverableError('the source MySQL server has no binary logs (SHOW BINARY LOGS is empty); enable log_bin');
  const [[ck]] = await ctx.control.query('SELECT @@global.binlog_checksum AS ck') as any;
  const crc32 = String(ck.ck).toUpperCase() === 'CRC32';

  const oldest = await firstEventTime(ctx, files[0]);
  if (want < oldest) {
    throw new UnrecoverableError(`cannot start from ${time.toISOString()}: the binlogs on the source MySQL server start at `
      + `${new Date(oldest * 1000).toISOString()} (${files[0]}); older changes are gone (purged or expired). `
      + 'Choose a later start time, or start with the initial load (full copy) instead.');
  }
  // The last file opened strictly before the wanted second: a transaction of the previous file can
  // carry the second in which the next one was opened.
  let lo = 0, hi = files.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (await firstEventTime(ctx, files[mid]) < want) lo = mid; else hi = mid - 1;
  }
  return scanFrom(ctx, files[lo], want, crc32);
}

/** The timestamp of the first real event of `file` (its FORMAT_DESCRIPTION). */
async function firstEventTime(ctx: TimeScanContext, file: string): Promise<number> {
  let t: number | null = null;
  await readDump(ctx, file, (b, p) => {
    const time = b.readUInt32LE(p), logPos = b.readUInt32LE(p + 13);
    if (time === 0 || logPos === 0) return false; // the artificial ROTATE that opens a dump
    t = time;
    return true;
  });
  if (t === null) throw new Error(`the binlog ${file} has no events`);
  return t;
}

/**
 * Reads event groups from `file`:4 on until one whose timestamp is >= `want` (its start is the
 * answer) or the end of the binlog (the end of the last whole group read is the answer).
 */
async function scanFrom(ctx: TimeScanContext, startFile: string, want: number, crc32: boolean): Promise<BinlogPosition | 'end'> {
  let checksum = crc32 ? 4 : 0;
  let file = startFile;
  let group: { file: string; offset: number; time: number; txn: boolean } | null = null;
  let lastEnd: { file: string; offset: number } | null = null;
  let found: BinlogPosition | null = null;
  const close = (time: number): boolean => {
    const g = group!;
    group = null;
    if (Math.max(g.time, time) >= want) { found = { file: g.file, offset: g.offset, gtid: null }; return true; }
    return false;
  };
  const stopped = await readDump(ctx, startFile, (b, p, end) => {
    const time = b.readUInt32LE(p), type = b[p + 4], size = b.readUInt32LE(p + 9), logPos = b.readUInt32LE(p + 13);
    const body = p + 19;
    if (type === EV.FORMAT_DESCRIPTION) checksum = b[end - 5] === 1 ? 4 : 0;
    const bodyEnd = end - checksum;
    if (type === EV.ROTATE) { file = b.toString('latin1', body + 8, bodyEnd); return false; }
    if (logPos === 0 || type === EV.HEARTBEAT) return false; // artificial events
    const start = logPos - size;
    let stop = false;
    if (type === EV.MARIA_GTID) {
      group = { file, offset: start, time, txn: (b[body + 12] & 1) === 0 };
    } else if (type === EV.MYSQL_GTID || type === EV.MYSQL_ANONYMOUS_GTID) {
      group = { file, offset: start, time, txn: false }; // a BEGIN query follows for transactions
    } else if (type === EV.QUERY) {
      const dbLen = b[body + 8], statusLen = b.readUInt16LE(body + 11);
      const sqlStart = body + 13 + statusLen + dbLen + 1;
      const head = b.toString('utf8', sqlStart, Math.min(bodyEnd, sqlStart + 32)).trimStart().toUpperCase();
      group ??= { file, offset: start, time, txn: false };
      if (/^(BEGIN|XA START)\b/.test(head)) group.txn = true;
      else if (!group.txn || XA_ROLLBACK_OR_COMMIT.test(head)) stop = close(time); // a standalone statement (DDL) or the commit
    } else if (type === EV.XID && group) {
      stop = close(time);
    }
    if (!group) lastEnd = { file, offset: logPos };
    return stop;
  });
  const f = found as BinlogPosition | null;
  if (f) return f;
  if (stopped) throw new Error('binlog scan stopped without a result'); // not reached
  const g = group as { file: string; offset: number } | null;
  if (g) return { file: g.file, offset: g.offset, gtid: null }; // cannot happen: the server writes whole groups
  const e = lastEnd as { file: string; offset: number } | null;
  return e ? { ...e, gtid: null } : 'end';
}

/**
 * MariaDB: whether a dump by GTID state `gtid` (strict mode, as the source streams) can start, i.e.
 * the server still has the binlog in which the state is found. Null: it can; otherwise the
 * server's error 1236 message (e.g. "Could not find GTID state requested by slave in any binlog
 * files"). Other errors are thrown. A non-blocking dump on its own connection, read until the first
 * event group the server sends (every group it sends lies after the state) or the end of the
 * binlog (the state is the end), so strict-mode errors found while the server skips to the state
 * surface too; the dump thread is gone when this returns.
 */
export async function gtidStartProblem(ctx: TimeScanContext, gtid: string): Promise<string | null> {
  try {
    await readDump(ctx, { gtid }, (b, p) => b[p + 4] === EV.MARIA_GTID && b.readUInt32LE(p + 13) !== 0);
    return null;
  } catch (err) {
    if ((err as { errno?: number }).errno === 1236) return (err as Error).message;
    throw err;
  }
}

/**
 * A non-blocking dump of `file` from offset 4 (or from after GTID state `gtid`) on a connection of
 * its own: `visit` sees each event (`b[p..end)`, header included) until it returns true. True when
 * `visit` stopped it, false at the end of the binlog. The dump thread is gone from the server when
 * this returns.
 */
async function readDump(ctx: TimeScanContext, from: string | { gtid: string }, visit: (b: Buffer, p: number, end: number) => boolean): Promise<boolean> {
  let finished = false;
  let settle!: (stopped: boolean) => void, reject!: (err: Error) => void;
  const done = new Promise<boolean>((res, rej) => { settle = res; reject = rej; });
  done.catch(() => undefined); // observed below; an early failure must not be an unhandled rejection
  const finish = (f: () => void) => { if (!finished) { finished = true; f(); } };
  const conn = new BinlogConnection(ctx.endpoint, {
    onEvent: (b, s, e) => {
      if (finished) return;
      try { if (visit(b, s, e)) finish(() => settle(true)); } catch (err) { finish(() => reject(err as Error)); }
    },
    onError: (err) => finish(() => reject(err)),
    onEnd: () => finish(() => settle(false)),
  });
  try {
    const gtid = typeof from === 'string' ? undefined : from.gtid;
    // A non-blocking dump streams without pause until its EOF: silence for long means a hung server.
    await conn.start({ serverId: ctx.serverId, file: typeof from === 'string' ? from : '', offset: 4, heartbeatMs: 0, mariaDb: ctx.mariaDb, nonBlocking: true, gtid,
      deadAfterMs: SCAN_SILENCE_MS, stepTimeoutMs: SCAN_SILENCE_MS });
    return await done;
  } finally {
    finished = true;
    await releaseDump(ctx, conn);
  }
}

/** Drops the socket, KILLs the server thread and waits until PROCESSLIST no longer shows it. */
async function releaseDump(ctx: TimeScanContext, conn: BinlogConnection): Promise<void> {
  conn.destroy();
  await releaseDumpThread(ctx.control, conn.thread, Date.now() + 5_000, ctx.logger);
}
