/**
 * Comparison of column values in their canonical text forms (src/engine/change-event.ts) by the
 * column's logical type: numbers by value (exact for decimal digits), temporal values by instant
 * or time of day (microseconds), booleans as false < true, everything else by code points.
 * Used by the row-condition language (condition-syntax.ts); never by the sinks.
 */
import type { LogicalType } from '../table-schema.ts';

export type ValueClass = 'number' | 'boolean' | 'temporal' | 'text';

export function valueClassOf(t: LogicalType): ValueClass {
  switch (t.kind) {
    case 'integer': case 'decimal': case 'float': case 'year': return 'number';
    case 'boolean': return 'boolean';
    case 'date': case 'time': case 'timestamp': case 'timestamptz': return 'temporal';
    default: return 'text';
  }
}

const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?$/;

/** -1, 0, 1; null when a value is not a number (NaN included). */
export function compareNumbers(a: string, b: string): number | null {
  const x = DECIMAL.exec(a.trim());
  const y = DECIMAL.exec(b.trim());
  if (x && y && (x[2] || x[3]) && (y[2] || y[3])) return compareDecimals(x, y);
  const p = Number(a);
  const q = Number(b);
  if (Number.isNaN(p) || Number.isNaN(q)) return null;
  return p < q ? -1 : p > q ? 1 : 0;
}

function compareDecimals(x: RegExpExecArray, y: RegExpExecArray): number {
  const norm = (m: RegExpExecArray) => {
    const int = (m[2] ?? '').replace(/^0+/, '');
    const frac = (m[3] ?? '').replace(/0+$/, '');
    return { neg: m[1] === '-' && (int !== '' || frac !== ''), int, frac };
  };
  const a = norm(x);
  const b = norm(y);
  if (a.neg !== b.neg) return a.neg ? -1 : 1;
  const sign = a.neg ? -1 : 1;
  if (a.int.length !== b.int.length) return (a.int.length < b.int.length ? -1 : 1) * sign;
  if (a.int !== b.int) return (a.int < b.int ? -1 : 1) * sign;
  const len = Math.max(a.frac.length, b.frac.length);
  const fa = a.frac.padEnd(len, '0');
  const fb = b.frac.padEnd(len, '0');
  return fa === fb ? 0 : (fa < fb ? -1 : 1) * sign;
}

const DATE_TIME = /^(-?\d{4,})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;
const TIME = /^(-?)(\d{1,3}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?$/;

/**
 * Microseconds since the epoch (dates, timestamps; an offset is applied, none means UTC) or of
 * the day (times, possibly negative or past 24 h as MySQL TIME allows); null when unparsable.
 */
export function temporalMicros(text: string): bigint | null {
  const s = text.trim();
  let m = DATE_TIME.exec(s);
  if (m) {
    const days = daysFromCivil(Number(m[1]), Number(m[2]), Number(m[3]));
    const micros = BigInt(days) * 86_400_000_000n
      + BigInt(Number(m[4] ?? 0) * 3600 + Number(m[5] ?? 0) * 60 + Number(m[6] ?? 0)) * 1_000_000n
      + fractionMicros(m[7]);
    return micros - offsetMicros(m[8]);
  }
  m = TIME.exec(s);
  if (m) {
    const v = BigInt(Number(m[2]) * 3600 + Number(m[3]) * 60 + Number(m[4] ?? 0)) * 1_000_000n + fractionMicros(m[5]);
    return m[1] === '-' ? -v : v;
  }
  return null;
}

function fractionMicros(f: string | undefined): bigint {
  return f ? BigInt(f.padEnd(6, '0').slice(0, 6)) : 0n;
}

function offsetMicros(o: string | undefined): bigint {
  if (!o || o.toUpperCase() === 'Z') return 0n;
  const m = /^([+-])(\d{2}):?(\d{2})?$/.exec(o)!;
  const minutes = Number(m[2]) * 60 + Number(m[3] ?? 0);
  return BigInt((m[1] === '-' ? -1 : 1) * minutes) * 60_000_000n;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** Canonical booleans are 't' / 'f'; conditions may also write TRUE/FALSE, 1/0. */
export function booleanOf(text: string): boolean | null {
  const s = text.trim().toLowerCase();
  if (s === 't' || s === 'true' || s === '1') return true;
  if (s === 'f' || s === 'false' || s === '0') return false;
  return null;
}

/** Compares two values of one class; null when either is not a value of that class. */
export function compareAs(cls: ValueClass, a: string, b: string): number | null {
  switch (cls) {
    case 'number': return compareNumbers(a, b);
    case 'boolean': {
      const x = booleanOf(a);
      const y = booleanOf(b);
      return x === null || y === null ? null : Number(x) - Number(y);
    }
    case 'temporal': {
      const x = temporalMicros(a);
      const y = temporalMicros(b);
      return x === null || y === null ? null : x < y ? -1 : x > y ? 1 : 0;
    }
    case 'text': return a < b ? -1 : a > b ? 1 : 0;
  }
}
