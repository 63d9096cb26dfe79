/**
 * Row images of WRITE/UPDATE/DELETE_ROWS events -> canonical text values (change-event.ts).
 * Binary layouts: MySQL sql/log_event.cc, strings/decimal.c, sql-common/my_time.c.
 *
 * Every row of the stream passes here, so the common types are formatted without intermediate
 * strings (issue 14: GC was a third of the service's CPU): dates and times as one
 * String.fromCharCode of their digits, DECIMAL from numbers when its digits fit a double exactly.
 * Values outside what a fast path handles (out-of-range fields, non-canonical DECIMAL words, more
 * than 15 digits) take the general path, so the text is the same for the same bytes either way
 * (test/mysql-row-decoder.test.ts compares both over random bytes).
 */
import { UNCHANGED, type ColumnValue } from '../../change-event.ts';
import { UnrecoverableError } from '../../errors.ts';
import { T, type BinlogColumn, type TableMap } from './table-map.ts';
import { formatBinary, formatBits, formatFloat32, formatFloat64, textDecoderFor } from './values.ts';

const pad = (n: number | bigint, w: number) => String(n).padStart(w, '0');
const DIG2BYTES = [0, 1, 1, 2, 2, 3, 3, 4, 4, 4];
const POW10 = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9];

/** Char codes of the tens and ones digits of 0..99. */
const tens = (n: number) => 48 + ((n / 10) | 0);
const ones = (n: number) => 48 + (n % 10);
/** Char code of digit `k` (0: the most significant) of a number below 10**w, w digits wide. */
const digit = (n: number, w: number, k: number) => 48 + (Math.floor(n / POW10[w - 1 - k]) % 10);

/** One big-endian word of a packed DECIMAL; the first byte of the value has its sign bit flipped. */
function decimalWord(b: Buffer, q: number, bytes: number, first: number, x: number): number {
  let v = 0;
  for (let i = 0; i < bytes; i++) { let c = b[q + i] ^ x; if (q + i === first) c ^= 0x80; v = v * 256 + c; }
  return v;
}

/** Bytes of a packed DECIMAL(precision, scale). */
function decimalSize(precision: number, scale: number): number {
  const intg = precision - scale;
  return Math.floor(intg / 9) * 4 + DIG2BYTES[intg % 9] + Math.floor(scale / 9) * 4 + DIG2BYTES[scale % 9];
}

/**
 * DECIMAL(p,s): big-endian groups of 9 digits in 4 bytes; sign in the first byte's top bit;
 * negatives inverted. Up to 15 digits on each side of the point the parts are exact numbers; a
 * group that is not canonical (more digits than it holds) is printed as it comes by the text path.
 */
function decimal(b: Buffer, p: number, precision: number, scale: number): string {
  const intg = precision - scale, intg0 = Math.floor(intg / 9), intg0x = intg % 9;
  const frac0 = Math.floor(scale / 9), frac0x = scale % 9;
  const neg = (b[p] & 0x80) === 0;
  const x = neg ? 0xff : 0;
  fast: if (intg <= 15 && scale <= 15) {
    let q = p, ip = 0, fp = 0;
    if (intg0x) { ip = decimalWord(b, q, DIG2BYTES[intg0x], p, x); q += DIG2BYTES[intg0x]; }
    for (let i = 0; i < intg0; i++, q += 4) {
      const w = decimalWord(b, q, 4, p, x);
      if (w >= 1e9) break fast;
      ip = ip * 1e9 + w;
    }
    if (ip >= 1e15) break fast; // the leading group as it comes may have more digits than the type
    for (let i = 0; i < frac0; i++, q += 4) {
      const w = decimalWord(b, q, 4, p, x);
      if (w >= 1e9) break fast;
      fp = fp * 1e9 + w;
    }
    if (frac0x) {
      const w = decimalWord(b, q, DIG2BYTES[frac0x], p, x);
      if (w >= POW10[frac0x]) break fast;
      fp = fp * POW10[frac0x] + w;
    }
    const sign = neg && (ip !== 0 || fp !== 0) ? '-' : '';
    if (!scale) return sign + String(ip);
    const f = String(fp);
    return sign + String(ip) + '.' + (f.length < scale ? f.padStart(scale, '0') : f);
  }
  let q = p;
  let ip = '';
  if (intg0x) { ip += String(decimalWord(b, q, DIG2BYTES[intg0x], p, x)); q += DIG2BYTES[intg0x]; }
  for (let i = 0; i < intg0; i++, q += 4) ip += pad(decimalWord(b, q, 4, p, x), 9);
  ip = ip.replace(/^0+(?=\d)/, '') || '0';
  let fp = '';
  for (let i = 0; i < frac0; i++, q += 4) fp += pad(decimalWord(b, q, 4, p, x), 9);
  if (frac0x) fp += pad(decimalWord(b, q, DIG2BYTES[frac0x], p, x), frac0x);
  const zero = /^[0.]*$/.test(ip + fp);
  return (neg && !zero ? '-' : '') + ip + (scale ? '.' + fp : '');
}

