/**
 * Short-lived, bounded connections for the job runtime's own questions to a database (its
 * catalog, a table's replica identity, whether a target schema exists): connect within 10 s,
 * every query within QUERY_TIMEOUT_MS, errors handled, the connection closed afterwards whatever
 * happens. Never used for the change stream.
 */
import pg from 'pg';
import mysql from 'mysql2/promise';
import type { DbEndpoint } from '../../engine/endpoint.ts';
import type { EngineKind } from '../../domain/jdbc-url.ts';
import { clientConfig } from '../../engine/postgres/connection.ts';
import { SESSION_SETUP, mysqlConnectionOptions } from '../../engine/mysql/connection.ts';

const QUERY_TIMEOUT_MS = 30_000;

export type Query = (sql: string, params?: unknown[]) => Promise<Record<string, unknown>[]>;

export async function withPostgres<T>(endpoint: DbEndpoint, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ ...clientConfig(endpoint, 'opendi:job-check'), query_timeout: QUERY_TIMEOUT_MS });
  c.on('error', () => undefined); // a dropped connection fails the pending query; nothing else listens
  try {
    await c.connect();
    return await fn(c);
  } finally {
    await c.end().catch(() => undefined);
  }
}

export async function withMySql<T>(endpoint: DbEndpoint, fn: (c: mysql.Connection) => Promise<T>): Promise<T> {
  const c = await mysql.createConnection(mysqlConnectionOptions(endpoint));
  c.on('error', () => undefined);
  const timer = setTimeout(() => c.destroy(), QUERY_TIMEOUT_MS);
  try {
    for (const s of SESSION_SETUP) await c.query(s);
    return await fn(c);
  } finally {
    clearTimeout(timer);
    await c.end().catch(() => c.destroy());
  }
}

/** One query API over both, for checks that are the same but for their SQL. */
export async function withDatabase<T>(kind: EngineKind, endpoint: DbEndpoint, fn: (query: Query) => Promise<T>): Promise<T> {
  if (kind === 'postgresql') return withPostgres(endpoint, (c) => fn(async (sql, params) => (await c.query(sql, params as unknown[])).rows));
  return withMySql(endpoint, (c) => fn(async (sql, params) => (await c.query(sql, params))[0] as Record<string, unknown>[]));
}
