/**
 * How a target column is created so that the target's rows hold what the source's rows hold
 * (issue: ADD COLUMN with a DEFAULT must not diverge silently). A column added to a table with
 * rows gives those rows its default; the target column gets the same default (PostgreSQL and MySQL
 * both fill existing rows with it), or, when the source's value was implicit, the default only for
 * the ALTER and dropped right after. A default the target cannot reproduce (an expression, a
 * generated column, a value no target can hold) is reported as a warning, never skipped quietly.
 */
import type { SourceColumn } from '../table-schema.ts';

export type DefaultPlan =
  /** No default: the existing rows are NULL on both sides. */
  | { kind: 'none' }
  /** Create the column with DEFAULT `value` (canonical text), declared at the source. */
  | { kind: 'declare'; value: string }
  /** Create it with DEFAULT `value` to fill the existing rows, then drop the default. */
  | { kind: 'backfill'; value: string }
  | { kind: 'unreproducible'; warning: string };

/** `adding`: the column is added to an existing table (its rows take the default); else the table is created. */
export function planDefault(table: string, column: SourceColumn, adding: boolean): DefaultPlan {
  const d = column.default;
  if (!d) return { kind: 'none' };
  if (d.kind === 'literal') {
    if (!d.implicit) return { kind: 'declare', value: d.value };
    return adding ? { kind: 'backfill', value: d.value } : { kind: 'none' };
  }
  // A new table's rows all come from the source with their values: nothing to reproduce.
  if (!adding) return { kind: 'none' };
  return { kind: 'unreproducible', warning: unreproducible(table, column) };
}

export function unreproducible(table: string, column: SourceColumn): string {
  const d = column.default!;
  const what = d.kind === 'generated'
    ? `is a generated column at the source (${d.sql}); the target gets a plain column`
    : d.kind === 'expression' && d.implicit
      ? `was filled at the source with ${d.sql}, a value the target cannot hold`
      : `got the default ${d.kind === 'literal' ? `'${d.value}'` : d.sql} at the source, evaluated there`;
  return `column ${column.name} of ${table} ${what}; the rows the table already had do not get the source's values at the target `
    + `(they are corrected only when they change at the source). To make the target exact, resynchronize the table `
    + `(TerminateDISyncInstance, then StartDISyncInstance with the initial load).`;
}

/** The warning when the target refused a default the source has. */
export function refusedDefault(table: string, column: SourceColumn, err: unknown): string {
  return `the target refused the default of column ${column.name} of ${table} (${(err as Error).message}); `
    + `it was created without one, so rows the table already had do not get the source's value`;
}
