/**
 * TABLE_MAP_EVENT: which table a following row event is about, its column types and type
 * metadata, and (binlog_row_metadata=MINIMAL/FULL) the optional metadata: signedness, charsets,
 * and with FULL also column names, ENUM/SET labels and the primary key. What the optional
 * metadata leaves out comes from information_schema (mysql-source.ts, applyTableColumns).
 */
import { lenenc } from './binlog-events.ts';

/** Binlog column types (MySQL include/field_types.h). */
export const T = {
  DECIMAL: 0, TINY: 1, SHORT: 2, LONG: 3, FLOAT: 4, DOUBLE: 5, NULL: 6, TIMESTAMP: 7, LONGLONG: 8, INT24: 9,
  DATE: 10, TIME: 11, DATETIME: 12, YEAR: 13, NEWDATE: 14, VARCHAR: 15, BIT: 16, TIMESTAMP2: 17, DATETIME2: 18, TIME2: 19,
  JSON: 245, NEWDECIMAL: 246, ENUM: 247, SET: 248, TINY_BLOB: 249, MEDIUM_BLOB: 250, LONG_BLOB: 251, BLOB: 252,
  VAR_STRING: 253, STRING: 254, GEOMETRY: 255,
} as const;

export interface BinlogColumn {
  /** The real type: STRING columns are resolved to ENUM / SET / STRING from their metadata. */
  type: number;
  meta: number;
  unsigned: boolean;
  /** Collation id from the optional metadata; -1: unknown (then `charset` from information_schema). */
  collation: number;
  /** Character set name, 'binary' for binary strings; null until resolved. */
  charset: string | null;
  name: string | null;
  enumValues: string[] | null;
}

export interface TableMap {
  id: number;
  schema: string;
  table: string;
  columns: BinlogColumn[];
  /** Primary key column indexes from FULL metadata; null when the event does not carry them. */
  primaryKey: number[] | null;
  hasSignedness: boolean;
}

const NUMERIC = new Set<number>([T.TINY, T.SHORT, T.INT24, T.LONG, T.LONGLONG, T.FLOAT, T.DOUBLE, T.NEWDECIMAL, T.DECIMAL]);
const isCharacter = (c: BinlogColumn) => c.type === T.STRING || c.type === T.VAR_STRING || c.type === T.VARCHAR || c.type === T.BLOB;
const isEnumOrSet = (c: BinlogColumn) => c.type === T.ENUM || c.type === T.SET;

/** Parses the event body `b[p..end)` (after the common header, before the checksum). */
export function parseTableMap(b: Buffer, p: number, end: number): TableMap {
  const id = b.readUIntLE(p, 6); p += 8; // table id u48, flags u16
  const sl = b[p++]; const schema = b.toString('utf8', p, p + sl); p += sl + 1;
  const tl = b[p++]; const table = b.toString('utf8', p, p + tl); p += tl + 1;
  let n: number; [n, p] = lenenc(b, p);
  const types = b.subarray(p, p + n); p += n;
  let metaLen: number; [metaLen, p] = lenenc(b, p);
  const metaEnd = p + metaLen;
  const columns: BinlogColumn[] = [];
  for (let i = 0; i < n; i++) {
    let type: number = types[i], meta = 0;
    switch (type) {
      case T.FLOAT: case T.DOUBLE: case T.BLOB: case T.GEOMETRY: case T.JSON:
      case T.TIME2: case T.DATETIME2: case T.TIMESTAMP2:
        meta = b[p++]; break;
      case T.VARCHAR: case T.VAR_STRING: meta = b.readUInt16LE(p); p += 2; break;
      case T.BIT: case T.NEWDECIMAL: meta = (b[p] << 8) | b[p + 1]; p += 2; break;
      case T.STRING: case T.ENUM: case T.SET: {
        // CHAR/ENUM/SET share type 254: the first metadata byte is the real type, and a CHAR
        // longer than 255 bytes hides two length bits in it.
        const b0 = b[p], b1 = b[p + 1]; p += 2;
        if ((b0 & 0x30) !== 0x30) { type = b0 | 0x30; meta = b1 | (((b0 & 0x30) ^ 0x30) << 4); } else { type = b0; meta = b1; }
        break;
      }
    }
    columns.push({ type, meta, unsigned: false, collation: -1, charset: null, name: null, enumValues: null });
  }
  p = metaEnd + ((n + 7) >> 3); // null bitmap: not needed, row images carry their own
  let primaryKey: number[] | null = null;
  let hasSignedness = false;
  while (p < end) { // optional metadata: [type u8][lenenc length][value]
    const t = b[p]; let len: number; [len, p] = lenenc(b, p + 1);
    const ve = p + len;
    let q = p;
    switch (t) {
      case 1: { // SIGNEDNESS: one bit per numeric column, most significant bit first
        hasSignedness = true;
        let k = 0;
        for (const c of columns) if (NUMERIC.has(c.type)) { c.unsigned = (b[p + (k >> 3)] & (0x80 >> (k & 7))) !== 0; k++; }
        break;
      }
      case 2: case 10: { // DEFAULT_CHARSET (character / enum-set columns): default, then (index, collation) pairs
        const cols = columns.filter(t === 2 ? isCharacter : isEnumOrSet);
        let d: number; [d, q] = lenenc(b, q);
        for (const c of cols) c.collation = d;
        while (q < ve) { let i: number, coll: number; [i, q] = lenenc(b, q); [coll, q] = lenenc(b, q); if (cols[i]) cols[i].collation = coll; }
        break;
      }
      case 3: case 11: // COLUMN_CHARSET: one collation per character / enum-set column
        for (const c of columns.filter(t === 3 ? isCharacter : isEnumOrSet)) [c.collation, q] = lenenc(b, q);
        break;
      case 4: // COLUMN_NAME
        for (const c of columns) { let l: number; [l, q] = lenenc(b, q); c.name = b.toString('utf8', q, q + l); q += l; }
        break;
      case 5: case 6: // SET_STR_VALUE, ENUM_STR_VALUE
        for (const c of columns.filter((x) => x.type === (t === 6 ? T.ENUM : T.SET))) {
          let k: number; [k, q] = lenenc(b, q);
          c.enumValues = [];
          for (let j = 0; j < k; j++) { let l: number; [l, q] = lenenc(b, q); c.enumValues.push(b.toString('utf8', q, q + l)); q += l; }
        }
        break;
      case 8: // SIMPLE_PRIMARY_KEY: column indexes
        primaryKey = [];
        while (q < ve) { let i: number; [i, q] = lenenc(b, q); primaryKey.push(i); }
        break;
      case 9: // PRIMARY_KEY_WITH_PREFIX: (index, prefix length) pairs
        primaryKey = [];
        while (q < ve) { let i: number, prefix: number; [i, q] = lenenc(b, q); [prefix, q] = lenenc(b, q); primaryKey.push(i); void prefix; }
        break;
      default: break; // GEOMETRY_TYPE, visibility, ...: not needed
    }
    p = ve;
  }
  return { id, schema, table, columns, primaryKey, hasSignedness };
}
