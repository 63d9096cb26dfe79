/**
 * Resolves a source relation to its target table: the target column types (format_type, used to
 * cast the text values) and the primary key, creating the table from the source's columns and
 * primary key when it is missing. Keys come from the primary keys, never from the replica
 * identity flags (REPLICA IDENTITY FULL flags every column).
 */
import type pg from 'pg';
import type { Logger } from '../../../logger.ts';
import type { RelationInfo } from '../../change-event.ts';
import type { TableSchema } from '../../change-source.ts';
import { UnrecoverableError } from '../../errors.ts';
import { qualifiedName, quoteIdent } from '../../postgres/connection.ts';

export interface TargetTable {
  /** Quoted schema.table. */
  name: string;
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

export async function prepareTargetTable(
  c: pg.Client, relation: RelationInfo, describe: () => Promise<TableSchema>, statementPrefix: string, logger: Logger,
): Promise<TargetTable> {
  const name = qualifiedName(relation);
  const label = `${relation.schema}.${relation.table}`;
  const source = await describe();
  const sourceKey = source.columns.filter((col) => col.isKey).map((col) => col.name);
  if (sourceKey.length === 0) throw new UnrecoverableError(`source table ${label} has no primary key; real-time sync needs one`);
  let target = await introspect(c, name);
  if (!target) {
    const cols = source.columns.map((col) => `${quoteIdent(col.name)} ${col.type}${col.notNull ? ' NOT NULL' : ''}`);
    await c.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(relation.schema)}`);
    await c.query(`CREATE TABLE IF NOT EXISTS ${name} (${cols.join(', ')}, PRIMARY KEY (${sourceKey.map(quoteIdent).join(', ')}))`);
    logger.info('created target table', { table: label });
    target = (await introspect(c, name))!;
  }
  const missing = relation.columns.filter((col) => !target!.types.has(col.name)).map((col) => col.name);
  if (missing.length > 0) throw new UnrecoverableError(`target table ${label} lacks column(s) ${missing.join(', ')} of the source table`);
  if (target.primaryKey.length === 0) throw new UnrecoverableError(`target table ${label} has no primary key; changes are applied by primary key`);
  if ([...target.primaryKey].sort().join(',') !== [...sourceKey].sort().join(',')) {
    throw new UnrecoverableError(`target table ${label} has primary key (${target.primaryKey.join(', ')}) but the source has (${sourceKey.join(', ')}); they must match`);
  }
  const columns = relation.columns.map((col) => col.name);
  return {
    name, columns,
    types: columns.map((col) => target!.types.get(col)!),
    keys: target.primaryKey.map((col) => columns.indexOf(col)),
    statementPrefix,
  };
}
