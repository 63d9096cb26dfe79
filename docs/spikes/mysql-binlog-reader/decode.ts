/**
 * Spike: TABLE_MAP (with binlog_row_metadata optional metadata) and row image decoding to text
 * values (exact strings; binary columns as Buffer copies).
 */
import { lenenc } from './reader.ts';

export type Value = string | Buffer | null;

export const T = {
  DECIMAL: 0, TINY: 1, SHORT: 2, LONG: 3, FLOAT: 4, DOUBLE: 5, NULL: 6, TIMESTAMP: 7, LONGLONG: 8, INT24: 9,
  DATE: 10, TIME: 11, DATETIME: 12, YEAR: 13, VARCHAR: 15, BIT: 16, TIMESTAMP2: 17, DATETIME2: 18, TIME2: 19,
  JSON: 245, NEWDECIMAL: 246, ENUM: 247, SET: 248, BLOB: 252, VAR_STRING: 253, STRING: 254, GEOMETRY: 255,
} as const;

export interface Column {
  type: number; // real type (STRING columns resolved to ENUM/SET/STRING)
  meta: number;
  nullable: boolean;
  unsigned: boolean;
  collation: number; // 63 = binary; -1 unknown
  name: string;
  enumValues?: string[];
}
export interface TableMap { id: number; schema: string; table: string; columns: Column[]; pk: number[] }

const NUMERIC = new Set<number>([T.TINY, T.SHORT, T.INT24, T.LONG, T.LONGLONG, T.FLOAT, T.DOUBLE, T.NEWDECIMAL, T.DECIMAL]);
const isChar = (c: Column) => c.type === T.STRING || c.type === T.VAR_STRING || c.type === T.VARCHAR || c.type === T.BLOB;
const isEnumSet = (c: Column) => c.type === T.ENUM || c.type === T.SET;

export function parseTableMap(b: Buffer, p: number, end: number): TableMap {
  const id = b.readUIntLE(p, 6); p += 8;
  const sl = b[p++]; const schema = b.toString('utf8', p, p + sl); p += sl + 1;
  const tl = b[p++]; const table = b.toString('utf8', p, p + tl); p += tl + 1;
  let n: number; [n, p] = lenenc(b, p);
  const types = b.subarray(p, p + n); p += n;
  let ml: number; [ml, p] = lenenc(b, p);
  const metaEnd = p + ml;
  const columns: Column[] = [];
  for (let i = 0; i < n; i++) {
    let type = types[i], meta = 0;
    switch (type) {
      case T.FLOAT: case T.DOUBLE: case T.BLOB: case T.GEOMETRY: case T.JSON:
      case T.TIME2: case T.DATETIME2: case T.TIMESTAMP2:
        meta = b[p++]; break;
      case T.VARCHAR: case T.VAR_STRING: meta = b.readUInt16LE(p); p += 2; break;
      case T.BIT: case T.NEWDECIMAL: meta = (b[p] << 8) | b[p + 1]; p += 2; break;
      case T.STRING: case T.ENUM: case T.SET: {
        const b0 = b[p], b1 = b[p + 1]; p += 2;
        if ((b0 & 0x30) !== 0x30) { type = b0 | 0x30; meta = b1 | (((b0 & 0x30) ^ 0x30) << 4); } // long CHAR length trick
        else { type = b0; meta = b1; }
        break;
      }
    }
    columns.push({ type, meta, nullable: false, unsigned: false, collation: -1, name: `@${i + 1}` });
  }
  p = metaEnd;
  for (let i = 0; i < n; i++) columns[i].nullable = (b[p + (i >> 3)] & (1 << (i & 7))) !== 0;
  p += (n + 7) >> 3;
  const pk: number[] = [];
  // Optional metadata (binlog_row_metadata=MINIMAL/FULL): type, lenenc length, value.
  while (p < end) {
    const t = b[p]; let len: number; [len, p] = lenenc(b, p + 1);
    const ve = p + len;
    switch (t) {
      case 1: { // SIGNEDNESS, one bit per numeric column, most significant first
        let k = 0;
        for (const c of columns) if (NUMERIC.has(c.type)) { c.unsigned = (b[p + (k >> 3)] & (0x80 >> (k & 7))) !== 0; k++; }
        break;
      }
      case 2: case 10: { // DEFAULT_CHARSET, ENUM_AND_SET_DEFAULT_CHARSET: default, then (index, collation) exceptions
        const pick = t === 2 ? isChar : isEnumSet;
        const cols = columns.filter(pick);
        let q = p, d: number; [d, q] = lenenc(b, q);
        for (const c of cols) c.collation = d;
        while (q < ve) { let i: number, coll: number; [i, q] = lenenc(b, q); [coll, q] = lenenc(b, q); cols[i].collation = coll; }
        break;
      }
      case 3: case 11: { // COLUMN_CHARSET, ENUM_AND_SET_COLUMN_CHARSET
        let q = p;
        for (const c of columns.filter(t === 3 ? isChar : isEnumSet)) [c.collation, q] = lenenc(b, q);
        break;
      }
      case 4: { // COLUMN_NAME
        let q = p;
        for (const c of columns) { let l: number; [l, q] = lenenc(b, q); c.name = b.toString('utf8', q, q + l); q += l; }
        break;
      }
      case 6: case 5: { // ENUM_STR_VALUE, SET_STR_VALUE
        let q = p;
        for (const c of columns.filter((c) => c.type === (t === 6 ? T.ENUM : T.SET))) {
          let k: number; [k, q] = lenenc(b, q);
          c.enumValues = [];
          for (let j = 0; j < k; j++) { let l: number; [l, q] = lenenc(b, q); c.enumValues.push(b.toString('utf8', q, q + l)); q += l; }
        }
        break;
      }
      case 8: { let q = p; while (q < ve) { let i: number; [i, q] = lenenc(b, q); pk.push(i); } break; }
      case 9: { let q = p; while (q < ve) { let i: number, pre: number; [i, q] = lenenc(b, q); [pre, q] = lenenc(b, q); pk.push(i); void pre; } break; }
    }
    p = ve;
  }
  return { id, schema, table, columns, pk };
}

