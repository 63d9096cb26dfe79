/**
 * What a PostgreSQL error at the source means for the task (PostgreSQL docs, Appendix A "Error
 * Codes"): a missing privilege, object or setting does not go away by retrying, so it becomes an
 * UnrecoverableError (the task fails at once) that says what fixes it; connection trouble, a slot
 * still held by a walsender on its way out, or too many connections stay plain errors, which the
 * runner retries within StartParam.failoverLimit. docs/privileges.md lists the grants.
 */
import { UnrecoverableError } from '../../errors.ts';
import { sqlName } from './sql-name.ts';

export interface SourceErrorContext { user: string; database: string }

/** SQLSTATEs (and classes) that retrying cannot fix. */
const PERMANENT = new Set(['28000', '28P01', '3D000', '42501', '42P01', '42704', '42883', '55000', '0A000']);

export function toSourceError(err: unknown, ctx: SourceErrorContext): Error {
  if (err instanceof UnrecoverableError) return err;
  const e = err instanceof Error ? err : new Error(String(err));
  const code = (err as { code?: unknown }).code;
  const limit = typeof code === 'string' ? serverLimit(code, e.message) : null;
  if (limit) return Object.assign(new Error(`the source server refused: ${e.message} (SQLSTATE ${code}). ${limit}`), { code });
  if (typeof code !== 'string' || !PERMANENT.has(code)) return e;
  return new UnrecoverableError(`the source database refused: ${e.message} (SQLSTATE ${code}). ${remedy(code, e.message, ctx)}`);
}

/**
 * The server-wide limits that many tasks meet first: each task holds one replication slot and, while
 * it streams, one walsender (docs/performance.md, "Many tasks on one service"). PostgreSQL's HINT
 * (not in the message) says which setting; the error says it here. Still retried: another task
 * stopping may free one.
 */
function serverLimit(code: string, message: string): string | null {
  if (code === '53400' && /replication slots/i.test(message)) {
    return 'Each task holds one replication slot on the source server: raise max_replication_slots in its postgresql.conf '
      + 'to at least the number of tasks reading the server plus its other consumers, then restart it, or drop unused slots (pg_replication_slots).';
  }
  if (code === '53300' && /max_wal_senders/i.test(message)) {
    return 'Each streaming task holds one walsender on the source server: raise max_wal_senders in its postgresql.conf '
      + 'to at least the number of tasks reading the server plus its standbys and other consumers, then restart it.';
  }
  return null;
}

function remedy(code: string, message: string, ctx: SourceErrorContext): string {
  const user = sqlName(ctx.user);
  if (code === '28P01') return `Correct the data source's user name and password.`;
  if (code === '28000') {
    return /replication/i.test(message)
      ? `Allow replication connections for user ${ctx.user} in the source's pg_hba.conf (a "host replication ${ctx.user} <address> scram-sha-256" line), then reload it.`
      : `Allow user ${ctx.user} to connect to database ${ctx.database} in the source's pg_hba.conf.`;
  }
  if (code === '3D000') return `Correct the data source's database name.`;
  if (code === '42501') {
    const owner = /must be owner of (?:table|relation) (\S+)/i.exec(message);
    if (owner) {
      return `Only a table's owner can add it to a publication: run ALTER TABLE ${owner[1]} OWNER TO ${user}, or have the owner create a publication `
        + `for the task's tables (CREATE PUBLICATION ... FOR TABLE ...) and name it in the reader's parameter "publication".`;
    }
    if (/replication|walsender/i.test(message)) return `Run ALTER ROLE ${user} REPLICATION as a superuser (on a managed service, grant its replication role).`;
    const table = /permission denied for (?:table|relation) (\S+)/i.exec(message);
    if (table) return `Run GRANT SELECT ON ${table[1]} TO ${user}.`;
    if (/database/i.test(message)) {
      return `Run GRANT CREATE ON DATABASE ${sqlName(ctx.database)} TO ${user}, or have a DBA create the publication and name it in the reader's parameter "publication".`;
    }
    return `Grant user ${ctx.user} the privilege named above (docs/privileges.md lists what a PostgreSQL source needs).`;
  }
  if (code === '55000' && /wal_level/i.test(message)) return `Set wal_level = logical in the source's postgresql.conf and restart it.`;
  if (code === '55000' && /invalidated/i.test(message)) {
    return `The replication slot lost the WAL it needed. Call TerminateDISyncInstance, then Start the task again to resynchronize.`;
  }
  if (code === '0A000' && /recovery/i.test(message)) return `The source is a standby; point the data source at the primary.`;
  return `Create or correct the object named above, or call TerminateDISyncInstance and Start the task again if the task's own slot or publication is gone.`;
}
