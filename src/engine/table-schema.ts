/**
 * A source table's columns as the source declares them: the native type (reused as is when the
 * target speaks the same dialect) and an engine-neutral logical type (mapped to the target's
 * type otherwise; docs/type-mapping.md). Values of a column travel in the canonical text form of
 * its logical type (change-event.ts).
 */
export type Dialect = 'postgresql' | 'mysql';

export type LogicalType =
  | { kind: 'boolean' }
  /** bytes 1|2|3|4|8 (3: MySQL MEDIUMINT). */
  | { kind: 'integer'; bytes: number; unsigned: boolean }
  /** precision null: unbounded (PostgreSQL numeric without typmod). */
  | { kind: 'decimal'; precision: number | null; scale: number | null }
  | { kind: 'float'; bytes: 4 | 8 }
  /** length in characters; null: unbounded (text, LONGTEXT). fixed: CHAR(n). */
  | { kind: 'text'; length: number | null; fixed: boolean }
  /** length in bytes; null: unbounded (bytea, LONGBLOB). fixed: BINARY(n). */
  | { kind: 'binary'; length: number | null; fixed: boolean }
  | { kind: 'date' }
  /** fsp: fractional second digits 0-6. */
  | { kind: 'time'; fsp: number }
  | { kind: 'timestamp'; fsp: number }
  | { kind: 'timestamptz'; fsp: number }
  | { kind: 'json' }
  | { kind: 'uuid' }
  | { kind: 'bit'; length: number }
  | { kind: 'enum'; values: string[] }
  | { kind: 'set'; values: string[] }
  | { kind: 'year' }
  /** Anything else: carried as text. */
  | { kind: 'other' };

export interface SourceColumn {
  name: string;
  /** The source's own type declaration, e.g. "numeric(30,10)", "int(10) unsigned", "enum('a','b')". */
  type: string;
  logical: LogicalType;
  notNull: boolean;
  isKey: boolean;
}

export interface TableSchema { dialect: Dialect; columns: SourceColumn[] }
