/**
 * The config check's look at a source database (GenerateDISyncTaskConfigFor*): opens one
 * connection with the engine's own settings, runs the source's table rules
 * (find*SourceTableProblems, the same ones a task runs at start) and closes it. Every step is
 * bounded and every failure is handled, so no source, however hostile (hangs up or resets after
 * authenticating, never answers), can crash or hang the service:
 * - an 'error' listener on every driver connection (pg and mysql2 emit 'error' when a
 *   connection dies outside a pending call; unhandled, that kills the process);
 * - a connect timeout, a client-side timeout on each statement, and an AbortSignal that
 *   destroys the socket at once (whole-check bound, service shutdown).
 */
import pg from 'pg';
import mysql from 'mysql2';
import type { Socket } from 'node:net';
import type { DbEndpoint } from './endpoint.ts';
import type { TableRef } from './change-source.ts';
import { clientConfig } from './postgres/connection.ts';
import { mysqlConnectionOptions } from './mysql/connection.ts';
import { endWithin } from './end-within.ts';
import { findSourceTableProblems, type SourceCheckOptions } from './sources/postgres/check-source-tables.ts';
import { findMySqlSourceTableProblems } from './sources/mysql/table-info.ts';

export interface SourceCheckBounds {
  connectTimeoutMs: number;
  /** Each statement, measured by the client (a server that never answers cannot hold it). */
  statementTimeoutMs: number;
  /** Aborting destroys the connection; the check then rejects with the signal's reason. */
  signal: AbortSignal;
}

const APP = 'opendi:config-check';

/** One sentence per unusable table; rejects when the database cannot be reached or the check was cut short. */
export function findSourceTableProblemsAt(
  kind: 'postgresql' | 'mysql', endpoint: DbEndpoint, tables: TableRef[], bounds: SourceCheckBounds, options: SourceCheckOptions = {},
): Promise<string[]> {
  return kind === 'postgresql' ? checkPostgres(endpoint, tables, bounds, options) : checkMySql(endpoint, tables, bounds);
}

async function checkPostgres(endpoint: DbEndpoint, tables: TableRef[], bounds: SourceCheckBounds, options: SourceCheckOptions): Promise<string[]> {
  const client = new pg.Client({
    ...clientConfig(endpoint, APP),
    connectionTimeoutMillis: bounds.connectTimeoutMs, query_timeout: bounds.statementTimeoutMs, keepAlive: false,
  });
  const destroy = () => (client as unknown as { connection: { stream: Socket } }).connection.stream.destroy();
  // The pending connect/query rejects with the same error; this only keeps the emitter from throwing.
  client.on('error', () => undefined);
  return withAbort(bounds.signal, destroy, async () => {
    try {
      await client.connect();
      return await findSourceTableProblems(client, tables, options);
    } finally {
      await endWithin(client.end(), bounds.statementTimeoutMs, destroy);
    }
  });
}

async function checkMySql(endpoint: DbEndpoint, tables: TableRef[], bounds: SourceCheckBounds): Promise<string[]> {
  const raw = mysql.createConnection({ ...mysqlConnectionOptions(endpoint), connectTimeout: bounds.connectTimeoutMs, enableKeepAlive: false });
  raw.on('error', () => undefined);
  const c = raw.promise();
  const destroy = () => raw.destroy();
  // Each statement carries the client-side timeout (mysql2's per-query `timeout`).
  const bounded = { query: (sql: string, params?: unknown[]) => c.query({ sql, timeout: bounds.statementTimeoutMs }, params) as Promise<[any, any]> };
  return withAbort(bounds.signal, destroy, async () => {
    try {
      return await findMySqlSourceTableProblems(bounded, tables);
    } finally {
      await endWithin(c.end(), bounds.statementTimeoutMs, destroy);
    }
  });
}

/** Runs `work`; when `signal` aborts first, destroys the connection and rejects at once. */
function withAbort<T>(signal: AbortSignal, destroy: () => void, work: () => Promise<T>): Promise<T> {
  if (signal.aborted) { destroy(); return Promise.reject(signal.reason); }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => { destroy(); reject(signal.reason); };
    signal.addEventListener('abort', onAbort, { once: true });
    work().then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
