/**
 * DI job definitions (src/domain/di-job/), pure: CreateDIJob/UpdateDIJob parameters and FileSpec
 * to a job document, every bad input named by its path, TableMappings selection semantics,
 * rule merging and JobSettings for the engine.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCreateJob, parseUpdateJob } from '../src/domain/di-job/parse-job.ts';
import { JobInputError, type JobDocument } from '../src/domain/di-job/job-document.ts';
import { compileJobPlan } from '../src/domain/di-job/job-plan.ts';
import { engineSettings } from '../src/domain/di-job/job-settings.ts';
import { jobStatusOf } from '../src/domain/di-job/job-status.ts';

const base = {
  ProjectId: 10000, Name: 'orders_sync', MigrationType: 'FullAndRealtimeIncremental',
  SourceDataSourceType: 'mysql', DestinationDataSourceType: 'PostgreSQL',
  SourceDataSourceSettings: [{ DataSourceName: 'src' }], DestinationDataSourceSettings: [{ DataSourceName: 'dst' }],
  TableMappings: [{ SourceObjectSelectionRules: [{ ObjectType: 'Table', Action: 'Include', ExpressionType: 'Regex', Expression: 'orders_.*' }] }],
};

function rejects(params: Record<string, unknown>, path: string, reason: RegExp) {
  assert.throws(() => parseCreateJob(params, 'me'), (e: unknown) => {
    assert.ok(e instanceof JobInputError, String(e));
    assert.equal(e.path, path);
    assert.match(e.reason, reason);
    return true;
  });
}

test('create: canonical enum spelling, defaults, owner', () => {
  const doc = parseCreateJob(base, 'me');
  assert.equal(doc.SourceDataSourceType, 'MySQL');
  assert.equal(doc.JobType, 'DatabaseRealtimeMigration');
  assert.equal(doc.Owner, 'me');
  assert.deepEqual(doc.TableMappings[0].TransformationRules, []);
});

test('create: every bad input is named by its path', () => {
  rejects({ ...base, MigrationType: 'Full' }, 'MigrationType', /batch MigrationType.*not supported/);
  rejects({ ...base, JobType: 'DatabaseOfflineMigration' }, 'JobType', /batch JobType/);
  rejects({ ...base, SourceDataSourceType: 'Kafka' }, 'SourceDataSourceType', /Kafka is not supported as a source.*MySQL, MariaDB, PolarDB, PostgreSQL/);
  rejects({ ...base, DestinationDataSourceType: 'MaxCompute' }, 'DestinationDataSourceType', /not supported as a destination/);
  rejects({ ...base, Name: undefined }, 'Name', /is required/);
  rejects({ ...base, JobName: 'other' }, 'JobName', /alias of Name and differs/);
  rejects({ ...base, Name: 'bad name!' }, 'Name', /letters, digits/);
  rejects({ ...base, SourceDataSourceSettings: [{ DataSourceName: 'a' }, { DataSourceName: 'b' }] }, 'SourceDataSourceSettings', /one source data source/);
  rejects({ ...base, SourceDataSourceSettings: [{ DataSourceName: 'a', DataSourceProperties: { ConnectionProperties: '{}' } }] },
    'SourceDataSourceSettings[0].DataSourceProperties.ConnectionProperties', /instance mode/);
  rejects({ ...base, TableMappings: [{ SourceObjectSelectionRules: [{ ObjectType: 'Table', Action: 'Include', ExpressionType: 'Wildcard', Expression: 'x' }] }] },
    'TableMappings[0].SourceObjectSelectionRules[0].ExpressionType', /one of Exact, Regex/);
  rejects({ ...base, TableMappings: [{ SourceObjectSelectionRules: [{ ObjectType: 'Table', Action: 'Include', ExpressionType: 'Exact', Expression: 'x' },
    { ObjectType: 'Table', Action: 'Exclude', ExpressionType: 'Regex', Expression: 'orders_(' }] }] },
  'TableMappings[0].SourceObjectSelectionRules[1].Expression', /not a valid regular expression/);
  rejects({ ...base, TableMappings: [{ SourceObjectSelectionRules: [] }] }, 'TableMappings[0].SourceObjectSelectionRules', /must not be empty/);
  rejects({ ...base, TableMappings: [{ ...base.TableMappings[0], TransformationRules: [{ RuleName: 'r', RuleActionType: 'Rename', RuleTargetType: 'Table' }] }] },
    'TableMappings[0].TransformationRules[0]', /rule "r" \(Rename, Table\), which TransformationRules does not define/);
  const rule = (RuleActionType: string, RuleExpression: string, RuleTargetType = 'Table') => ({ ...base, TransformationRules: [{ RuleName: 'r', RuleActionType, RuleTargetType, RuleExpression }] });
  rejects(rule('Rename', '{"expression": "x"'), 'TransformationRules[0].RuleExpression', /not valid JSON/);
  rejects(rule('Rename', '{"expression": "${tableName}"}'), 'TransformationRules[0].RuleExpression.expression', /unknown variable/);
  rejects(rule('Rename', '{"expression": "x"}', 'Database'), 'TransformationRules[0].RuleTargetType', /PostgreSQL destination/);
  rejects(rule('AddColumn', '{"columns":[{"columnName":"c","columnValueType":"Variable","columnValue":"NOW"}]}'), 'TransformationRules[0].RuleExpression.columns[0].columnValue', /one of EXECUTE_TIME/);
  rejects(rule('AddColumn', '{"columns":[{"columnName":"1c","columnValueType":"Constant","columnValue":"x"}]}'), 'TransformationRules[0].RuleExpression.columns[0].columnName', /not a usable column name/);
  rejects(rule('HandleDml', '{"dmlPolicies":[{"dmlType":"Insert","dmlAction":"LogicalDelete"}]}'), 'TransformationRules[0].RuleExpression.dmlPolicies[0].dmlAction', /Delete only/);
  rejects(rule('HandleDml', '{"dmlPolicies":[{"dmlType":"Delete","dmlAction":"Filter","filterCondition":"id >"}]}'),
    'TransformationRules[0].RuleExpression.dmlPolicies[0].filterCondition', /not a valid condition/);
  rejects(rule('HandleDml', '{"dmlPolicies":[{"dmlType":"Delete","dmlAction":"Ignore"},{"dmlType":"Delete","dmlAction":"Normal"}]}'),
    'TransformationRules[0].RuleExpression.dmlPolicies[1].dmlType', /repeats Delete/);
  rejects(rule('DefineIncrementalCondition', '{"where":"id > 0 AND"}'), 'TransformationRules[0].RuleExpression.where', /not a valid condition/);
  rejects(rule('DefinePartitionKey', '{"columns":["id"]}'), 'TransformationRules[0].RuleActionType', /DefinePartitionKey is not supported/);
  rejects(rule('DefinePrimaryKey', '{"columns":["id"]}', 'Schema'), 'TransformationRules[0].RuleTargetType', /must be Table/);
  rejects({ ...base, TransformationRules: [{ RuleName: 'r', RuleActionType: 'Rename', RuleTargetType: 'Table', RuleExpression: '{"expression":"a"}' },
    { RuleName: 'r', RuleActionType: 'Rename', RuleTargetType: 'Table', RuleExpression: '{"expression":"b"}' }] }, 'TransformationRules[1].RuleName', /repeats/);
  rejects({ ...base, JobSettings: { DdlHandlingSettings: [{ Type: 'Insert', Action: 'Normal' }] } }, 'JobSettings.DdlHandlingSettings[0].Type', /one of AddColumn/);
  rejects({ ...base, JobSettings: { ChannelSettings: '{nope' } }, 'JobSettings.ChannelSettings', /not valid JSON/);
  rejects({ ...base, JobSettings: { ColumnDataTypeSettings: [{ SourceDataType: 'int', DestinationDataType: 'text); DROP TABLE x; --' }] } },
    'JobSettings.ColumnDataTypeSettings[0].DestinationDataType', /not a column type/);
  rejects({ ...base, JobSettings: { RuntimeSettings: [{ Name: 'runtime.realtime.failover.times.dataxcdc', Value: 'ten' }] } },
    'JobSettings.RuntimeSettings[0].Value', /whole number/);
  rejects({ ...base, FileSpec: '{"tableMappings": 5}', TableMappings: undefined }, 'FileSpec.TableMappings', /must be a list/);
  rejects({ ...base, FileSpec: '{"bogus": 1}' }, 'FileSpec.bogus', /not a known field/);
});

test('create: FileSpec supplies absent fields, camelCase with inline rule expressions; the alias TransformationRuleNames', () => {
  const fileSpec = JSON.stringify({
    name: 'from_spec', migrationType: 'RealtimeIncremental', sourceDataSourceType: 'PostgreSQL', destinationDataSourceType: 'MySQL',
    sourceDataSourceSettings: [{ dataSourceName: 'pg', dataSourceProperties: { timeZone: 'Asia/Shanghai' } }],
    destinationDataSourceSettings: [{ dataSourceName: 'my', dataSourceProperties: {} }],
    tableMappings: [{ sourceObjectSelectionRules: [{ objectType: 'Schema', action: 'Include', expressionType: 'Exact', expression: 'public' }],
      transformationRuleNames: ['rn'] }],
    transformationRules: [{ ruleName: 'rn', ruleActionType: 'Rename', ruleTargetType: 'Table', ruleExpression: { expression: '${srcTableName}_copy' } }],
    jobSettings: { channelSettings: { destinationChannelSettings: { writeMode: 'replay' } }, runtimeSettings: [] },
  });
  const doc = parseCreateJob({ ProjectId: 1, FileSpec: fileSpec }, 'me');
  assert.equal(doc.Name, 'from_spec');
  assert.equal(doc.DestinationDataSourceType, 'MySQL');
  assert.deepEqual(doc.SourceDataSourceSettings, [{ DataSourceName: 'pg', DataSourceProperties: { Timezone: 'Asia/Shanghai' } }]);
  assert.equal(doc.TransformationRules[0].RuleExpression, '{"expression":"${srcTableName}_copy"}');
  assert.deepEqual(doc.TableMappings[0].TransformationRules, [{ RuleName: 'rn', RuleActionType: 'Rename', RuleTargetType: 'Table' }]);
  assert.equal(doc.JobSettings.ChannelSettings, '{"destinationChannelSettings":{"writeMode":"replay"}}');
  // A structured parameter wins over FileSpec.
  assert.equal(parseCreateJob({ ProjectId: 1, FileSpec: fileSpec, Name: 'explicit' }, 'me').Name, 'explicit');
});

test('update: given fields replace the stored ones; source, destination and types cannot change', () => {
  const stored = parseCreateJob({ ...base, Description: 'old', JobSettings: { RuntimeSettings: [{ Name: 'x', Value: '1' }] } }, 'me');
  const doc = parseUpdateJob({ Description: 'new' }, stored);
  assert.equal(doc.Description, 'new');
  assert.deepEqual(doc.JobSettings, stored.JobSettings);
  assert.deepEqual(doc.TableMappings, stored.TableMappings);
  assert.throws(() => parseUpdateJob({ FileSpec: '{"migrationType":"RealtimeIncremental"}' }, stored), /FileSpec.MigrationType cannot be changed/);
  assert.throws(() => parseUpdateJob({ TableMappings: [{ SourceObjectSelectionRules: [{ ObjectType: 'Table', Action: 'Include', ExpressionType: 'Exact', Expression: 't' }],
    TransformationRules: [{ RuleName: 'gone', RuleActionType: 'Rename', RuleTargetType: 'Table' }] }] }, stored), /TransformationRules does not define/);
});

function plan(doc: JobDocument, db = 'shop') {
  return compileJobPlan(doc, db);
}

test('selection: Include rules of a level OR, levels AND, Exclude wins, first mapping wins; the default database', () => {
  const doc = parseCreateJob({
    ...base,
    TableMappings: [
      { SourceObjectSelectionRules: [
        { ObjectType: 'Database', Action: 'Include', ExpressionType: 'Exact', Expression: 'shop' },
        { ObjectType: 'Database', Action: 'Include', ExpressionType: 'Regex', Expression: 'shop_[0-9]+' },
        { ObjectType: 'Table', Action: 'Include', ExpressionType: 'Regex', Expression: 'orders_.*' },
        { ObjectType: 'Table', Action: 'Exclude', ExpressionType: 'Exact', Expression: 'orders_tmp' }],
      TransformationRules: [{ RuleName: 'r', RuleActionType: 'Rename', RuleTargetType: 'Table' }] },
      { SourceObjectSelectionRules: [{ ObjectType: 'Table', Action: 'Include', ExpressionType: 'Exact', Expression: 'customers' }] },
    ],
    TransformationRules: [{ RuleName: 'r', RuleActionType: 'Rename', RuleTargetType: 'Table', RuleExpression: '{"expression":"o_${srcTableName}"}' }],
  }, 'me');
  const p = plan(doc);
  const sel = (schema: string, table: string) => p.select({ schema, table });
  assert.equal(sel('shop', 'orders_2024')?.tableName, 'o_${srcTableName}');
  assert.ok(sel('shop_7', 'orders_1'));
  assert.equal(sel('shop', 'orders_tmp'), undefined, 'Exclude wins');
  assert.equal(sel('shop', 'orders'), undefined, 'a Regex matches the whole name');
  assert.equal(sel('shopx', 'orders_1'), undefined);
  assert.equal(sel('shop', 'customers')?.tableName, undefined, 'the second mapping, no rules');
  assert.equal(sel('other', 'customers'), undefined, 'no Database rule: the data source database only');
  assert.equal(sel('shop', 'Customers'), undefined, 'Exact is case-sensitive');
  // PostgreSQL: Schema rules select schemas; no Schema rule selects all of them.
  const pgDoc = parseCreateJob({ ...base, SourceDataSourceType: 'PostgreSQL', TableMappings: [{ SourceObjectSelectionRules: [
    { ObjectType: 'Schema', Action: 'Exclude', ExpressionType: 'Exact', Expression: 'audit' },
    { ObjectType: 'Table', Action: 'Include', ExpressionType: 'Regex', Expression: '.*' }] }] }, 'me');
  const pp = plan(pgDoc, 'appdb');
  assert.ok(pp.select({ schema: 'public', table: 't' }));
  assert.ok(pp.select({ schema: 'sales', table: 't' }));
  assert.equal(pp.select({ schema: 'audit', table: 't' }), undefined);
});

test('rules merge per mapping; conflicting rules are a 400', () => {
  const r = (RuleName: string, RuleActionType: string, RuleExpression: string, RuleTargetType = 'Table') => ({ RuleName, RuleActionType, RuleTargetType, RuleExpression });
  const ref = ({ RuleName, RuleActionType, RuleTargetType }: { RuleName: string; RuleActionType: string; RuleTargetType: string }) => ({ RuleName, RuleActionType, RuleTargetType });
  const rules = [
    r('a1', 'AddColumn', '{"columns":[{"columnName":"c1","columnValueType":"Constant","columnValue":"1"}]}'),
    r('a2', 'AddColumn', '{"columns":[{"columnName":"c2","columnValueType":"Variable","columnValue":"TABLE_NAME_SRC"}]}'),
    r('d1', 'HandleDml', '{"dmlPolicies":[{"dmlType":"Delete","dmlAction":"Ignore"}]}'),
    r('d2', 'HandleDml', '{"dmlPolicies":[{"dmlType":"Update","dmlAction":"Filter","filterCondition":"id > 0"}]}'),
    r('d3', 'HandleDml', '{"dmlPolicies":[{"dmlType":"Delete","dmlAction":"LogicalDelete"}]}'),
  ];
  const mapping = (refs: typeof rules) => [{ SourceObjectSelectionRules: base.TableMappings[0].SourceObjectSelectionRules, TransformationRules: refs.map(ref) }];
  const doc = parseCreateJob({ ...base, TransformationRules: rules, TableMappings: mapping(rules.slice(0, 4)) }, 'me');
  const got = plan(doc).select({ schema: 'shop', table: 'orders_1' })!;
  assert.deepEqual(got.addColumns.map((c) => c.name), ['c1', 'c2']);
  assert.equal(got.dml.Delete.action, 'Ignore');
  assert.equal(got.dml.Update.action, 'Filter');
  assert.equal(got.dml.Insert.action, 'Normal');
  rejects({ ...base, TransformationRules: rules, TableMappings: mapping([rules[2], rules[4]]) }, 'TableMappings[0].TransformationRules[1]', /second HandleDml Delete rule/);
});

test('JobSettings for the engine: ddlMarkMap by the 2024 names, failover limit, auto-create schema, type overrides; status mapping', () => {
  const doc = parseCreateJob({ ...base, JobSettings: {
    DdlHandlingSettings: [{ Type: 'AddColumn', Action: 'Critical' }, { Type: 'DropTable', Action: 'Ignore' }, { Type: 'CreateTable', Action: 'Normal' }],
    RuntimeSettings: [{ Name: 'runtime.realtime.failover.times.dataxcdc', Value: '3' }, { Name: 'runtime.enable.auto.create.schema', Value: 'false' },
      { Name: 'runtime.realtime.concurrent', Value: '4' }, { Name: 'custom.setting', Value: 'kept' }],
    ColumnDataTypeSettings: [{ SourceDataType: 'bigint', DestinationDataType: 'text' }],
  } }, 'me');
  const e = engineSettings(doc.JobSettings, { count: 10, interval: 30 });
  assert.deepEqual(e.ddlMarkMap, { ADDCOLUMN: 'CRITICAL', DROPTABLE: 'IGNORE', CREATETABLE: 'NORMAL' });
  assert.deepEqual(e.failoverLimit, { count: 3, interval: 30 });
  assert.equal(e.autoCreateSchema, false);
  assert.deepEqual(e.typeOverrides, [{ source: 'bigint', destination: 'text' }]);
  assert.equal(doc.JobSettings.RuntimeSettings!.length, 4, 'unknown names are stored');
  assert.deepEqual(['NORUN', 'WAIT', 'RUN', 'KILLING', 'PAUSE', 'FAILED'].map((s) => jobStatusOf(s as never)),
    ['Initialized', 'Running', 'Running', 'Stopping', 'Stopped', 'Failed']);
});
