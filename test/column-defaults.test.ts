/**
 * Pure logic, no database: source defaults as information_schema shows them (MariaDB and MySQL 8)
 * -> ColumnDefault; what a target does with each (column-default-plan.ts); MySQL DEFAULT literals;
 * which target errors are permanent and the GRANT they name.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mysqlColumnDefault } from '../src/engine/sources/mysql/column-default.ts';
import { planDefault } from '../src/engine/sinks/column-default-plan.ts';
import { defaultLiteral } from '../src/engine/sinks/mysql/column-types.ts';
import { pgPermanentError } from '../src/engine/sinks/postgres/target-errors.ts';
import { mysqlPermanentError } from '../src/engine/sinks/mysql/target-errors.ts';
import type { LogicalType, SourceColumn } from '../src/engine/table-schema.ts';

const TEXT: LogicalType = { kind: 'text', length: 10, fixed: false };
const INT: LogicalType = { kind: 'integer', bytes: 4, unsigned: false };
const d = (raw: string | null, logical: LogicalType, o: { extra?: string; notNull?: boolean; generation?: string; mariaDb?: boolean } = {}) =>
  mysqlColumnDefault({ raw, logical, extra: o.extra ?? '', notNull: o.notNull ?? false, generation: o.generation ?? null }, o.mariaDb ?? true);

test('MariaDB COLUMN_DEFAULT: quoted literals, numbers, bits, NULL, expressions, implicit values, generated columns', () => {
  assert.deepEqual(d(`'web'`, TEXT), { kind: 'literal', value: 'web' });
  assert.deepEqual(d(`'it''s \\\\ x'`, TEXT), { kind: 'literal', value: `it's \\ x` });
  assert.deepEqual(d(`''`, TEXT), { kind: 'literal', value: '' });
  assert.deepEqual(d('-5', INT), { kind: 'literal', value: '-5' });
  assert.deepEqual(d('1.50', { kind: 'decimal', precision: 5, scale: 2 }), { kind: 'literal', value: '1.50' });
  assert.deepEqual(d(`b'101'`, { kind: 'bit', length: 4 }), { kind: 'literal', value: '0101' });
  assert.equal(d('NULL', TEXT), null);
  assert.equal(d(null, TEXT), null, 'nullable without a default');
  assert.deepEqual(d('current_timestamp()', { kind: 'timestamp', fsp: 0 }), { kind: 'expression', sql: 'current_timestamp()' });
  assert.deepEqual(d('uuid()', { kind: 'text', length: 36, fixed: true }), { kind: 'expression', sql: 'uuid()' });
  assert.deepEqual(d(`'2024-01-02 03:04:05'`, { kind: 'timestamptz', fsp: 0 })?.kind, 'expression', 'TIMESTAMP literals depend on the session zone');
  assert.deepEqual(d(`'0000-00-00'`, { kind: 'date' })?.kind, 'expression');
  assert.deepEqual(d(null, INT, { notNull: true }), { kind: 'literal', value: '0', implicit: true });
  assert.deepEqual(d(null, TEXT, { notNull: true }), { kind: 'literal', value: '', implicit: true });
  assert.deepEqual(d(null, { kind: 'enum', values: ['q', 'r'] }, { notNull: true }), { kind: 'literal', value: 'q', implicit: true });
  assert.deepEqual(d(null, { kind: 'timestamp', fsp: 0 }, { notNull: true }), { kind: 'expression', sql: 'the implicit default of timestamp', implicit: true });
  assert.deepEqual(d('NULL', INT, { extra: 'VIRTUAL GENERATED', generation: '`c` * 2' }), { kind: 'generated', sql: '`c` * 2' });
  assert.deepEqual(d(null, INT, { extra: 'auto_increment', notNull: true }), { kind: 'expression', sql: 'AUTO_INCREMENT' });
});

test('MySQL 8 COLUMN_DEFAULT: bare values; DEFAULT_GENERATED marks expressions', () => {
  assert.deepEqual(d('web', TEXT, { mariaDb: false }), { kind: 'literal', value: 'web' });
  assert.deepEqual(d('CURRENT_TIMESTAMP', { kind: 'timestamp', fsp: 0 }, { mariaDb: false, extra: 'DEFAULT_GENERATED' }), { kind: 'expression', sql: 'CURRENT_TIMESTAMP' });
  assert.deepEqual(d('(uuid())', TEXT, { mariaDb: false, extra: 'DEFAULT_GENERATED' })?.kind, 'expression');
  assert.deepEqual(d('x', TEXT, { mariaDb: false, extra: 'STORED GENERATED', generation: 'upper(y)' }), { kind: 'generated', sql: 'upper(y)' });
});

test('planDefault: declared constants everywhere, implicit values only to fill added columns, the rest a warning when adding', () => {
  const col = (def: SourceColumn['default']): SourceColumn => ({ name: 'c', type: 'text', logical: TEXT, notNull: true, isKey: false, default: def });
  assert.deepEqual(planDefault('s.t', col({ kind: 'literal', value: 'web' }), true), { kind: 'declare', value: 'web' });
  assert.deepEqual(planDefault('s.t', col({ kind: 'literal', value: 'web' }), false), { kind: 'declare', value: 'web' });
  assert.deepEqual(planDefault('s.t', col({ kind: 'literal', value: '', implicit: true }), true), { kind: 'backfill', value: '' });
  assert.deepEqual(planDefault('s.t', col({ kind: 'literal', value: '', implicit: true }), false), { kind: 'none' });
  assert.deepEqual(planDefault('s.t', col({ kind: 'expression', sql: 'now()' }), false), { kind: 'none' });
  assert.deepEqual(planDefault('s.t', col(null), true), { kind: 'none' });
  const w = planDefault('s.t', col({ kind: 'generated', sql: 'a+b' }), true);
  assert.equal(w.kind, 'unreproducible');
  assert.match((w as { warning: string }).warning, /column c of s\.t is a generated column at the source \(a\+b\)/);
});

test('MySQL DEFAULT literals from canonical text', () => {
  const c = (logical: LogicalType): SourceColumn => ({ name: 'c', type: 'x', logical, notNull: false, isKey: false });
  assert.equal(defaultLiteral(c(TEXT), 'VARCHAR(10)', "it's"), `'it\\'s'`);
  assert.equal(defaultLiteral(c(TEXT), 'LONGTEXT', 'web'), `('web')`);
  assert.equal(defaultLiteral(c({ kind: 'boolean' }), 'TINYINT(1)', 't'), '1');
  assert.equal(defaultLiteral(c({ kind: 'bit', length: 3 }), 'BIT(3)', '101'), `b'101'`);
  assert.equal(defaultLiteral(c({ kind: 'binary', length: null, fixed: false }), 'LONGBLOB', '\\x00ff'), `(X'00ff')`);
  assert.equal(defaultLiteral(c({ kind: 'float', bytes: 8 }), 'DOUBLE', 'NaN'), null);
  assert.equal(defaultLiteral(c({ kind: 'timestamptz', fsp: 0 }), 'DATETIME', '2024-01-02 03:04:05+02'), `'2024-01-02 01:04:05'`);
});

test('target errors: privileges, logins, missing databases and bad names are permanent with what fixes them; the rest retries', () => {
  const e = { host: 'h', port: 5432, database: 'dst', user: 'w' };
  assert.match(pgPermanentError({ code: '42501', message: 'permission denied for schema opendi' }, e)!, /GRANT USAGE, CREATE ON SCHEMA "opendi" TO "w"/);
  assert.match(pgPermanentError({ code: '42501', message: 'permission denied for table orders' }, e)!, /GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON TABLE orders TO "w"/);
  assert.match(pgPermanentError({ code: '42501', message: 'must be owner of table orders' }, e)!, /ALTER TABLE orders OWNER TO "w"/);
  assert.match(pgPermanentError({ code: '28P01', message: 'password authentication failed for user "w"' }, e)!, /user and password/);
  for (const code of ['40P01', '40001', '55P03', '53300', '57P01', '08006', '42P01', '23505']) assert.equal(pgPermanentError({ code, message: 'x' }, e), null, code);
  assert.equal(pgPermanentError(new Error('connect ECONNREFUSED'), e), null);

  const m = { ...e, port: 3306 };
  assert.match(mysqlPermanentError({ errno: 1142, sqlMessage: "ALTER command denied to user 'w'@'10.0.0.1' for table `dst`.`orders`" }, m)!, /GRANT ALTER ON `dst`\.\* TO 'w'@'%'/);
  assert.match(mysqlPermanentError({ errno: 1044, sqlMessage: "Access denied for user 'w'@'%' to database 'dst'" }, m)!, /GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, ALTER, DROP ON `dst`\.\*/);
  assert.match(mysqlPermanentError({ errno: 1049, sqlMessage: "Unknown database 'dst'" }, m)!, /Create the database/);
  for (const errno of [1213, 1205, 1040, 1290, 2013, 1146, 1062]) assert.equal(mysqlPermanentError({ errno, message: 'x' }, m), null, String(errno));
});
