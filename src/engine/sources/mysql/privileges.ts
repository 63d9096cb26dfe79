/**
 * Privilege and identity problems of the source's MySQL/MariaDB user are permanent: retrying never
 * fixes them, so they fail the task at once (UnrecoverableError) and say which GRANT fixes them
 * (docs/privileges.md, "MySQL/MariaDB source"). What the server answers (MariaDB 10.11):
 *   - no SELECT on the database: 1044 at connect ("Access denied for user .. to database ..");
 *   - no SELECT on a table: 1142; the table is also invisible in information_schema;
 *   - no REPLICATION CLIENT (MariaDB 10.5+: BINLOG MONITOR): 1227 on SHOW MASTER STATUS / BINARY LOGS;
 *   - no REPLICATION SLAVE: 1045 "Access denied for user" on COM_REGISTER_SLAVE / COM_BINLOG_DUMP,
 *     after a successful login (so it is not a wrong password);
 *   - a wrong user name or password: 1045 at connect; an unknown database: 1049.
 */
import { UnrecoverableError } from '../../errors.ts';
import { quoteIdent } from '../../mysql/connection.ts';
import type { Queryable } from './table-info.ts';

/** `'user'@'host'` as GRANT wants it, from CURRENT_USER() (`user@host`). */
export function granteeOf(currentUser: string): string {
  const at = currentUser.lastIndexOf('@');
  const q = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  return at < 0 ? q(currentUser) : `${q(currentUser.slice(0, at))}@${q(currentUser.slice(at + 1))}`;
}

/** The grantee of the connection's account; falls back to the user name with any host. */
export async function currentGrantee(c: Queryable, user: string): Promise<string> {
  try {
    const [rows] = await c.query('SELECT CURRENT_USER() AS u');
    return granteeOf(String((rows as { u: string }[])[0].u));
  } catch { return granteeOf(`${user}@%`); }
}

export interface PrivilegeContext {
  /** `'user'@'host'`. */
  grantee: string;
  database: string;
}

/**
 * `err` as the permanent error it is, naming the GRANT that fixes it; other errors unchanged.
 * `replication`: the error came from registering as a replica or from the binlog dump.
 */
export function asPermanentError(err: Error & { errno?: number; replication?: boolean }, ctx: PrivilegeContext): Error {
  if (err instanceof UnrecoverableError) return err;
  const db = quoteIdent(ctx.database);
  const fix = (what: string, grant: string) => new UnrecoverableError(`the source MySQL user ${ctx.grantee} ${what}: ${err.message}. `
    + `Fix: ${grant} (see docs/privileges.md), then Start the task again`);
  switch (err.errno) {
    case 1045:
      if (err.replication) return fix('may not read the binlog (it lacks REPLICATION SLAVE)', `GRANT REPLICATION SLAVE ON *.* TO ${ctx.grantee};`);
      return new UnrecoverableError(`the source MySQL server refused the login: ${err.message}; check the data source's username and password`);
    case 1227:
      if (/REPLICATION SLAVE/i.test(err.message)) return fix('may not read the binlog', `GRANT REPLICATION SLAVE ON *.* TO ${ctx.grantee};`);
      if (/BINLOG MONITOR|REPLICATION CLIENT/i.test(err.message)) {
        return fix('may not see the binlog files and position', `GRANT REPLICATION CLIENT ON *.* TO ${ctx.grantee}; (MariaDB 10.5 and later call it BINLOG MONITOR)`);
      }
      return fix('lacks a privilege', 'grant the privilege the message names');
    case 1044: return fix(`may not use database ${db}`, `GRANT SELECT ON ${db}.* TO ${ctx.grantee};`);
    case 1142: case 1143: return fix('may not read a task table', `GRANT SELECT ON ${db}.* TO ${ctx.grantee}; (or per table)`);
    case 1049: return new UnrecoverableError(`the source database ${db} does not exist: ${err.message}`);
    default: return err;
  }
}
