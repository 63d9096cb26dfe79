/**
 * A 2024-05-18 DI job PostgreSQL -> MariaDB through @alicloud/openapi-core: schema and table
 * selection with Include/Exclude/Regex, a Rename by schema and table, AddColumn, DefinePrimaryKey
 * (which needs REPLICA IDENTITY FULL on a PostgreSQL source: the start fails saying so until it is
 * set), a Delete filter, full then incremental, a new matching table picked up live from the
 * PostgreSQL catalog (added to the publication, its rows copied) while a non-matching one is left
 * alone, StartTime refused for PostgreSQL, a 2020 task's job face, and Delete leaving the source
 * clean (no slot, no publication).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startCrossEngineEnv, type CrossEngineEnv } from './harness/cross-engine-env.ts';
import {
  addMySqlDataSource, addPostgresDataSource, createDeployedTask, createWorkspace, expectApiError, realtimeScript, waitUntil, withDb,
} from './harness/realtime-scenario.ts';
import { addDataSource24, call24, runDetails, waitJobStatus } from './harness/di-job-calls.ts';

let env: CrossEngineEnv;
let projectId: number;

before(async () => {
  env = await startCrossEngineEnv();
  projectId = await createWorkspace(env.svc.client(), 'ws_jobs_p2m');
});
after(async () => { await env?.destroy(); });

const pg = (sql: string) => withDb(env.pgi, 'app', (c) => c.query(sql));
const mart = (sql: string) => env.mdb.query<Record<string, unknown>[]>(sql, [], 'mart');
const count = async (table: string) => Number((await mart(`SELECT COUNT(*) AS n FROM ${table}`).catch(() => [{ n: -1 }]))[0].n);

const rule = (RuleName: string, RuleActionType: string, RuleExpression: object, RuleTargetType = 'Table') =>
  ({ RuleName, RuleActionType, RuleTargetType, RuleExpression: JSON.stringify(RuleExpression) });
const ref = (r: ReturnType<typeof rule>) => ({ RuleName: r.RuleName, RuleActionType: r.RuleActionType, RuleTargetType: r.RuleTargetType });

test('PostgreSQL -> MariaDB job: selection, rules, REPLICA IDENTITY for a custom key, live pickup from the catalog, clean delete', async () => {
  const client = env.svc.client();
  await env.pgi.createDatabase('app');
  await pg(`CREATE SCHEMA sales;
    CREATE TABLE sales.items (id int PRIMARY KEY, sku text NOT NULL, qty int NOT NULL);
    CREATE TABLE sales.items_archive (id int PRIMARY KEY, sku text);
    CREATE TABLE sales.orders (id int PRIMARY KEY, item int);
    CREATE TABLE public.people (id int PRIMARY KEY, code varchar(20) NOT NULL UNIQUE, name text);
    CREATE TABLE public.items (id int PRIMARY KEY);
    INSERT INTO sales.items SELECT g, 'sku' || g, g * 10 FROM generate_series(1, 50) g;
    INSERT INTO sales.items_archive VALUES (1, 'old');
    INSERT INTO public.people VALUES (1, 'P-1', 'Pat'), (2, 'P-2', 'Sam');`);
  await env.mdb.createDatabase('mart');
  await addDataSource24(client, projectId, 'app_pg', 'postgresql', { host: env.pgi.host, port: env.pgi.port }, 'app', 'postgres');
  await addDataSource24(client, projectId, 'mart_my', 'mysql', { host: env.mdb.host, port: env.mdb.port }, 'mart', env.mdb.user);

  const rules = {
    name: rule('qualified', 'Rename', { expression: '${srcSchemaName}_${srcTableName}' }),
    origin: rule('origin', 'AddColumn', { columns: [
      { columnName: 'src_ds', columnValueType: 'Variable', columnValue: 'DATASOURCE_NAME_SRC' },
      { columnName: 'src_db', columnValueType: 'Variable', columnValue: 'DB_NAME_SRC' }] }),
    bigDeletes: rule('big_deletes_only', 'HandleDml', { dmlPolicies: [{ dmlType: 'Delete', dmlAction: 'Filter', filterCondition: 'id > 10' }] }),
    byCode: rule('by_code', 'DefinePrimaryKey', { columns: ['code'] }),
  };
  const created = await call24(client, 'CreateDIJob', {
    ProjectId: projectId, Name: 'app_to_mart', MigrationType: 'FullAndRealtimeIncremental',
    SourceDataSourceType: 'PostgreSQL', DestinationDataSourceType: 'MySQL',
    SourceDataSourceSettings: JSON.stringify([{ DataSourceName: 'app_pg' }]),
    DestinationDataSourceSettings: JSON.stringify([{ DataSourceName: 'mart_my' }]),
    TableMappings: JSON.stringify([
      { SourceObjectSelectionRules: [
        { ObjectType: 'Schema', Action: 'Include', ExpressionType: 'Exact', Expression: 'sales' },
        { ObjectType: 'Table', Action: 'Include', ExpressionType: 'Regex', Expression: 'items.*' },
        { ObjectType: 'Table', Action: 'Exclude', ExpressionType: 'Regex', Expression: '.*_archive' }],
      TransformationRules: [rules.name, rules.origin, rules.bigDeletes].map(ref) },
      { SourceObjectSelectionRules: [
        { ObjectType: 'Schema', Action: 'Include', ExpressionType: 'Exact', Expression: 'public' },
        { ObjectType: 'Table', Action: 'Include', ExpressionType: 'Exact', Expression: 'people' }],
      TransformationRules: [rules.name, rules.byCode].map(ref) },
    ]),
    TransformationRules: JSON.stringify(Object.values(rules)),
  });
  const id = created.Id as number;
  await expectApiError(call24(client, 'StartDIJob', { Id: id, RealtimeStartSettings: JSON.stringify({ StartTime: 1700000000 }) }),
    400, 'Param.Invalid', 'RealtimeStartSettings.StartTime.*PostgreSQL');

  // DefinePrimaryKey on a column outside the source's key: the start fails until the table sends whole old rows.
  await call24(client, 'StartDIJob', { Id: id });
  await waitJobStatus(client, id, 'Failed');
  const failed = (await runDetails(client, id))['public.people'];
  assert.equal(failed.StructureMigrationStatus, 'Failed');
  assert.match(failed.StructureMigrationErrorMessage, /ALTER TABLE "public"\."people" REPLICA IDENTITY FULL/);
  await pg(`ALTER TABLE public.people REPLICA IDENTITY FULL`);
  await call24(client, 'StartDIJob', { Id: id });
  await waitJobStatus(client, id, 'Running');
  await waitUntil(async () => await count('sales_items') === 50 && await count('public_people') === 2 || undefined, 30_000, 'full load');
  assert.deepEqual(await mart(`SELECT id, sku, qty, src_ds, src_db FROM sales_items WHERE id = 7`), [{ id: 7, sku: 'sku7', qty: 70, src_ds: 'app_pg', src_db: 'app' }]);
  const keys = await env.mdb.query<{ c: string }[]>(`SELECT COLUMN_NAME AS c FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = 'mart' AND TABLE_NAME = 'public_people' AND INDEX_NAME = 'PRIMARY'`);
  assert.deepEqual(keys.map((k) => k.c), ['code']);
  for (const absent of ['sales_items_archive', 'sales_orders', 'public_items']) assert.equal(await count(absent), -1, `${absent} is not selected`);

  // Incremental: a delete applies only when the filter holds (on the key: PostgreSQL's default old row
  // carries the key only); the custom key follows a key change.
  await pg(`DELETE FROM sales.items WHERE id IN (3, 20); UPDATE sales.items SET qty = 999 WHERE id = 4;
    UPDATE public.people SET code = 'P-9', name = 'Sammy' WHERE id = 2; INSERT INTO public.people VALUES (3, 'P-3', 'Lee');`);
  await waitUntil(async () => JSON.stringify(await mart(`SELECT code, name FROM public_people ORDER BY code`))
    === JSON.stringify([{ code: 'P-1', name: 'Pat' }, { code: 'P-3', name: 'Lee' }, { code: 'P-9', name: 'Sammy' }]) || undefined, 20_000, 'people by code');
  assert.deepEqual((await mart(`SELECT id FROM sales_items WHERE id IN (3, 4, 20) ORDER BY id`)).map((r) => r.id), [3, 4], 'id 20 deleted (id > 10); id 3 kept');

  // A new matching table appears: found in the catalog, added to the publication, copied, streamed.
  const t0 = Date.now();
  await pg(`CREATE TABLE sales.items_eu (id int PRIMARY KEY, sku text NOT NULL, qty int NOT NULL);
    INSERT INTO sales.items_eu SELECT g, 'eu' || g, g FROM generate_series(1, 30) g;
    CREATE TABLE sales.refunds (id int PRIMARY KEY); INSERT INTO sales.refunds VALUES (1);`);
  await waitUntil(async () => await count('sales_items_eu') === 30 || undefined, 20_000, 'items_eu picked up');
  console.log(`# PostgreSQL source: new table picked up and its 30 rows copied ${Date.now() - t0} ms after CREATE TABLE`);
  await pg(`INSERT INTO sales.items_eu VALUES (31, 'eu31', 31); UPDATE sales.items_eu SET qty = 0 WHERE id = 1`);
  await waitUntil(async () => await count('sales_items_eu WHERE qty = 0 OR id = 31') === 2 || undefined, 20_000, 'items_eu streams');
  assert.equal(await count('sales_refunds'), -1, 'a non-matching table is left alone');
  const pub = await withDb(env.pgi, 'app', (c) => c.query(`SELECT schemaname || '.' || tablename AS t FROM pg_publication_tables ORDER BY 1`));
  assert.deepEqual(pub.rows.map((r) => r.t), ['public.people', 'sales.items', 'sales.items_eu']);
  const details = await runDetails(client, id);
  assert.equal(details['sales.items_eu'].OfflineTotalRecords, 30);
  assert.equal(details['sales.items_eu'].DestinationDatabaseName, 'mart');
  assert.equal(details['sales.items_eu'].DestinationTableName, 'sales_items_eu');

  // The service is killed and restarted: the job resumes from its checkpoint with the definition it started with.
  await env.svc.kill();
  await pg(`INSERT INTO sales.items_eu VALUES (40, 'while-down', 40)`);
  await env.svc.restart();
  await waitUntil(async () => await count('sales_items_eu WHERE id = 40') === 1 || undefined, 30_000, 'resumed after a crash');
  await waitJobStatus(client, id, 'Running');

  // Stop and start from the checkpoint, the picked-up table included; a table created while the job
  // was stopped is selected at the start and its rows copied.
  await call24(client, 'StopDIJob', { Id: id });
  await pg(`INSERT INTO sales.items_eu VALUES (32, 'eu32', 32); INSERT INTO sales.items VALUES (51, 'sku51', 510);
    CREATE TABLE sales.items_us (id int PRIMARY KEY, qty int); INSERT INTO sales.items_us VALUES (1, 1), (2, 2);`);
  await call24(client, 'StartDIJob', { Id: id });
  await waitUntil(async () => await count('sales_items_eu') === 33 && await count('sales_items') === 50 && await count('sales_items_us') === 2 || undefined, 20_000, 'resumed');
  const resumed = await runDetails(client, id);
  assert.equal(resumed['sales.items_eu'].OfflineTotalRecords, 30, 'not copied again');
  assert.equal(resumed['sales.items_us'].OfflineTotalRecords, 2);

  // A 2020 task shows in ListDIJobs with its derived job document.
  await addPostgresDataSource(client, projectId, 'app_pg_2020', env.pgi, 'app');
  await addMySqlDataSource(client, projectId, 'mart_2020', env.mdb, 'mart');
  const taskId = await createDeployedTask(client, projectId, 'legacy_task', realtimeScript('app_pg_2020', 'mart_2020', ['sales.orders'], { writer: 'mysql' }));
  const jobs = await call24(client, 'ListDIJobs', { ProjectId: projectId });
  assert.deepEqual(jobs.PagingInfo.DIJobs.map((j: any) => [j.Id, j.JobName, j.JobStatus]), [[id, 'app_to_mart', 'Running'], [taskId, 'legacy_task', 'Initialized']]);
  const legacy = (await call24(client, 'GetDIJob', { Id: taskId })).PagingInfo;
  assert.equal(legacy.JobType, 'SingleTableRealtimeMigration');
  assert.deepEqual(legacy.TableMappings[0].SourceObjectSelectionRules.map((r: any) => `${r.ObjectType}=${r.Expression}`), ['Schema=sales', 'Table=orders']);

  // Access: a workspace the caller may not use is a 403; a job it may not see answers like an unknown one.
  const mallory = JSON.parse(await env.svc.cli(['principal', 'create', 'mallory']));
  const outsider = env.svc.client('v3', { accessKeyId: mallory.AccessKeyId, accessKeySecret: mallory.AccessKeySecret });
  await expectApiError(call24(outsider, 'GetDIJob', { Id: id, ProjectId: projectId }), 403, 'Forbidden.Access');
  await expectApiError(call24(outsider, 'StopDIJob', { Id: id }), 404, 'Invalid.DIJob.NotExists');
  await expectApiError(call24(outsider, 'ListDIJobRunDetails', { DIJobId: id }), 404, 'Invalid.DIJob.NotExists');
  await expectApiError(call24(outsider, 'ListDIJobs', { ProjectId: projectId }), 403, 'Forbidden.Access');
  await env.svc.cli(['principal', 'grant', 'mallory', '--project', String(projectId)]);
  assert.equal((await call24(outsider, 'GetDIJob', { Id: id })).PagingInfo.JobName, 'app_to_mart');

  // Delete: the source keeps no slot and no publication of the job.
  await call24(client, 'StopDIJob', { Id: id });
  await call24(client, 'DeleteDIJob', { Id: id });
  const left = await withDb(env.pgi, 'app', (c) => c.query(`SELECT (SELECT count(*) FROM pg_replication_slots)::int AS slots, (SELECT count(*) FROM pg_publication)::int AS pubs`));
  assert.deepEqual(left.rows[0], { slots: 0, pubs: 0 });
});
