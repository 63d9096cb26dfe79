/**
 * Resolves a source relation to its target table: the target column types (format_type, used to
 * cast the text values) and the primary key, creating the table from the source's columns,
 * primary key and constant defaults when it is missing. Keys come from the primary keys, never
 * from the replica identity flags (REPLICA IDENTITY FULL flags every column).
 */
import type pg from 'pg';
import type { RelationInfo } from '../../change-event.ts';
import type { SourceColumn, TableSchema } from '../../table-schema.ts';
import { UnrecoverableError } from '../../errors.ts';
import { qualifiedName, quoteIdent, quoteLiteral } from '../../postgres/connection.ts';
import { pgColumnTypeFor } from '../../postgres/types.ts';
import { planDefault } from '../column-default-plan.ts';
import type { DdlOutcome, PreparedTable, TargetName } from '../sink-dialect.ts';
import { resolveTarget, type TargetShape } from '../resolve-target.ts';

export interface TargetTable extends PreparedTable {
  /** Quoted schema.table. */
  name: string;
  /** Column names and the types their text values are cast to, in the order of the relation's tuples. */
  columns: string[];
  types: string[];
  /** Distinguishes the prepared statements of this table on the sink's connection. */
  statementPrefix: string;
  /** New rows may go by COPY (copy-rows.ts): a plain or partitioned table without rewrite rules or row-level security. */
  copy: boolean;
}

interface Introspected extends TargetShape { types: Map<string, string>; copy: boolean }

async function introspect(c: pg.Client, name: string): Promise<Introspected | null> {
  // Values are cast to the type without its modifier: an explicit cast to varchar(5), char(3) or
  // bit(4) would cut a longer value silently, while the assignment to the column refuses it (the
  // row becomes a dirty record). Unmodified "character" and "bit" mean length 1: use bpchar, "bit".
  const cols = await c.query(
    `SELECT a.attname AS name,
            CASE t.typname WHEN 'bpchar' THEN 'bpchar' WHEN 'bit' THEN '"bit"' ELSE format_type(a.atttypid, NULL) END AS type
       FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
      WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped`, [name]);
  if (cols.rowCount === 0) return null;
  const pk = await c.query(
    `SELECT a.attname AS name FROM pg_index i
       CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
       JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
      WHERE i.indrelid = to_regclass($1) AND i.indisprimary ORDER BY k.ord`, [name]);
  // Foreign keys are enforced unless the session runs as a replica (a superuser writer: postgres-dialect.ts).
  // COPY skips rewrite rules, takes only these kinds of relation, and refuses to write where a
  // row-level security policy applies ("COPY FROM not supported with row-level security"); copy-rows.ts.
  const shape = (await c.query(
    `SELECT EXISTS (SELECT 1 FROM pg_index WHERE indrelid = to_regclass($1) AND (indisunique OR indisexclusion) AND NOT indisprimary) AS rows,
            current_setting('session_replication_role') <> 'replica'
              AND EXISTS (SELECT 1 FROM pg_constraint WHERE contype = 'f' AND (conrelid = to_regclass($1) OR confrelid = to_regclass($1))) AS tables,
            EXISTS (SELECT 1 FROM pg_class WHERE oid = to_regclass($1) AND relkind IN ('r', 'p') AND NOT relhasrules AND NOT relrowsecurity) AS copy`,
    [name])).rows[0];
  return {
    types: new Map(cols.rows.map((r) => [r.name, r.type])), columnNames: cols.rows.map((r) => r.name), primaryKey: pk.rows.map((r) => r.name),
    coupling: shape.tables === true ? 'tables' : shape.rows === true ? 'rows' : 'none', copy: shape.copy === true,
  };
}

/** The column type a missing target column gets: the source's own type when it is PostgreSQL too. */
export function targetColumnType(source: TableSchema, column: SourceColumn): string {
  return source.dialect === 'postgresql' ? column.type : pgColumnTypeFor(column);
}

/**
 * Runs `primary`; when the target refuses it, `fallback` instead (inside a transaction under a
 * savepoint, so the refusal does not abort it). Resolves to the statements that ran and the error
 * that made the fallback necessary.
 */
export async function runWithFallback(c: pg.Client, inTransaction: boolean, primary: string[], fallback: string[] | null): Promise<{ ran: string[]; refused: unknown }> {
  if (inTransaction) await c.query('SAVEPOINT opendi_ddl');
  try {
    for (const sql of primary) await c.query(sql);
    if (inTransaction) await c.query('RELEASE SAVEPOINT opendi_ddl');
    return { ran: primary, refused: null };
  } catch (err) {
    if (fallback === null) throw err;
    if (inTransaction) await c.query('ROLLBACK TO SAVEPOINT opendi_ddl; RELEASE SAVEPOINT opendi_ddl');
    for (const sql of fallback) await c.query(sql);
    return { ran: fallback, refused: err };
  }
}

function createSql(target: TargetName, source: TableSchema, key: string[], withDefaults: boolean): string {
  const cols = source.columns.map((col) => {
    const plan = withDefaults ? planDefault(`${target.schema}.${target.table}`, col, false) : { kind: 'none' as const };
    const def = plan.kind === 'declare' ? ` DEFAULT ${quoteLiteral(plan.value)}` : '';
    return `${quoteIdent(col.name)} ${targetColumnType(source, col)}${col.notNull ? ' NOT NULL' : ''}${def}`;
  });
  return `CREATE TABLE IF NOT EXISTS ${qualifiedName(target)} (${cols.join(', ')}, PRIMARY KEY (${key.map(quoteIdent).join(', ')}))`;
}

export async function createTargetTable(c: pg.Client, target: TargetName, source: TableSchema, inTransaction: boolean): Promise<DdlOutcome> {
  const label = `${target.schema}.${target.table}`;
  const key = source.columns.filter((col) => col.isKey).map((col) => col.name);
  if (key.length === 0) throw new UnrecoverableError(`source table for ${label} has no primary key; real-time sync needs one`);
  const out: DdlOutcome = { statements: [], warnings: [], touched: [target] };
  // Only when missing: CREATE SCHEMA needs CREATE on the database even with IF NOT EXISTS.
  if ((await c.query(`SELECT to_regnamespace($1) IS NULL AS missing`, [quoteIdent(target.schema)])).rows[0].missing) {
    const sql = `CREATE SCHEMA IF NOT EXISTS ${quoteIdent(target.schema)}`;
    await c.query(sql);
    out.statements.push(sql);
  }
  const withDefaults = createSql(target, source, key, true);
  const plain = createSql(target, source, key, false);
  const { ran, refused } = await runWithFallback(c, inTransaction, [withDefaults], withDefaults === plain ? null : [plain]);
  out.statements.push(...ran);
  if (refused) out.warnings.push(`the target refused the column defaults of ${label} (${(refused as Error).message}); the table was created without them`);
  return out;
}

export async function prepareTargetTable(
  c: pg.Client, relation: RelationInfo, target: TargetName, describe: () => Promise<TableSchema>, statementPrefix: string, inTransaction: boolean,
): Promise<{ table: TargetTable; ddl: DdlOutcome | null }> {
  const name = qualifiedName(target);
  const label = `${target.schema}.${target.table}`;
  const { found, keys, created } = await resolveTarget(relation, label, describe,
    () => introspect(c, name), (source) => createTargetTable(c, target, source, inTransaction));
  const columns = relation.columns.map((col) => col.name);
  const table: TargetTable = {
    name, label, columns, columnNames: columns, types: columns.map((col) => found.types.get(col)!), keys, statementPrefix, coupling: found.coupling,
    copy: found.copy,
  };
  return { table, ddl: created };
}
