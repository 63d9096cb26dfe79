/**
 * The transformation engine of 2024 DI jobs (src/engine/transform/), pure: the row-condition
 * language, value comparison by type, target naming, and the per-table transform of row changes
 * (AddColumn, DefinePrimaryKey, HandleDml, DefineIncrementalCondition) and created-table shapes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConditionSyntaxError, conditionColumns, parseCondition } from '../src/engine/transform/condition-syntax.ts';
import { ConditionBindError, bindCondition, type BindColumn } from '../src/engine/transform/bind-condition.ts';
import { compareNumbers, temporalMicros } from '../src/engine/transform/compare-values.ts';
import { checkNameTemplate, targetNameOf, type NamingContext } from '../src/engine/transform/target-naming.ts';
import { compileTableTransform } from '../src/engine/transform/table-transform.ts';
import { NO_RULES, readsOldRow, type TableRules } from '../src/engine/transform/table-rules.ts';
import { overrideFor } from '../src/engine/transform/created-table-shape.ts';
import { UNCHANGED, type RelationInfo } from '../src/engine/change-event.ts';
import type { TableSchema } from '../src/engine/table-schema.ts';

const COLS: BindColumn[] = [
  { name: 'id', logical: { kind: 'integer', bytes: 8, unsigned: false } },
  { name: 'name', logical: { kind: 'text', length: 50, fixed: false } },
  { name: 'price', logical: { kind: 'decimal', precision: 10, scale: 2 } },
  { name: 'at', logical: { kind: 'timestamptz', fsp: 6 } },
  { name: 'active', logical: { kind: 'boolean' } },
];
const cond = (text: string) => bindCondition(parseCondition(text), COLS);
const row = (id: string | null, name: string | null, price: string | null, at: string | null, active: string | null) => [id, name, price, at, active];

test('conditions: comparisons by type, three-valued logic, IN / LIKE / BETWEEN / IS NULL', () => {
  const r = row('12', "O'Brien", '99.50', '2024-03-01 10:00:00.5+00', 't');
  assert.equal(cond('id > 5 AND price <= 99.5')(r), true);
  assert.equal(cond('id = 12.0')(r), true, 'numbers compare by value');
  assert.equal(cond("name = 'O''Brien'")(r), true, "'' escapes a quote");
  assert.equal(cond('id IN (1, 2, 12)')(r), true);
  assert.equal(cond('id NOT IN (1, 2)')(r), true);
  assert.equal(cond("name LIKE 'O%n'")(r), true);
  assert.equal(cond("name LIKE 'o%'")(r), false, 'LIKE is case-sensitive');
  assert.equal(cond('price BETWEEN 10 AND 100')(r), true);
  assert.equal(cond("at >= '2024-03-01 10:00:00.5'")(r), true, 'a time without offset is UTC');
  assert.equal(cond("at < '2024-03-01T18:00:00+08:00'")(r), false, 'offsets convert to the same instant');
  assert.equal(cond("at = '2024-03-01T18:00:00.5+08:00'")(r), true);
  assert.equal(cond('active')(r), true);
  assert.equal(cond('NOT active OR id <> 12')(r), false);
  assert.equal(cond('(id = 1 OR id = 12) AND active = TRUE')(r), true);
  // NULL: comparisons are unknown, so the row does not match; IS NULL tests it.
  const n = row('3', null, null, null, null);
  assert.equal(cond("name = 'x'")(n), null);
  assert.equal(cond("NOT name = 'x'")(n), null);
  assert.equal(cond('name IS NULL AND price IS NULL')(n), true);
  assert.equal(cond("name = 'x' OR id = 3")(n), true);
  // A value the source did not send (unchanged TOAST) cannot decide.
  assert.equal(cond("name = 'x'")(['3', UNCHANGED, null, null, null]), 'unsent');
  assert.equal(cond("name = 'x' AND id = 4")(['3', UNCHANGED, null, null, null]), false, 'a known false decides');
  assert.deepEqual(conditionColumns(parseCondition('id > 1 AND `name` IS NULL OR "price" BETWEEN id AND 5')).sort(), ['id', 'name', 'price']);
});

test('conditions: syntax and type errors say what and where; nothing reaches a database as SQL', () => {
  assert.throws(() => parseCondition('id > '), (e: Error) => e instanceof ConditionSyntaxError && /a column name or a value/.test(e.message));
  assert.throws(() => parseCondition("id = 1; DROP TABLE t"), /unexpected ";"/);
  assert.throws(() => parseCondition("name = 'open"), /unterminated string/);
  assert.throws(() => parseCondition('id = 1 id = 2'), /expected AND, OR or the end/);
  assert.throws(() => parseCondition(''), /is empty/);
  assert.throws(() => cond('nope = 1'), (e: Error) => e instanceof ConditionBindError && /column nope/.test(e.message));
  assert.throws(() => cond('name > 5'), /compares column name \(text\) with 5 \(number\)/);
  assert.throws(() => cond("id = 'abc'"), /'abc' is not a valid number value/);
  assert.throws(() => cond('id'), /uses column id as a condition/);
});

test('value comparison: exact decimals, big integers and times', () => {
  assert.equal(compareNumbers('18446744073709551615', '18446744073709551614'), 1);
  assert.equal(compareNumbers('-0.10', '-0.1'), 0);
  assert.equal(compareNumbers('-2', '-10'), 1);
  assert.equal(compareNumbers('1e3', '999'), 1);
  assert.equal(compareNumbers('NaN', '1'), null);
  assert.equal(temporalMicros('1970-01-01 00:00:01+00'), 1_000_000n);
  assert.equal(temporalMicros('1969-12-31 23:59:59.999999'), -1n);
  assert.equal(temporalMicros('-838:59:59'), -(838n * 3600n + 59n * 60n + 59n) * 1_000_000n);
});

const naming: NamingContext = {
  sourceDataSource: 'src_ds', sourceDatabase: 'shop', sourceProtocol: 'mysql',
  targetDataSource: 'dst_ds', targetDatabase: 'warehouse', targetProtocol: 'postgresql',
};

test('target naming: Rename templates with the source variables; the 2020 defaults otherwise', () => {
  assert.deepEqual(targetNameOf({ schema: 'shop', table: 'orders' }, {}, naming), { schema: 'public', table: 'orders' });
  assert.deepEqual(targetNameOf({ schema: 'shop', table: 'orders' }, { tableName: '${srcDatasourceName}_${srcTableName}', schemaName: 'ods_${srcDatabaseName}' }, naming),
    { schema: 'ods_shop', table: 'src_ds_orders' });
  assert.deepEqual(targetNameOf({ schema: 'sales', table: 't' }, {}, { ...naming, sourceProtocol: 'postgresql' }), { schema: 'sales', table: 't' });
  assert.deepEqual(targetNameOf({ schema: 'sales', table: 't' }, {}, { ...naming, targetProtocol: 'mysql' }), { schema: 'warehouse', table: 't' });
  assert.equal(checkNameTemplate('${srcTableName}_v2'), null);
  assert.match(checkNameTemplate('${srcTable}')!, /unknown variable \$\{srcTable\}/);
  assert.match(checkNameTemplate('a.b')!, /dots/);
  assert.throws(() => targetNameOf({ schema: 's', table: 'x'.repeat(60) }, { tableName: '${srcTableName}_long' }, naming), /not a usable name/);
});

const relation: RelationInfo = {
  id: 7, schema: 'shop', table: 'orders',
  columns: [{ name: 'id', isKey: true }, { name: 'customer', isKey: false }, { name: 'amount', isKey: false }],
};
const schema: TableSchema = {
  dialect: 'mysql',
  columns: [
    { name: 'id', type: 'bigint(20)', logical: { kind: 'integer', bytes: 8, unsigned: false }, notNull: true, isKey: true },
    { name: 'customer', type: 'varchar(20)', logical: { kind: 'text', length: 20, fixed: false }, notNull: true, isKey: false },
    { name: 'amount', type: 'int(11)', logical: { kind: 'integer', bytes: 4, unsigned: false }, notNull: false, isKey: false },
  ],
};
const rules = (r: Partial<TableRules>): TableRules => ({ ...NO_RULES, ...r, dml: { ...NO_RULES.dml, ...r.dml } });
const ctx = { naming, typeOverrides: [], now: () => new Date('2024-05-06T07:08:09.123Z') };

test('which rules read the old row beyond its key (a MySQL source then decodes the whole before image)', () => {
  const f = (text: string) => ({ condition: parseCondition(text), text });
  assert.equal(readsOldRow(NO_RULES), false);
  assert.equal(readsOldRow(rules({ addColumns: [{ name: 'x', value: { constant: '1' } }], rowFilter: f('amount > 0') })), false);
  assert.equal(readsOldRow(rules({ dml: { Insert: { action: 'Ignore' }, Update: { action: 'Filter', ...f('amount > 0') }, Delete: { action: 'Ignore' } } })), false);
  assert.equal(readsOldRow(rules({ primaryKey: ['email'] })), true);
  assert.equal(readsOldRow(rules({ dml: { ...NO_RULES.dml, Delete: { action: 'Filter', ...f('amount >= 100') } } })), true);
  assert.equal(readsOldRow(rules({ dml: { ...NO_RULES.dml, Delete: { action: 'LogicalDelete' } } })), true);
});

test('table transform: AddColumn constants and variables, DefinePrimaryKey, created-table shape with type overrides', () => {
  const t = compileTableTransform(relation, schema, rules({
    tableName: 'o_${srcTableName}',
    addColumns: [
      { name: 'origin', value: { constant: 'erp' } }, { name: 'src_table', value: { variable: 'TABLE_NAME_SRC' } },
      { name: 'src_db', value: { variable: 'DB_NAME_SRC' } }, { name: 'dst', value: { variable: 'TABLE_NAME_DEST' } },
      { name: 'loaded_at', value: { variable: 'EXECUTE_TIME' } },
    ],
    primaryKey: ['id', 'src_table'],
  }), { ...ctx, typeOverrides: [{ source: 'int', destination: 'numeric(12,0)' }] });
  assert.deepEqual(t.target, { schema: 'public', table: 'o_orders' });
  assert.deepEqual(t.relation.columns.map((c) => `${c.name}${c.isKey ? '*' : ''}`), ['id*', 'customer', 'amount', 'origin', 'src_table*', 'src_db', 'dst', 'loaded_at']);
  assert.deepEqual(t.loadRow(['1', 'ann', '5']), ['1', 'ann', '5', 'erp', 'orders', 'shop', 'o_orders', '2024-05-06 07:08:09.123000+00']);
  const shape = t.describe(schema);
  assert.equal(shape.dialect, 'postgresql');
  assert.deepEqual(shape.columns.map((c) => `${c.name} ${c.type}${c.isKey ? ' key' : ''}`), [
    'id bigint key', 'customer character varying(20)', 'amount numeric(12,0)', 'origin character varying(255)',
    'src_table character varying(255) key', 'src_db character varying(255)', 'dst character varying(255)', 'loaded_at timestamp(6) with time zone',
  ]);
  // A MySQL source sends whole old rows: a delete carries the new key's columns.
  const del = t.change({ op: 'delete', relation, oldKey: ['1', 'ann', '5'] });
  assert.deepEqual(del, { op: 'delete', relation: t.relation, oldKey: ['1', 'ann', '5', 'erp', 'orders', 'shop', 'o_orders', '2024-05-06 07:08:09.123000+00'] });
  assert.throws(() => compileTableTransform(relation, schema, rules({ primaryKey: ['nope'] }), ctx), /DefinePrimaryKey names column nope/);
  assert.throws(() => compileTableTransform(relation, schema, rules({ addColumns: [{ name: 't', value: { variable: 'EXECUTE_TIME' } }], primaryKey: ['id', 't'] }), ctx), /differs on every change/);
  assert.throws(() => compileTableTransform(relation, schema, rules({ addColumns: [{ name: 'Amount', value: { constant: '1' } }] }), ctx), /already has/);
  assert.equal(overrideFor('varchar(20)', [{ source: 'VARCHAR', destination: 'text' }]), 'text');
  assert.equal(overrideFor('varchar(20)', [{ source: 'varchar', destination: 'text' }, { source: 'varchar(20)', destination: 'char(20)' }]), 'char(20)');
});

test('table transform: HandleDml Ignore / Filter / LogicalDelete and the row filter', () => {
  const f = (text: string) => ({ condition: parseCondition(text), text });
  const t = compileTableTransform(relation, schema, rules({
    dml: { Insert: { action: 'Normal' }, Update: { action: 'Filter', ...f('amount > 0') }, Delete: { action: 'LogicalDelete' } },
    rowFilter: f("customer <> 'test'"),
  }), ctx);
  assert.equal(t.relation.columns.at(-1)!.name, '_opendi_deleted');
  assert.deepEqual(t.loadRow(['1', 'ann', '5']), ['1', 'ann', '5', 'f']);
  assert.equal(t.loadRow(['2', 'test', '5']), null, 'the row filter applies to the full load');
  assert.equal(t.change({ op: 'insert', relation, values: ['2', 'test', '5'] }), null, 'and to the stream');
  assert.equal(t.change({ op: 'update', relation, values: ['1', 'ann', '0'], oldKey: ['1', 'ann', '5'] }), null, 'Update Filter: amount > 0 fails, not applied');
  assert.deepEqual(t.change({ op: 'update', relation, values: ['1', 'test', '9'], oldKey: ['1', 'ann', '5'] }),
    { op: 'delete', relation: t.relation, oldKey: ['1', 'ann', '5', null] }, 'leaving the filtered set deletes the row at the target');
  assert.deepEqual(t.change({ op: 'delete', relation, oldKey: ['1', 'ann', '5'] }),
    { op: 'update', relation: t.relation, values: ['1', 'ann', '5', 't'] }, 'a logical delete marks the row');
  assert.equal(t.change({ op: 'delete', relation, oldKey: ['2', 'test', '5'] }), null, 'a row never at the target is not marked');

  const ignoreDeletes = compileTableTransform(relation, schema, rules({ dml: { Insert: { action: 'Normal' }, Update: { action: 'Normal' }, Delete: { action: 'Ignore' } } }), ctx);
  assert.equal(ignoreDeletes.change({ op: 'delete', relation, oldKey: ['1', 'a', '1'] }), null);
  const filterDeletes = compileTableTransform(relation, schema, rules({ dml: { Insert: { action: 'Ignore' }, Update: { action: 'Normal' }, Delete: { action: 'Filter', ...f('amount >= 100') } } }), ctx);
  assert.equal(filterDeletes.change({ op: 'insert', relation, values: ['1', 'a', '1'] }), null, 'Insert Ignore');
  assert.equal(filterDeletes.change({ op: 'delete', relation, oldKey: ['1', 'a', '1'] }), null, 'a delete whose old row fails the filter is not applied');
  assert.equal(filterDeletes.change({ op: 'delete', relation, oldKey: ['1', 'a', '100'] })?.op, 'delete');
});

test('table transform: a PostgreSQL source must send whole old rows for a key other than its own', () => {
  const pgRelation: RelationInfo = { ...relation, columns: [{ name: 'id', isKey: true }, { name: 'customer', isKey: false }, { name: 'amount', isKey: false }] };
  const pgCtx = { ...ctx, naming: { ...naming, sourceProtocol: 'postgresql' as const } };
  const t = compileTableTransform(pgRelation, { ...schema, dialect: 'postgresql' }, rules({ primaryKey: ['customer'] }), pgCtx);
  assert.match(t.needsFullOldImage!, /customer .*DefinePrimaryKey.* not part of the source's primary key/);
  // Default identity: the old row carries only the primary key; a delete cannot find the row by the job's key.
  assert.throws(() => t.change({ op: 'delete', relation: pgRelation, oldKey: ['1', null, null] }), /REPLICA IDENTITY FULL/);
  // REPLICA IDENTITY FULL: pgoutput flags every column of the old row.
  const full: RelationInfo = { ...pgRelation, columns: pgRelation.columns.map((c) => ({ ...c, isKey: true })) };
  const tf = compileTableTransform(full, { ...schema, dialect: 'postgresql' }, rules({ primaryKey: ['customer'] }), pgCtx);
  assert.deepEqual(tf.change({ op: 'delete', relation: full, oldKey: ['1', 'ann', '5'] }), { op: 'delete', relation: tf.relation, oldKey: ['1', 'ann', '5'] });
  assert.equal(compileTableTransform(pgRelation, { ...schema, dialect: 'postgresql' }, NO_RULES, pgCtx).needsFullOldImage, null);
});
