/**
 * Resolves a source relation to its MySQL/MariaDB target table (information_schema, names as
 * stored), creating it from the source's columns and primary key when it is missing, and checks
 * that it fits: every source column present, the same primary key.
 */
import type { Connection } from 'mysql2/promise';
import type { RelationInfo } from '../../change-event.ts';
import type { TableSchema } from '../../table-schema.ts';
import { UnrecoverableError } from '../../errors.ts';
import { planDefault } from '../column-default-plan.ts';
import type { DdlOutcome, PreparedTable, TargetName } from '../sink-dialect.ts';
import { resolveTarget, type TargetShape } from '../resolve-target.ts';
import { columnDefinition } from './column-types.ts';
import { converterFor, type Converter } from './convert-value.ts';
import { qualified, quoteId } from './sql.ts';

export interface TargetTable extends PreparedTable {
  /** Quoted db.table. */
  name: string;
  /** Quoted target column names, in the order of the relation's tuples. */
  columns: string[];
  convert: Converter[];
  /** The target columns' information_schema DATA_TYPE, lower case, in the order of `columns`. */
  dataTypes: string[];
  /**
   * A REPLACE of a full row ends as the sink's upsert does (MySQL and MariaDB "REPLACE Statement":
   * the conflicting row is deleted and the new one inserted, or the engine updates it in place):
   * the primary key is the table's only unique index (so REPLACE removes no other row), no trigger
   * is defined on it (none fires on a delete the upsert would not make) and no foreign key refers
   * to it (none cascades), and the sink writes every column of the table (so REPLACE resets none
   * to its default). Those are also the conditions under which the server updates in place
   * (MariaDB sql_insert.cc write_record). load-data.ts then loads upserts too.
   */
  replaceable: boolean;
}

export interface IntrospectedColumn { name: string; dataType: string; columnType: string; numericScale: number | null; nullable: boolean }
export interface Introspected extends TargetShape {
  columns: Map<string, IntrospectedColumn>;
  /** A trigger is defined on the table, or a foreign key of any table refers to it. */
  triggersOrReferences: boolean;
}

/** Column lookup is case-insensitive, like MySQL's column names. */
export async function introspect(c: Connection, t: TargetName): Promise<Introspected | null> {
  const db = t.schema;
  const [cols] = await c.query(
    `SELECT COLUMN_NAME AS name, DATA_TYPE AS dataType, COLUMN_TYPE AS columnType, NUMERIC_SCALE AS scale, IS_NULLABLE AS nullable
       FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`, [db, t.table]);
  const rows = cols as { name: string; dataType: string; columnType: string; scale: string | number | null; nullable: string }[];
  if (rows.length === 0) return null;
  const [indexed] = await c.query(
    `SELECT INDEX_NAME AS indexName, COLUMN_NAME AS name, NON_UNIQUE AS nonUnique FROM information_schema.STATISTICS
      WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY INDEX_NAME, SEQ_IN_INDEX`, [db, t.table]);
  const indexes = indexed as { indexName: string; name: string; nonUnique: string | number }[];
  const [linked] = await c.query(
    `SELECT EXISTS (SELECT 1 FROM information_schema.TRIGGERS WHERE EVENT_OBJECT_SCHEMA = ? AND EVENT_OBJECT_TABLE = ?)
         OR EXISTS (SELECT 1 FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE UNIQUE_CONSTRAINT_SCHEMA = ? AND REFERENCED_TABLE_NAME = ?) AS l`,
    [db, t.table, db, t.table]);
  return {
    columns: new Map(rows.map((r) => [r.name.toLowerCase(), {
      name: r.name, dataType: r.dataType, columnType: r.columnType,
      numericScale: r.scale === null ? null : Number(r.scale), nullable: r.nullable === 'YES',
    }])),
    columnNames: rows.map((r) => r.name),
    primaryKey: indexes.filter((r) => r.indexName === 'PRIMARY').map((r) => r.name),
    // Foreign keys are not checked in sink sessions (foreign_key_checks=0, session.ts): only unique indexes couple rows.
    coupling: indexes.some((r) => r.indexName !== 'PRIMARY' && Number(r.nonUnique) === 0) ? 'rows' : 'none',
    triggersOrReferences: Number((linked as { l: string | number }[])[0].l) !== 0,
  };
}

export async function databaseExists(c: Connection, db: string): Promise<boolean> {
  const [rows] = await c.query(`SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?`, [db]);
  return (rows as unknown[]).length > 0;
}

/** `withDefaults`: the source's constant defaults too (column-default-plan.ts). */
export function createTableSql(t: TargetName, source: TableSchema, withDefaults = true): string {
  const label = `${t.schema}.${t.table}`;
  const key = source.columns.filter((col) => col.isKey).map((col) => col.name);
  if (key.length === 0) throw new UnrecoverableError(`source table for ${label} has no primary key; real-time sync needs one`);
  const cols = source.columns.map((col) => {
    const plan = withDefaults ? planDefault(label, col, false) : null;
    return columnDefinition(col, source.dialect, plan?.kind === 'declare' ? plan.value : null);
  });
  return `CREATE TABLE IF NOT EXISTS ${qualified(t.schema, t.table)} (${cols.join(', ')}, PRIMARY KEY (${key.map(quoteId).join(', ')}))`
    + ' ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin';
}

/** CREATE TABLE with the source's defaults; when the target refuses them, without (and a warning). */
export async function createTable(ddl: (sql: string) => Promise<void>, t: TargetName, source: TableSchema): Promise<DdlOutcome> {
  const out: DdlOutcome = { statements: [], warnings: [], touched: [t] };
  const withDefaults = createTableSql(t, source, true);
  const plain = createTableSql(t, source, false);
  try {
    await ddl(withDefaults);
    out.statements.push(withDefaults);
  } catch (err) {
    if (withDefaults === plain) throw err;
    await ddl(plain);
    out.statements.push(plain);
    out.warnings.push(`the target refused the column defaults of ${t.schema}.${t.table} (${(err as Error).message}); the table was created without them`);
  }
  return out;
}

/**
 * `ddl` runs a DDL statement where it does not commit the sink's open transaction (MySQL DDL
 * commits implicitly).
 */
export async function prepareTargetTable(
  c: Connection, ddl: (sql: string) => Promise<void>, relation: RelationInfo, t: TargetName, describe: () => Promise<TableSchema>,
): Promise<{ table: TargetTable; ddl: DdlOutcome | null }> {
  const label = `${t.schema}.${t.table}`;
  const { source, found, keys, created } = await resolveTarget(relation, label, describe, () => introspect(c, t), async (src) => {
    if (!(await databaseExists(c, t.schema))) throw new UnrecoverableError(`target database ${t.schema} does not exist; create it or choose another target database`);
    return createTable(ddl, t, src);
  }, (name) => name.toLowerCase());
  const logical = new Map(source.columns.map((col) => [col.name.toLowerCase(), col.logical]));
  const lower = relation.columns.map((col) => col.name.toLowerCase());
  const table: TargetTable = {
    name: qualified(t.schema, t.table), label,
    columns: relation.columns.map((col) => quoteId(found.columns.get(col.name.toLowerCase())!.name)),
    columnNames: relation.columns.map((col) => col.name),
    convert: lower.map((name) => converterFor(found.columns.get(name)!, logical.get(name))),
    dataTypes: lower.map((name) => found.columns.get(name)!.dataType.toLowerCase()),
    keys,
    coupling: found.coupling,
    replaceable: found.coupling === 'none' && !found.triggersOrReferences && found.columnNames.length === relation.columns.length,
  };
  return { table, ddl: created };
}
