/**
 * Checks, against the live source database, that the tables a task selects exist and have a
 * primary key (real-time sync applies changes by key; a table without one cannot be synced
 * exactly once).
 */
import pg from 'pg';
import type { Endpoint } from '../domain/data-source-content.ts';
import type { TableRef } from '../domain/task-content.ts';

/** Returns problems found, one sentence each; empty when every table is usable. */
export async function checkSourceTables(endpoint: Endpoint, tables: TableRef[]): Promise<string[]> {
  if (endpoint.kind !== 'postgresql') return [`${endpoint.kind} sources are not supported by this engine build yet`];
  const client = new pg.Client({
    host: endpoint.host, port: endpoint.port, database: endpoint.database, user: endpoint.user,
    password: endpoint.password, connectionTimeoutMillis: 10_000,
  });
  try {
    await client.connect();
    const res = await client.query<{ schema: string; table: string; has_pk: boolean }>(
      `SELECT n.nspname AS schema, c.relname AS table,
              EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary) AS has_pk
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p') AND (n.nspname, c.relname) IN (SELECT * FROM unnest($1::text[], $2::text[]))`,
      [tables.map((t) => t.schema), tables.map((t) => t.table)],
    );
    const found = new Map(res.rows.map((r) => [`${r.schema}.${r.table}`, r.has_pk]));
    const problems: string[] = [];
    for (const t of tables) {
      const key = `${t.schema}.${t.table}`;
      if (!found.has(key)) problems.push(`table ${key} does not exist in the source database ${endpoint.database}`);
      else if (!found.get(key)) problems.push(`table ${key} has no primary key; real-time sync needs one`);
    }
    return problems;
  } catch (err) {
    return [`cannot connect to the source database ${endpoint.host}:${endpoint.port}/${endpoint.database}: ${(err as Error).message}`];
  } finally {
    await client.end().catch(() => undefined);
  }
}
