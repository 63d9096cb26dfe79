/**
 * Which PostgreSQL errors at the target are permanent (PostgreSQL docs, Appendix A "Error Codes"),
 * with what fixes them (docs/privileges.md, "Targets"). Everything not listed (connection
 * failures, deadlocks 40P01, serialization 40001, lock timeouts 55P03, too many connections
 * 53300, shutdowns 57P01..57P03, a table dropped under a running task) stays retryable: a restart
 * can succeed.
 */
import type { DbEndpoint } from '../../endpoint.ts';
import { quoteIdent } from '../../postgres/connection.ts';

interface PgError { code?: string; message?: string }

export function pgPermanentError(err: unknown, e: DbEndpoint): string | null {
  const { code, message = '' } = (err ?? {}) as PgError;
  if (typeof code !== 'string') return null;
  const user = quoteIdent(e.user);
  const at = `the PostgreSQL target ${e.host}:${e.port}/${e.database}`;
  switch (code) {
    case '42501': return `${at} refused: ${message}. ${grantFor(message, e, user)}`;
    case '28P01': case '28000':
      return `${at} refused the login of ${e.user}: ${message}. Check the user and password of the target data source.`;
    case '3D000': return `${at}: ${message}. Create the database or point the data source at an existing one.`;
    case '3F000': return `${at}: ${message}. Create the schema (CREATE SCHEMA ...; GRANT USAGE, CREATE ON SCHEMA ... TO ${user}) or choose another target schema.`;
    case '42601': case '42602': case '42622': case '42939':
      return `${at} refused a name of the task: ${message}. Rename the table or column, or map it to another target name.`;
    default: return null;
  }
}

/** The GRANT or ownership change for a "permission denied" / "must be owner" message. */
function grantFor(message: string, e: DbEndpoint, user: string): string {
  let m: RegExpExecArray | null;
  if ((m = /permission denied for database (.+)$/.exec(message))) {
    return `Run as an owner: GRANT CREATE ON DATABASE ${quoteIdent(m[1])} TO ${user}; (or create the schema "opendi" for it: CREATE SCHEMA opendi AUTHORIZATION ${user};).`;
  }
  if ((m = /permission denied for schema (.+)$/.exec(message))) {
    return `Run as an owner: GRANT USAGE, CREATE ON SCHEMA ${quoteIdent(m[1])} TO ${user};`;
  }
  if ((m = /permission denied for (?:table|relation) (.+)$/.exec(message))) {
    return `Run as an owner: GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON TABLE ${m[1]} TO ${user};`;
  }
  if ((m = /permission denied for sequence (.+)$/.exec(message))) {
    return `Run as an owner: GRANT USAGE, SELECT, UPDATE ON SEQUENCE ${m[1]} TO ${user};`;
  }
  if ((m = /must be owner of (?:table|relation) (.+)$/.exec(message))) {
    return `Schema changes need the table's owner: ALTER TABLE ${m[1]} OWNER TO ${user}; (or mark the DDL type IGNORE in StartParam.ddlMarkMap).`;
  }
  return `Grant ${user} what docs/privileges.md lists for PostgreSQL targets in database ${quoteIdent(e.database)}.`;
}
