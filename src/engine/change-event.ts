/**
 * What flows from a source to a sink: transactions in commit order, each a begin, row changes
 * (possibly many chunks of them) and a commit carrying the resumable source position.
 */

/** A column value: text form, null, or "unchanged" (PostgreSQL TOAST value not sent in an update). */
export const UNCHANGED = Symbol('unchanged');
export type ColumnValue = string | null | typeof UNCHANGED;

export interface ColumnInfo { name: string; typeOid: number; typmod: number; isKey: boolean }

export interface RelationInfo { id: number; schema: string; table: string; columns: ColumnInfo[] }

/** Old tuples (`oldKey`) span every column of the relation; only the key columns are meaningful. */
export type RowChange =
  | { op: 'insert'; relation: RelationInfo; values: ColumnValue[] }
  | { op: 'update'; relation: RelationInfo; values: ColumnValue[]; oldKey?: ColumnValue[] }
  | { op: 'delete'; relation: RelationInfo; oldKey: ColumnValue[] };

export type SourceEvent =
  | { kind: 'begin'; commitTime: Date }
  | { kind: 'change'; change: RowChange }
  | { kind: 'truncate'; relations: RelationInfo[] }
  | { kind: 'commit'; position: string; commitTime: Date }
  /** Nothing arrived for a while: a good moment to commit what is batched. */
  | { kind: 'idle' }
  /** The source was asked to stop and has delivered everything it will. */
  | { kind: 'end' };
