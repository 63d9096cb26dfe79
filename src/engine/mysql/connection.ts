/**
 * How the engine connects to MySQL/MariaDB, sources and sinks alike: `mysqlConnectionOptions`
 * for mysql2 (TLS per DbEndpoint.tls; password-revealing authentication refused over plain
 * connections: mysql-auth.ts), `connectMySql` to open a promise connection with an error listener,
 * a connect timeout and the session's first statements.
 *
 * Values must come back as exact text, never as JS numbers or Dates: BIGINT/DECIMAL as strings
 * (supportBigNumbers + bigNumberStrings), dates as the server's strings (dateStrings). The session
 * JSON (MySQL's type and MariaDB's extended type info) stays text (jsonStrings), so big numbers
 * in it keep their digits. The session
 * time zone is pinned to UTC so TIMESTAMP columns read as UTC instants, the canonical form of
 * change-event.ts, whatever the server's default zone is.
 */
import mysql from 'mysql2';
import type mysqlPromise from 'mysql2/promise';
import type { DbEndpoint, EndpointTls } from '../endpoint.ts';
import { guardedAuthPlugins, socketNamedFor } from './mysql-auth.ts';

const CONNECT_TIMEOUT_MS = 10_000;
/** Each session setup statement: a server that completed the handshake but never answers must not hold the connect. */
export const SETUP_TIMEOUT_MS = 10_000;

/** Options for mysql2's createConnection (callback or promise API). */
export function mysqlConnectionOptions(e: DbEndpoint): mysql.ConnectionOptions {
  return {
    host: e.host, port: e.port, user: e.user, password: e.password ?? '', database: e.database,
    charset: 'utf8mb4_general_ci', supportBigNumbers: true, bigNumberStrings: true, dateStrings: true, jsonStrings: true,
    timezone: 'Z', connectTimeout: CONNECT_TIMEOUT_MS, enableKeepAlive: true, multipleStatements: false,
    ssl: sslOptions(e.tls), authPlugins: guardedAuthPlugins(e), stream: socketNamedFor(e),
    ...(e.connectionName ? { connectAttributes: { program_name: e.connectionName } } : {}),
  };
}

/**
 * `require` encrypts without checking the certificate; `verify-ca` checks the chain against `ca`
 * (else the system's roots); `verify-full` also checks that it names the host (MySQL
 * Connector/J's sslMode semantics: REQUIRED, VERIFY_CA, VERIFY_IDENTITY). A server without TLS is
 * refused by mysql2.
 */
export function sslOptions(t: EndpointTls | undefined): mysql.SslOptions | undefined {
  if (!t) return undefined;
  if (t.mode === 'require') return { rejectUnauthorized: false };
  return { ...(t.ca === undefined ? {} : { ca: t.ca }), rejectUnauthorized: true, verifyIdentity: t.mode === 'verify-full' };
}

/**
 * A connected promise connection: `onError` hears every error the connection reports afterwards
 * (without a listener one would take the process down); `setup` runs first (a failure closes the
 * connection). `extra` adds to mysqlConnectionOptions. Bounded: the handshake by connectTimeout,
 * each setup statement by SETUP_TIMEOUT_MS (mysql2's per-query timeout), all of it by `signal`
 * (aborting it destroys the half-open connection and fails the connect at once).
 */
export async function connectMySql(
  e: DbEndpoint, onError: (err: Error) => void, setup: string[] = SESSION_SETUP, extra: Partial<mysql.ConnectionOptions> = {},
  signal?: AbortSignal,
): Promise<mysqlPromise.Connection> {
  signal?.throwIfAborted();
  const core = mysql.createConnection({ ...mysqlConnectionOptions(e), ...extra });
  // A destroyed mysql2 connection settles nothing pending: the abort rejects the step waited on.
  let abandon: (reason: unknown) => void = () => undefined;
  const abandoned = new Promise<never>((_, reject) => { abandon = reject; });
  abandoned.catch(() => undefined);
  const drop = () => { dropSocket(core); abandon(signal?.reason); };
  signal?.addEventListener('abort', drop, { once: true });
  try {
    await Promise.race([abandoned, new Promise<void>((resolve, reject) => {
      core.once('connect', () => resolve());
      core.once('error', reject);
    })]);
    const c = core.promise();
    c.on('error', onError);
    for (const sql of setup) await Promise.race([abandoned, c.query({ sql, timeout: SETUP_TIMEOUT_MS })]);
    return c;
  } catch (err) {
    dropSocket(core);
    throw err;
  } finally {
    signal?.removeEventListener('abort', drop);
  }
}

/**
 * mysql2's destroy() only ends the socket (a FIN a hung server may never answer): the socket is
 * destroyed too, so nothing of a half-open connection stays.
 */
function dropSocket(core: mysql.Connection): void {
  core.destroy();
  (core as unknown as { stream?: { destroy(): void } }).stream?.destroy();
}

/** Drops a promise connection's socket at once (dropSocket); its server session ends with it. */
export function destroyMySql(c: mysqlPromise.Connection): void {
  dropSocket((c as unknown as { connection: mysql.Connection }).connection);
}

/** Statements every session runs first (UTC timestamps, no surprises from sql_mode on reads). */
export const SESSION_SETUP = [`SET time_zone = '+00:00'`, `SET NAMES utf8mb4`];

export function quoteIdent(s: string): string {
  return '`' + s.replace(/`/g, '``') + '`';
}

export function qualifiedName(t: { schema: string; table: string }): string {
  return `${quoteIdent(t.schema)}.${quoteIdent(t.table)}`;
}

/** `SELECT VERSION()` of MariaDB contains "MariaDB"; MySQL's does not. */
export function isMariaDbVersion(version: string): boolean {
  return /mariadb/i.test(version);
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
