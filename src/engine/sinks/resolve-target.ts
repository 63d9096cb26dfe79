/**
 * What every dialect's prepareTable does before building its statements: read the source's
 * columns, create the target table when it is missing, and check that it fits the relation
 * (every column there, the same primary key). MissingTargetColumnsError lets the schema rules
 * treat missing columns as an ADDCOLUMN (schema-rules.ts).
 */
import type { RelationInfo } from '../change-event.ts';
import type { TableSchema } from '../table-schema.ts';
import { MissingTargetColumnsError, UnrecoverableError } from '../errors.ts';
import type { Coupling, DdlOutcome } from './sink-dialect.ts';

/** A target table as introspected: column names as stored, its primary key, and how its rows constrain others. */
export interface TargetShape { columnNames: string[]; primaryKey: string[]; coupling: Coupling }

export interface Resolution<S extends TargetShape> {
  source: TableSchema;
  found: S;
  /** Indexes (into the relation's tuples) of the target's primary key columns. */
  keys: number[];
  /** The DDL that created the table; null when it existed. */
  created: DdlOutcome | null;
}

/** `fold`: how the target compares names (MySQL: case-insensitively). */
export async function resolveTarget<S extends TargetShape>(
  relation: RelationInfo, label: string, describe: () => Promise<TableSchema>,
  introspect: () => Promise<S | null>, create: (source: TableSchema) => Promise<DdlOutcome>, fold: (name: string) => string = (n) => n,
): Promise<Resolution<S>> {
  const source = await describe();
  const sourceKey = source.columns.filter((col) => col.isKey).map((col) => fold(col.name));
  if (sourceKey.length === 0) throw new UnrecoverableError(`source table ${relation.schema}.${relation.table} has no primary key; real-time sync needs one`);
  let found = await introspect();
  let created: DdlOutcome | null = null;
  if (!found) {
    created = await create(source);
    found = await introspect();
    if (!found) throw new UnrecoverableError(`target table ${label} could not be created`);
  }
  const present = new Set(found.columnNames.map(fold));
  const missing = relation.columns.filter((col) => !present.has(fold(col.name))).map((col) => col.name);
  if (missing.length > 0) throw new MissingTargetColumnsError(label, missing);
  if (found.primaryKey.length === 0) throw new UnrecoverableError(`target table ${label} has no primary key; changes are applied by primary key`);
  const targetKey = found.primaryKey.map(fold);
  if ([...targetKey].sort().join('\u0000') !== [...sourceKey].sort().join('\u0000')) {
    throw new UnrecoverableError(`target table ${label} has primary key (${found.primaryKey.join(', ')}) but the source has (${source.columns.filter((c) => c.isKey).map((c) => c.name).join(', ')}); they must match`);
  }
  const tuple = relation.columns.map((col) => fold(col.name));
  const keys = targetKey.map((name) => tuple.indexOf(name));
  if (keys.some((i) => i < 0)) throw new UnrecoverableError(`the change stream of ${label} lacks primary key column(s)`);
  return { source, found, keys, created };
}
