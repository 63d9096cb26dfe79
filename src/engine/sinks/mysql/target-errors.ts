/**
 * Which MySQL/MariaDB errors at the target are permanent (MariaDB "Error Codes" reference), with
 * what fixes them (docs/privileges.md, "Targets"). Everything not listed (lost connections,
 * deadlocks 1213, lock wait timeouts 1205, too many connections 1040, a read-only server 1290, a
 * table dropped under a running task) stays retryable: a restart can succeed.
 */
import type { DbEndpoint } from '../../endpoint.ts';

interface MySqlError { errno?: number; message?: string; sqlMessage?: string }

/** What the target data source's user needs on its databases (docs/privileges.md). */
export const TARGET_PRIVILEGES = 'SELECT, INSERT, UPDATE, DELETE, CREATE, ALTER, DROP';

export function mysqlPermanentError(err: unknown, e: DbEndpoint): string | null {
  const { errno, message = '', sqlMessage } = (err ?? {}) as MySqlError;
  if (typeof errno !== 'number') return null;
  const text = sqlMessage ?? message;
  const at = `the MySQL target ${e.host}:${e.port}/${e.database}`;
  // The message names the client's host; the account's own host part may differ ('%' is the usual one).
  const who = `'${/user '([^']*)'@/.exec(text)?.[1] ?? e.user}'@'%'`;
  switch (errno) {
    case 1044: {
      const db = /to database '([^']*)'/.exec(text)?.[1] ?? e.database;
      return `${at} refused: ${text}. Run as an administrator: GRANT ${TARGET_PRIVILEGES} ON \`${db}\`.* TO ${who}; (with the account's own host part).`;
    }
    case 1142: case 1143: {
      const cmd = /^(\w+) command denied/.exec(text)?.[1]?.toUpperCase() ?? TARGET_PRIVILEGES;
      const table = /for table [`']?([^`'\s]+)[`']?\.[`']?([^`'\s]+)[`']?/.exec(text);
      const on = table ? `\`${table[1]}\`.*` : `\`${e.database}\`.*`;
      return `${at} refused: ${text}. Run as an administrator: GRANT ${cmd === 'DROP' || cmd === 'ALTER' || cmd === 'CREATE' ? cmd : TARGET_PRIVILEGES} ON ${on} TO ${who}; (with the account's own host part).`;
    }
    case 1227: return `${at} refused: ${text}. The task needs no such privilege on a target; see docs/privileges.md.`;
    case 1045: case 1698:
      return `${at} refused the login of ${e.user}: ${text}. Check the user and password of the target data source.`;
    case 1049: return `${at}: ${text}. Create the database or point the data source at an existing one.`;
    case 1059: case 1064: case 1102: case 1103: case 1166:
      return `${at} refused a name of the task: ${text}. Rename the table or column, or map it to another target name.`;
    case 1071: case 1074: case 1118:
      return `${at} cannot hold the table as the source defines it: ${text}. Create the target table yourself with types that fit, then start the task again.`;
    default: return null;
  }
}
