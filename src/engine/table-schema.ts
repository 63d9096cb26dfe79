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

/**
 * A column's default at the source. Rows that existed when a column was added got this value, so
 * the target column must be created with it (or the target's rows diverge from the source's).
 * - `literal`: a constant, as canonical text of the column's logical type (change-event.ts).
 * - `implicit` (either kind): not declared, but what the source gives existing rows anyway (MySQL
 *   fills a new NOT NULL column with 0, '', the first ENUM label or a zero date).
 * - `expression`: evaluated by the source per row or per statement (CURRENT_TIMESTAMP, now(),
 *   nextval(...), uuid(), or a constant this engine cannot carry exactly): `sql` as the source
 *   shows it. A target cannot reproduce the values the source's existing rows got.
 * - `generated`: a generated (computed) column; `sql` is its expression.
 */
export type ColumnDefault =
  | { kind: 'literal'; value: string; implicit?: boolean }
  | { kind: 'expression'; sql: string; implicit?: boolean }
  | { kind: 'generated'; sql: string };

export interface SourceColumn {
  name: string;
  /** The source's own type declaration, e.g. "numeric(30,10)", "int(10) unsigned", "enum('a','b')". */
  type: string;
  logical: LogicalType;
  notNull: boolean;
  isKey: boolean;
  /** The default (see ColumnDefault); null or absent: none (existing rows got NULL). */
  default?: ColumnDefault | null;
}

export interface TableSchema { dialect: Dialect; columns: SourceColumn[] }