/** A 64-bit integer as digits, without a BigInt when it fits a double exactly (the common case). */
function int64(b: Buffer, p: number, unsigned: boolean): string {
  const lo = b.readUInt32LE(p);
  const hi = unsigned ? b.readUInt32LE(p + 4) : b.readInt32LE(p + 4);
  if (hi >= -0x200000 && hi < 0x200000) return String(hi * 4294967296 + lo);
  return String(unsigned ? b.readBigUInt64LE(p) : b.readBigInt64LE(p));
}

const fracBytes = (fsp: number) => (fsp + 1) >> 1;
/** The fraction of DATETIME2/TIMESTAMP2/TIME2 as microseconds: (fsp+1)/2 big-endian bytes. */
function micros(b: Buffer, p: number, fsp: number): number {
  const n = fracBytes(fsp);
  return n === 0 ? 0 : n === 1 ? b[p] * 10000 : n === 2 ? b.readUInt16BE(p) * 100 : b.readUIntBE(p, 3);
}
/** The fraction of DATETIME2/TIMESTAMP2/TIME2: exactly fsp digits out. */
function fraction(b: Buffer, p: number, fsp: number): string {
  if (!fsp) return '';
  return fractionText(micros(b, p, fsp), fsp);
}
function fractionText(us: number, fsp: number): string {
  if (us > 999999) return '.' + String(us).slice(0, fsp); // not a real fraction: as the server's bytes say
  switch (fsp) {
    case 6: return String.fromCharCode(46, digit(us, 6, 0), digit(us, 6, 1), digit(us, 6, 2), digit(us, 6, 3), digit(us, 6, 4), digit(us, 6, 5));
    case 3: return String.fromCharCode(46, digit(us, 6, 0), digit(us, 6, 1), digit(us, 6, 2));
    default: return '.' + pad(us, 6).slice(0, fsp);
  }
}

/** 'YYYY-MM-DD' for a year below 10000 and month, day below 100. */
function dateText(y: number, mo: number, d: number): string {
  return String.fromCharCode(digit(y, 4, 0), digit(y, 4, 1), digit(y, 4, 2), digit(y, 4, 3), 45, tens(mo), ones(mo), 45, tens(d), ones(d));
}

/** Reused char code arrays, one per text length (String.fromCharCode.apply takes the whole array). */
const CODES = Array.from({ length: 30 }, (_, n) => new Array<number>(n).fill(48));

/**
 * 'YYYY-MM-DD hh:mm:ss[.f..][+00]' as one flat string (the sink's checks would flatten a
 * concatenation again): a year below 10000, the other fields below 100, `us` below 10**6, `fsp`
 * fraction digits, '+00' for an instant.
 */
function stampText(y: number, mo: number, d: number, h: number, mi: number, s: number, us: number, fsp: number, zone: boolean): string {
  const c = CODES[19 + (fsp ? fsp + 1 : 0) + (zone ? 3 : 0)];
  c[0] = digit(y, 4, 0); c[1] = digit(y, 4, 1); c[2] = digit(y, 4, 2); c[3] = digit(y, 4, 3); c[4] = 45;
  c[5] = tens(mo); c[6] = ones(mo); c[7] = 45; c[8] = tens(d); c[9] = ones(d); c[10] = 32;
  c[11] = tens(h); c[12] = ones(h); c[13] = 58; c[14] = tens(mi); c[15] = ones(mi); c[16] = 58; c[17] = tens(s); c[18] = ones(s);
  let k = 19;
  if (fsp) { c[k++] = 46; for (let j = 0; j < fsp; j++) c[k++] = digit(us, 6, j); }
  if (zone) { c[k] = 43; c[k + 1] = 48; c[k + 2] = 48; }
  return String.fromCharCode.apply(null, c);
}

