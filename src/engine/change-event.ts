/**
 * What flows from a source to a sink: transactions in commit order, each a begin, row changes
 * (possibly many chunks of them) and a commit carrying the resumable source position; schema
 * changes of the task's tables travel as their own `ddl` events at a transaction boundary.
 *
 * Values are engine-neutral text in ONE canonical form per logical type (the PostgreSQL text
 * output), so any source can feed any sink (docs/type-mapping.md):
 *   boolean 't' | 'f'; integer and decimal: plain digits ('-12', '3.1400'); float: shortest
 *   round-trip digits, 'NaN', 'Infinity', '-Infinity'; text: the string itself (any UTF-8);
 *   binary: '\x' + lowercase hex; date 'YYYY-MM-DD'; time 'HH:MM:SS[.ffffff]';
 *   timestamp (no zone) 'YYYY-MM-DD HH:MM:SS[.ffffff]'; timestamptz (an instant) the same in UTC
 *   followed by '+00'; json: JSON text; bit: '0'/'1' digits, one per bit; enum/set: the label(s),
 *   set members comma-separated; year: digits; uuid: canonical lowercase hex with dashes.
 */
import type { DdlType } from './ddl-types.ts';

/** A column value: canonical text, null, or "unchanged" (PostgreSQL TOAST value not sent in an update). */
export const UNCHANGED = Symbol('unchanged');
export type ColumnValue = string | null | typeof UNCHANGED;

/** `typeOid`/`typmod`: PostgreSQL sources only. */
export interface ColumnInfo { name: string; isKey: boolean; typeOid?: number; typmod?: number }

/**
 * A table as the change stream shows it. The object identity matters: sinks prepare a target
 * table once per RelationInfo object, so a source hands out the same object while the table's
 * columns stay the same, and a new one after a schema change.
 */
export interface RelationInfo { id: number; schema: string; table: string; columns: ColumnInfo[] }

/**
 * Old tuples (`oldKey`) span every column of the relation; only the key columns are meaningful to
 * the sinks. Sources may leave the others UNCHANGED: PostgreSQL sends only the replica identity,
 * and the MySQL source decodes only the key unless the job's rules read the old row (SourceOptions
 * wholeOldRow in ports.ts).
 */
export type RowChange =
  | { op: 'insert'; relation: RelationInfo; values: ColumnValue[] }
  | { op: 'update'; relation: RelationInfo; values: ColumnValue[]; oldKey?: ColumnValue[] }
  | { op: 'delete'; relation: RelationInfo; oldKey: ColumnValue[] };

/**
 * A schema change of one of the task's tables, as the source saw it. `column` / `newColumn`:
 * the column added, dropped, modified or renamed (old -> new name); `newTable`: RENAMETABLE's
 * new name. `sql`: the statement as the source logged it (for the alert record), when known.
 */
export interface SchemaChange {
  type: DdlType;
  schema: string;
  table: string;
  column?: string;
  newColumn?: string;
  newTable?: { schema: string; table: string };
  sql?: string;
}

export type SourceEvent =
  | { kind: 'begin'; commitTime: Date }
  | { kind: 'change'; change: RowChange }
  | { kind: 'truncate'; relations: RelationInfo[] }
  | { kind: 'commit'; position: string; commitTime: Date }
  /** Outside any transaction; `position` is just past the statement. */
  | { kind: 'ddl'; change: SchemaChange; position: string; commitTime: Date }
  /** Nothing arrived for a while: a good moment to commit what is batched. */
  | { kind: 'idle' }
  /** The source was asked to stop and has delivered everything it will. */
  | { kind: 'end' };
