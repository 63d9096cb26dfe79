/**
 * How the engine connects to PostgreSQL, sources and sinks alike: `clientConfig` for a pg.Client
 * (TLS per DbEndpoint.tls, cleartext passwords refused over plain connections: pg-internals.ts),
 * `connectPg` to open one with an error listener and a connect timeout. Session options pin the text
 * forms values travel in (pgoutput writes every value with the type's output function under the
 * walsender's settings, the sink parses them back with the input functions), so neither side
 * depends on a server's defaults (PostgreSQL docs, "Client Connection Defaults"). timestamptz travels
 * in UTC, the canonical form of change-event.ts.
 */
import pg from 'pg';
import type { EndpointTls, PgEndpoint } from '../endpoint.ts';
import { destroyPgSocket, guardedPassword } from './pg-internals.ts';

export { destroyPgSocket };

const CONNECT_TIMEOUT_MS = 10_000;
const SETUP_TIMEOUT_MS = 10_000;

const SESSION_SETTINGS = [
  'datestyle=ISO,MDY', 'intervalstyle=postgres', 'extra_float_digits=3', 'bytea_output=hex',
  'statement_timeout=0', 'idle_in_transaction_session_timeout=0', 'timezone=UTC',
];
const SESSION_OPTIONS = sessionOptions();

/**
 * The startup `options` with `extra` settings (`name=value`) after the engine's own. Settings given
 * at startup are the session's defaults: `SET LOCAL x TO DEFAULT` and `RESET x` return to them.
 */
export function sessionOptions(extra: string[] = []): string {
  return [...SESSION_SETTINGS, ...extra].map((o) => `-c ${o}`).join(' ');
}

/**
 * `applicationName` shows in pg_stat_activity / pg_stat_replication, so operators see whose
 * connection it is. Replication connections add `replication: 'database'` to this.
 */
export function clientConfig(e: PgEndpoint, applicationName: string): pg.ClientConfig {
  return {
    host: e.host, port: e.port, database: e.database, user: e.user, password: guardedPassword(e), ssl: sslOptions(e.tls),
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS, keepAlive: true, application_name: (e.connectionName ?? applicationName).slice(0, 63), options: SESSION_OPTIONS,
  };
}

/**
 * libpq's sslmode semantics (PostgreSQL docs, "SSL Support"): `require` encrypts without checking
 * the certificate; `verify-ca` checks the chain against `ca` (else the system's roots);
 * `verify-full` also checks that the certificate names the host. A server without TLS is refused.
 */
export function sslOptions(t: EndpointTls | undefined): pg.ClientConfig['ssl'] {
  if (!t) return false;
  if (t.mode === 'require') return { rejectUnauthorized: false };
  const ca = t.ca === undefined ? {} : { ca: t.ca };
  return t.mode === 'verify-ca' ? { ...ca, rejectUnauthorized: true, checkServerIdentity: () => undefined } : { ...ca, rejectUnauthorized: true };
}

/**
 * A connected client: `onError` hears every error the connection reports after the connect (a
 * pg.Client without an error listener takes the process down); a failed connect leaves nothing
 * open. `extra` adds to clientConfig (e.g. replication). The connect is bounded by
 * connectionTimeoutMillis (through the server's ReadyForQuery) and, earlier, by `signal`: aborting
 * it drops the socket, so the connect fails at once.
 */
export async function connectPg(
  e: PgEndpoint, applicationName: string, onError: (err: Error) => void, extra: Partial<pg.ClientConfig> = {}, signal?: AbortSignal,
): Promise<pg.Client> {
  const c = new pg.Client({ ...clientConfig(e, applicationName), ...extra });
  c.on('error', onError);
  const drop = () => destroyPgSocket(c);
  signal?.addEventListener('abort', drop, { once: true });
  try {
    signal?.throwIfAborted();
    await c.connect();
  } catch (err) {
    await c.end().catch(() => undefined);
    throw err;
  } finally {
    signal?.removeEventListener('abort', drop);
  }
  return c;
}

/**
 * Session setup statements of a fresh connection, each bounded by `SETUP_TIMEOUT_MS` (pg's
 * client-side query_timeout: a server that completed the startup but never answers a statement
 * would otherwise hold the connect forever) and by `signal`. A timeout or an abort drops the
 * connection (its statement may still be running); a statement the server refused (an error with
 * a SQLSTATE) leaves it to the caller.
 */
export async function setUpPgSession(c: pg.Client, statements: string[], signal?: AbortSignal): Promise<void> {
  const drop = () => destroyPgSocket(c);
  signal?.addEventListener('abort', drop, { once: true });
  try {
    for (const text of statements) {
      signal?.throwIfAborted();
      // query_timeout per query: pg (client.js) reads it, its typings lack it.
      await c.query({ text, query_timeout: SETUP_TIMEOUT_MS } as pg.QueryConfig);
    }
  } catch (err) {
    if ((err as { code?: unknown }).code === undefined) destroyPgSocket(c);
    throw err;
  } finally {
    signal?.removeEventListener('abort', drop);
  }
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