const pad = (n: number, w: number) => String(n).padStart(w, '0');
const DIG2BYTES = [0, 1, 1, 2, 2, 3, 3, 4, 4, 4];

function decimal(b: Buffer, p: number, precision: number, scale: number): [string, number] {
  const intg = precision - scale, intg0 = Math.floor(intg / 9), intg0x = intg % 9;
  const frac0 = Math.floor(scale / 9), frac0x = scale % 9;
  const size = intg0 * 4 + DIG2BYTES[intg0x] + frac0 * 4 + DIG2BYTES[frac0x];
  const neg = (b[p] & 0x80) === 0;
  const x = neg ? 0xff : 0;
  let q = p;
  const word = (bytes: number) => { // big-endian, first byte's sign bit flipped
    let v = 0;
    for (let i = 0; i < bytes; i++) { let c = b[q + i] ^ x; if (q + i === p) c ^= 0x80; v = v * 256 + c; }
    q += bytes; return v;
  };
  let ip = '';
  if (intg0x) ip += String(word(DIG2BYTES[intg0x]));
  for (let i = 0; i < intg0; i++) ip += pad(word(4), 9);
  ip = ip.replace(/^0+(?=\d)/, '') || '0';
  let fp = '';
  for (let i = 0; i < frac0; i++) fp += pad(word(4), 9);
  if (frac0x) fp += pad(word(DIG2BYTES[frac0x]), frac0x);
  const s = (neg ? '-' : '') + ip + (scale ? '.' + fp : '');
  return [s, p + size];
}

function fracBytes(fsp: number): number { return (fsp + 1) >> 1; }
function frac(b: Buffer, p: number, fsp: number): string {
  if (!fsp) return '';
  const n = fracBytes(fsp);
  let v = b.readUIntBE(p, n);
  v *= n === 1 ? 10000 : n === 2 ? 100 : 1;
  return '.' + pad(v, 6).slice(0, fsp);
}

function float32(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  for (let d = 1; d <= 9; d++) { const s = v.toPrecision(d); if (Math.fround(Number(s)) === v) return String(Number(s)); }
  return String(v);
}

function latin1(buf: Buffer): string { return buf.toString('latin1'); } // spike: cp1252 0x80-0x9f not mapped

