/**
 * Column defaults of a PostgreSQL source table (pgoutput's Relation messages carry none; the
 * catalog has them in pg_attrdef). A default that is a literal with casts, e.g.
 * `'web'::character varying` or `0`, is a constant: the source evaluates it once, cast to the
 * column's type, and its text output is the canonical value (change-event.ts) the target column
 * gets. Anything else (now(), nextval(...), gen_random_uuid(), an identity) is an expression: its
 * values for the source's existing rows cannot be reproduced at a target.
 */
import type pg from 'pg';
import type { ColumnDefault } from '../../table-schema.ts';

export interface DefaultRow {
  /** format_type of the column. */
  type: string;
  /** pg_get_expr(adbin) of its default; null: none. */
  default_sql: string | null;
  /** pg_attribute.attidentity: 'a' / 'd' for identity columns. */
  identity: string;
}

const LITERAL_WITH_CASTS = /^(?:'(?:[^']|'')*'|-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?|true|false|NULL)(?:::[A-Za-z_][\w ."[\](),]*)*$/;

/** One default per row, in order; constants are evaluated in one query on `c`. */
export async function readColumnDefaults(c: pg.Client, rows: DefaultRow[]): Promise<(ColumnDefault | null)[]> {
  const out: (ColumnDefault | null)[] = rows.map((r) => {
    if (r.identity === 'a' || r.identity === 'd') return { kind: 'expression', sql: 'GENERATED AS IDENTITY' };
    if (r.default_sql === null) return null;
    return LITERAL_WITH_CASTS.test(r.default_sql) ? null : { kind: 'expression', sql: r.default_sql };
  });
  const constants = rows.flatMap((r, i) => (out[i] === null && r.default_sql !== null ? [i] : []));
  if (constants.length === 0) return out;
  try {
    const values = (await c.query({
      text: `SELECT ${constants.map((i) => `CAST((${rows[i].default_sql}) AS ${rows[i].type})::text`).join(', ')}`,
      rowMode: 'array',
    })).rows[0] as (string | null)[];
    constants.forEach((i, n) => { out[i] = values[n] === null ? null : { kind: 'literal', value: values[n]! }; });
  } catch {
    // Not a constant after all (a cast that fails on its own): the target cannot copy it.
    for (const i of constants) out[i] = { kind: 'expression', sql: rows[i].default_sql! };
  }
  return out;
}
