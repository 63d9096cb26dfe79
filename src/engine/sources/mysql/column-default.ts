/**
 * information_schema.COLUMNS (COLUMN_DEFAULT, EXTRA, GENERATION_EXPRESSION) -> the column's
 * default as ColumnDefault (table-schema.ts), so a target column added for it gets the value the
 * source gave its existing rows.
 *
 * MariaDB (10.2.7+) shows COLUMN_DEFAULT as SQL: 'text' quoted (quotes doubled, backslashes
 * escaped), numbers bare, NULL for a NULL default, b'101' for bits, current_timestamp() and other
 * expressions as written. MySQL 8 shows the bare value and flags expressions with EXTRA
 * DEFAULT_GENERATED. A NOT NULL column without a default gets its type's implicit value when it is
 * added to a table that has rows (0, '', the first ENUM label; MySQL manual, "Data Type Default
 * Values"): that value is the `implicit` literal. Values whose meaning depends on the session
 * (TIMESTAMP), raw bytes, and zero dates no target can hold are expressions.
 */
import type { ColumnDefault, LogicalType } from '../../table-schema.ts';

export interface DefaultInfo {
  /** COLUMN_DEFAULT as the server shows it. */
  raw: string | null;
  extra: string;
  generation: string | null;
  notNull: boolean;
  logical: LogicalType;
}

const NUMBER = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/;

export function mysqlColumnDefault(c: DefaultInfo, mariaDb: boolean): ColumnDefault | null {
  const extra = c.extra.toLowerCase();
  if (/\bgenerated\b/.test(extra) && !/default_generated/.test(extra)) return { kind: 'generated', sql: c.generation ?? '' };
  if (/auto_increment/.test(extra)) return { kind: 'expression', sql: 'AUTO_INCREMENT' };
  if (c.raw === null) return c.notNull ? implicitDefault(c.logical) : null;
  if (mariaDb) {
    if (c.raw === 'NULL') return null;
    const quoted = /^'((?:[^'\\]|''|\\.)*)'$/s.exec(c.raw);
    if (quoted) return literal(c.logical, unescape(quoted[1]), c.raw);
    const bits = /^b'([01]*)'$/.exec(c.raw);
    if (bits) return literal(c.logical, bits[1], c.raw, true);
    return NUMBER.test(c.raw) ? literal(c.logical, c.raw, c.raw) : { kind: 'expression', sql: c.raw };
  }
  if (/default_generated/.test(extra)) return { kind: 'expression', sql: c.raw };
  const bits = /^b'([01]*)'$/.exec(c.raw);
  return bits ? literal(c.logical, bits[1], c.raw, true) : literal(c.logical, c.raw, c.raw);
}

/** MariaDB's rendering of a string literal back to its value. */
function unescape(s: string): string {
  const escapes: Record<string, string> = { '0': '\0', n: '\n', r: '\r', t: '\t', b: '\b', Z: '\x1a' };
  return s.replace(/''|\\(.)/gs, (m, ch: string | undefined) => (m === "''" ? "'" : escapes[ch!] ?? ch!));
}

/** `value` as canonical text of `logical` (change-event.ts), or an expression when no target could hold it unchanged. */
function literal(logical: LogicalType, value: string, sql: string, isBits = false): ColumnDefault {
  const expression: ColumnDefault = { kind: 'expression', sql };
  switch (logical.kind) {
    case 'bit': {
      const digits = isBits ? value : NUMBER.test(value) ? BigInt(value).toString(2) : null;
      return digits === null || digits.length > logical.length ? expression : { kind: 'literal', value: digits.padStart(logical.length, '0') };
    }
    case 'integer': case 'decimal': case 'float': case 'year':
      return NUMBER.test(value) ? { kind: 'literal', value } : expression;
    case 'date': case 'timestamp':
      return /^0000-00-00/.test(value) || /-00(?:\s|$)|-00-/.test(value) ? expression : { kind: 'literal', value };
    case 'text': case 'enum': case 'set': case 'json': case 'time': case 'uuid': case 'boolean':
      return { kind: 'literal', value };
    // TIMESTAMP literals are read in the writing session's time zone; raw bytes do not survive
    // information_schema's text; anything else is not known well enough to copy.
    case 'timestamptz': case 'binary': case 'other':
      return expression;
  }
}

function implicitDefault(logical: LogicalType): ColumnDefault | null {
  const value = ((): string | null => {
    switch (logical.kind) {
      case 'integer': case 'decimal': case 'float': return '0';
      case 'text': case 'set': return '';
      case 'enum': return logical.values[0] ?? '';
      case 'bit': return '0'.repeat(logical.length);
      case 'time': return '00:00:00';
      case 'binary': return logical.fixed && logical.length !== null ? `\\x${'00'.repeat(logical.length)}` : '\\x';
      default: return null;
    }
  })();
  if (value !== null) return { kind: 'literal', value, implicit: true };
  // A zero date, year 0000 or an empty JSON: what the source's rows got is no value a target can hold.
  return { kind: 'expression', sql: `the implicit default of ${logical.kind}`, implicit: true };
}
