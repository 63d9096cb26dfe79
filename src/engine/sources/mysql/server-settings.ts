/**
 * The server settings the binlog source needs, checked when a task starts, and the same messages
 * when a change made afterwards (a global change, or a session that sets its own) shows in the
 * binlog: a DML statement on a task table (binlog_format), a row image without some columns
 * (binlog_row_image). log_bin cannot change while the server runs; a restart without it fails the
 * start check on reconnect.
 */
import type { Logger } from '../../../logger.ts';
import { UnrecoverableError } from '../../errors.ts';
import type { Queryable } from './table-info.ts';

const RESYNC = 'then call TerminateDISyncInstance and Start the task again to resynchronize';

export async function checkServerSettings(c: Queryable, logger: Logger): Promise<void> {
  const [vars] = await c.query(`SHOW GLOBAL VARIABLES WHERE Variable_name IN ('log_bin', 'binlog_format', 'binlog_row_image', 'binlog_row_metadata')`);
  const v = new Map((vars as { Variable_name: string; Value: string }[]).map((r) => [String(r.Variable_name).toLowerCase(), String(r.Value).toUpperCase()]));
  if (v.get('log_bin') !== 'ON') throw new UnrecoverableError('the source MySQL server has binary logging off (log_bin=OFF); start it with log_bin (log-bin=mysql-bin in my.cnf) and restart it');
  if (v.get('binlog_format') !== 'ROW') throw needRowFormat(`it has binlog_format=${v.get('binlog_format')}`, false);
  if (v.get('binlog_row_image') !== 'FULL') throw needFullRowImage(`it has binlog_row_image=${v.get('binlog_row_image')}`, false);
  // Needs REPLICATION CLIENT (BINLOG MONITOR): a missing grant shows now, not in the middle of the start.
  await c.query('SHOW MASTER STATUS');
  if (v.has('binlog_row_metadata') && v.get('binlog_row_metadata') !== 'FULL') {
    logger.info('binlog_row_metadata is not FULL: column names and keys come from information_schema', { binlogRowMetadata: v.get('binlog_row_metadata') });
  }
}

/** `seen`: found in the binlog while streaming (a change is lost to the target: resynchronize). */
export function needRowFormat(what: string, seen: boolean): UnrecoverableError {
  return new UnrecoverableError(`the source MySQL server needs binlog_format=ROW (${what}); `
    + `set binlog_format=ROW in my.cnf and SET GLOBAL binlog_format='ROW'${seen ? ', and no session may set it to STATEMENT or MIXED; ' + RESYNC : ''}`);
}

export function needFullRowImage(what: string, seen: boolean): UnrecoverableError {
  return new UnrecoverableError(`the source MySQL server needs binlog_row_image=FULL (${what}); `
    + `set binlog_row_image=FULL in my.cnf and SET GLOBAL binlog_row_image='FULL'${seen ? ', and no session may set it to MINIMAL or NOBLOB; ' + RESYNC : ''}`);
}
