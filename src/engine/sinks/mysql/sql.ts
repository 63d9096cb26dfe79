/** Small SQL helpers of the MySQL/MariaDB sink: identifier quoting and the errors caused by a row's data. */

export function quoteId(name: string): string {
  return '`' + name.replace(/`/g, '``') + '`';
}

export function qualified(db: string, table: string): string {
  return `${quoteId(db)}.${quoteId(table)}`;
}

/** A string literal for DDL (ENUM/SET labels): quotes doubled, backslashes escaped. */
export function quoteLiteral(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

/**
 * MySQL/MariaDB error numbers caused by a row's data (the row becomes a dirty record; every other
 * error rejects apply). One place, so the list is reviewed together.
 */
export const DATA_ERRNOS: ReadonlySet<number> = new Set([
  1022, // ER_DUP_KEY
  1048, // ER_BAD_NULL_ERROR: column cannot be null
  1062, // ER_DUP_ENTRY: duplicate key (a secondary unique index)
  1169, // ER_DUP_UNIQUE
  1216, 1217, // ER_NO_REFERENCED_ROW / ER_ROW_IS_REFERENCED (old FK codes)
  1263, // ER_WARN_NULL_TO_NOTNULL
  1264, // ER_WARN_DATA_OUT_OF_RANGE
  1265, // WARN_DATA_TRUNCATED (bad ENUM/SET label, truncated value)
  1292, // ER_TRUNCATED_WRONG_VALUE: incorrect date/time/number value
  1300, // ER_INVALID_CHARACTER_STRING
  1366, // ER_TRUNCATED_WRONG_VALUE_FOR_FIELD: incorrect value (encoding, double 'NaN')
  1367, // ER_ILLEGAL_VALUE_FOR_TYPE
  1406, // ER_DATA_TOO_LONG
  1411, // ER_WRONG_VALUE_FOR_TYPE
  1416, // ER_CANT_CREATE_GEOMETRY_OBJECT
  1441, // ER_DATETIME_FUNCTION_OVERFLOW
  1451, 1452, // ER_ROW_IS_REFERENCED_2 / ER_NO_REFERENCED_ROW_2 (foreign keys)
  1557, // ER_FOREIGN_DUPLICATE_KEY
  1586, // ER_DUP_ENTRY_WITH_KEY_NAME
  1690, // ER_DATA_OUT_OF_RANGE (BIGINT UNSIGNED arithmetic)
  1859, // ER_DUP_UNKNOWN_IN_INDEX
  1918, // MariaDB ER_BAD_DATA: illegal value when converting
  3140, // MySQL ER_INVALID_JSON_TEXT
  3819, // MySQL ER_CHECK_CONSTRAINT_VIOLATED
  3988, // MySQL ER_CANNOT_CONVERT_STRING
  4025, // MariaDB ER_CONSTRAINT_FAILED (CHECK, JSON_VALID of a JSON column)
  4038, // MariaDB ER_JSON_SYNTAX
]);

/** A value the sink itself refuses to write (it would be changed silently otherwise). */
export class ConversionError extends Error {
  override name = 'ConversionError';
}

export function isDataError(err: unknown): boolean {
  if (err instanceof ConversionError) return true;
  const errno = (err as { errno?: unknown }).errno;
  return typeof errno === 'number' && DATA_ERRNOS.has(errno);
}