/**
 * TIMESTAMP(2): seconds since the epoch (u32) and the fraction -> 'YYYY-MM-DD hh:mm:ss[.f..]+00'
 * in UTC; the date from the day number by H. Hinnant's civil_from_days (proleptic Gregorian, as
 * Date's toISOString).
 */
function utcText(s: number, us: number, fsp: number): string {
  const days = Math.floor(s / 86400), sec = s - days * 86400;
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0), h = Math.floor(sec / 3600), mi = Math.floor(sec / 60) % 60;
  if (us <= 999999) return stampText(y, m, d, h, mi, sec % 60, us, fsp, true);
  return stampText(y, m, d, h, mi, sec % 60, 0, 0, false) + fractionText(us, fsp) + '+00';
}

function where(t: TableMap, c: BinlogColumn, i: number): string {
  return `${t.schema}.${t.table} column ${c.name ?? `#${i + 1}`}`;
}

/**
 * Bytes that column `c`'s value takes at `p` of a row image, without decoding it: the same
 * layouts decodeRow reads (test/mysql-row-decoder.test.ts checks both agree over random bytes).
 */
export function columnBytes(b: Buffer, p: number, c: BinlogColumn): number {
  switch (c.type) {
    case T.TINY: case T.YEAR: return 1;
    case T.SHORT: return 2;
    case T.INT24: case T.DATE: case T.NEWDATE: case T.TIME: return 3;
    case T.LONG: case T.FLOAT: return 4;
    case T.LONGLONG: case T.DOUBLE: case T.DATETIME: return 8;
    case T.NEWDECIMAL: return decimalSize(c.meta >> 8, c.meta & 0xff);
    case T.DATETIME2: return 5 + fracBytes(c.meta);
    case T.TIMESTAMP: return 4;
    case T.TIMESTAMP2: return 4 + fracBytes(c.meta);
    case T.TIME2: return 3 + fracBytes(c.meta);
    case T.VARCHAR: case T.VAR_STRING: case T.STRING: return c.meta < 256 ? 1 + b[p] : 2 + b.readUInt16LE(p);
    case T.ENUM: case T.SET: return c.meta;
    case T.BLOB: case T.GEOMETRY: return c.meta + b.readUIntLE(p, c.meta);
    case T.BIT: return ((c.meta & 0xff) * 8 + (c.meta >> 8) + 7) >> 3;
    default: return -1; // decodeRow says why
  }
}

/**
 * Decodes one row image starting at `cur.p` (advanced past it). `present`: the columns bitmap;
 * absent columns (binlog_row_image MINIMAL or NOBLOB) come out UNCHANGED: their values are not in
 * the binlog (what the caller may do with that: binlog-transactions.ts). `wanted` (optional): the
 * columns to decode; the others come out UNCHANGED too, as if the image had left them out, and
 * cost no string (the before image of an update or delete when only its key is read).
 */