/** Decodes one row image; `cur.p` advances. */
export function decodeRow(b: Buffer, cur: { p: number }, t: TableMap, present: Buffer): Value[] {
  const cols = t.columns;
  let nPresent = 0;
  for (let i = 0; i < cols.length; i++) if (present[i >> 3] & (1 << (i & 7))) nPresent++;
  let p = cur.p;
  const nullMap = p; p += (nPresent + 7) >> 3;
  const out: Value[] = new Array(cols.length).fill(null);
  let k = 0;
  for (let i = 0; i < cols.length; i++) {
    if (!(present[i >> 3] & (1 << (i & 7)))) continue;
    const isNull = (b[nullMap + (k >> 3)] & (1 << (k & 7))) !== 0; k++;
    if (isNull) continue;
    const c = cols[i];
    let v: Value;
    switch (c.type) {
      case T.TINY: v = String(c.unsigned ? b[p] : b.readInt8(p)); p += 1; break;
      case T.SHORT: v = String(c.unsigned ? b.readUInt16LE(p) : b.readInt16LE(p)); p += 2; break;
      case T.INT24: v = String(c.unsigned ? b.readUIntLE(p, 3) : b.readIntLE(p, 3)); p += 3; break;
      case T.LONG: v = String(c.unsigned ? b.readUInt32LE(p) : b.readInt32LE(p)); p += 4; break;
      case T.LONGLONG: v = String(c.unsigned ? b.readBigUInt64LE(p) : b.readBigInt64LE(p)); p += 8; break;
      case T.FLOAT: v = float32(b.readFloatLE(p)); p += 4; break;
      case T.DOUBLE: v = String(b.readDoubleLE(p)); p += 8; break;
      case T.NEWDECIMAL: [v, p] = decimal(b, p, c.meta >> 8, c.meta & 0xff); break;
      case T.YEAR: v = b[p] ? String(b[p] + 1900) : '0000'; p += 1; break;
      case T.DATE: { const d = b.readUIntLE(p, 3); p += 3; v = `${pad(d >> 9, 4)}-${pad((d >> 5) & 15, 2)}-${pad(d & 31, 2)}`; break; }
      case T.DATETIME2: {
        const ip = b.readUIntBE(p, 5) - 0x8000000000; p += 5;
        const ymd = Math.floor(ip / 2 ** 17), hms = ip % 2 ** 17, ym = ymd >> 5;
        v = `${pad(Math.floor(ym / 13), 4)}-${pad(ym % 13, 2)}-${pad(ymd & 31, 2)} ${pad(hms >> 12, 2)}:${pad((hms >> 6) & 63, 2)}:${pad(hms & 63, 2)}${frac(b, p, c.meta)}`;
        p += fracBytes(c.meta); break;
      }
      case T.TIMESTAMP2: {
        const s = b.readUInt32BE(p); p += 4;
        v = s === 0 ? '0000-00-00 00:00:00' + (c.meta ? '.' + '0'.repeat(c.meta) : '')
          : new Date(s * 1000).toISOString().slice(0, 19).replace('T', ' ') + frac(b, p, c.meta) + '+00';
        p += fracBytes(c.meta); break;
      }
      case T.TIME2: {
        const n = fracBytes(c.meta);
        let packed: number; // (hms << 24) + microseconds, signed
        if (n === 3) packed = b.readUIntBE(p, 6) - 0x800000000000;
        else {
          let ip = b.readUIntBE(p, 3) - 0x800000, f = n === 0 ? 0 : n === 1 ? b[p + 3] : b.readUInt16BE(p + 3);
          if (ip < 0 && f) { ip++; f -= n === 1 ? 0x100 : 0x10000; }
          packed = ip * 2 ** 24 + f * (n === 1 ? 10000 : 100);
        }
        const neg = packed < 0; if (neg) packed = -packed;
        const hms = Math.floor(packed / 2 ** 24), us = packed % 2 ** 24;
        v = `${neg ? '-' : ''}${pad((hms >> 12) & 1023, 2)}:${pad((hms >> 6) & 63, 2)}:${pad(hms & 63, 2)}${c.meta ? '.' + pad(us, 6).slice(0, c.meta) : ''}`;
        p += 3 + n; break;
      }
      case T.VARCHAR: case T.VAR_STRING: {
        const l = c.meta < 256 ? b[p] : b.readUInt16LE(p); p += c.meta < 256 ? 1 : 2;
        v = text(b, p, l, c); p += l; break;
      }
      case T.STRING: {
        const l = c.meta < 256 ? b[p] : b.readUInt16LE(p); p += c.meta < 256 ? 1 : 2;
        v = text(b, p, l, c); p += l;
        // BINARY(n) loses its trailing 0x00 bytes in the row image: pad back to n
        if (Buffer.isBuffer(v) && v.length < c.meta) v = Buffer.concat([v, Buffer.alloc(c.meta - v.length)]);
        break;
      }
      case T.ENUM: {
        const idx = c.meta === 1 ? b[p] : b.readUInt16LE(p); p += c.meta;
        v = idx === 0 ? '' : c.enumValues?.[idx - 1] ?? String(idx); break;
      }
      case T.SET: {
        let bits = 0n; for (let j = c.meta - 1; j >= 0; j--) bits = (bits << 8n) | BigInt(b[p + j]); p += c.meta;
        v = (c.enumValues ?? []).filter((_, j) => (bits >> BigInt(j)) & 1n).join(','); break;
      }
      case T.BLOB: case T.GEOMETRY: {
        const l = b.readUIntLE(p, c.meta); p += c.meta;
        v = c.type === T.GEOMETRY ? Buffer.from(b.subarray(p, p + l)) : text(b, p, l, c); p += l; break;
      }
      case T.BIT: {
        const n = (c.meta & 0xff) + ((c.meta >> 8) ? 1 : 0);
        v = String(BigInt('0x' + (b.toString('hex', p, p + n) || '0'))); p += n; break;
      }
      default:
        throw new Error(`${t.schema}.${t.table}.${c.name}: column type ${c.type} not supported by the spike`);
    }
    out[i] = v;
  }
  cur.p = p;
  return out;
}

function text(b: Buffer, p: number, l: number, c: Column): Value {
  if (c.collation === 63) return Buffer.from(b.subarray(p, p + l));
  if (c.collation === 8 || c.collation === 47 || c.collation === 48 || c.collation === 49 || c.collation === 5 || c.collation === 15 || c.collation === 31 || c.collation === 94) return latin1(b.subarray(p, p + l));
  return b.toString('utf8', p, p + l);
}
