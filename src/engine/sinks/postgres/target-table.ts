/**
 * Resolves a source relation to its target table: the target column types (format_type, used to
 * cast the text values) and the primary key, creating the table from the source's columns and
 * primary key when it is missing. Keys come from the primary keys, never from the replica
 * identity flags (REPLICA IDENTITY FULL flags every column).
 */
import type pg from 'pg';
import type { Logger } from '../../../logger.ts';
import type { RelationInfo } from '../../change-event.ts';
import type { TableSchema } from '../../table-schema.ts';
import { MissingTargetColumnsError, UnrecoverableError } from '../../errors.ts';
import { qualifiedName, quoteIdent } from '../../postgres/connection.ts';
import { pgColumnTypeFor } from '../../postgres/types.ts';

export interface TargetTable {
  /** Quoted schema.table. */
  name: string;
  /** schema.table for messages. */
  label: string;
  /** Column names and target types, in the order of the relation's tuples. */
  columns: string[];
  types: string[];
  /** Indexes (into the tuples) of the primary key columns. */
  keys: number[];
  /** Distinguishes the prepared statements of this table on the sink's connection. */
  statementPrefix: string;
}

interface Introspected { types: Map<string, string>; primaryKey: string[] }

async function introspect(c: pg.Client, name: string): Promise<Introspected | null> {
  const cols = await c.query(
    `SELECT attname AS name, format_type(atttypid, atttypmod) AS type FROM pg_attribute
      WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped`, [name]);
  if (cols.rowCount === 0) return null;
  const pk = await c.query(
    `SELECT a.attname AS name FROM pg_index i
       CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
       JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
      WHERE i.indrelid = to_regclass($1) AND i.indisprimary ORDER BY k.ord`, [name]);
  return { types: new Map(cols.rows.map((r) => [r.name, r.type])), primaryKey: pk.rows.map((r) => r.name) };
}

/** The column type a missing target column gets: the source's own type when it is PostgreSQL too. */
export function targetColumnType(source: TableSchema, column: TableSchema['columns'][number]): string {
  return source.dialect === 'postgresql' ? column.type : pgColumnTypeFor(column);
}

export async function createTargetTable(c: pg.Client, target: { schema: string; table: string }, source: TableSchema, label: string): Promise<void> {
  const sourceKey = source.columns.filter((col) => col.isKey).map((col) => col.name);
  if (sourceKey.length === 0) throw new UnrecoverableError(`source table ${label} has no primary key; real-time sync needs one`);
  const cols = source.columns.map((col) => `${quoteIdent(col.name)} ${targetColumnType(source, col)}${col.notNull ? ' NOT NULL' : ''}`);
  await c.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(target.schema)}`);
  await c.query(`CREATE TABLE IF NOT EXISTS ${qualifiedName(target)} (${cols.join(', ')}, PRIMARY KEY (${sourceKey.map(quoteIdent).join(', ')}))`);
}

/** `target`: where the relation's rows go (the sink's name mapping). */
export async function prepareTargetTable(
  c: pg.Client, relation: RelationInfo, target: { schema: string; table: string }, describe: () => Promise<TableSchema>, statementPrefix: string, logger: Logger,
): Promise<TargetTable> {
  const name = qualifiedName(target);
  const label = `${target.schema}.${target.table}`;
  const source = await describe();
  const sourceKey = source.columns.filter((col) => col.isKey).map((col) => col.name);
  if (sourceKey.length === 0) throw new UnrecoverableError(`source table ${relation.schema}.${relation.table} has no primary key; real-time sync needs one`);
  let existing = await introspect(c, name);
  if (!existing) {
    await createTargetTable(c, target, source, label);
    logger.info('created target table', { table: label });
    existing = (await introspect(c, name))!;
  }
  const found = existing;
  const missing = relation.columns.filter((col) => !found.types.has(col.name)).map((col) => col.name);
  if (missing.length > 0) throw new MissingTargetColumnsError(label, missing);
  if (found.primaryKey.length === 0) throw new UnrecoverableError(`target table ${label} has no primary key; changes are applied by primary key`);
  if ([...found.primaryKey].sort().join(',') !== [...sourceKey].sort().join(',')) {
    throw new UnrecoverableError(`target table ${label} has primary key (${found.primaryKey.join(', ')}) but the source has (${sourceKey.join(', ')}); they must match`);
  }
  const columns = relation.columns.map((col) => col.name);
  return {
    name, label, columns,
    types: columns.map((col) => found.types.get(col)!),
    keys: found.primaryKey.map((col) => columns.indexOf(col)),
    statementPrefix,
  };
}
