/**
 * Canonical value text (change-event.ts) -> what is bound for one target column, decided per
 * column from the target's information_schema DATA_TYPE and the source's LogicalType. Values the
 * target would change silently (rounded decimals or integers, lone UTF-16 surrogates) or cannot
 * hold (NaN / Infinity) throw ConversionError: the row becomes a dirty record. Everything else
 * travels as text and MySQL's strict mode rejects what does not fit.
 */
import type { LogicalType } from '../../table-schema.ts';
import { ConversionError } from './sql.ts';

export type Bound = string | Buffer;
export type Converter = (value: string) => Bound;

export interface TargetColumnType { dataType: string; numericScale: number | null }

const INTEGER_TYPES = new Set(['tinyint', 'smallint', 'mediumint', 'int', 'integer', 'bigint']);
const BINARY_TYPES = new Set(['binary', 'varbinary', 'tinyblob', 'blob', 'mediumblob', 'longblob']);
const FLOAT_TYPES = new Set(['float', 'double', 'real', 'double precision']);
const TEXT_TYPES = new Set(['char', 'varchar', 'tinytext', 'text', 'mediumtext', 'longtext', 'enum', 'set', 'json']);

const SURROGATE = /[\uD800-\uDFFF]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function text(v: string): string {
  if (SURROGATE.test(v) && LONE_SURROGATE.test(v)) throw new ConversionError('text is not valid Unicode (a lone UTF-16 surrogate)');
  return v;
}

export function hexToBuffer(v: string): Buffer {
  if (!v.startsWith('\\x') || (v.length & 1) !== 0 || !/^[0-9a-fA-F]*$/.test(v.slice(2))) {
    throw new ConversionError(`not a binary value in canonical form ('\\x' + hex): ${v.slice(0, 40)}`);
  }
  return Buffer.from(v.slice(2), 'hex');
}

function bitsToBuffer(v: string): Buffer {
  if (v === 't' || v === 'f') return Buffer.from([v === 't' ? 1 : 0]);
  if (!/^[01]+$/.test(v)) throw new ConversionError(`not a bit string: ${v.slice(0, 70)}`);
  const bytes = Buffer.alloc(Math.ceil(v.length / 8));
  for (let i = 0; i < v.length; i++) {
    if (v.charCodeAt(v.length - 1 - i) === 49) bytes[bytes.length - 1 - (i >> 3)] |= 1 << (i & 7);
  }
  return bytes;
}

function integer(v: string): string {
  if (v === 't') return '1';
  if (v === 'f') return '0';
  if (!/^[-+]?\d+$/.test(v)) throw new ConversionError(`not an integer: ${v.slice(0, 70)}`);
  return v;
}

const DECIMAL_TEXT = /^[-+]?\d*(?:\.\d*)?(?:[eE][-+]?\d+)?$/;

/** A digit 1-9 in `v` from `from` on (the fraction digits past the target's scale). */
function nonZeroFrom(v: string, from: number): boolean {
  for (let i = from; i < v.length; i++) { const c = v.charCodeAt(i); if (c > 48 && c <= 57) return true; }
  return false;
}

function decimal(scale: number | null): Converter {
  // Tests, no captures: this runs for every DECIMAL value written (issue 14).
  return (v) => {
    if (!DECIMAL_TEXT.test(v) || v === '' || v === '.') throw new ConversionError(`not a decimal number: ${v.slice(0, 70)}`);
    // MySQL rounds extra fraction digits with only a note: refuse instead of changing the value.
    const dot = scale === null ? -1 : v.indexOf('.');
    if (dot >= 0 && v.indexOf('e') < 0 && v.indexOf('E') < 0 && nonZeroFrom(v, dot + 1 + scale!)) {
      throw new ConversionError(`value ${v.slice(0, 70)} has more than ${scale} fractional digits; the target would round it`);
    }
    return v;
  };
}

function float(v: string): string {
  if (v === 'NaN' || v === 'Infinity' || v === '-Infinity') throw new ConversionError(`MySQL cannot store the floating-point value ${v}`);
  return v;
}

const TSTZ = /^(-?\d{4,})-(\d\d)-(\d\d)[ T](\d\d):(\d\d):(\d\d)(\.\d{1,6})?([+-])(\d\d)(?::?(\d\d))?(?::?(\d\d))?$/;

/** '2024-01-02 03:04:05.123+05:30' -> the UTC wall time '2024-01-01 21:34:05.123'; text without an offset is left as is. */
export function toUtcWallTime(v: string): string {
  const m = TSTZ.exec(v);
  if (!m) return v;
  const offset = (m[8] === '-' ? -1 : 1) * (Number(m[9]) * 3600 + Number(m[10] ?? 0) * 60 + Number(m[11] ?? 0));
  const d = new Date(0);
  d.setUTCFullYear(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  d.setUTCHours(Number(m[4]), Number(m[5]), Number(m[6]) - offset, 0);
  const y = d.getUTCFullYear();
  if (y < 0) throw new ConversionError(`MySQL cannot store the timestamp ${v}`);
  const p2 = (n: number) => String(n).padStart(2, '0');
  return `${String(y).padStart(4, '0')}-${p2(d.getUTCMonth() + 1)}-${p2(d.getUTCDate())} ${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())}${m[7] ?? ''}`;
}

export function converterFor(target: TargetColumnType, source: LogicalType | undefined): Converter {
  const dt = target.dataType.toLowerCase();
  if (BINARY_TYPES.has(dt)) {
    if (!source || source.kind === 'binary') return hexToBuffer;
    return text;
  }
  if (dt === 'bit') return bitsToBuffer;
  if (INTEGER_TYPES.has(dt)) return integer;
  if (dt === 'decimal' || dt === 'numeric') return decimal(target.numericScale);
  if (FLOAT_TYPES.has(dt)) return float;
  if (dt === 'datetime' || dt === 'timestamp') {
    // Only an instant (timestamptz) carries an offset; a wall time passes as it is.
    return source && source.kind !== 'timestamptz' ? text : toUtcWallTime;
  }
  if (TEXT_TYPES.has(dt)) return text;
  return text;
}
