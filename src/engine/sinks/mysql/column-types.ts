/**
 * Source column -> MySQL/MariaDB column type (docs/type-mapping.md). A MySQL-dialect source's
 * native COLUMN_TYPE is copied verbatim; any other source is mapped from its LogicalType.
 */
import mysql from 'mysql2/promise';
import type { Dialect, SourceColumn } from '../../table-schema.ts';
import { toUtcWallTime } from './convert-value.ts';
import { quoteId, quoteLiteral } from './sql.ts';

/** InnoDB index keys hold at most 3072 bytes: 768 utf8mb4 characters. */
export const MAX_KEY_CHARS = 768;
export const MAX_KEY_BYTES = 3072;
/** utf8mb4 VARCHAR above this no longer fits InnoDB's 65,535-byte row. */
const MAX_VARCHAR_CHARS = 16383;

export function mysqlColumnTypeFor(column: SourceColumn, isKey: boolean): string {
  const t = column.logical;
  switch (t.kind) {
    case 'boolean': return 'TINYINT(1)';
    case 'integer': {
      const base = t.bytes <= 1 ? 'TINYINT' : t.bytes === 2 ? 'SMALLINT' : t.bytes === 3 ? 'MEDIUMINT' : t.bytes === 4 ? 'INT' : 'BIGINT';
      return t.unsigned ? `${base} UNSIGNED` : base;
    }
    case 'decimal': {
      if (t.precision === null) return 'DECIMAL(65,30)';
      const p = Math.min(Math.max(t.precision, 1), 65);
      const s = Math.min(Math.max(t.scale ?? 0, 0), 30, p);
      return `DECIMAL(${p},${s})`;
    }
    case 'float': return t.bytes === 4 ? 'FLOAT' : 'DOUBLE';
    case 'text': {
      if (t.length === null) return isKey ? `VARCHAR(${MAX_KEY_CHARS})` : 'LONGTEXT';
      if (isKey && t.length > MAX_KEY_CHARS) return `VARCHAR(${MAX_KEY_CHARS})`;
      if (t.fixed && t.length <= 255) return `CHAR(${t.length})`;
      if (t.length <= MAX_VARCHAR_CHARS) return `VARCHAR(${t.length})`;
      return t.length <= 4_194_303 ? 'MEDIUMTEXT' : 'LONGTEXT';
    }
    case 'binary': {
      if (t.length === null) return isKey ? `VARBINARY(${MAX_KEY_BYTES})` : 'LONGBLOB';
      if (isKey && t.length > MAX_KEY_BYTES) return `VARBINARY(${MAX_KEY_BYTES})`;
      if (t.fixed && t.length <= 255) return `BINARY(${t.length})`;
      if (t.length <= 65_532) return `VARBINARY(${t.length})`;
      return t.length <= 16_777_215 ? 'MEDIUMBLOB' : 'LONGBLOB';
    }
    case 'date': return 'DATE';
    case 'time': return t.fsp > 0 ? `TIME(${Math.min(t.fsp, 6)})` : 'TIME';
    case 'timestamp':
    case 'timestamptz': return t.fsp > 0 ? `DATETIME(${Math.min(t.fsp, 6)})` : 'DATETIME';
    case 'json': return 'JSON';
    case 'uuid': return 'CHAR(36)';
    case 'bit': return t.length >= 1 && t.length <= 64 ? `BIT(${t.length})` : isKey ? `VARCHAR(${MAX_KEY_CHARS})` : 'LONGTEXT';
    case 'enum': return `ENUM(${t.values.map(quoteLiteral).join(',')})`;
    case 'set': return `SET(${t.values.map(quoteLiteral).join(',')})`;
    case 'year': return 'YEAR';
    case 'other': return isKey ? `VARCHAR(${MAX_KEY_CHARS})` : 'LONGTEXT';
  }
}

/** `name type [NOT] NULL [DEFAULT ..]` for CREATE TABLE / ADD COLUMN / MODIFY; `defaultValue`: canonical text. */
export function columnDefinition(column: SourceColumn, dialect: Dialect, defaultValue: string | null = null): string {
  const type = columnType(column, dialect);
  const literal = defaultValue === null ? null : defaultLiteral(column, type, defaultValue);
  return `${quoteId(column.name)} ${type}${column.notNull || column.isKey ? ' NOT NULL' : ' NULL'}${literal === null ? '' : ` DEFAULT ${literal}`}`;
}

export function columnType(column: SourceColumn, dialect: Dialect): string {
  return dialect === 'mysql' ? column.type : mysqlColumnTypeFor(column, column.isKey);
}

const NUMBER = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/;

/**
 * A canonical value (change-event.ts) as a DEFAULT clause of `type`; null when MySQL cannot hold
 * it. TEXT, BLOB and JSON columns take defaults only as expressions (MySQL 8.0.13+; MariaDB takes
 * both): `(literal)`.
 */
export function defaultLiteral(column: SourceColumn, type: string, value: string): string | null {
  const l = column.logical;
  let literal: string;
  switch (l.kind) {
    case 'boolean': literal = value === 't' || value === 'true' ? '1' : '0'; break;
    case 'integer': case 'decimal': case 'float': case 'year':
      if (!NUMBER.test(value)) return null;
      literal = value;
      break;
    case 'bit': literal = /^[01]+$/.test(value) ? `b'${value}'` : 'NULL'; break;
    case 'binary': literal = /^\\x([0-9a-fA-F]{2})*$/.test(value) ? `X'${value.slice(2)}'` : 'NULL'; break;
    case 'timestamptz': literal = mysql.escape(toUtcWallTime(value)); break;
    default: literal = mysql.escape(value);
  }
  if (literal === 'NULL') return null;
  return /text|blob|json|geometry/i.test(type) ? `(${literal})` : literal;
}
