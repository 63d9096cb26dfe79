/**
 * The small driver port under the one SQL implementation of the catalog (sql-catalog-store.ts,
 * sql-monitoring-store.ts), in the spirit of kysely's dialects: the store writes portable SQL with
 * `?` placeholders, and each driver (../sqlite/sqlite-driver.ts, ../postgres/pg-driver.ts) runs it.
 *
 * Contract:
 * - `query` returns the rows (of a SELECT or a RETURNING); `run` returns how many rows changed.
 * - `transaction(fn)` runs `fn` with a handle whose statements form one transaction, committed when
 *   `fn` resolves and rolled back when it throws. Statements outside it never join it.
 * - A unique-constraint failure is thrown as UniqueViolationError naming `table.column, ...`
 *   (SQLite's own wording); an unreachable or timed-out database as CatalogUnavailableError.
 * - `migrate` applies the numbered migrations past the catalog's version, each in its own
 *   transaction, safely when several processes open one catalog at once; it returns the version
 *   found (0: a new catalog).
 */
export type Row = Record<string, any>;

export interface SqlExec {
  query(sql: string, params?: readonly unknown[]): Promise<Row[]>;
  run(sql: string, params?: readonly unknown[]): Promise<number>;
}

/** What differs between the two SQL dialects, as SQL fragments the store splices in. */
export interface SqlDialect {
  readonly name: 'sqlite' | 'postgres';
  /** Appended to a SELECT that reads a row to write it back in the same transaction. */
  readonly forUpdate: string;
  /** Appended to a SELECT that checks a referenced row exists (keeps it from being deleted meanwhile). */
  readonly forKeyShare: string;
  /** Case-insensitive LIKE (SQLite's LIKE folds ASCII case; PostgreSQL needs ILIKE). */
  readonly ilike: string;
  /** `expr` contains the bound text, case-sensitively (SQLite instr, PostgreSQL strpos). */
  contains(expr: string): string;
  /** `expr IN (<a JSON array of integers bound as one parameter>)`: any number of ids, one bound value. */
  inJsonIntegers(expr: string): string;
}

export interface SqlDriver extends SqlExec {
  readonly dialect: SqlDialect;
  transaction<T>(fn: (tx: SqlExec) => Promise<T>): Promise<T>;
  migrate(migrations: readonly string[]): Promise<number>;
  close(): Promise<void>;
}

/** A value as both drivers bind it: undefined as NULL, booleans as 0/1 (the schema's INTEGER flags). */
export function bindable(v: unknown): unknown {
  if (v === undefined) return null;
  if (typeof v === 'boolean') return v ? 1 : 0;
  return v;
}
