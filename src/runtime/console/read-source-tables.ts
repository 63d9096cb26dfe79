/**
 * A source's tables as a job sees them (src/engine/sources/{mysql,postgres}/list-source-tables.ts: base tables
 * outside the system schemas and OpenDI's own, with whether each has a primary key), plus the
 * database's row estimate of each, read in the same bounded session: PostgreSQL's planner
 * statistics (pg_class.reltuples, or pg_stat_user_tables.n_live_tup where no ANALYZE ran yet;
 * a partitioned table sums its partitions), MySQL's information_schema.TABLES.TABLE_ROWS. Never a
 * count(*): reading this must stay cheap on any table size.
 */
import type { DbEndpoint } from '../../engine/endpoint.ts';
import type { EngineKind } from '../../domain/jdbc-url.ts';
import { listMySqlTables, type CatalogTable } from '../../engine/sources/mysql/list-source-tables.ts';
import { listPostgresTables } from '../../engine/sources/postgres/list-source-tables.ts';
import { withMySql, withPostgres } from '../di-job/database-session.ts';

export interface SourceTableInfo extends CatalogTable { estimatedRows: number }

export async function readSourceTables(kind: EngineKind, endpoint: DbEndpoint): Promise<SourceTableInfo[]> {
  if (kind === 'postgresql') {
    return withPostgres(endpoint, async (c) => {
      const tables = await listPostgresTables(c);
      const estimates = await c.query(`
        SELECT n.nspname AS schema, cl.relname AS table,
               CASE WHEN cl.relkind = 'p' THEN (SELECT coalesce(sum(greatest(ch.reltuples, coalesce(s.n_live_tup, 0), 0)), 0)
                                                  FROM pg_inherits i JOIN pg_class ch ON ch.oid = i.inhrelid
                                                  LEFT JOIN pg_stat_user_tables s ON s.relid = ch.oid
                                                 WHERE i.inhparent = cl.oid)
                    ELSE greatest(cl.reltuples, coalesce(st.n_live_tup, 0), 0) END::bigint AS rows
          FROM pg_class cl JOIN pg_namespace n ON n.oid = cl.relnamespace
          LEFT JOIN pg_stat_user_tables st ON st.relid = cl.oid
         WHERE cl.relkind IN ('r', 'p') AND NOT cl.relispartition`);
      return withEstimates(tables, estimates.rows);
    });
  }
  return withMySql(endpoint, async (c) => {
    const tables = await listMySqlTables(c);
    const [rows] = await c.query(`SELECT TABLE_SCHEMA AS \`schema\`, TABLE_NAME AS \`table\`, COALESCE(TABLE_ROWS, 0) AS \`rows\`
      FROM information_schema.TABLES WHERE TABLE_TYPE IN ('BASE TABLE', 'SYSTEM VERSIONED')
        AND TABLE_SCHEMA NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys')`);
    return withEstimates(tables, rows as Record<string, unknown>[]);
  });
}

function withEstimates(tables: CatalogTable[], estimates: Record<string, unknown>[]): SourceTableInfo[] {
  const byName = new Map(estimates.map((r) => [`${r.schema}\u0000${r.table}`, Number(r.rows)]));
  return tables.map((t) => ({ ...t, estimatedRows: byName.get(`${t.schema}\u0000${t.table}`) ?? 0 }));
}
