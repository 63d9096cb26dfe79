/**
 * The tables of a MySQL/MariaDB server a 2024 job's selection rules are evaluated against
 * (src/domain/di-job/table-selection.ts): base tables outside the system databases, with whether
 * each has a primary key. OpenDI's own checkpoint tables (a database can be a source of one task
 * and the target of another) never show. Keys come from KEY_COLUMN_USAGE, which a least-privilege
 * user (SELECT + REPLICATION SLAVE + REPLICATION CLIENT) can read on MariaDB; TABLE_CONSTRAINTS is
 * empty for such a user (table-info.ts).
 */
import type { Queryable } from './table-info.ts';

export interface CatalogTable { schema: string; table: string; hasKey: boolean }

const SYSTEM = ['mysql', 'information_schema', 'performance_schema', 'sys'];
const OWN_TABLES = ['opendi_sync_checkpoint', 'opendi_dirty_record'];

export async function listMySqlTables(c: Queryable): Promise<CatalogTable[]> {
  const [rows] = await c.query(
    `SELECT t.TABLE_SCHEMA AS s, t.TABLE_NAME AS t,
            EXISTS (SELECT 1 FROM information_schema.KEY_COLUMN_USAGE k
                     WHERE k.TABLE_SCHEMA = t.TABLE_SCHEMA AND k.TABLE_NAME = t.TABLE_NAME AND k.CONSTRAINT_NAME = 'PRIMARY') AS k
       FROM information_schema.TABLES t
      WHERE t.TABLE_TYPE IN ('BASE TABLE', 'SYSTEM VERSIONED') AND t.TABLE_SCHEMA NOT IN (?, ?, ?, ?) AND t.TABLE_NAME NOT IN (?, ?)
      ORDER BY t.TABLE_SCHEMA, t.TABLE_NAME`, [...SYSTEM, ...OWN_TABLES]);
  return (rows as { s: string; t: string; k: unknown }[]).map((r) => ({ schema: String(r.s), table: String(r.t), hasKey: Number(r.k) === 1 }));
}
