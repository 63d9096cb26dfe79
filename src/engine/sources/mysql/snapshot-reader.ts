/**
 * Reads current rows for the initial load in the SAME canonical text the binlog decoder produces.
 * The binary protocol (prepared statements) gives FLOAT/DOUBLE as their IEEE bits, which we print
 * shortest-round-trip (the text protocol prints FLOAT with 6 digits); the server formats temporal
 * values (CAST AS CHAR, session time_zone UTC, so TIMESTAMP is the UTC instant); binary values
 * travel as HEX() and BIT as BIN(), so no client-side charset or number conversion touches them.
 */
import type { ColumnValue } from '../../change-event.ts';
import { quoteIdent, qualifiedName } from '../../mysql/connection.ts';
import type { TableRef } from '../../change-source.ts';
import type { InfoColumn } from './table-info.ts';
import { formatFloat32, formatFloat64 } from './values.ts';

const GEOMETRY = /^(geometry|point|linestring|polygon|multipoint|multilinestring|multipolygon|geometrycollection)$/;

function isBinary(c: InfoColumn): boolean {
  return c.charset === 'binary' || GEOMETRY.test(c.dataType);
}

/** The select-list expression for a column. */
function selectExpr(c: InfoColumn): string {
  const q = quoteIdent(c.name);
  if (isBinary(c)) return `LOWER(HEX(${q}))`;
  switch (c.logical.kind) {
    case 'bit': return `LPAD(BIN(${q}), ${c.logical.length}, '0')`;
    case 'date': case 'time': case 'timestamp': case 'timestamptz': case 'year': return `CAST(${q} AS CHAR)`;
    default: return q;
  }
}

/** Canonical text from what the binary protocol returned for `selectExpr(c)`. */
function canonical(c: InfoColumn, v: unknown): ColumnValue {
  if (v === null || v === undefined) return null;
  if (isBinary(c)) return '\\x' + String(v);
  switch (c.logical.kind) {
    case 'float': return c.logical.bytes === 4 ? formatFloat32(Math.fround(Number(v))) : formatFloat64(Number(v));
    case 'timestamptz': { const s = String(v); return s.startsWith('0000-00-00') ? s : s + '+00'; }
    default: return Buffer.isBuffer(v) ? v.toString('utf8') : String(v);
  }
}

/** A key value (canonical text) back into something comparable with the column. */
function keyParam(c: InfoColumn, v: ColumnValue): [string, unknown] {
  const s = v;
  if (typeof s !== 'string') return ['?', null];
  if (isBinary(c)) return ['UNHEX(?)', s.replace(/^\\x/, '')];
  if (c.logical.kind === 'bit') return ['CAST(CONV(?, 2, 10) AS UNSIGNED)', s];
  if (c.logical.kind === 'timestamptz') return ['?', s.replace(/\+00$/, '')];
  return ['?', s];
}

export interface ChunkStatement { sql: string; params: unknown[] }

export function chunkStatement(table: TableRef, columns: InfoColumn[], afterKey: ColumnValue[] | null, limit: number): ChunkStatement {
  const keys = columns.filter((c) => c.isKey);
  const keyList = keys.map((c) => quoteIdent(c.name)).join(', ');
  let where = '';
  const params: unknown[] = [];
  if (afterKey) {
    if (afterKey.length !== keys.length) throw new Error(`readChunk ${table.schema}.${table.table}: ${afterKey.length} key values for ${keys.length} key columns`);
    const exprs = keys.map((c, i) => { const [e, p] = keyParam(c, afterKey[i]); params.push(p); return e; });
    where = `WHERE (${keyList}) > (${exprs.join(', ')})`;
  }
  return {
    sql: `SELECT ${columns.map(selectExpr).join(', ')} FROM ${qualifiedName(table)} ${where} ORDER BY ${keyList} LIMIT ${Math.max(1, Math.floor(limit))}`,
    params,
  };
}

export function canonicalRow(columns: InfoColumn[], row: unknown[]): ColumnValue[] {
  return columns.map((c, i) => canonical(c, row[i]));
}
