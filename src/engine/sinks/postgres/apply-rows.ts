/**
 * Set-based apply of folded rows (coalesce-changes.ts): values travel as text arrays, are
 * expanded with unnest and cast to each target column's type, so a whole chunk costs a few
 * statements: DELETE .. USING unnest, INSERT .. SELECT FROM unnest .. ON CONFLICT (pk) DO UPDATE,
 * and UPDATE .. FROM unnest for patches (only the columns that were sent; unchanged TOAST
 * values keep what the target holds).
 */
import type pg from 'pg';
import { UNCHANGED, type ColumnValue } from '../../change-event.ts';
import { quoteIdent } from '../../postgres/connection.ts';
import type { FinalRow, Move } from '../coalesce-changes.ts';
import type { DirtyOp, RowsPlan } from '../sink-dialect.ts';
import type { TargetTable } from './target-table.ts';
import { copyInto, copyText } from './copy-rows.ts';

type Text = string | null;

const ARRAY_SPECIAL = /[\\"]/;

/**
 * Column `i` of `rows` as the text of a PostgreSQL array literal, `{"a","b",NULL}`: the bytes
 * node-postgres would send for the array (every element quoted, `\` and `"` backslash-escaped,
 * null as NULL), built in one pass without its per-element replace/concat chain, which showed in
 * the profile of MySQL -> PostgreSQL (issue 14). Values other than text or null (never expected)
 * go as the plain array, for node-postgres to serialize as before.
 */
export function textArray(rows: ColumnValue[][], i: number): string | Text[] {
  const n = rows.length;
  if (n === 0) return '{}';
  const parts: string[] = new Array(n);
  let nulls = false;
  for (let r = 0; r < n; r++) {
    const v = rows[r][i];
    if (typeof v === 'string') parts[r] = ARRAY_SPECIAL.test(v) ? v.replace(/[\\"]/g, '\\$&') : v;
    else if (v === null) nulls = true;
    else return rows.map((row) => row[i] as Text);
  }
  if (!nulls) return '{"' + parts.join('","') + '"}';
  for (let r = 0; r < n; r++) parts[r] = rows[r][i] === null ? 'NULL' : '"' + parts[r] + '"';
  return '{' + parts.join(',') + '}';
}

/**
 * Sorts the folded rows into set statements and builds their parameters now (text arrays, COPY
 * text): the CPU part of a chunk, which the sink does while the target still runs the previous
 * chunk (SinkDialect.planRows). The returned step sends them through the guard; a row retried on
 * its own (RowGuard) gets its parameters built then.
 */
export function planFinalRows(t: TargetTable, rows: Iterable<FinalRow>): RowsPlan<pg.Client> {
  const deletes: ColumnValue[][] = [];
  const upserts: ColumnValue[][] = [];
  const inserts: ColumnValue[][] = [];
  const patches = new Map<string, ColumnValue[][]>(); // by which columns were sent
  for (const row of rows) {
    if (row.op === 'delete') deletes.push(row.key);
    else if (row.op === 'upsert') (row.fresh ? inserts : upserts).push(row.values);
    else {
      const sent = row.values.map((v) => (v === UNCHANGED ? '0' : '1')).join('');
      const list = patches.get(sent);
      if (list) list.push(row.values); else patches.set(sent, [row.values]);
    }
  }
  const steps: { op: DirtyOp; list: ColumnValue[][]; all: (c: pg.Client) => Promise<unknown>; one: (c: pg.Client, row: ColumnValue[]) => Promise<unknown> }[] = [];
  if (deletes.length > 0) {
    const arrays = keyArrays(t, deletes);
    steps.push({ op: 'delete', list: deletes, all: (c) => deleteRows(c, t, arrays), one: (c, row) => deleteRows(c, t, keyArrays(t, [row])) });
  }
  if (upserts.length > 0) {
    const arrays = columnArrays(t, upserts);
    steps.push({ op: 'upsert', list: upserts, all: (c) => upsertRows(c, t, arrays), one: (c, row) => upsertRows(c, t, columnArrays(t, [row])) });
  }
  if (inserts.length > 0) {
    const data = newRowsData(t, inserts);
    steps.push({ op: 'upsert', list: inserts, all: (c) => insertRows(c, t, inserts, data), one: (c, row) => insertRows(c, t, [row], newRowsData(t, [row])) });
  }
  for (const [sent, list] of patches) {
    const columns = t.columns.map((_, i) => i).filter((i) => sent[i] === '1');
    if (columns.every((i) => t.keys.includes(i))) continue;
    const arrays = columns.map((i) => textArray(list, i));
    steps.push({ op: 'update', list, all: (c) => patchRows(c, t, columns, arrays), one: (c, row) => patchRows(c, t, columns, columns.map((i) => textArray([row], i))) });
  }
  return async (c, guard) => {
    for (const s of steps) await guard.statement(s.op, s.list, () => s.all(c), (row) => s.one(c, row));
  };
}

function keyArrays(t: TargetTable, keys: ColumnValue[][]): (string | Text[])[] {
  return t.keys.map((_, k) => textArray(keys, k));
}

function columnArrays(t: TargetTable, rows: ColumnValue[][]): (string | Text[])[] {
  return t.columns.map((_, i) => textArray(rows, i));
}

/** How new rows travel: COPY text where the table takes COPY and every value is text, else the INSERT's arrays. */
type NewRows = { copy: Buffer } | { arrays: (string | Text[])[] };

function newRowsData(t: TargetTable, rows: ColumnValue[][]): NewRows {
  const text = t.copy ? copyText(rows) : null;
  return text !== null ? { copy: Buffer.from(text, 'utf8') } : { arrays: columnArrays(t, rows) };
}

/** A key move whose unsent values must travel with the row: one UPDATE of the stored row. */
export async function applyMove(c: pg.Client, t: TargetTable, move: Move): Promise<number> {
  const set = t.columns.map((_, i) => i).filter((i) => move.values[i] !== UNCHANGED);
  const params: Text[] = [...set.map((i) => move.values[i] as Text), ...move.fromKey.map((v) => v as Text)];
  const r = await c.query(
    `UPDATE ${t.name} SET ${set.map((i, n) => `${quoteIdent(t.columns[i])} = $${n + 1}::text::${t.types[i]}`).join(', ')}
      WHERE ${t.keys.map((i, k) => `${quoteIdent(t.columns[i])} = $${set.length + k + 1}::text::${t.types[i]}`).join(' AND ')}`, params);
  return r.rowCount ?? 0;
}

async function deleteRows(c: pg.Client, t: TargetTable, arrays: (string | Text[])[]): Promise<void> {
  await c.query({
    name: `${t.statementPrefix}_d`,
    text: `DELETE FROM ${t.name} AS t USING unnest(${t.keys.map((_, k) => `$${k + 1}::text[]`).join(', ')}) AS u(${t.keys.map((_, k) => `k${k}`).join(', ')})
            WHERE ${t.keys.map((i, k) => `t.${quoteIdent(t.columns[i])} = u.k${k}::${t.types[i]}`).join(' AND ')}`,
    values: arrays,
  });
}

/**
 * Rows whose first change in the batch was an insert: a COPY where the table takes one
 * (copy-rows.ts), else a plain INSERT (about 40% cheaper for PostgreSQL than INSERT .. ON CONFLICT
 * on new rows); when any of them already exists (a replay after a crash, or rows the initial load
 * copied), the statement is rolled back and upserted.
 */
async function insertRows(c: pg.Client, t: TargetTable, rows: ColumnValue[][], data: NewRows): Promise<void> {
  await c.query('SAVEPOINT opendi_insert');
  try {
    if ('copy' in data) await copyInto(c, t.name, t.columns.map(quoteIdent), data.copy);
    else await c.query({
      name: `${t.statementPrefix}_i`,
      text: `INSERT INTO ${t.name} (${t.columns.map(quoteIdent).join(', ')}) OVERRIDING SYSTEM VALUE
             SELECT ${t.columns.map((_, i) => `u.c${i}::${t.types[i]}`).join(', ')}
               FROM unnest(${t.columns.map((_, i) => `$${i + 1}::text[]`).join(', ')}) AS u(${t.columns.map((_, i) => `c${i}`).join(', ')})`,
      values: data.arrays,
    });
    await c.query('RELEASE SAVEPOINT opendi_insert');
  } catch (err) {
    await c.query('ROLLBACK TO SAVEPOINT opendi_insert');
    if ((err as { code?: string }).code !== '23505') throw err;
    await upsertRows(c, t, 'arrays' in data ? data.arrays : columnArrays(t, rows));
  }
}

async function upsertRows(c: pg.Client, t: TargetTable, arrays: (string | Text[])[]): Promise<void> {
  const nonKey = t.columns.map((_, i) => i).filter((i) => !t.keys.includes(i));
  const onConflict = nonKey.length === 0 ? 'DO NOTHING'
    : `DO UPDATE SET ${nonKey.map((i) => `${quoteIdent(t.columns[i])} = EXCLUDED.${quoteIdent(t.columns[i])}`).join(', ')}`;
  await c.query({
    name: `${t.statementPrefix}_u`,
    text: `INSERT INTO ${t.name} (${t.columns.map(quoteIdent).join(', ')}) OVERRIDING SYSTEM VALUE
           SELECT ${t.columns.map((_, i) => `u.c${i}::${t.types[i]}`).join(', ')}
             FROM unnest(${t.columns.map((_, i) => `$${i + 1}::text[]`).join(', ')}) AS u(${t.columns.map((_, i) => `c${i}`).join(', ')})
           ON CONFLICT (${t.keys.map((i) => quoteIdent(t.columns[i])).join(', ')}) ${onConflict}`,
    values: arrays,
  });
}

/** `sent`: the columns sent (key columns among them), `arrays` their values in that order. */
async function patchRows(c: pg.Client, t: TargetTable, sent: number[], arrays: (string | Text[])[]): Promise<void> {
  const setCols = sent.filter((i) => !t.keys.includes(i));
  const alias = (i: number) => `u.c${sent.indexOf(i)}`;
  await c.query(
    `UPDATE ${t.name} AS t SET ${setCols.map((i) => `${quoteIdent(t.columns[i])} = ${alias(i)}::${t.types[i]}`).join(', ')}
       FROM unnest(${sent.map((_, n) => `$${n + 1}::text[]`).join(', ')}) AS u(${sent.map((_, n) => `c${n}`).join(', ')})
      WHERE ${t.keys.map((i) => `t.${quoteIdent(t.columns[i])} = ${alias(i)}::${t.types[i]}`).join(' AND ')}`, arrays);
}
