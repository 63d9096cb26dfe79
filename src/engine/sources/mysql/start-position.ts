/**
 * Where a binlog dump starts, and whether it still can (position.ts has the format and the rules):
 * the server's current end, MariaDB's GTID state at a file:offset, and the purge check that turns
 * a checkpoint whose binlog is gone into an UnrecoverableError with advice, never a silent jump.
 */
import type { Logger } from '../../../logger.ts';
import type { DbEndpoint } from '../../endpoint.ts';
import { UnrecoverableError } from '../../errors.ts';
import { parsePosition, type BinlogPosition } from './position.ts';
import type { Queryable } from './table-info.ts';
import { gtidStartProblem, type TimeScanContext } from './time-scan.ts';

/** The server a source reads, through its control connection. */
export interface SourceServer {
  endpoint: DbEndpoint;
  /** The task's replica server_id. */
  serverId: number;
  mariaDb: boolean;
  control: Queryable;
  logger: Logger;
}

const RETENTION_ADVICE = 'Call TerminateDISyncInstance, then Start the task again to resynchronize; '
  + 'to keep binlogs longer, raise binlog_expire_logs_seconds (or expire_logs_days) on the source.';

/** For short-lived scan/probe dumps. Not the task's server_id: a second dump with the same id would drop the task's stream. */
export function scanContext(s: SourceServer): TimeScanContext {
  return { endpoint: s.endpoint, serverId: (s.serverId + 0x8000_0000) >>> 0, mariaDb: s.mariaDb, control: s.control, logger: s.logger };
}

/** Where a dump from `position` starts; a non-empty GTID state on MariaDB decides (`byGtid`), else file:offset. */
export async function resolveStart(s: SourceServer, position: string | null): Promise<{ start: BinlogPosition; byGtid: boolean }> {
  if (!position) return { start: await currentEnd(s), byGtid: false };
  const start = parsePosition(position);
  await checkStillOnServer(s, position);
  // A non-empty GTID state decides where the dump starts; an empty one (no GTID logged yet) or MySQL: file:offset.
  const byGtid = s.mariaDb && !!start.gtid;
  if (s.mariaDb && start.gtid === null) start.gtid = await gtidAt(s, start.file, start.offset);
  return { start, byGtid };
}

/**
 * The purge check of prepare() and open(). Resuming by GTID (MariaDB, non-empty state): decided
 * by the GTID state alone, with a probe dump that starts as the real one will (error 1236 ->
 * purged); the position's file may be gone or wrong as long as the state is found in a binlog
 * still on the server. Otherwise (empty state, `file:` position, MySQL): the file must be among
 * SHOW BINARY LOGS.
 */
export async function checkStillOnServer(s: SourceServer, position: string): Promise<void> {
  const p = parsePosition(position);
  if (s.mariaDb && p.gtid) {
    const problem = await gtidStartProblem(scanContext(s), p.gtid);
    if (problem !== null) throw purgedError(position, `its GTID state ${p.gtid} is in none of the binlogs still on the server: ${problem}`);
    return;
  }
  const [logs] = await s.control.query('SHOW BINARY LOGS');
  const files = (logs as { Log_name: string }[]).map((r) => String(r.Log_name));
  if (!files.includes(p.file)) throw purgedError(position, `${p.file} is not among SHOW BINARY LOGS, which starts at ${files[0] ?? 'nothing'}`);
}

export function purgedError(position: string, detail: string): UnrecoverableError {
  return new UnrecoverableError(`the source MySQL server no longer has the binlog the task's checkpoint ${position} points into (purged or expired: ${detail}), `
    + `so the changes made since then cannot be recovered. ${RETENTION_ADVICE}`);
}

/** What a failed dump means for the task: 1236 is a purged start, unless a namesake took our server_id over. */
export function mapStreamError(err: Error & { errno?: number }, serverId: number, startPosition: string | null): Error {
  if (err instanceof UnrecoverableError) return err;
  if (err.errno === 1236) {
    if (/server_id|server_uuid/i.test(err.message)) {
      // Another dump with our server_id took over (a newer owner of the task): transient for us.
      return new Error(`the binlog dump was taken over by another reader with server_id ${serverId}: ${err.message}`);
    }
    return purgedError(startPosition ?? '(unknown)', err.message);
  }
  return err;
}

export async function currentEnd(s: SourceServer): Promise<BinlogPosition> {
  const [rows] = await s.control.query('SHOW MASTER STATUS');
  const st = (rows as { File: string; Position: number }[])[0];
  if (!st) throw new UnrecoverableError('the source MySQL server has binary logging off (SHOW MASTER STATUS is empty); enable log_bin');
  const file = String(st.File), offset = Number(st.Position);
  return { file, offset, gtid: s.mariaDb ? await gtidAt(s, file, offset) : null };
}

/** MariaDB: the GTID state at file:offset (seeds the per-domain state when starting mid-file). */
export async function gtidAt(s: SourceServer, file: string, offset: number): Promise<string> {
  const [rows] = await s.control.query('SELECT BINLOG_GTID_POS(?, ?) AS g', [file, offset]);
  const g = (rows as { g: string | null }[])[0]?.g;
  return g === null || g === undefined ? '' : String(g);
}
