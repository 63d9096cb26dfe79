/**
 * The 2024-05-18 DI Job API end to end through @alicloud/openapi-core (GET with query for most
 * operations, POST with JSON-string form fields for Create/Update), against private MariaDB and
 * PostgreSQL: 2024 data sources over the shared store and their connectivity test; a whole-database
 * job MariaDB -> PostgreSQL with Include/Exclude/Regex selection, Rename, AddColumn, HandleDml
 * (deletes ignored, an update filter, a logical delete), DefinePrimaryKey and a row filter; full
 * then incremental; a new matching table picked up live and a non-matching one left alone; run
 * details; stop and start from the checkpoint; StartTime; Update taking effect at the next start;
 * ForceToRerun; Delete. Every response is checked field by field against the SDK model's JSON types.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startCrossEngineEnv, type CrossEngineEnv } from './harness/cross-engine-env.ts';
import { addMySqlDataSource, call, createWorkspace, expectApiError, waitUntil, withDb } from './harness/realtime-scenario.ts';
import { addDataSource24, call24, runDetails, waitJobStatus } from './harness/di-job-calls.ts';

let env: CrossEngineEnv;
let projectId: number;

before(async () => {
  env = await startCrossEngineEnv();
  projectId = await createWorkspace(env.svc.client(), 'ws_jobs_m2p');
});
after(async () => { await env?.destroy(); });

const SRC_DDL = [
  `CREATE TABLE orders_1 (id INT PRIMARY KEY, customer VARCHAR(40) NOT NULL, amount INT NOT NULL, status VARCHAR(10) NOT NULL)`,
  `CREATE TABLE orders_2 (id INT PRIMARY KEY, customer VARCHAR(40) NOT NULL, amount INT NOT NULL, status VARCHAR(10) NOT NULL)`,
  `CREATE TABLE orders_tmp (id INT PRIMARY KEY, customer VARCHAR(40) NOT NULL, amount INT NOT NULL, status VARCHAR(10) NOT NULL)`,
  `CREATE TABLE customers (id INT PRIMARY KEY, email VARCHAR(80) NOT NULL UNIQUE, name VARCHAR(40))`,
  `CREATE TABLE audit_log (id INT PRIMARY KEY, what VARCHAR(40))`,
];

function rule(RuleName: string, RuleActionType: string, RuleExpression: object, RuleTargetType = 'Table') {
  return { RuleName, RuleActionType, RuleTargetType, RuleExpression: JSON.stringify(RuleExpression) };
}
const ref = (r: { RuleName: string; RuleActionType: string; RuleTargetType: string }) => ({ RuleName: r.RuleName, RuleActionType: r.RuleActionType, RuleTargetType: r.RuleTargetType });

const RULES = {
  schema: rule('ods_schema', 'Rename', { expression: 'ods_${srcDatabaseName}' }, 'Schema'),
  table: rule('copy_name', 'Rename', { expression: '${srcTableName}_copy' }),
  columns: rule('lineage', 'AddColumn', { columns: [
    { columnName: 'origin', columnValueType: 'Constant', columnValue: 'erp' },
    { columnName: 'src_table', columnValueType: 'Variable', columnValue: 'TABLE_NAME_SRC' },
    { columnName: 'synced_at', columnValueType: 'Variable', columnValue: 'EXECUTE_TIME' }] }),
  orderDml: rule('order_dml', 'HandleDml', { dmlPolicies: [{ dmlType: 'Delete', dmlAction: 'Ignore' }, { dmlType: 'Update', dmlAction: 'Filter', filterCondition: 'amount >= 0' }] }),
  noTests: rule('no_tests', 'DefineIncrementalCondition', { where: "status <> 'test'" }),
  customerDml: rule('customer_dml', 'HandleDml', { dmlPolicies: [{ dmlType: 'Delete', dmlAction: 'LogicalDelete' }] }),
  customerKey: rule('by_email', 'DefinePrimaryKey', { columns: ['email'] }),
};

function jobParams(name: string, srcName: string, dstName: string) {
  return {
    ProjectId: projectId, Name: name, JobType: 'DatabaseRealtimeMigration', MigrationType: 'FullAndRealtimeIncremental',
    SourceDataSourceType: 'MySQL', DestinationDataSourceType: 'PostgreSQL', Description: 'shop to warehouse',
    SourceDataSourceSettings: JSON.stringify([{ DataSourceName: srcName, DataSourceProperties: { Encoding: 'UTF-8', Timezone: 'UTC' } }]),
    DestinationDataSourceSettings: JSON.stringify([{ DataSourceName: dstName }]),
    JobSettings: JSON.stringify({
      ChannelSettings: '{"destinationChannelSettings":{"writeMode":"replay"}}',
      DdlHandlingSettings: [{ Type: 'CreateTable', Action: 'Normal' }, { Type: 'DropTable', Action: 'Ignore' }],
      RuntimeSettings: [{ Name: 'runtime.realtime.failover.times.dataxcdc', Value: '5' }, { Name: 'runtime.realtime.concurrent', Value: '2' }],
      ColumnDataTypeSettings: [{ SourceDataType: 'varchar', DestinationDataType: 'text' }],
    }),
    ResourceSettings: JSON.stringify({ RealtimeResourceSettings: { RequestedCu: 2, ResourceGroupIdentifier: 'default' } }),
    TableMappings: JSON.stringify([
      { SourceObjectSelectionRules: [
        { ObjectType: 'Database', Action: 'Include', ExpressionType: 'Exact', Expression: 'shop' },
        { ObjectType: 'Table', Action: 'Include', ExpressionType: 'Regex', Expression: 'orders_.*' },
        { ObjectType: 'Table', Action: 'Exclude', ExpressionType: 'Exact', Expression: 'orders_tmp' }],
      TransformationRules: [RULES.schema, RULES.table, RULES.columns, RULES.orderDml, RULES.noTests].map(ref) },
      { SourceObjectSelectionRules: [{ ObjectType: 'Table', Action: 'Include', ExpressionType: 'Exact', Expression: 'customers' }],
        TransformationRuleNames: [RULES.schema, RULES.customerDml, RULES.customerKey].map(ref) },
    ]),
    TransformationRules: JSON.stringify(Object.values(RULES)),
  };
}

const pgRows = (sql: string) => withDb(env.pgi, 'warehouse', async (c) => (await c.query(sql)).rows);
const my = (sql: string) => env.mdb.query(sql, [], 'shop');

test('MariaDB -> PostgreSQL whole-database job: data sources, rules, full then incremental, live pickup, lifecycle', async () => {
  const client = env.svc.client();
  await env.mdb.createDatabase('shop');
  for (const ddl of SRC_DDL) await my(ddl);
  await my(`INSERT INTO orders_1 VALUES (1, 'ann', 10, 'new'), (2, 'bob', 20, 'new'), (3, 'qa', 1, 'test')`);
  await my(`INSERT INTO orders_2 VALUES (1, 'cy', 30, 'paid')`);
  await my(`INSERT INTO orders_tmp VALUES (1, 'tmp', 1, 'new')`);
  await my(`INSERT INTO customers VALUES (1, 'ann@x.org', 'Ann'), (2, 'bob@x.org', 'Bob')`);
  await my(`INSERT INTO audit_log VALUES (1, 'boot')`);
  await env.pgi.createDatabase('warehouse');

  // ---- data sources: 2024 and 2020 share one store
  const srcId = await addDataSource24(client, projectId, 'shop_src', 'mysql', { host: env.mdb.host, port: env.mdb.port }, 'shop', env.mdb.user);
  await addDataSource24(client, projectId, 'shop_src', 'mysql', { host: env.mdb.host, port: env.mdb.port }, 'shop', env.mdb.user, 'Dev');
  const dstId = await addDataSource24(client, projectId, 'warehouse_dst', 'postgresql', { host: env.pgi.host, port: env.pgi.port }, 'warehouse', 'postgres');
  await addMySqlDataSource(client, projectId, 'legacy_2020', env.mdb, 'shop');
  const got = await call24(client, 'GetDataSource', { Id: srcId });
  assert.equal(got.DataSource.Type, 'mysql');
  assert.equal(got.DataSource.ConnectionProperties.password, '***');
  assert.deepEqual(got.DataSource.ConnectionProperties.address, [{ host: env.mdb.host, port: env.mdb.port }]);
  const listed = await call24(client, 'ListDataSources', { ProjectId: projectId, SortBy: 'Name', Order: 'Asc' });
  assert.deepEqual(listed.PagingInfo.DataSources.map((g: any) => `${g.Name}:${g.DataSource.map((d: any) => d.ConnectionProperties.envType).join('+')}`),
    ['legacy_2020:Prod', 'shop_src:Dev+Prod', 'warehouse_dst:Prod']);
  const old = await call(client, 'ListDataSources', { ProjectId: projectId, PageSize: 50 });
  assert.ok(old.Data.DataSources.some((d: any) => d.Name === 'warehouse_dst' && JSON.parse(d.Content).jdbcUrl.startsWith('jdbc:postgresql://')), 'a 2024 data source in the 2020 list');
  assert.ok(!old.Data.DataSources.some((d: any) => 'password' in JSON.parse(d.Content) && JSON.parse(d.Content).password !== '***'));
  const ok = await call24(client, 'TestDataSourceConnectivity', { DataSourceId: srcId, ProjectId: projectId, ResourceGroupId: 'default' });
  assert.equal(ok.Connectivity.ConnectState, 'Connectable', JSON.stringify(ok));
  assert.deepEqual(ok.Connectivity.DetailLogs.map((d: any) => d.Code), ['validate_input_parameters', 'connect', 'authenticate', 'check_privileges']);
  const badDb = await addDataSource24(client, projectId, 'no_such_db', 'postgresql', { host: env.pgi.host, port: env.pgi.port }, 'nope', 'postgres');
  assert.equal((await call24(client, 'TestDataSourceConnectivity', { DataSourceId: badDb, ProjectId: projectId, ResourceGroupId: 'default' })).Connectivity.ConnectState, 'ConfigError');
  // A masked password keeps the stored one only while the data source points where it did (a
  // moved data source needs its password again, as in 2020); Delete of an unused data source.
  const shown = (await call24(client, 'GetDataSource', { Id: badDb })).DataSource.ConnectionProperties;
  await call24(client, 'UpdateDataSource', { Id: badDb, ProjectId: projectId, ConnectionProperties: JSON.stringify(shown), Description: 'same place' });
  const fixed = { ...shown, database: 'warehouse' };
  await expectApiError(call24(client, 'UpdateDataSource', { Id: badDb, ProjectId: projectId, ConnectionProperties: JSON.stringify(fixed) }),
    400, 'Param.Invalid', 'ConnectionProperties.password must be given again');
  await call24(client, 'UpdateDataSource', { Id: badDb, ProjectId: projectId, ConnectionProperties: JSON.stringify({ ...fixed, password: 'unused-with-trust' }), Description: 'fixed' });
  assert.equal((await call24(client, 'TestDataSourceConnectivity', { DataSourceId: badDb, ProjectId: projectId, ResourceGroupId: 'default' })).Connectivity.ConnectState, 'Connectable');
  await call24(client, 'DeleteDataSource', { Id: badDb });
  await expectApiError(call24(client, 'GetDataSource', { Id: badDb }), 404, 'Invalid.DataSource.NotExists');
  const net = await call(client, 'TestNetworkConnection', { ProjectId: projectId, DatasourceName: 'warehouse_dst', EnvType: '1', ResourceGroup: 'default' });
  assert.deepEqual(net.TaskList, { ConnectStatus: true, ConnectMessage: '' });

  // ---- bad input answers 400 naming the parameter and the path, and creates nothing
  const params = jobParams('shop_to_warehouse', 'shop_src', 'warehouse_dst');
  await expectApiError(call24(client, 'CreateDIJob', { ...params, SourceDataSourceSettings: '[{"DataSourceName":"missing"}]' }), 400, 'Param.Invalid', 'SourceDataSourceSettings\\[0\\].DataSourceName.*does not exist');
  await expectApiError(call24(client, 'CreateDIJob', { ...params, DestinationDataSourceType: 'MySQL' }), 400, 'Param.Invalid', 'type postgresql.*MySQL');
  await expectApiError(call24(client, 'CreateDIJob', { ...params, TableMappings: '[{"SourceObjectSelectionRules":[{"ObjectType":"Table","Action":"Include","ExpressionType":"Exact","Expression":"nothing_here"}]}]' }),
    400, 'Param.Invalid', 'select no table');
  await expectApiError(call24(client, 'CreateDIJob', { ...params, TableMappings: '[{"SourceObjectSelectionRules":[{"ObjectType":"Table","Action":"Include","ExpressionType":7,"Expression":"x"}]}]' }),
    400, 'Param.Invalid', 'TableMappings\\[0\\].SourceObjectSelectionRules\\[0\\].ExpressionType');
  await expectApiError(call24(client, 'CreateDIJob', { ...params, DestinationDataSourceType: 'Hologres' }), 400, 'Param.Invalid', 'needs a hologres data source');
  assert.equal((await call24(client, 'ListDIJobs', { ProjectId: projectId })).PagingInfo.TotalCount, 0);
  // Hologres speaks PostgreSQL's protocol: a hologres data source (here: the same PostgreSQL) serves as a destination.
  await addDataSource24(client, projectId, 'holo_dst', 'hologres', { host: env.pgi.host, port: env.pgi.port }, 'warehouse', 'postgres');
  const holo = await call24(client, 'CreateDIJob', { ...jobParams('to_holo', 'shop_src', 'holo_dst'), DestinationDataSourceType: 'Hologres' });
  assert.equal((await call24(client, 'GetDIJob', { Id: holo.Id })).PagingInfo.DestinationDataSourceType, 'Hologres');
  await call24(client, 'DeleteDIJob', { Id: holo.Id });

  // ---- create: deployed at once, Initialized, both faces
  const created = await call24(client, 'CreateDIJob', params);
  const id = created.Id as number;
  assert.equal(created.DIJobId, id);
  await expectApiError(call24(client, 'CreateDIJob', params), 400, 'Param.Invalid', 'already exists');
  const job = (await call24(client, 'GetDIJob', { Id: id, ProjectId: projectId })).PagingInfo;
  assert.equal(job.JobStatus, 'Initialized');
  assert.equal(job.DIJobId, String(id));
  assert.equal(job.JobSettings.ChannelSettings, '{"destinationChannelSettings":{"writeMode":"replay"}}');
  assert.deepEqual(job.TableMappings[1].TransformationRules.map((r: any) => r.RuleName), ['ods_schema', 'customer_dml', 'by_email']);
  const file = await call(client, 'GetFile', { ProjectId: projectId, FileId: id });
  assert.equal(file.Data.File.FileName, 'shop_to_warehouse');
  const otherProject = await createWorkspace(client, 'ws_jobs_other');
  await expectApiError(call24(client, 'GetDIJob', { Id: id, ProjectId: otherProject }), 404, 'Invalid.DIJob.NotExists');
  await expectApiError(call24(client, 'GetDIJob', { Id: id, ProjectId: 987654 }), 403, 'Forbidden.Access');
  await expectApiError(call24(client, 'StopDIJob', { Id: id }), 400, 'Invalid.DIJob.Status', 'never been started');

  // ---- start: structure, full load (row filter applied), then streaming
  await call24(client, 'StartDIJob', { Id: id });
  await waitJobStatus(client, id, 'Running');
  await waitUntil(async () => (await pgRows(`SELECT count(*)::int AS n FROM ods_shop.customers`).catch(() => [{ n: 0 }]))[0].n === 2 || undefined, 30_000, 'full load');
  await waitUntil(async () => (await pgRows(`SELECT count(*)::int AS n FROM ods_shop.orders_1_copy`).catch(() => [{ n: 0 }]))[0].n === 2 || undefined, 30_000, 'full load of orders_1');
  assert.deepEqual(await pgRows(`SELECT id, customer, amount, origin, src_table FROM ods_shop.orders_1_copy ORDER BY id`), [
    { id: 1, customer: 'ann', amount: 10, origin: 'erp', src_table: 'orders_1' }, { id: 2, customer: 'bob', amount: 20, origin: 'erp', src_table: 'orders_1' }]);
  const shape = await pgRows(`SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'ods_shop' AND table_name = 'orders_1_copy' ORDER BY ordinal_position`);
  assert.deepEqual(shape.map((c) => `${c.column_name}:${c.data_type}`),
    ['id:integer', 'customer:text', 'amount:integer', 'status:text', 'origin:character varying', 'src_table:character varying', 'synced_at:timestamp with time zone']);
  const pk = await pgRows(`SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) WHERE i.indrelid = 'ods_shop.customers'::regclass AND i.indisprimary`);
  assert.deepEqual(pk.map((r) => r.attname), ['email'], 'DefinePrimaryKey');
  assert.equal((await pgRows(`SELECT to_regclass('ods_shop.orders_tmp_copy') AS t, to_regclass('ods_shop.audit_log') AS a`))[0].t, null, 'Exclude');

  // ---- incremental: HandleDml and the row filter on the stream
  await my(`INSERT INTO orders_1 VALUES (4, 'dee', 40, 'new'), (5, 'qa2', 5, 'test')`);
  await my(`UPDATE orders_1 SET amount = -1 WHERE id = 1`); // the Update filter (amount >= 0) keeps it out
  await my(`UPDATE orders_1 SET amount = 22 WHERE id = 2`);
  await my(`DELETE FROM orders_1 WHERE id = 4`); // deletes ignored
  await my(`UPDATE customers SET name = 'Bobby' WHERE id = 2`);
  await my(`DELETE FROM customers WHERE id = 1`); // logical delete
  await waitUntil(async () => {
    const rows = await pgRows(`SELECT email, name, _opendi_deleted AS d FROM ods_shop.customers ORDER BY email`);
    return JSON.stringify(rows) === JSON.stringify([{ email: 'ann@x.org', name: 'Ann', d: true }, { email: 'bob@x.org', name: 'Bobby', d: false }]) || undefined;
  }, 20_000, 'logical delete and update on customers');
  assert.deepEqual(await pgRows(`SELECT id, amount FROM ods_shop.orders_1_copy ORDER BY id`), [{ id: 1, amount: 10 }, { id: 2, amount: 22 }, { id: 4, amount: 40 }]);

  // ---- a new matching table is picked up live; a non-matching one is left alone
  const t0 = Date.now();
  await my(`CREATE TABLE orders_3 (id INT PRIMARY KEY, customer VARCHAR(40) NOT NULL, amount INT NOT NULL, status VARCHAR(10) NOT NULL)`);
  await my(`INSERT INTO orders_3 VALUES (1, 'new', 7, 'new')`);
  await my(`CREATE TABLE audit_2 (id INT PRIMARY KEY)`);
  await my(`INSERT INTO audit_2 VALUES (1)`);
  await waitUntil(async () => (await pgRows(`SELECT count(*)::int AS n FROM ods_shop.orders_3_copy`).catch(() => [{ n: 0 }]))[0].n === 1 || undefined, 20_000, 'orders_3 picked up');
  console.log(`# MySQL source: new table picked up and its first row applied ${Date.now() - t0} ms after CREATE TABLE`);
  assert.equal((await pgRows(`SELECT to_regclass('ods_shop.audit_2') AS a, to_regclass('ods_shop.audit_2_copy') AS b`))[0].a, null);

  // ---- run details: one row per selected table
  const details = await runDetails(client, id);
  assert.deepEqual(Object.keys(details).sort(), ['shop.customers', 'shop.orders_1', 'shop.orders_2', 'shop.orders_3']);
  assert.deepEqual(pick(details['shop.orders_1']), {
    DestinationDatabaseName: 'warehouse', DestinationSchemaName: 'ods_shop', DestinationTableName: 'orders_1_copy',
    StructureMigrationStatus: 'Finished', FullMigrationStatus: 'Finished', RealtimeMigrationStatus: 'Running', OfflineTotalRecords: 3,
  });
  assert.equal(details['shop.orders_3'].FullMigrationStatus, 'Finished');
  assert.equal(details['shop.customers'].DestinationTableName, 'customers');

  // ---- Update while running: stored and shown at once, applied at the next start
  const deletesApply = rule('order_dml', 'HandleDml', { dmlPolicies: [{ dmlType: 'Update', dmlAction: 'Filter', filterCondition: 'amount >= 0' }] });
  await call24(client, 'UpdateDIJob', { Id: id, Description: 'deletes now apply',
    TransformationRules: JSON.stringify(Object.values({ ...RULES, orderDml: deletesApply })) });
  assert.equal((await call24(client, 'GetDIJob', { Id: id })).PagingInfo.Description, 'deletes now apply');
  await my(`DELETE FROM orders_2 WHERE id = 1`);
  await my(`INSERT INTO orders_2 VALUES (2, 'marker', 2, 'new')`);
  await waitUntil(async () => (await pgRows(`SELECT count(*)::int AS n FROM ods_shop.orders_2_copy WHERE id = 2`))[0].n === 1 || undefined, 20_000, 'marker row');
  assert.equal((await pgRows(`SELECT count(*)::int AS n FROM ods_shop.orders_2_copy WHERE id = 1`))[0].n, 1, 'the running job still ignores deletes');

  // ---- stop, change while stopped, start: resumes from the checkpoint (no second full load) under the new rules
  await expectApiError(call24(client, 'DeleteDIJob', { Id: id }), 400, 'Invalid.DIJob.Status', 'stop it');
  await call24(client, 'StopDIJob', { Id: id });
  await waitJobStatus(client, id, 'Stopped');
  await call24(client, 'StopDIJob', { Id: id }); // idempotent
  await my(`DELETE FROM orders_1 WHERE id = 2`);
  await my(`INSERT INTO orders_1 VALUES (6, 'eve', 60, 'new')`);
  await call24(client, 'StartDIJob', { Id: id });
  await waitUntil(async () => JSON.stringify(await pgRows(`SELECT id FROM ods_shop.orders_1_copy ORDER BY id`)) === JSON.stringify([{ id: 1 }, { id: 4 }, { id: 6 }]) || undefined,
    20_000, 'resumed under the updated rules (deletes apply)');
  assert.equal((await runDetails(client, id))['shop.orders_1'].OfflineTotalRecords, 3, 'no second full load');

  // ---- StartTime: stream from a point in the binlog instead of the checkpoint
  await call24(client, 'StopDIJob', { Id: id });
  await my(`INSERT INTO orders_1 VALUES (7, 'before', 70, 'new')`);
  await new Promise((r) => setTimeout(r, 1_200));
  const startTime = Math.ceil(Date.now() / 1000);
  await new Promise((r) => setTimeout(r, Math.max(0, startTime * 1000 - Date.now()) + 100));
  await my(`INSERT INTO orders_1 VALUES (8, 'after', 80, 'new')`);
  await call24(client, 'StartDIJob', { Id: id, RealtimeStartSettings: JSON.stringify({ StartTime: startTime }) });
  await waitUntil(async () => (await pgRows(`SELECT count(*)::int AS n FROM ods_shop.orders_1_copy WHERE id = 8`))[0].n === 1 || undefined, 20_000, 'row after StartTime');
  assert.equal((await pgRows(`SELECT count(*)::int AS n FROM ods_shop.orders_1_copy WHERE id = 7`))[0].n, 0, 'a change before StartTime is not replayed');
  await expectApiError(call24(client, 'StartDIJob', { Id: id, ForceToRerun: true }), 400, 'Invalid.DIJob.Status', 'stop it');

  // ---- ForceToRerun: targets dropped and created again, everything copied again
  await call24(client, 'StopDIJob', { Id: id });
  await withDb(env.pgi, 'warehouse', (c) => c.query(`INSERT INTO ods_shop.orders_2_copy (id, customer, amount, status) VALUES (99, 'stray', 0, 'x')`));
  await call24(client, 'StartDIJob', { Id: id, ForceToRerun: true });
  await waitUntil(async () => {
    const rows = await pgRows(`SELECT id FROM ods_shop.orders_1_copy ORDER BY id`).catch(() => []);
    // Row 4, deleted at the source while deletes were ignored, is gone; test rows stay filtered out.
    return JSON.stringify(rows) === JSON.stringify([{ id: 1 }, { id: 6 }, { id: 7 }, { id: 8 }]) || undefined;
  }, 30_000, 'orders_1 copied again');
  await waitUntil(async () => JSON.stringify(await pgRows(`SELECT id FROM ods_shop.orders_2_copy ORDER BY id`).catch(() => [])) === JSON.stringify([{ id: 2 }]) || undefined, 20_000, 'orders_2 recreated');
  assert.deepEqual(await pgRows(`SELECT email, _opendi_deleted AS d FROM ods_shop.customers ORDER BY email`), [{ email: 'bob@x.org', d: false }], 'recreated: the logically deleted row is gone');

  // ---- ListDIJobs shows it; Delete after stop releases everything
  const jobs = await call24(client, 'ListDIJobs', { ProjectId: projectId, SourceDataSourceType: 'mysql' });
  assert.deepEqual(jobs.PagingInfo.DIJobs.map((j: any) => [j.Id, j.JobStatus]), [[id, 'Running']]);
  await call24(client, 'StopDIJob', { Id: id });
  await expectApiError(call24(client, 'DeleteDataSource', { Id: dstId }), 400, 'Invalid.DataSource.InUse');
  await call24(client, 'DeleteDIJob', { Id: id, ProjectId: projectId });
  await expectApiError(call24(client, 'GetDIJob', { Id: id }), 404, 'Invalid.DIJob.NotExists');
  assert.equal((await pgRows(`SELECT count(*)::int AS n FROM opendi.sync_checkpoint WHERE task_id = ${id}`))[0].n, 0, 'checkpoint released');
});

function pick(r: Record<string, unknown>) {
  const keys = ['DestinationDatabaseName', 'DestinationSchemaName', 'DestinationTableName', 'StructureMigrationStatus', 'FullMigrationStatus', 'RealtimeMigrationStatus', 'OfflineTotalRecords'];
  return Object.fromEntries(keys.map((k) => [k, r[k]]));
}
