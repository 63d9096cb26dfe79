/**
 * The binlog row decoder's fast paths (row-decoder.ts) against the decoder they replaced
 * (test/fixtures/row-decoder-reference.ts): the same bytes give the same text, NULL and absent
 * columns included, and the decoder stops at the same byte. Random row images cover every column
 * type the decoder reads, canonical values and garbage alike (garbage must take the general path,
 * not come out different); known values pin the canonical text itself.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { UNCHANGED } from '../src/engine/change-event.ts';
import { decodeRow } from '../src/engine/sources/mysql/row-decoder.ts';
import { T, type BinlogColumn, type TableMap } from '../src/engine/sources/mysql/table-map.ts';
import { decodeRow as referenceDecodeRow } from './fixtures/row-decoder-reference.ts';

/** A deterministic PRNG (mulberry32): a failure names its seed and reproduces. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const col = (type: number, meta = 0, o: Partial<BinlogColumn> = {}): BinlogColumn =>
  ({ type, meta, unsigned: false, collation: -1, charset: null, name: `c${type}_${meta}`, enumValues: null, ...o });

const tableOf = (columns: BinlogColumn[]): TableMap => ({ id: 1, schema: 's', table: 't', columns, primaryKey: null, hasSignedness: true });

/** Every column type and metadata variant the decoder reads. */
const COLUMNS: BinlogColumn[] = [
  col(T.TINY), col(T.TINY, 0, { unsigned: true }), col(T.SHORT), col(T.SHORT, 0, { unsigned: true }), col(T.INT24), col(T.INT24, 0, { unsigned: true }),
  col(T.LONG), col(T.LONG, 0, { unsigned: true }), col(T.LONGLONG), col(T.LONGLONG, 0, { unsigned: true }), col(T.FLOAT), col(T.DOUBLE),
  ...[[12, 2], [10, 0], [30, 10], [18, 9], [1, 1], [65, 30], [15, 0], [16, 0], [17, 2], [20, 15], [9, 9], [4, 2]].map(([p, s]) => col(T.NEWDECIMAL, (p << 8) | s)),
  col(T.YEAR), col(T.DATE), col(T.NEWDATE), ...[0, 1, 2, 3, 4, 5, 6].map((fsp) => col(T.DATETIME2, fsp)), col(T.DATETIME),
  col(T.TIMESTAMP), ...[0, 1, 3, 6].map((fsp) => col(T.TIMESTAMP2, fsp)), ...[0, 1, 2, 3, 4, 6].map((fsp) => col(T.TIME2, fsp)), col(T.TIME),
  col(T.VARCHAR, 64, { charset: 'utf8mb4' }), col(T.VARCHAR, 300, { charset: 'latin1' }), col(T.VARCHAR, 100, { charset: 'binary' }), col(T.VAR_STRING, 40, { charset: 'ascii' }),
  col(T.VARCHAR, 30, { charset: 'gbk' }), col(T.STRING, 20, { charset: 'binary' }), col(T.STRING, 12, { charset: 'utf8mb3' }),
  col(T.ENUM, 1, { enumValues: ['a', 'b c'] }), col(T.ENUM, 2, { enumValues: null }), col(T.SET, 1, { enumValues: ['x', 'y', 'z'] }), col(T.SET, 8, { enumValues: null }),
  ...[1, 2, 3, 4].map((lb) => col(T.BLOB, lb, { charset: lb === 2 ? 'utf8mb4' : 'binary' })), col(T.GEOMETRY, 4), col(T.BIT, (1 << 8) | 2), col(T.BIT, 8), col(T.BIT, 3 << 8),
];

const FIXED: Record<number, number> = {
  [T.TINY]: 1, [T.SHORT]: 2, [T.INT24]: 3, [T.LONG]: 4, [T.LONGLONG]: 8, [T.FLOAT]: 4, [T.DOUBLE]: 8, [T.YEAR]: 1,
  [T.DATE]: 3, [T.NEWDATE]: 3, [T.DATETIME]: 8, [T.TIMESTAMP]: 4, [T.TIME]: 3,
};
const DIG2BYTES = [0, 1, 1, 2, 2, 3, 3, 4, 4, 4];
const decimalBytes = (p: number, s: number) => Math.floor((p - s) / 9) * 4 + DIG2BYTES[(p - s) % 9] + Math.floor(s / 9) * 4 + DIG2BYTES[s % 9];

