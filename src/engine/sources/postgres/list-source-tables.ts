/**
 * The tables of a PostgreSQL database a 2024 job's selection rules are evaluated against
 * (src/domain/di-job/table-selection.ts): tables and partitioned tables (not their partitions:
 * the publication publishes them under the root, postgres-source.ts) outside the system schemas
 * and OpenDI's own `opendi` schema, with whether each has a primary key.
 */
import type pg from 'pg';

export interface CatalogTable { schema: string; table: string; hasKey: boolean }

export async function listPostgresTables(c: pg.Client): Promise<CatalogTable[]> {
  const r = await c.query(
    `SELECT n.nspname AS schema, cl.relname AS table,
            EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = cl.oid AND i.indisprimary) AS has_key
       FROM pg_class cl JOIN pg_namespace n ON n.oid = cl.relnamespace
      WHERE cl.relkind IN ('r', 'p') AND NOT cl.relispartition
        AND n.nspname NOT IN ('information_schema', 'opendi') AND n.nspname NOT LIKE 'pg\\_%'
      ORDER BY 1, 2`);
  return r.rows.map((x) => ({ schema: x.schema, table: x.table, hasKey: x.has_key }));
}
