/**
 * The PostgreSQL sink's array literals (sinks/postgres/apply-rows.ts textArray): the text
 * node-postgres itself would send for the same array, and a real server reads back every element
 * unchanged: quotes, backslashes, braces, commas, spaces, 'NULL' as text, empty strings, non-ASCII,
 * and SQL NULLs.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { textArray } from '../src/engine/sinks/postgres/apply-rows.ts';
import { UNCHANGED, type ColumnValue } from '../src/engine/change-event.ts';
import { startPostgres, type PgInstance } from './harness/postgres.ts';

const { prepareValue } = createRequire(import.meta.url)('pg/lib/utils.js') as { prepareValue(v: unknown): unknown };

const TRICKY: (string | null)[] = ['', 'NULL', 'null', '"', '\\', '\\"', 'a,b', '{x}', ' lead', 'trail ', 'x\ny', '\u20ac\u{1f600}', '12.50', null, '2024-01-02 03:04:05.000001+00', "it's"];

/** Rows of one column plus a key column, as the sink holds them. */
const rowsOf = (values: (string | null)[]): ColumnValue[][] => values.map((v, i) => [String(i), v]);

let pgi: PgInstance;
before(async () => { pgi = await startPostgres(); });
after(async () => { await pgi?.destroy(); });

describe('PostgreSQL sink array literals', () => {
  test('the same text node-postgres sends for the array, with and without NULLs, empty', () => {
    for (const values of [TRICKY, TRICKY.filter((v) => v !== null), ['1', '2', '3'], [null, null], [], ['"'], ['']]) {
      const rows = rowsOf(values);
      assert.equal(textArray(rows, 1), prepareValue(values), JSON.stringify(values));
      assert.equal(textArray(rows, 0), prepareValue(values.map((_, i) => String(i))));
    }
    // Something that is neither text nor null (never expected) goes as the array itself.
    assert.deepEqual(textArray([['1', UNCHANGED]], 1), [UNCHANGED]);
  });

  test('a server reads every element back unchanged', async () => {
    const values = [...TRICKY, ...TRICKY.map((v) => (v === null ? null : `${v}|${v}`))];
    const r = await pgi.query<{ v: string | null }>('SELECT v FROM unnest($1::text[]) WITH ORDINALITY AS u(v, n) ORDER BY n', [textArray(rowsOf(values), 1)]);
    assert.deepEqual(r.rows.map((x) => x.v), values);
  });
});