export function decodeRow(b: Buffer, cur: { p: number }, t: TableMap, present: Buffer, wanted?: readonly boolean[]): ColumnValue[] {
  const cols = t.columns;
  let nPresent = 0;
  for (let i = 0; i < cols.length; i++) if (present[i >> 3] & (1 << (i & 7))) nPresent++;
  let p = cur.p;
  const nullMap = p; p += (nPresent + 7) >> 3;
  const out: ColumnValue[] = new Array(cols.length).fill(null);
  let k = 0;
  for (let i = 0; i < cols.length; i++) {
    if (!(present[i >> 3] & (1 << (i & 7)))) { out[i] = UNCHANGED; continue; }
    const isNull = (b[nullMap + (k >> 3)] & (1 << (k & 7))) !== 0; k++;
    const c = cols[i];
    if (wanted && !wanted[i]) {
      const n = isNull ? 0 : columnBytes(b, p, c);
      if (n >= 0) { p += n; out[i] = UNCHANGED; continue; }
    }
    if (isNull) continue;
    let v: string;
    switch (c.type) {
      case T.TINY: v = String(c.unsigned ? b[p] : b.readInt8(p)); p += 1; break;
      case T.SHORT: v = String(c.unsigned ? b.readUInt16LE(p) : b.readInt16LE(p)); p += 2; break;
      case T.INT24: v = String(c.unsigned ? b.readUIntLE(p, 3) : b.readIntLE(p, 3)); p += 3; break;
      case T.LONG: v = String(c.unsigned ? b.readUInt32LE(p) : b.readInt32LE(p)); p += 4; break;
      case T.LONGLONG: v = int64(b, p, c.unsigned); p += 8; break;
      case T.FLOAT: v = formatFloat32(b.readFloatLE(p)); p += 4; break;
      case T.DOUBLE: v = formatFloat64(b.readDoubleLE(p)); p += 8; break;
      case T.NEWDECIMAL: v = decimal(b, p, c.meta >> 8, c.meta & 0xff); p += decimalSize(c.meta >> 8, c.meta & 0xff); break;
      case T.YEAR: v = b[p] ? String(b[p] + 1900) : '0000'; p += 1; break;
      case T.DATE: case T.NEWDATE: {
        const d = b.readUIntLE(p, 3); p += 3;
        v = d >> 9 < 10000 ? dateText(d >> 9, (d >> 5) & 15, d & 31) : `${pad(d >> 9, 4)}-${pad((d >> 5) & 15, 2)}-${pad(d & 31, 2)}`;
        break;
      }
      case T.DATETIME2: {
        const ip = b.readUIntBE(p, 5) - 0x8000000000; p += 5;
        const ymd = Math.floor(ip / 2 ** 17), hms = ip % 2 ** 17, ym = ymd >> 5;
        const us = micros(b, p, c.meta);
        if (ip >= 0 && ym < 130000 && us <= 999999) { // a year below 10000; hour, minute and second have 5 and 6 bits: below 100
          v = stampText(Math.floor(ym / 13), ym % 13, ymd & 31, hms >> 12, (hms >> 6) & 63, hms & 63, us, c.meta, false);
        } else {
          v = `${pad(Math.floor(ym / 13), 4)}-${pad(ym % 13, 2)}-${pad(ymd & 31, 2)} ${pad(hms >> 12, 2)}:${pad((hms >> 6) & 63, 2)}:${pad(hms & 63, 2)}${fraction(b, p, c.meta)}`;
        }
        p += fracBytes(c.meta);
        break;
      }
      case T.DATETIME: { // pre-5.6 layout: YYYYMMDDhhmmss as u64
        const n = b.readBigUInt64LE(p); p += 8;
        const s = pad(n, 14);
        v = `${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6, 8)} ${s.slice(8, 10)}:${s.slice(10, 12)}:${s.slice(12, 14)}`;
        break;
      }
      case T.TIMESTAMP2: case T.TIMESTAMP: {
        const fsp = c.type === T.TIMESTAMP ? 0 : c.meta;
        const s = c.type === T.TIMESTAMP ? b.readUInt32LE(p) : b.readUInt32BE(p); p += 4;
        // The zero timestamp is not an instant: it passes through as MySQL prints it.
        v = s === 0 && (fsp === 0 || b.readUIntBE(p, fracBytes(fsp)) === 0)
          ? '0000-00-00 00:00:00' + (fsp ? '.' + '0'.repeat(fsp) : '')
          : utcText(s, micros(b, p, fsp), fsp);
        p += fsp ? fracBytes(fsp) : 0;
        break;
      }
      case T.TIME2: {
        const n = fracBytes(c.meta);
        let packed: number; // (hms << 24) + microseconds, signed
        if (n === 3) packed = b.readUIntBE(p, 6) - 0x800000000000;
        else {
          let ip = b.readUIntBE(p, 3) - 0x800000;
          let f = n === 0 ? 0 : n === 1 ? b[p + 3] : b.readUInt16BE(p + 3);
          if (ip < 0 && f) { ip++; f -= n === 1 ? 0x100 : 0x10000; }
          packed = ip * 2 ** 24 + f * (n === 1 ? 10000 : n === 2 ? 100 : 1);
        }
        const neg = packed < 0; if (neg) packed = -packed;
        const hms = Math.floor(packed / 2 ** 24), us = packed % 2 ** 24;
        const h = (hms >> 12) & 1023, mi = (hms >> 6) & 63, sec = hms & 63;
        const hhmmss = h < 100 ? String.fromCharCode(tens(h), ones(h), 58, tens(mi), ones(mi), 58, tens(sec), ones(sec)) : `${h}:${pad(mi, 2)}:${pad(sec, 2)}`;
        v = (neg ? '-' : '') + hhmmss + (c.meta ? fractionText(us, c.meta) : '');
        p += 3 + n;
        break;
      }
      case T.TIME: { // pre-5.6 layout: signed HHMMSS in 3 bytes
        const n = b.readIntLE(p, 3); p += 3;
        const a = Math.abs(n);
        v = `${n < 0 ? '-' : ''}${pad(Math.floor(a / 10000), 2)}:${pad(Math.floor(a / 100) % 100, 2)}:${pad(a % 100, 2)}`;
        break;
      }
      case T.VARCHAR: case T.VAR_STRING: {
        const l = c.meta < 256 ? b[p] : b.readUInt16LE(p); p += c.meta < 256 ? 1 : 2;
        v = text(b, p, l, t, c, i); p += l;
        break;
      }
      case T.STRING: {
        const l = c.meta < 256 ? b[p] : b.readUInt16LE(p); p += c.meta < 256 ? 1 : 2;
        // BINARY(n) loses its trailing 0x00 bytes in the row image: pad back to n bytes.
        if (c.charset === 'binary') v = formatBinary(Buffer.concat([b.subarray(p, p + l), Buffer.alloc(Math.max(0, c.meta - l))]));
        else v = text(b, p, l, t, c, i);
        p += l;
        break;
      }
      case T.ENUM: {
        const idx = c.meta === 1 ? b[p] : b.readUInt16LE(p); p += c.meta;
        v = idx === 0 ? '' : (c.enumValues?.[idx - 1] ?? String(idx));
        break;
      }
      case T.SET: {
        let bits = 0n;
        for (let j = c.meta - 1; j >= 0; j--) bits = (bits << 8n) | BigInt(b[p + j]);
        p += c.meta;
        v = (c.enumValues ?? []).filter((_, j) => (bits >> BigInt(j)) & 1n).join(',');
        break;
      }
      case T.BLOB: case T.GEOMETRY: {
        const l = b.readUIntLE(p, c.meta); p += c.meta;
        v = c.type === T.GEOMETRY || c.charset === 'binary' ? formatBinary(b.subarray(p, p + l)) : text(b, p, l, t, c, i);
        p += l;
        break;
      }
      case T.BIT: {
        const bits = (c.meta & 0xff) * 8 + (c.meta >> 8);
        const n = (bits + 7) >> 3;
        v = formatBits(b.subarray(p, p + n), bits); p += n;
        break;
      }
      case T.JSON:
        throw new UnrecoverableError(`${where(t, c, i)}: MySQL binary JSON in the binlog is not supported yet`);
      default:
        throw new UnrecoverableError(`${where(t, c, i)}: binlog column type ${c.type} is not supported`);
    }
    out[i] = v;
  }
  cur.p = p;
  return out;
}

function text(b: Buffer, p: number, l: number, t: TableMap, c: BinlogColumn, i: number): string {
  const cs = c.charset ?? 'utf8mb4';
  if (cs === 'binary') return formatBinary(b.subarray(p, p + l));
  if (cs === 'utf8mb4' || cs === 'utf8mb3' || cs === 'utf8' || cs === 'ascii') return b.toString('utf8', p, p + l);
  const d = textDecoderFor(cs);
  if (!d) throw new UnrecoverableError(`${where(t, c, i)}: character set ${cs} is not supported`);
  return d.decode(b.subarray(p, p + l));
}
