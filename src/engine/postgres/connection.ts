/**
 * Connection settings shared by the PostgreSQL source and sink. Session options pin the text
 * forms values travel in (pgoutput writes every value with the type's output function under the
 * walsender's settings, the sink parses them back with the input functions), so neither side
 * depends on a server's defaults (PostgreSQL docs, "Client Connection Defaults"). timestamptz travels
 * in UTC, the canonical form of change-event.ts.
 */
import type pg from 'pg';
import type { PgEndpoint } from '../endpoint.ts';

const SESSION_OPTIONS = [
  'datestyle=ISO,MDY', 'intervalstyle=postgres', 'extra_float_digits=3', 'bytea_output=hex',
  'statement_timeout=0', 'idle_in_transaction_session_timeout=0', 'timezone=UTC',
].map((o) => `-c ${o}`).join(' ');

/** `applicationName` shows in pg_stat_activity / pg_stat_replication, so operators see whose connection it is. */
export function clientConfig(e: PgEndpoint, applicationName: string): pg.ClientConfig {
  return {
    host: e.host, port: e.port, database: e.database, user: e.user, password: e.password,
    connectionTimeoutMillis: 10_000, keepAlive: true, application_name: applicationName, options: SESSION_OPTIONS,
  };
}

export function quoteIdent(s: string): string {
  return `"${s.replace(/"/g, '""')}"`;
}

export function quoteLiteral(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

export function qualifiedName(t: { schema: string; table: string }): string {
  return `${quoteIdent(t.schema)}.${quoteIdent(t.table)}`;
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
