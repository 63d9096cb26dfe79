/**
 * The config process checks, against the live source database, the same table rules the engine
 * enforces at start (the sources' find*SourceTableProblems), so a bad task is refused before it
 * is created.
 */
import pg from 'pg';
import mysql from 'mysql2/promise';
import type { Endpoint } from '../domain/data-source-content.ts';
import type { TableRef } from '../domain/task-content.ts';
import { findSourceTableProblems, type SourceCheckOptions } from '../engine/sources/postgres/check-source-tables.ts';
import { findMySqlSourceTableProblems } from '../engine/sources/mysql/mysql-source.ts';
import { mysqlConnectionOptions } from '../engine/mysql/connection.ts';

/** Returns problems found, one sentence each; empty when every table is usable. */
export async function checkSourceTables(endpoint: Endpoint, tables: TableRef[], opts: SourceCheckOptions = {}): Promise<string[]> {
  try {
    return endpoint.kind === 'postgresql' ? await checkPostgres(endpoint, tables, opts) : await checkMySql(endpoint, tables);
  } catch (err) {
    return [`cannot connect to the source database ${endpoint.host}:${endpoint.port}/${endpoint.database}: ${(err as Error).message}`];
  }
}

async function checkPostgres(endpoint: Endpoint, tables: TableRef[], opts: SourceCheckOptions): Promise<string[]> {
  const client = new pg.Client({
    host: endpoint.host, port: endpoint.port, database: endpoint.database, user: endpoint.user,
    password: endpoint.password, connectionTimeoutMillis: 10_000, application_name: 'opendi:config-check',
  });
  client.on('error', () => undefined); // a server that hangs up mid-check: the pending query rejects, the process lives on
  try {
    await client.connect();
    return await findSourceTableProblems(client, tables, opts);
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function checkMySql(endpoint: Endpoint, tables: TableRef[]): Promise<string[]> {
  const c = await mysql.createConnection(mysqlConnectionOptions(endpoint));
  try {
    return await findMySqlSourceTableProblems(c, tables);
  } finally {
    await c.end().catch(() => c.destroy());
  }
}
