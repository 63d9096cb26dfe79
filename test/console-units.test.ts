/**
 * The console's pure logic, without a browser: the wizard's draft becoming the CreateDIJob request
 * (picked tables grouped per schema/database, rules as written, DDL settings only when chosen),
 * the step checks, reading a task's TaskContent (both shapes), the hash routes, and the formats.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createJobParams, emptyDraft, stepProblem, tableMappingsOf, type Draft } from '../console/src/wizard/draft.ts';
import { parseTaskDefinition } from '../console/src/task/task-definition.ts';
import { parseRoute } from '../console/src/router.ts';
import { formatPercent, formatRate, formatSeconds } from '../console/src/ui/format.ts';

const draft = (d: Partial<Draft>): Draft => ({ ...emptyDraft(), ...d });

test('picked tables become one TableMappings element per schema (PostgreSQL) or database (MySQL)', () => {
  const pg = draft({ source: { name: 'src', type: 'postgresql' }, picked: ['public.orders', 'sales.customers', 'public.refunds'] });
  assert.deepEqual(tableMappingsOf(pg), [
    { SourceObjectSelectionRules: [
      { Action: 'Include', ObjectType: 'Schema', ExpressionType: 'Exact', Expression: 'public' },
      { Action: 'Include', ObjectType: 'Table', ExpressionType: 'Exact', Expression: 'orders' },
      { Action: 'Include', ObjectType: 'Table', ExpressionType: 'Exact', Expression: 'refunds' }] },
    { SourceObjectSelectionRules: [
      { Action: 'Include', ObjectType: 'Schema', ExpressionType: 'Exact', Expression: 'sales' },
      { Action: 'Include', ObjectType: 'Table', ExpressionType: 'Exact', Expression: 'customers' }] },
  ]);
  const my = draft({ source: { name: 'src', type: 'mysql' }, picked: ['shop.orders'] });
  assert.equal(tableMappingsOf(my)[0].SourceObjectSelectionRules[0].ObjectType, 'Database');
  const rules = draft({ mode: 'rules', rules: [{ Action: 'Include', ObjectType: 'Table', ExpressionType: 'Regex', Expression: 'o.*' }, { Action: 'Exclude', ObjectType: 'Table', ExpressionType: 'Exact', Expression: ' ' }] });
  assert.deepEqual(tableMappingsOf(rules), [{ SourceObjectSelectionRules: [{ Action: 'Include', ObjectType: 'Table', ExpressionType: 'Regex', Expression: 'o.*' }] }], 'blank rules are left out');
});

test('the CreateDIJob request: types by data source, migration by the full-load box, DDL only when chosen', () => {
  const d = draft({ name: ' orders_copy ', source: { name: 'a', type: 'postgresql' }, target: { name: 'b', type: 'mysql' }, picked: ['public.t'], fullLoad: false });
  const p = createJobParams(d, 10000);
  assert.equal(p.Name, 'orders_copy');
  assert.equal(p.MigrationType, 'RealtimeIncremental');
  assert.equal(p.SourceDataSourceType, 'PostgreSQL');
  assert.equal(p.DestinationDataSourceType, 'MySQL');
  assert.deepEqual(p.SourceDataSourceSettings, [{ DataSourceName: 'a' }]);
  assert.equal('JobSettings' in p, false);
  const withDdl = createJobParams({ ...d, ddl: { ...d.ddl, DropTable: 'Critical', AddColumn: 'Ignore' } }, 10000);
  assert.deepEqual(withDdl.JobSettings, { DdlHandlingSettings: [{ Type: 'DropTable', Action: 'Critical' }, { Type: 'AddColumn', Action: 'Ignore' }] });
});

test('each wizard step says what is missing', () => {
  assert.equal(stepProblem(0, draft({})), 'Give the job a name.');
  assert.equal(stepProblem(0, draft({ name: 'x', source: { name: 'a', type: 'mysql' }, target: { name: 'a', type: 'mysql' } })), 'The source and the target must be different data sources.');
  assert.equal(stepProblem(1, draft({ mode: 'pick', picked: [] })), 'Pick at least one table.');
  assert.equal(stepProblem(1, draft({ mode: 'rules', rules: [{ Action: 'Exclude', ObjectType: 'Table', ExpressionType: 'Exact', Expression: 'x' }] })), 'Add at least one Include rule.');
  assert.match(String(stepProblem(2, draft({ errorLimit: '-1' }))), /whole number/);
  assert.equal(stepProblem(2, draft({ errorLimit: '12' })), null);
});

test('the source, target and tables of a task, from either TaskContent shape', () => {
  const job = JSON.stringify({ type: 'job', version: '2.0', setting: { initialLoad: true }, steps: [
    { stepType: 'mysql', category: 'reader', parameter: { connection: [{ datasource: 'shop', selectedTables: [{ dbName: 'shop', schema: [{ tableInfos: [{ table: 'orders' }] }] }] }] } },
    { stepType: 'postgresql', category: 'writer', parameter: { datasource: 'wh' } }] });
  assert.deepEqual(parseTaskDefinition(job), { source: 'shop', sourceType: 'mysql', target: 'wh', targetType: 'postgresql', tables: ['shop.orders'], initialLoad: true });
  const script = JSON.stringify({ type: 'realtime', steps: [{ stepType: 'postgresql', category: 'reader', parameter: { connection: [{ datasource: 's', table: ['public.a', 'b'] }] } }, { category: 'writer', parameter: { datasource: 't' } }] });
  assert.deepEqual(parseTaskDefinition(script)?.tables, ['public.a', 'b']);
  assert.equal(parseTaskDefinition('not json'), undefined);
});

test('hash routes, and anything else is not found', () => {
  assert.deepEqual(parseRoute(''), { page: 'workspaces' });
  assert.deepEqual(parseRoute('#/workspaces/10000/tasks/100002'), { page: 'task', projectId: 10000, taskId: 100002 });
  assert.deepEqual(parseRoute('#/workspaces/10000/new-job'), { page: 'new-job', projectId: 10000 });
  assert.equal(parseRoute('#/workspaces/abc').page, 'not-found');
  assert.equal(parseRoute('#/workspaces/1234567890123456').page, 'not-found');
});

test('formats: durations, rates, percentages, and a dash for what is unknown', () => {
  assert.match(formatSeconds(0.25), /^0[.,]3 s$/);
  assert.equal(formatSeconds(125), '2 min 5 s');
  assert.equal(formatSeconds(7_300), '2 h 2 min');
  assert.equal(formatSeconds(null), '—');
  assert.match(formatRate(3.14), /^3[.,]1\/s$/);
  assert.equal(formatPercent(0.999), '99%');
  assert.equal(formatPercent(undefined), '—');
});
