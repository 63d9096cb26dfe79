/**
 * What information_schema says about the task's tables: existence and primary key (checked
 * before a task starts), and the columns (describeTable, the snapshot reader, and the names/keys
 * the binlog leaves out when binlog_row_metadata is not FULL).
 */
import type { TableRef } from '../../change-source.ts';
import type { ColumnDefault, LogicalType, TableSchema } from '../../table-schema.ts';
import { isMariaDbJsonCheck, mysqlLogicalType } from '../../mysql/column-type.ts';
import { isMariaDbVersion } from '../../mysql/connection.ts';
import { mysqlColumnDefault } from './column-default.ts';

/** The query part of a mysql2/promise connection (or pool). */
export interface Queryable { query(sql: string, params?: unknown[]): Promise<[any, any]> }

export interface InfoColumn {
  name: string;
  /** COLUMN_TYPE verbatim, e.g. "int(10) unsigned". */
  columnType: string;
  /** DATA_TYPE, e.g. "int", "varbinary", "longtext". */
  dataType: string;
  notNull: boolean;
  isKey: boolean;
  /** CHARACTER_SET_NAME; 'binary' for binary strings; null for non-string types. */
  charset: string | null;
  logical: LogicalType;
  /** What rows get when the column is added (column-default.ts). */
  default: ColumnDefault | null;
}

const BINARY_TYPES = new Set(['binary', 'varbinary', 'tinyblob', 'blob', 'mediumblob', 'longblob']);

/** One sentence per unusable table; empty when every table can be synced. */
export async function findMySqlSourceTableProblems(c: Queryable, tables: TableRef[]): Promise<string[]> {
  const problems: string[] = [];
  for (const t of tables) {
    const name = `${t.schema}.${t.table}`;
    const [rows] = await c.query(
      `SELECT TABLE_TYPE AS type,
              EXISTS (SELECT 1 FROM information_schema.TABLE_CONSTRAINTS k
                       WHERE k.TABLE_SCHEMA = t.TABLE_SCHEMA AND k.TABLE_NAME = t.TABLE_NAME AND k.CONSTRAINT_TYPE = 'PRIMARY KEY') AS has_pk
         FROM information_schema.TABLES t WHERE t.TABLE_SCHEMA = ? AND t.TABLE_NAME = ?`, [t.schema, t.table]);
    const r = rows[0];
    if (!r) problems.push(`source table ${name} does not exist`);
    else if (r.type !== 'BASE TABLE' && r.type !== 'SYSTEM VERSIONED') problems.push(`source ${name} is not a table (${r.type})`);
    else if (!Number(r.has_pk)) problems.push(`source table ${name} has no primary key; real-time sync applies changes by primary key, so add one or leave the table out of the task`);
  }
  return problems;
}

/** The table's columns in order; empty when the table does not exist. */
export async function loadTableColumns(c: Queryable, t: TableRef): Promise<InfoColumn[]> {
  const [rows] = await c.query(
    `SELECT COLUMN_NAME AS name, COLUMN_TYPE AS columnType, DATA_TYPE AS dataType, IS_NULLABLE AS nullable,
            COLUMN_KEY AS columnKey, CHARACTER_SET_NAME AS charset,
            COLUMN_DEFAULT AS columnDefault, EXTRA AS extra, GENERATION_EXPRESSION AS generation, @@version AS version
       FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`, [t.schema, t.table]);
  if (rows.length === 0) return [];
  const jsonColumns = new Set<string>();
  try {
    // MariaDB: JSON is LONGTEXT + CHECK (json_valid(`col`)), a column-level constraint named after the column.
    const [checks] = await c.query(
      `SELECT CONSTRAINT_NAME AS name, CHECK_CLAUSE AS clause FROM information_schema.CHECK_CONSTRAINTS
        WHERE CONSTRAINT_SCHEMA = ? AND TABLE_NAME = ?`, [t.schema, t.table]);
    for (const k of checks) if (isMariaDbJsonCheck(String(k.clause), String(k.name))) jsonColumns.add(String(k.name));
  } catch { /* MySQL: no TABLE_NAME there, and JSON is its own DATA_TYPE */ }
  return rows.map((r: any) => {
    const dataType = String(r.dataType).toLowerCase();
    const json = jsonColumns.has(r.name) && /text$/.test(dataType);
    const logical = mysqlLogicalType(String(r.columnType), { json });
    const notNull = r.nullable === 'NO';
    return {
      name: String(r.name), columnType: String(r.columnType), dataType, notNull, isKey: r.columnKey === 'PRI',
      charset: BINARY_TYPES.has(dataType) ? 'binary' : r.charset === null ? null : String(r.charset),
      logical,
      default: mysqlColumnDefault({
        raw: r.columnDefault === null ? null : String(r.columnDefault), extra: String(r.extra ?? ''),
        generation: r.generation === null || r.generation === undefined ? null : String(r.generation), notNull, logical,
      }, isMariaDbVersion(String(r.version))),
    };
  });
}

export function toTableSchema(columns: InfoColumn[]): TableSchema {
  return {
    dialect: 'mysql',
    columns: columns.map((c) => ({ name: c.name, type: c.columnType, logical: c.logical, notNull: c.notNull, isKey: c.isKey, default: c.default })),
  };
}
