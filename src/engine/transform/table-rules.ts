/**
 * The transformation rules that apply to one source table, in the engine's terms (a 2024 job's
 * TransformationRules after validation in src/domain/di-job/; README, "The 2024-05-18 DI Job API"):
 * target naming, added columns, the target's primary key, what each kind of row change does,
 * and a row filter. Everything here is data; table-transform.ts applies it.
 */
import type { Condition } from './condition-syntax.ts';

/** Rename templates may use these variables (plus the OpenDI extension `${srcSchemaName}`). */
export const NAME_VARIABLES = ['srcDatasourceName', 'srcDatabaseName', 'srcTableName', 'srcSchemaName'] as const;

/** Values an added column can take besides a constant (AddColumn `columnValueType: Variable`). */
export const COLUMN_VARIABLES = [
  'EXECUTE_TIME', 'DB_NAME_SRC', 'DATASOURCE_NAME_SRC', 'TABLE_NAME_SRC',
  'DB_NAME_DEST', 'DATASOURCE_NAME_DEST', 'TABLE_NAME_DEST', 'DB_NAME_SRC_TRANSED',
] as const;
export type ColumnVariable = (typeof COLUMN_VARIABLES)[number];

export interface AddedColumn { name: string; value: { constant: string } | { variable: ColumnVariable } }

export type DmlType = 'Insert' | 'Update' | 'Delete';
export type DmlPolicy =
  | { action: 'Normal' }
  | { action: 'Ignore' }
  /** The change is applied only when the condition holds (Insert, Update: the new row; Delete: the old row). */
  | { action: 'Filter'; condition: Condition; text: string }
  /** Delete only: the target row stays, marked deleted in LOGICAL_DELETE_COLUMN. */
  | { action: 'LogicalDelete' };

/** The marker column of HandleDml LogicalDelete (README): false while the source row exists, true once it was deleted. */
export const LOGICAL_DELETE_COLUMN = '_opendi_deleted';

export interface TableRules {
  /** Name templates (NAME_VARIABLES) for the target table and its schema (MySQL target: its database). */
  tableName?: string;
  schemaName?: string;
  addColumns: AddedColumn[];
  /** The target's primary key, when it is not the source's. */
  primaryKey?: string[];
  dml: Record<DmlType, DmlPolicy>;
  /** DefineIncrementalCondition: the target keeps exactly the source rows that satisfy it. */
  rowFilter?: { condition: Condition; text: string };
}

export const NO_RULES: TableRules = {
  addColumns: [], dml: { Insert: { action: 'Normal' }, Update: { action: 'Normal' }, Delete: { action: 'Normal' } },
};

/** True when the rules change nothing about rows or names (the sink can take changes as they come). */
export function isIdentity(r: TableRules): boolean {
  return r.tableName === undefined && r.schemaName === undefined && r.addColumns.length === 0 && r.primaryKey === undefined
    && r.rowFilter === undefined && Object.values(r.dml).every((p) => p.action === 'Normal');
}

/**
 * True when the rules read columns of a change's old row besides the source key: a target key of
 * their own (DefinePrimaryKey), a Delete filter (its condition is on the old row), or LogicalDelete
 * (the old row is written back, marked deleted). A MySQL source then decodes the whole before image
 * of updates and deletes (mysql-source.ts wholeOldRow); for other tables only their key.
 */
export function readsOldRow(r: TableRules): boolean {
  return r.primaryKey !== undefined || r.dml.Delete.action === 'Filter' || r.dml.Delete.action === 'LogicalDelete';
}
