/**
 * The MySQL sink's statement text (sinks/mysql/apply-rows.ts, convert-value.ts) without its
 * former per-value allocations: a quoted value is exactly mysql.escape's text, and the DECIMAL
 * check accepts and refuses exactly what its capture-group form did. The values landing in a real
 * server: test/engine-mysql-sink.test.ts.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import mysql from 'mysql2/promise';
import { quoted, RowLiteral } from '../src/engine/sinks/mysql/row-literal.ts';
import { converterFor, type Converter } from '../src/engine/sinks/mysql/convert-value.ts';
import { UNCHANGED, type ColumnValue } from '../src/engine/change-event.ts';

/** The DECIMAL converter as it was (capture groups), the oracle. */
function referenceDecimal(scale: number | null, v: string): string | 'refused' {
  const m = /^[-+]?\d*(?:\.(\d*))?(?:[eE][-+]?\d+)?$/.exec(v);
  if (!m || v === '' || v === '.') return 'refused';
  if (scale !== null && m[1] !== undefined && !/[eE]/.test(v) && /[1-9]/.test(m[1].slice(scale))) return 'refused';
  return v;
}

function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => { a = (a * 1664525 + 1013904223) >>> 0; return a / 4294967296; };
}

describe('MySQL sink literals', () => {
  test('quoted = mysql.escape for text with and without the characters it escapes, and for binary', () => {
    const rnd = prng(7);
    const alphabet = ['a', 'Z', '0', ' ', '\0', '\b', '\t', '\n', '\r', '\x1a', '"', "'", '\\', '%', '_', '\u20ac', '\u{1f600}', '`'];
    for (let i = 0; i < 5000; i++) {
      const s = Array.from({ length: Math.floor(rnd() * 12) }, () => alphabet[Math.floor(rnd() * alphabet.length)]).join('');
      assert.equal(quoted(s), mysql.escape(s), JSON.stringify(s));
    }
    assert.equal(quoted(Buffer.from([0, 0xff])), mysql.escape(Buffer.from([0, 0xff])));
  });

  test('a row\'s VALUES text: the same as quoting each value with mysql.escape (NULLs, escaped text, binary, integers, first and last columns)', () => {
    const rnd = prng(3);
    const converters: Converter[] = [
      converterFor({ dataType: 'bigint', numericScale: null }, undefined), converterFor({ dataType: 'varchar', numericScale: null }, undefined),
      converterFor({ dataType: 'varbinary', numericScale: null }, { kind: 'binary' } as never), converterFor({ dataType: 'decimal', numericScale: 2 }, undefined),
    ];
    const valuesOf = [() => String(Math.floor(rnd() * 1e6) - 5e5), () => ["a'b", 'plain', 'back\\slash', '', 'tab\there', 'NULL'][Math.floor(rnd() * 6)],
      () => ['\\x', '\\x00ff', '\\x27'][Math.floor(rnd() * 3)], () => (rnd() * 1000).toFixed(2)];
    const t = { columns: ['a', 'b', 'c', 'd'], convert: converters };
    const row = new RowLiteral(t);
    for (let i = 0; i < 3000; i++) {
      const values: ColumnValue[] = valuesOf.map((f) => (rnd() < 0.25 ? null : f()));
      const want = `(${values.map((v, k) => (v === null ? 'NULL' : mysql.escape(converters[k](v as string)))).join(',')})`;
      assert.equal(row.of(values), want, JSON.stringify(values));
    }
    assert.throws(() => row.of(['1', UNCHANGED, null, null]), /unsent/);
    assert.throws(() => row.of(['x', null, null, null]), /not an integer/);
  });

  test('DECIMAL: accepted and refused as before, at every scale', () => {
    const rnd = prng(11);
    const alphabet = ['0', '1', '5', '9', '.', '-', '+', 'e', 'E', ' ', 'x'];
    const samples = ['', '.', '0', '-0.00', '1.50', '1.05', '1.005', '12.3400', '1e5', '1.5e-3', '1.234E2', '+.5', '-.', '5.', '1.2.3', 'NaN', '00012.10'];
    for (let i = 0; i < 20000; i++) samples.push(Array.from({ length: Math.floor(rnd() * 9) }, () => alphabet[Math.floor(rnd() * alphabet.length)]).join(''));
    for (const scale of [null, 0, 1, 2, 4, 10]) {
      const convert = converterFor({ dataType: 'decimal', numericScale: scale }, undefined);
      for (const v of samples) {
        let got: string;
        try { got = convert(v) as string; } catch { got = 'refused'; }
        assert.equal(got, referenceDecimal(scale, v), `scale ${scale}: ${JSON.stringify(v)}`);
      }
    }
  });
});
