/**
 * MySQL literals of target values, escaped client-side as mysql.escape does (apply-rows.ts builds
 * its statements from them; load-data.ts asks whether the target holds a key with them): a value
 * through the target column's converter (convert-value.ts), then quoted.
 */
import mysql from 'mysql2/promise';
import { UNCHANGED, type ColumnValue } from '../../change-event.ts';
import type { Bound } from './convert-value.ts';
import type { TargetTable } from './target-table.ts';

const escape = mysql.escape as (v: unknown) => string;
/** The characters mysql.escape escapes in a string; a string without them is quoted as it is. */
const ESCAPED_CHARS = /[\0\b\t\n\r\x1a"'\\]/;

export function literal(t: Pick<TargetTable, 'convert'>, i: number, v: ColumnValue): string {
  if (v === null) return 'NULL';
  if (v === UNCHANGED) throw new Error('an unsent (unchanged) value cannot be written');
  return quoted(t.convert[i](v));
}

/** mysql.escape of a bound value; most values need no escaping: they skip its dispatch and template (issue 14). */
export function quoted(bound: Bound): string {
  return typeof bound === 'string' && !ESCAPED_CHARS.test(bound) ? "'" + bound + "'" : escape(bound);
}

/**
 * `(v1,v2,..)` of a row, built as one join of a reused piece array: a value that needs no
 * escaping goes in as it is, its quotes joined into the separators around it, so a row costs one
 * string rather than a map, a join, a template and two concatenations per value (issue 14).
 */
export class RowLiteral {
  private readonly pieces: string[];
  constructor(private readonly t: Pick<TargetTable, 'columns' | 'convert'>) {
    this.pieces = new Array(2 * t.columns.length + 1);
  }
  of(values: ColumnValue[]): string {
    const p = this.pieces, t = this.t;
    if (values.length === 0 || 2 * values.length + 1 !== p.length) return `(${values.map((v, i) => literal(t, i, v)).join(',')})`;
    let before = false; // the previous piece is a value in open quotes
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      let text: string, quote = false;
      if (v === null) text = 'NULL';
      else if (v === UNCHANGED) throw new Error('an unsent (unchanged) value cannot be written');
      else {
        const bound = t.convert[i](v);
        if (typeof bound === 'string' && !ESCAPED_CHARS.test(bound)) { text = bound; quote = true; } else text = escape(bound);
      }
      p[2 * i] = i === 0 ? (quote ? "('" : '(') : before ? (quote ? "','" : "',") : (quote ? ",'" : ',');
      p[2 * i + 1] = text;
      before = quote;
    }
    p[p.length - 1] = before ? "')" : ')';
    return p.join('');
  }
}

export function keyCondition(t: TargetTable, key: ColumnValue[]): string {
  return t.keys.map((col, k) => `${t.columns[col]} = ${literal(t, col, key[k])}`).join(' AND ');
}
