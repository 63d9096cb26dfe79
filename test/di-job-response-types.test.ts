/**
 * Every response field of the 2024-05-18 job and data-source operations has the JSON type the
 * SDK model declares (spec/dataworks-openapi.json, from dataworks-public-20240518; the SDK throws
 * "type of X is mismatch" otherwise). One table: each operation with a response built by the
 * views the actions use. The API tests (di-job-*.test.ts) run the same check on every live answer.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertResponseTypes } from './harness/di-job-calls.ts';
import { jobDetail, jobSummary } from '../src/actions/jobs/job-view.ts';
import { dataSourceDetail, dataSourceEntry } from '../src/actions/jobs/data-source-view.ts';
import { parseCreateJob } from '../src/domain/di-job/parse-job.ts';
import type { DataSourceRecord, TaskFileRecord } from '../src/store/catalog-store.ts';

const file: TaskFileRecord = {
  id: 100001, projectId: 10000, name: 'j', fileType: 900, taskType: 'DI_REALTIME', folderPath: 'Data Integration', content: '{}', version: 1,
  deployedContent: '{}', deployedVersion: 1, ownerPrincipalId: 'p', lastEditPrincipalId: 'p', createdAt: 1, modifiedAt: 2,
};
const doc = parseCreateJob({
  Name: 'j', MigrationType: 'FullAndRealtimeIncremental', SourceDataSourceType: 'MySQL', DestinationDataSourceType: 'Hologres',
  SourceDataSourceSettings: [{ DataSourceName: 's', DataSourceProperties: { Encoding: 'UTF-8', Timezone: 'GMT+8' } }],
  DestinationDataSourceSettings: [{ DataSourceName: 'd' }],
  ResourceSettings: { OfflineResourceSettings: { RequestedCu: 2, ResourceGroupIdentifier: 'g' }, RealtimeResourceSettings: { RequestedCu: 2.5, ResourceGroupIdentifier: 'g' },
    ScheduleResourceSettings: { RequestedCu: 1, ResourceGroupIdentifier: 'g' } },
  JobSettings: { ChannelSettings: '{"a":1}', ColumnDataTypeSettings: [{ SourceDataType: 'int', DestinationDataType: 'bigint' }],
    CycleScheduleSettings: { CycleMigrationType: 'Full', ScheduleParameters: 'bizdate=$bizdate' }, DdlHandlingSettings: [{ Type: 'AddColumn', Action: 'Normal' }],
    RuntimeSettings: [{ Name: 'runtime.realtime.concurrent', Value: '1' }] },
  TableMappings: [{ SourceObjectSelectionRules: [{ ObjectType: 'Table', Action: 'Include', ExpressionType: 'Exact', Expression: 't' }],
    TransformationRules: [{ RuleName: 'r', RuleActionType: 'Rename', RuleTargetType: 'Table' }] }],
  TransformationRules: [{ RuleName: 'r', RuleActionType: 'Rename', RuleTargetType: 'Table', RuleExpression: '{"expression":"x"}' }],
}, 'p');
const ds: DataSourceRecord = {
  id: 1000, projectId: 10000, name: 'src', dataSourceType: 'mysql', subType: 'mysql', envType: 1, description: '',
  content: { jdbcUrl: 'jdbc:mysql://h:3306/db?useSSL=true', username: 'u', password: 'secret', tag: 'public' },
  status: 'ENABLED', ownerPrincipalId: 'p', createdAt: 1, modifiedAt: 2,
};
const runInfo = {
  SourceDatasourceName: 's', SourceDatabaseName: 'db', SourceSchemaName: '', SourceTableName: 't', DestinationDatasourceName: 'd',
  DestinationDatabaseName: 'x', DestinationSchemaName: 'public', DestinationTableName: 't', StructureMigrationStatus: 'Finished',
  StructureMigrationErrorMessage: '', FullMigrationStatus: 'Finished', FullMigrationErrorMessage: '', RealtimeMigrationStatus: 'Running',
  RealtimeMigrationErrorMessage: '', OfflineTotalRecords: 1, OfflineTotalBytes: 2, OfflineErrorRecords: 0,
};

const CASES: [string, Record<string, unknown>][] = [
  ['CreateDIJob', { RequestId: 'r', Id: file.id, DIJobId: file.id }],
  ['UpdateDIJob', { RequestId: 'r', Success: true }],
  ['GetDIJob', { RequestId: 'r', PagingInfo: jobDetail(file, doc, 'Running', true, null) }],
  ['ListDIJobs', { RequestId: 'r', PagingInfo: { PageNumber: 1, PageSize: 10, TotalCount: 1, DIJobs: [jobSummary(file, doc, 'Stopped')] } }],
  ['DeleteDIJob', { RequestId: 'r', Success: true }],
  ['StartDIJob', { RequestId: 'r', Success: true }],
  ['StopDIJob', { RequestId: 'r', Success: true }],
  ['ListDIJobRunDetails', { RequestId: 'r', PagingInfo: { PageNumber: '1', PageSize: '10', TotalCount: '1', JobRunInfos: [runInfo] } }],
  ['CreateDataSource', { RequestId: 'r', Id: 1000 }],
  ['UpdateDataSource', { RequestId: 'r', Success: true }],
  ['DeleteDataSource', { RequestId: 'r', Success: true }],
  ['GetDataSource', { RequestId: 'r', DataSource: dataSourceDetail(ds, 'inst') }],
  ['ListDataSources', { RequestId: 'r', PagingInfo: { PageNumber: 1, PageSize: 10, TotalCount: 1, DataSources: [{ Name: 'src', Type: 'mysql', DataSource: [dataSourceEntry(ds, 'inst')] }] } }],
  ['TestDataSourceConnectivity', { RequestId: 'r', Connectivity: { ConnectState: 'Connectable', ConnectMessage: '', DetailLogs: [{ Code: 'connect', Message: 'ok', StartTime: 1, EndTime: 2 }] } }],
];

test('every response field of the job and data-source operations has the SDK model\'s JSON type', () => {
  for (const [action, body] of CASES) assertResponseTypes(action, body);
  // The details that break SDK decoding when wrong.
  const detail = jobDetail(file, doc, 'Running', true, null);
  assert.equal(typeof detail.DIJobId, 'string');
  assert.equal(typeof jobSummary(file, doc, 'Running').DIJobId, 'number');
  assert.equal(typeof detail.JobSettings!.ChannelSettings, 'string');
  assert.equal(typeof detail.TransformationRules![0].RuleExpression, 'string');
  assert.equal(dataSourceDetail(ds, 'i').ConnectionProperties.password, '***', 'the password never leaves');
});

test('the check catches a wrong type or a missing field (it can fail)', () => {
  assert.throws(() => assertResponseTypes('GetDIJob', { RequestId: 'r', PagingInfo: { ...jobDetail(file, doc, 'Running', true, null), DIJobId: 5 } }), /DIJobId must be a string/);
  assert.throws(() => assertResponseTypes('ListDIJobRunDetails', { RequestId: 'r', PagingInfo: { PageNumber: 1, PageSize: '10', TotalCount: '1', JobRunInfos: [] } }), /PageNumber must be a string/);
  assert.throws(() => assertResponseTypes('GetDIJob', { RequestId: 'r', PagingInfo: { ...jobDetail(file, doc, 'Running', true, null), JobSettings: { ...jobDetail(file, doc, 'Running', true, null).JobSettings, ChannelSettings: { a: 1 } } } }),
    /ChannelSettings must be a string/);
  const { JobStatus: _omitted, ...noStatus } = jobDetail(file, doc, 'Running', true, null);
  assert.throws(() => assertResponseTypes('GetDIJob', { RequestId: 'r', PagingInfo: noStatus }), /JobStatus is missing/);
});
