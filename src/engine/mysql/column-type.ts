/**
 * information_schema.COLUMNS.COLUMN_TYPE (e.g. "int(10) unsigned", "decimal(30,10)",
 * "enum('a','b')") -> the engine-neutral LogicalType (table-schema.ts).
 *
 * `charMaxLength` is CHARACTER_MAXIMUM_LENGTH (only needed for text types whose length the
 * declaration leaves implicit, e.g. TINYTEXT); `json` marks a MariaDB JSON column, which the
 * server reports as `longtext` with a JSON_VALID check constraint (see isMariaDbJsonCheck).
 */
import type { LogicalType } from '../table-schema.ts';

const INT_BYTES: Record<string, number> = { tinyint: 1, smallint: 2, mediumint: 3, int: 4, integer: 4, bigint: 8 };
const TEXT_LENGTH: Record<string, number | null> = { tinytext: 255, text: 65535, mediumtext: null, longtext: null };
const BLOB_LENGTH: Record<string, number | null> = { tinyblob: 255, blob: 65535, mediumblob: null, longblob: null };

export function mysqlLogicalType(columnType: string, opts: { json?: boolean } = {}): LogicalType {
  const m = /^\s*([a-z]+)\s*(?:\((.*)\))?\s*(.*)$/is.exec(columnType);
  if (!m) return { kind: 'other' };
  const base = m[1].toLowerCase();
  const args = m[2] ?? '';
  const rest = m[3].toLowerCase();
  const nums = args.split(',').map((s) => Number(s.trim()));
  const n0 = args === '' ? null : nums[0];
  if (opts.json || base === 'json') return { kind: 'json' };
  if (base in INT_BYTES) return { kind: 'integer', bytes: INT_BYTES[base], unsigned: /\bunsigned\b/.test(rest) };
  switch (base) {
    case 'decimal': case 'numeric': case 'dec': case 'fixed':
      return { kind: 'decimal', precision: n0 ?? 10, scale: args === '' ? 0 : (nums[1] ?? 0) };
    case 'float': return { kind: 'float', bytes: 4 };
    case 'double': case 'real': return { kind: 'float', bytes: 8 };
    case 'bool': case 'boolean': return { kind: 'integer', bytes: 1, unsigned: false };
    case 'char': return { kind: 'text', length: n0 ?? 1, fixed: true };
    case 'varchar': return { kind: 'text', length: n0, fixed: false };
    case 'tinytext': case 'text': case 'mediumtext': case 'longtext':
      return { kind: 'text', length: TEXT_LENGTH[base], fixed: false };
    case 'binary': return { kind: 'binary', length: n0 ?? 1, fixed: true };
    case 'varbinary': return { kind: 'binary', length: n0, fixed: false };
    case 'tinyblob': case 'blob': case 'mediumblob': case 'longblob':
      return { kind: 'binary', length: BLOB_LENGTH[base], fixed: false };
    case 'date': return { kind: 'date' };
    case 'time': return { kind: 'time', fsp: n0 ?? 0 };
    case 'datetime': return { kind: 'timestamp', fsp: n0 ?? 0 };
    case 'timestamp': return { kind: 'timestamptz', fsp: n0 ?? 0 };
    case 'year': return { kind: 'year' };
    case 'bit': return { kind: 'bit', length: n0 ?? 1 };
    case 'enum': return { kind: 'enum', values: parseEnumValues(args) };
    case 'set': return { kind: 'set', values: parseEnumValues(args) };
    case 'uuid': return { kind: 'uuid' };
    default: return { kind: 'other' };
  }
}

/** The labels of "'a','b''c'" (COLUMN_TYPE doubles quotes inside labels). */
export function parseEnumValues(args: string): string[] {
  const out: string[] = [];
  const re = /'((?:[^']|'')*)'/g;
  for (let m = re.exec(args); m; m = re.exec(args)) out.push(m[1].replace(/''/g, "'"));
  return out;
}

/**
 * MariaDB stores JSON as LONGTEXT with the check `json_valid(`col`)` (information_schema
 * CHECK_CONSTRAINTS, CONSTRAINT_NAME = the column name, LEVEL 'Column'); DATA_TYPE says 'longtext'.
 */
export function isMariaDbJsonCheck(checkClause: string, column: string): boolean {
  const c = checkClause.replace(/\s+/g, '').toLowerCase();
  const col = column.toLowerCase().replace(/`/g, '``');
  return c === `json_valid(\`${col}\`)` || c === `json_valid(${col})`;
}
