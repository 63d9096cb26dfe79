/**
 * The config process checks, against the live source database, the same table rules the engine
 * enforces at start (engine/sources/postgres/check-source-tables.ts), so a bad task is refused
 * before it is created.
 */
import pg from 'pg';
import type { Endpoint } from '../domain/data-source-content.ts';
import type { TableRef } from '../domain/task-content.ts';
import { findSourceTableProblems } from '../engine/sources/postgres/check-source-tables.ts';

/** Returns problems found, one sentence each; empty when every table is usable. */
export async function checkSourceTables(endpoint: Endpoint, tables: TableRef[]): Promise<string[]> {
  if (endpoint.kind !== 'postgresql') return [`${endpoint.kind} sources are not supported by this engine build yet`];
  const client = new pg.Client({
    host: endpoint.host, port: endpoint.port, database: endpoint.database, user: endpoint.user,
    password: endpoint.password, connectionTimeoutMillis: 10_000, application_name: 'opendi:config-check',
  });
  try {
    await client.connect();
    return await findSourceTableProblems(client, tables);
  } catch (err) {
    return [`cannot connect to the source database ${endpoint.host}:${endpoint.port}/${endpoint.database}: ${(err as Error).message}`];
  } finally {
    await client.end().catch(() => undefined);
  }
}
