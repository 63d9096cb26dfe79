/**
 * Reads a task's dirty records from its target (the table the sinks write them to, in the same
 * transaction as the rows they skip: src/engine/sinks/postgres/postgres-sink.ts `opendi.dirty_record`,
 * src/engine/sinks/mysql/mysql-sink.ts `opendi_dirty_record` in the target database). Newest first,
 * one page, long values cut at VALUE_CHARS (and said so), through a short-lived bounded session
 * (src/runtime/di-job/database-session.ts). A target where the table does not exist yet has none.
 */
import type { DbEndpoint } from '../../engine/endpoint.ts';
import type { EngineKind } from '../../domain/jdbc-url.ts';
import { withDatabase, type Query } from '../di-job/database-session.ts';

export const VALUE_CHARS = 4_000;
const ERROR_CHARS = 2_000;

export interface DirtyRecord {
  id: number; recordedAt: number; table: string; operation: string; rowKey: string; rowValues: string; error: string; truncated: boolean;
}

export async function readDirtyRecords(kind: EngineKind, endpoint: DbEndpoint, taskId: number, offset: number, limit: number): Promise<{ total: number; records: DirtyRecord[] }> {
  return withDatabase(kind, endpoint, (query) => (kind === 'postgresql' ? readPostgres(query, taskId, offset, limit) : readMySql(query, endpoint.database, taskId, offset, limit)));
}

async function readPostgres(query: Query, taskId: number, offset: number, limit: number) {
  const [exists] = await query(`SELECT to_regclass('opendi.dirty_record') IS NOT NULL AS present`);
  if (!exists.present) return { total: 0, records: [] };
  const [count] = await query(`SELECT count(*)::bigint AS n FROM opendi.dirty_record WHERE task_id = $1`, [taskId]);
  const rows = await query(
    `SELECT id, extract(epoch FROM recorded_at)::bigint AS at, table_name, op, row_key, left(row_values, ${VALUE_CHARS}) AS row_values,
            coalesce(char_length(row_values), 0) > ${VALUE_CHARS} AS cut, left(error, ${ERROR_CHARS}) AS error
       FROM opendi.dirty_record WHERE task_id = $1 ORDER BY id DESC LIMIT $2 OFFSET $3`, [taskId, limit, offset]);
  return { total: Number(count.n), records: rows.map(recordOf) };
}

async function readMySql(query: Query, database: string, taskId: number, offset: number, limit: number) {
  const present = await query(`SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 'opendi_dirty_record'`, [database]);
  if (present.length === 0) return { total: 0, records: [] };
  const table = `\`${database.replace(/`/g, '``')}\`.opendi_dirty_record`;
  const [count] = await query(`SELECT COUNT(*) AS n FROM ${table} WHERE task_id = ?`, [taskId]);
  const rows = await query(
    `SELECT id, UNIX_TIMESTAMP(recorded_at) AS at, table_name, op, row_key, LEFT(row_values, ${VALUE_CHARS}) AS row_values,
            COALESCE(CHAR_LENGTH(row_values), 0) > ${VALUE_CHARS} AS cut, LEFT(error, ${ERROR_CHARS}) AS error
       FROM ${table} WHERE task_id = ? ORDER BY id DESC LIMIT ? OFFSET ?`, [taskId, limit, offset]);
  return { total: Number(count.n), records: rows.map(recordOf) };
}

function recordOf(r: Record<string, unknown>): DirtyRecord {
  return {
    id: Number(r.id), recordedAt: Math.floor(Number(r.at)), table: String(r.table_name), operation: String(r.op), rowKey: String(r.row_key),
    rowValues: r.row_values === null || r.row_values === undefined ? '' : String(r.row_values), error: String(r.error),
    truncated: r.cut === true || Number(r.cut) === 1,
  };
}
