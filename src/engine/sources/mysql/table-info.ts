/**
 * What information_schema says about the task's tables: existence and primary key (checked
 * before a task starts), and the columns (describeTable, the snapshot reader, and the names/keys
 * the binlog leaves out when binlog_row_metadata is not FULL).
 */
import type { TableRef } from '../../change-source.ts';
import type { ColumnDefault, LogicalType, TableSchema } from '../../table-schema.ts';
import { isMariaDbJsonCheck, mysqlLogicalType } from '../../mysql/column-type.ts';
import { isMariaDbVersion, qualifiedName } from '../../mysql/connection.ts';
import { currentGrantee } from './privileges.ts';
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

/**
 * One sentence per unusable table; empty when every table can be synced. Only what a user with
 * SELECT on the tables can read (information_schema.TABLE_CONSTRAINTS is empty for such a user on
 * MariaDB; KEY_COLUMN_USAGE is not): a table the user may not read looks missing, so that sentence
 * names the GRANT too.
 */
export async function findMySqlSourceTableProblems(c: Queryable, tables: TableRef[]): Promise<string[]> {
  const problems: string[] = [];
  let grantee: string | undefined;
  for (const t of tables) {
    const name = `${t.schema}.${t.table}`;
    const [rows] = await c.query(
      `SELECT TABLE_TYPE AS type,
              EXISTS (SELECT 1 FROM information_schema.KEY_COLUMN_USAGE k
                       WHERE k.TABLE_SCHEMA = t.TABLE_SCHEMA AND k.TABLE_NAME = t.TABLE_NAME AND k.CONSTRAINT_NAME = 'PRIMARY') AS has_pk
         FROM information_schema.TABLES t WHERE t.TABLE_SCHEMA = ? AND t.TABLE_NAME = ?`, [t.schema, t.table]);
    const r = rows[0];
    if (!r) {
      grantee ??= await currentGrantee(c, 'the source user');
      problems.push(`source table ${name} does not exist, or the source user ${grantee} may not read it (GRANT SELECT ON ${qualifiedName(t)} TO ${grantee};)`);
    } else if (r.type !== 'BASE TABLE' && r.type !== 'SYSTEM VERSIONED') problems.push(`source ${name} is not a table (${r.type})`);
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
    // A user with SELECT on the table only (not the database) sees no CHECK_CONSTRAINTS rows: read
    // the column checks from SHOW CREATE TABLE instead.
    if (checks.length === 0 && rows.some((r: any) => /text$/i.test(String(r.dataType)))) {
      const [[created]] = await c.query(`SHOW CREATE TABLE ${qualifiedName(t)}`);
      for (const m of String(created?.['Create Table'] ?? '').matchAll(/^\s*`((?:[^`]|``)+)` \w*text\b.* CHECK \((.*)\),?$/gim)) {
        const name = m[1].replace(/``/g, '`');
        if (isMariaDbJsonCheck(m[2], name)) jsonColumns.add(name);
      }
    }
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

/**
 * A foreign key of a task table whose ON DELETE / ON UPDATE action changes the task table's rows
 * (CASCADE, SET NULL, SET DEFAULT). The server does not write what such an action does to the
 * binlog (the replica's own foreign keys are expected to redo it), so those changes never reach
 * the target; the source warns when the parent's rows change (binlog-transactions.ts).
 */
export interface CascadingKey {
  constraint: string;
  parent: { schema: string; table: string };
  /** The parent's referenced columns. */
  parentColumns: string[];
  onDelete: string | null;
  onUpdate: string | null;
}

const IDENT = '`((?:[^`]|``)+)`';
const FOREIGN_KEY = new RegExp(`CONSTRAINT ${IDENT} FOREIGN KEY \\(([^)]*)\\) REFERENCES ${IDENT}(?:\\.${IDENT})? \\(([^)]*)\\)(.*)$`, 'gm');
const unquote = (s: string) => s.replace(/``/g, '`');
const columnList = (s: string) => [...s.matchAll(new RegExp(IDENT, 'g'))].map((m) => unquote(m[1]));

/**
 * The cascading foreign keys of a table, from SHOW CREATE TABLE (information_schema's
 * REFERENTIAL_CONSTRAINTS is empty for a user with SELECT on the table only).
 */
export async function loadCascadingKeys(c: Queryable, t: TableRef): Promise<CascadingKey[]> {
  const [[created]] = await c.query(`SHOW CREATE TABLE ${qualifiedName(t)}`);
  const out: CascadingKey[] = [];
  for (const m of String(created?.['Create Table'] ?? '').matchAll(FOREIGN_KEY)) {
    const rule = (on: string) => new RegExp(`ON ${on} (CASCADE|SET NULL|SET DEFAULT)`).exec(m[6])?.[1] ?? null;
    const [onDelete, onUpdate] = [rule('DELETE'), rule('UPDATE')];
    if (!onDelete && !onUpdate) continue;
    const parent = m[4] !== undefined ? { schema: unquote(m[3]), table: unquote(m[4]) } : { schema: t.schema, table: unquote(m[3]) };
    out.push({ constraint: unquote(m[1]), parent, parentColumns: columnList(m[5]), onDelete, onUpdate });
  }
  return out;
}
