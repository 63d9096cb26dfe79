/**
 * Resolves a source relation to its MySQL/MariaDB target table (information_schema, names as
 * stored), creating it from the source's columns and primary key when it is missing, and checks
 * that it fits: every source column present, the same primary key.
 */
import type { Connection } from 'mysql2/promise';
import type { Logger } from '../../../logger.ts';
import type { RelationInfo } from '../../change-event.ts';
import type { TableSchema } from '../../table-schema.ts';
import { MissingTargetColumnsError, UnrecoverableError } from '../../errors.ts';
import { columnDefinition } from './column-types.ts';
import { converterFor, type Converter } from './convert-value.ts';
import { qualified, quoteId } from './sql.ts';

export interface TargetName { db: string; table: string }

export interface TargetTable {
  /** Quoted db.table. */
  name: string;
  /** db.table, for messages and dirty records. */
  label: string;
  /** Quoted target column names, in the order of the relation's tuples. */
  columns: string[];
  /** Column names as the source has them (dirty records). */
  sourceColumns: string[];
  convert: Converter[];
  /** Indexes (into the tuples) of the primary key columns. */
  keys: number[];
}

export interface IntrospectedColumn { name: string; dataType: string; columnType: string; numericScale: number | null; nullable: boolean }
export interface Introspected { columns: Map<string, IntrospectedColumn>; primaryKey: string[] }

/** Column lookup is case-insensitive, like MySQL's column names. */
export async function introspect(c: Connection, t: TargetName): Promise<Introspected | null> {
  const [cols] = await c.query(
    `SELECT COLUMN_NAME AS name, DATA_TYPE AS dataType, COLUMN_TYPE AS columnType, NUMERIC_SCALE AS scale, IS_NULLABLE AS nullable
       FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`, [t.db, t.table]);
  const rows = cols as { name: string; dataType: string; columnType: string; scale: string | number | null; nullable: string }[];
  if (rows.length === 0) return null;
  const [pk] = await c.query(
    `SELECT COLUMN_NAME AS name FROM information_schema.STATISTICS
      WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND INDEX_NAME = 'PRIMARY' ORDER BY SEQ_IN_INDEX`, [t.db, t.table]);
  return {
    columns: new Map(rows.map((r) => [r.name.toLowerCase(), {
      name: r.name, dataType: r.dataType, columnType: r.columnType,
      numericScale: r.scale === null ? null : Number(r.scale), nullable: r.nullable === 'YES',
    }])),
    primaryKey: (pk as { name: string }[]).map((r) => r.name),
  };
}

export async function databaseExists(c: Connection, db: string): Promise<boolean> {
  const [rows] = await c.query(`SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?`, [db]);
  return (rows as unknown[]).length > 0;
}

export function createTableSql(t: TargetName, source: TableSchema): string {
  const label = `${t.db}.${t.table}`;
  const key = source.columns.filter((col) => col.isKey).map((col) => col.name);
  if (key.length === 0) throw new UnrecoverableError(`source table for ${label} has no primary key; real-time sync needs one`);
  const cols = source.columns.map((col) => columnDefinition(col, source.dialect));
  return `CREATE TABLE IF NOT EXISTS ${qualified(t.db, t.table)} (${cols.join(', ')}, PRIMARY KEY (${key.map(quoteId).join(', ')}))`
    + ' ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin';
}

/**
 * `ddl` runs a DDL statement where it does not commit the sink's open transaction (MySQL DDL
 * commits implicitly).
 */
export async function prepareTargetTable(
  c: Connection, ddl: (sql: string) => Promise<void>, relation: RelationInfo, t: TargetName,
  describe: () => Promise<TableSchema>, logger: Logger,
): Promise<TargetTable> {
  const label = `${t.db}.${t.table}`;
  const source = await describe();
  const sourceKey = source.columns.filter((col) => col.isKey).map((col) => col.name);
  if (sourceKey.length === 0) throw new UnrecoverableError(`source table ${relation.schema}.${relation.table} has no primary key; real-time sync needs one`);
  let target = await introspect(c, t);
  if (!target) {
    if (!(await databaseExists(c, t.db))) throw new UnrecoverableError(`target database ${t.db} does not exist`);
    await ddl(createTableSql(t, source));
    logger.info('created target table', { table: label });
    target = await introspect(c, t);
    if (!target) throw new UnrecoverableError(`target table ${label} could not be created`);
  }
  const found = target;
  const missing = relation.columns.filter((col) => !found.columns.has(col.name.toLowerCase())).map((col) => col.name);
  if (missing.length > 0) throw new MissingTargetColumnsError(label, missing);
  if (found.primaryKey.length === 0) throw new UnrecoverableError(`target table ${label} has no primary key; changes are applied by primary key`);
  const norm = (names: string[]) => names.map((n) => n.toLowerCase()).sort().join('\u0000');
  if (norm(found.primaryKey) !== norm(sourceKey)) {
    throw new UnrecoverableError(`target table ${label} has primary key (${found.primaryKey.join(', ')}) but the source has (${sourceKey.join(', ')}); they must match`);
  }
  const logical = new Map(source.columns.map((col) => [col.name.toLowerCase(), col.logical]));
  const lower = relation.columns.map((col) => col.name.toLowerCase());
  const keys = found.primaryKey.map((name) => lower.indexOf(name.toLowerCase()));
  if (keys.some((i) => i < 0)) throw new UnrecoverableError(`the change stream of ${label} lacks primary key column(s)`);
  return {
    name: qualified(t.db, t.table), label,
    columns: relation.columns.map((col) => quoteId(found.columns.get(col.name.toLowerCase())!.name)),
    sourceColumns: relation.columns.map((col) => col.name),
    convert: lower.map((name) => converterFor(found.columns.get(name)!, logical.get(name))),
    keys,
  };
}
