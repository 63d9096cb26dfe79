/**
 * The shape of a target table a job creates: the source's columns with their types mapped to the
 * target's dialect (docs/type-mapping.md) or overridden by JobSettings.ColumnDataTypeSettings, the
 * columns AddColumn rules add, HandleDml LogicalDelete's marker column, and the primary key the
 * job defines (DefinePrimaryKey) or the source's. Sinks create a table from a TableSchema of their
 * own dialect verbatim, so the result names every type in the target's dialect.
 */
import type { EngineKind } from '../../domain/jdbc-url.ts';
import type { LogicalType, SourceColumn, TableSchema } from '../table-schema.ts';
import { pgColumnTypeFor } from '../postgres/types.ts';
import { mysqlColumnTypeFor } from '../sinks/mysql/column-types.ts';

export interface TypeOverride { source: string; destination: string }

/** A target column besides the source's: an added column or the logical-delete marker. */
export interface ExtraColumn { name: string; logical: LogicalType; notNull: boolean }

/** Lower case, without length/precision groups: "varchar(20)" -> "varchar", "int(11) unsigned" -> "int unsigned". */
export function baseTypeName(type: string): string {
  return type.toLowerCase().replace(/\([^)]*\)/g, '').replace(/\s+/g, ' ').trim();
}

/** The override for a declared source type: an exact match first, then one by base type name. */
export function overrideFor(type: string, overrides: readonly TypeOverride[]): string | undefined {
  const t = type.toLowerCase().replace(/\s+/g, ' ').trim();
  const base = baseTypeName(type);
  return overrides.find((o) => o.source.toLowerCase().replace(/\s+/g, ' ').trim() === t)?.destination
    ?? overrides.find((o) => baseTypeName(o.source) === base)?.destination;
}

export function targetTypeOf(column: SourceColumn, sourceDialect: TableSchema['dialect'], target: EngineKind, isKey: boolean): string {
  if (sourceDialect === target) return column.type;
  return target === 'postgresql' ? pgColumnTypeFor(column) : mysqlColumnTypeFor(column, isKey);
}

export function createdTableShape(
  source: TableSchema, target: EngineKind, key: readonly string[], extra: readonly ExtraColumn[], overrides: readonly TypeOverride[],
): TableSchema {
  const isKey = (name: string) => key.includes(name);
  const columns: SourceColumn[] = source.columns.map((col) => {
    const keyed = isKey(col.name);
    const type = overrideFor(col.type, overrides) ?? targetTypeOf({ ...col, isKey: keyed }, source.dialect, target, keyed);
    return { ...col, type, isKey: keyed, notNull: col.notNull || keyed };
  });
  for (const e of extra) {
    const keyed = isKey(e.name);
    const col: SourceColumn = { name: e.name, type: '', logical: e.logical, notNull: e.notNull || keyed, isKey: keyed };
    columns.push({ ...col, type: target === 'postgresql' ? pgColumnTypeFor(col) : mysqlColumnTypeFor(col, keyed) });
  }
  return { dialect: target, columns };
}