/** Random bytes of one value of `c`, laid out as a row image holds it (lengths right, contents anything). */
function randomValue(c: BinlogColumn, rnd: () => number): Buffer {
  const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(rnd() * 256)));
  const fixed = FIXED[c.type];
  if (fixed !== undefined) return bytes(fixed);
  const len = (max: number) => Math.floor(rnd() * Math.min(max, 80));
  switch (c.type) {
    case T.NEWDECIMAL: return bytes(decimalBytes(c.meta >> 8, c.meta & 0xff));
    case T.DATETIME2: return bytes(5 + ((c.meta + 1) >> 1));
    case T.TIMESTAMP2: return bytes(4 + ((c.meta + 1) >> 1));
    case T.TIME2: return bytes(3 + ((c.meta + 1) >> 1));
    case T.VARCHAR: case T.VAR_STRING: case T.STRING: {
      const l = len(c.meta);
      const prefix = c.meta < 256 ? Buffer.from([l]) : Buffer.from([l & 0xff, l >> 8]);
      return Buffer.concat([prefix, bytes(l)]);
    }
    case T.ENUM: case T.SET: return bytes(c.meta);
    case T.BLOB: case T.GEOMETRY: {
      const l = len(2 ** (8 * c.meta) - 1);
      const prefix = Buffer.alloc(c.meta); prefix.writeUIntLE(l, 0, c.meta);
      return Buffer.concat([prefix, bytes(l)]);
    }
    case T.BIT: return bytes(((c.meta & 0xff) * 8 + (c.meta >> 8) + 7) >> 3);
    default: throw new Error(`no generator for type ${c.type}`);
  }
}

/** A row image of `columns`: random present and NULL bitmaps, then the values of the present non-NULL columns. */
function randomRow(columns: BinlogColumn[], rnd: () => number, valueOf = randomValue): { present: Buffer; image: Buffer } {
  const present = Buffer.alloc((columns.length + 7) >> 3);
  columns.forEach((_, i) => { if (rnd() < 0.9) present[i >> 3] |= 1 << (i & 7); });
  const shown = columns.filter((_, i) => present[i >> 3] & (1 << (i & 7)));
  const nulls = Buffer.alloc((shown.length + 7) >> 3);
  const values: Buffer[] = [];
  shown.forEach((c, k) => {
    if (rnd() < 0.1) nulls[k >> 3] |= 1 << (k & 7);
    else values.push(valueOf(c, rnd));
  });
  return { present, image: Buffer.concat([nulls, ...values]) };
}

/** Both decoders over `image` (with a byte before and after it, so offsets count); equal values and end. */
function assertSameDecoding(t: TableMap, present: Buffer, image: Buffer, what: string): void {
  const b = Buffer.concat([Buffer.from([0xee]), image, Buffer.from([0xee])]);
  const a = { p: 1 }, r = { p: 1 };
  assert.deepEqual(decodeRow(b, a, t, present), referenceDecodeRow(b, r, t, present), what);
  assert.equal(a.p, r.p, `${what}: end offset`);
  assert.equal(a.p, 1 + image.length, `${what}: the whole image`);
}

/** DECIMAL(p,s) bytes of a decimal string (MySQL strings/decimal.c decimal2bin). */
function decimalOf(v: string, p: number, s: number): Buffer {
  const neg = v.startsWith('-');
  const [ip, fp = ''] = v.replace(/^-/, '').split('.');
  const intg = p - s;
  const digits = ip.padStart(intg, '0') + fp.padEnd(s, '0');
  const groups: [string, number][] = [];
  let q = 0;
  if (intg % 9) { groups.push([digits.slice(0, intg % 9), DIG2BYTES[intg % 9]]); q = intg % 9; }
  for (; q < intg; q += 9) groups.push([digits.slice(q, q + 9), 4]);
  for (let k = 0; k < Math.floor(s / 9); k++, q += 9) groups.push([digits.slice(q, q + 9), 4]);
  if (s % 9) groups.push([digits.slice(q, q + (s % 9)), DIG2BYTES[s % 9]]);
  const out = Buffer.concat(groups.map(([g, n]) => { const b = Buffer.alloc(n); b.writeUIntBE(Number(g), 0, n); return b; }));
  if (neg) for (let i = 0; i < out.length; i++) out[i] ^= 0xff;
  out[0] ^= 0x80;
  return out;
}

/** One value of `c` alone in a row image (present, not NULL); its text. */
function decodeOne(c: BinlogColumn, value: Buffer): unknown {
  return decodeRow(Buffer.concat([Buffer.from([0]), value]), { p: 0 }, tableOf([c]), Buffer.from([1]))[0];
}

