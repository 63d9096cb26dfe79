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
 * The check of prepare() and open() that the position is still on the server. Resuming by GTID
 * (MariaDB, non-empty state): decided by the GTID state alone, with a probe dump that starts as the
 * real one will (error 1236 -> purged); the position's file may be gone or wrong as long as the
 * state is found in a binlog still on the server. Otherwise (empty state, `file:` position, MySQL):
 * the file must be among SHOW BINARY LOGS, and the offset within it.
 *
 * Policy for a position the server never had (docs/mysql-source.md): a checkpoint ahead of the
 * server's end (a higher GTID sequence number, a later file, an offset past a file's end) or of
 * another server (a GTID domain, a binlog name it never wrote) is "not on this server", never
 * "purged", and the task never jumps to another position by itself: UnrecoverableError.
 */
export async function checkStillOnServer(s: SourceServer, position: string): Promise<void> {
  const p = parsePosition(position);
  if (s.mariaDb && p.gtid) {
    const problem = await gtidStartProblem(scanContext(s), p.gtid);
    if (problem === null) return;
    const [rows] = await s.control.query('SELECT @@global.gtid_binlog_pos AS g');
    const ahead = gtidAhead(p.gtid, String((rows as { g: string | null }[])[0]?.g ?? ''));
    if (ahead) throw notOnServerError(position, ahead);
    throw purgedError(position, `its GTID state ${p.gtid} is in none of the binlogs still on the server: ${problem}`);
  }
  const [logs] = await s.control.query('SHOW BINARY LOGS');
  const files = (logs as { Log_name: string; File_size: number }[]).map((r) => ({ name: String(r.Log_name), size: Number(r.File_size) }));
  const found = files.find((f) => f.name === p.file);
  if (found) {
    if (p.offset > found.size) throw notOnServerError(position, `offset ${p.offset} is past the end of ${p.file} (${found.size} bytes)`);
    return;
  }
  const seq = (name: string) => /^(.*)\.(\d+)$/.exec(name);
  const want = seq(p.file), oldest = files[0] && seq(files[0].name), newest = files.length ? seq(files[files.length - 1].name) : null;
  if (!want || !oldest || !newest || want[1] !== newest[1]) {
    throw notOnServerError(position, `this server's binlogs are ${files.length ? `${files[0].name} .. ${files[files.length - 1].name}` : 'none'}, not ${p.file}`);
  }
  if (Number(want[2]) > Number(newest[2])) throw notOnServerError(position, `${p.file} is later than the server's newest binlog ${files[files.length - 1].name}`);
  if (Number(want[2]) > Number(oldest[2])) throw notOnServerError(position, `${p.file} is missing between ${files[0].name} and ${files[files.length - 1].name}`);
  throw purgedError(position, `${p.file} is not among SHOW BINARY LOGS, which starts at ${files[0].name}`);
}

/** Why a GTID state is ahead of (or foreign to) the server's, or null. */
function gtidAhead(state: string, serverState: string): string | null {
  const server = new Map(serverState.split(',').filter(Boolean).map((g) => { const [d, , q] = g.split('-'); return [d, BigInt(q)] as const; }));
  for (const g of state.split(',').filter(Boolean)) {
    const [d, , q] = g.split('-');
    const have = server.get(d);
    if (have === undefined) return `GTID domain ${d} of ${g} was never logged on this server (its binlog state is ${serverState || 'empty'})`;
    if (BigInt(q) > have) return `${g} is ahead of this server's binlog, which ends at ${serverState}`;
  }
  return null;
}

export function purgedError(position: string, detail: string): UnrecoverableError {
  return new UnrecoverableError(`the source MySQL server no longer has the binlog the task's checkpoint ${position} points into (purged or expired: ${detail}), `
    + `so the changes made since then cannot be recovered. ${RETENTION_ADVICE}`);
}

export function notOnServerError(position: string, detail: string): UnrecoverableError {
  return new UnrecoverableError(`the task's checkpoint ${position} is not on the source MySQL server: ${detail}. The data source may point to another server `
    + 'than the one the task read, or the binlog was reset (RESET MASTER); the task does not jump to another position by itself. '
    + 'Call TerminateDISyncInstance, then Start the task again to resynchronize; or, if the target is known to be in sync with this server, '
    + 'Start it with StartParam.startPosition set to a position on this server.');
}

/** What a failed dump means for the task: 1236 is a purged start, unless a namesake took our server_id over. */
export function mapStreamError(err: Error & { errno?: number }, serverId: number, startPosition: string | null): Error {
  if (err instanceof UnrecoverableError) return err;
  if (err.errno === 1236) {
    if (/server_id|server_uuid/i.test(err.message)) {
      // Another dump with our server_id took over (a newer owner of the task): transient for us.
      return new Error(`the binlog dump was taken over by another reader with server_id ${serverId}: ${err.message}`);
    }
    if (/impossible position|not in the master's binlog/i.test(err.message)) return notOnServerError(startPosition ?? '(unknown)', err.message);
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