describe('binlog row decoder', () => {
  test('random row images of every column type: the same values as the reference decoder, to the same byte', () => {
    const t = tableOf(COLUMNS);
    for (let seed = 1; seed <= 3000; seed++) {
      const { present, image } = randomRow(COLUMNS, prng(seed));
      assertSameDecoding(t, present, image, `seed ${seed}`);
    }
  });

  test('only the wanted columns: the others come out UNCHANGED, and the decoder still stops at the same byte', () => {
    const t = tableOf(COLUMNS);
    for (let seed = 1; seed <= 1000; seed++) {
      const rnd = prng(seed);
      const { present, image } = randomRow(COLUMNS, rnd);
      const wanted = COLUMNS.map(() => rnd() < 0.3);
      const b = Buffer.concat([Buffer.from([0xee]), image, Buffer.from([0xee])]);
      const all = decodeRow(b, { p: 1 }, t, present);
      const cur = { p: 1 };
      const some = decodeRow(b, cur, t, present, wanted);
      assert.equal(cur.p, 1 + image.length, `seed ${seed}: the whole image`);
      assert.deepEqual(some, all.map((v, i) => (wanted[i] ? v : UNCHANGED)), `seed ${seed}`);
    }
  });

  test('canonical DECIMAL values (negative, zero, fraction only, at the 15-digit edge and beyond), DATETIME(fsp) and TIMESTAMP(fsp) over their whole range', () => {
    const rnd = prng(42);
    const digits = (n: number) => Array.from({ length: n }, () => Math.floor(rnd() * 10)).join('');
    const decimals = COLUMNS.filter((c) => c.type === T.NEWDECIMAL);
    const canonical = (c: BinlogColumn): Buffer => {
      if (c.type === T.NEWDECIMAL) {
        const p = c.meta >> 8, s = c.meta & 0xff;
        const ip = rnd() < 0.2 ? '0' : digits(1 + Math.floor(rnd() * (p - s)));
        return decimalOf(`${rnd() < 0.5 ? '-' : ''}${p - s > 0 ? ip : '0'}${s ? '.' + digits(s) : ''}`, p, s);
      }
      if (c.type === T.DATETIME2) { // YYYY-MM-DD hh:mm:ss with 17 bits of time of day
        const ym = Math.floor(rnd() * 10000) * 13 + Math.floor(rnd() * 13);
        const packed = ((ym * 32 + Math.floor(rnd() * 32)) * 2 ** 17) + Math.floor(rnd() * 24) * 4096 + Math.floor(rnd() * 60) * 64 + Math.floor(rnd() * 60);
        const b = Buffer.alloc(5 + ((c.meta + 1) >> 1));
        b.writeUIntBE(packed + 0x8000000000, 0, 5);
        const n = (c.meta + 1) >> 1;
        if (n) b.writeUIntBE(Math.floor(rnd() * [1, 100, 10000, 1000000][n]), 5, n);
        return b;
      }
      return randomValue(c, rnd);
    };
    const cols = [...decimals, ...COLUMNS.filter((c) => c.type === T.DATETIME2 || c.type === T.TIMESTAMP2 || c.type === T.TIMESTAMP || c.type === T.DATE || c.type === T.TIME2)];
    const t = tableOf(cols);
    for (let i = 0; i < 3000; i++) {
      const { present, image } = randomRow(cols, rnd, canonical);
      assertSameDecoding(t, present, image, `canonical row ${i}`);
    }
  });

  test('known values: the canonical text of change-event.ts', () => {
    const dec = (p: number, s: number) => col(T.NEWDECIMAL, (p << 8) | s);
    for (const [v, p, s, want] of [
      ['-1234.56', 12, 2, '-1234.56'], ['0.00', 12, 2, '0.00'], ['-0.05', 12, 2, '-0.05'], ['9999999999.99', 12, 2, '9999999999.99'],
      ['-123456789012345678.9012345678', 30, 10, '-123456789012345678.9012345678'], ['7', 10, 0, '7'], ['-7', 10, 0, '-7'],
      ['0.000000001', 18, 9, '0.000000001'], ['-999999999999999', 15, 0, '-999999999999999'], ['-1000000000000000', 16, 0, '-1000000000000000'],
    ] as const) assert.equal(decodeOne(dec(p, s), decimalOf(v, p, s)), want, `DECIMAL(${p},${s}) ${v}`);

    const dt = (y: number, mo: number, d: number, h: number, mi: number, sec: number, fsp: number, frac: number) => {
      const b = Buffer.alloc(5 + ((fsp + 1) >> 1));
      b.writeUIntBE(((((y * 13 + mo) * 32) + d) * 2 ** 17) + h * 4096 + mi * 64 + sec + 0x8000000000, 0, 5);
      if (fsp) b.writeUIntBE(frac, 5, (fsp + 1) >> 1);
      return b;
    };
    assert.equal(decodeOne(col(T.DATETIME2, 6), dt(2024, 2, 29, 23, 59, 58, 6, 123456)), '2024-02-29 23:59:58.123456');
    assert.equal(decodeOne(col(T.DATETIME2, 6), dt(1, 1, 1, 0, 0, 0, 6, 7)), '0001-01-01 00:00:00.000007');
    assert.equal(decodeOne(col(T.DATETIME2, 0), dt(0, 0, 0, 0, 0, 0, 0, 0)), '0000-00-00 00:00:00');
    assert.equal(decodeOne(col(T.DATETIME2, 3), dt(9999, 12, 31, 23, 59, 59, 3, 999 * 10)), '9999-12-31 23:59:59.999');
    assert.equal(decodeOne(col(T.DATETIME2, 1), dt(2020, 5, 6, 7, 8, 9, 1, 50)), '2020-05-06 07:08:09.5');

    const ts = (s: number, fsp: number, frac: number) => {
      const b = Buffer.alloc(4 + ((fsp + 1) >> 1));
      b.writeUInt32BE(s, 0);
      if (fsp) b.writeUIntBE(frac, 4, (fsp + 1) >> 1);
      return b;
    };
    assert.equal(decodeOne(col(T.TIMESTAMP2, 6), ts(Date.UTC(2038, 0, 19, 3, 14, 8) / 1000, 6, 1)), '2038-01-19 03:14:08.000001+00');
    assert.equal(decodeOne(col(T.TIMESTAMP2, 0), ts(0xffffffff, 0, 0)), '2106-02-07 06:28:15+00');
    assert.equal(decodeOne(col(T.TIMESTAMP2, 3), ts(0, 3, 0)), '0000-00-00 00:00:00.000');
    for (let s = 1; s < 2 ** 32; s += 86400 * 37 + 3601) { // every 37 days and an hour: leap years, month ends
      assert.equal(decodeOne(col(T.TIMESTAMP2, 0), ts(s, 0, 0)), new Date(s * 1000).toISOString().slice(0, 19).replace('T', ' ') + '+00');
    }

    const date = Buffer.alloc(3); date.writeUIntLE((2024 << 9) | (2 << 5) | 29, 0, 3);
    assert.equal(decodeOne(col(T.DATE), date), '2024-02-29');
    const time = (neg: boolean, h: number, mi: number, s: number) => {
      const b = Buffer.alloc(6);
      const packed = (h * 4096 + mi * 64 + s) * 2 ** 24 + 500000;
      b.writeUIntBE((neg ? -packed : packed) + 0x800000000000, 0, 6);
      return b;
    };
    assert.equal(decodeOne(col(T.TIME2, 6), time(true, 838, 59, 59)), '-838:59:59.500000');
    assert.equal(decodeOne(col(T.TIME2, 6), time(false, 1, 2, 3)), '01:02:03.500000');

    assert.equal(decodeOne(col(T.BIT, (1 << 8) | 1), Buffer.from([0x01, 0x02])), '100000010');
    assert.equal(decodeOne(col(T.ENUM, 1, { enumValues: ['a', 'b c'] }), Buffer.from([2])), 'b c');
    assert.equal(decodeOne(col(T.SET, 1, { enumValues: ['x', 'y', 'z'] }), Buffer.from([5])), 'x,z');
    assert.equal(decodeOne(col(T.VARCHAR, 64, { charset: 'latin1' }), Buffer.from([3, 0x80, 0x41, 0xe9])), '\u20acA\u00e9');
    assert.equal(decodeOne(col(T.VARCHAR, 64, { charset: 'utf8mb4' }), Buffer.concat([Buffer.from([4]), Buffer.from('\u{1f600}')])), '\u{1f600}');
    assert.equal(decodeOne(col(T.STRING, 4, { charset: 'binary' }), Buffer.from([2, 0xab, 0x01])), '\\xab010000');
  });

  test('NULL and absent columns; JSON and unknown types fail naming the column', () => {
    const t = tableOf([col(T.LONG), col(T.VARCHAR, 10, { charset: 'utf8mb4' }), col(T.LONG)]);
    // present: columns 0 and 2; NULL bitmap over them: the second (column 2) is NULL.
    const row = decodeRow(Buffer.from([0b10, 7, 0, 0, 0]), { p: 0 }, t, Buffer.from([0b101]));
    assert.deepEqual(row, ['7', UNCHANGED, null]);
    assert.throws(() => decodeOne(col(T.JSON, 4, { name: 'js' }), Buffer.from([0, 0, 0, 0])), /s\.t column js: MySQL binary JSON/);
    assert.throws(() => decodeOne(col(99, 0, { name: 'odd' }), Buffer.from([0])), /s\.t column odd: binlog column type 99/);
  });
});
