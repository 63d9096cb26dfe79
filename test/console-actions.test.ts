/**
 * The OpenDI extension actions the web console reads (README "Web console", docs/console.md),
 * through @alicloud/openapi-core against real PostgreSQL and MariaDB: ListDataSourceTables (tables,
 * keys, row estimates, a TableMappings preview that matches what CreateDIJob then selects) and
 * ListDIJobDirtyRecords (rows a PostgreSQL and a MySQL target rejected, newest first, cut when
 * long); bad input, other principals and unreachable databases get the API's errors.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { OpenDIService } from './harness/opendi-service.ts';
import { startPostgres, type PgInstance } from './harness/postgres.ts';
import { startMariaDb, type MariaDbInstance } from './harness/mariadb.ts';
import {
  addMySqlDataSource, addPostgresDataSource, addUnreachableDataSource, createDeployedTask, createWorkspace, expectApiError, instanceInfo,
  realtimeScript, taskCall, waitForStatus, waitUntil, withDb,
} from './harness/realtime-scenario.ts';
import { call24, runDetails } from './harness/di-job-calls.ts';
import type { DataWorksClient } from '../src/client/dataworks-client.ts';

let pgi: PgInstance;
let mdb: MariaDbInstance;
let svc: OpenDIService;
let client: DataWorksClient;
let projectId: number;

before(async () => {
  [pgi, mdb, svc] = await Promise.all([startPostgres(), startMariaDb(), OpenDIService.start()]);
  client = svc.client();
  projectId = await createWorkspace(client, 'console_ext');
  await pgi.createDatabase('inv_src');
  await pgi.createDatabase('inv_dst');
  await withDb(pgi, 'inv_src', (c) => c.query(`
    CREATE SCHEMA sales;
    CREATE TABLE public.orders (id bigint PRIMARY KEY, qty int, note text);
    CREATE TABLE public.order_items (id bigint PRIMARY KEY, order_id bigint);
    CREATE TABLE public.audit_log (at timestamptz, what text);
    CREATE TABLE sales.customers (id int PRIMARY KEY, name text);
    INSERT INTO public.orders SELECT g, g % 7, 'n' FROM generate_series(1, 300) g;
    INSERT INTO sales.customers SELECT g, 'c' || g FROM generate_series(1, 40) g;
    ANALYZE`));
  await withDb(pgi, 'inv_dst', (c) => c.query(`CREATE TABLE public.orders (id bigint PRIMARY KEY, qty int CHECK (qty >= 0), note text)`));
  await mdb.createDatabase('shop');
  await mdb.query(`CREATE TABLE shop.orders (id INT PRIMARY KEY, qty INT, note TEXT)`);
  await mdb.query(`CREATE TABLE shop.notes (body TEXT)`);
  await mdb.query(`INSERT INTO shop.orders SELECT seq, seq % 5, 'x' FROM seq_1_to_120`, [], 'shop');
  await mdb.query(`ANALYZE TABLE shop.orders`);
  await mdb.createDatabase('shop_copy');
  await mdb.query(`CREATE TABLE shop_copy.orders (id BIGINT PRIMARY KEY, qty INT CHECK (qty >= 0), note LONGTEXT)`);
  await addPostgresDataSource(client, projectId, 'pg_src', pgi, 'inv_src');
  await addPostgresDataSource(client, projectId, 'pg_dst', pgi, 'inv_dst');
  await addMySqlDataSource(client, projectId, 'my_src', mdb, 'shop');
  await addMySqlDataSource(client, projectId, 'my_copy', mdb, 'shop_copy');
  await addUnreachableDataSource(client, projectId, 'pg_down', 'never-shown-pw');
});
after(async () => { await svc?.destroy(); await Promise.all([pgi?.destroy(), mdb?.destroy()]); });

const tables = (params: Record<string, unknown>) => call24(client, 'ListDataSourceTables', { ProjectId: projectId, ...params });
const names = (body: any) => body.PagingInfo.Tables.map((t: any) => `${t.SchemaName || t.DatabaseName}.${t.TableName}`);
const RULES = [{ SourceObjectSelectionRules: [
  { ObjectType: 'Schema', Action: 'Include', ExpressionType: 'Exact', Expression: 'public' },
  { ObjectType: 'Table', Action: 'Include', ExpressionType: 'Regex', Expression: 'order.*' },
  { ObjectType: 'Table', Action: 'Exclude', ExpressionType: 'Exact', Expression: 'order_items' },
] }];

test('ListDataSourceTables: a PostgreSQL source\'s tables with their keys and row estimates', async () => {
  const body = await tables({ DataSourceName: 'pg_src' });
  assert.deepEqual(names(body), ['public.audit_log', 'public.order_items', 'public.orders', 'sales.customers']);
  const byName = Object.fromEntries(body.PagingInfo.Tables.map((t: any) => [`${t.SchemaName}.${t.TableName}`, t]));
  assert.equal(byName['public.orders'].EstimatedRows, 300);
  assert.equal(byName['sales.customers'].EstimatedRows, 40);
  assert.equal(byName['public.audit_log'].HasPrimaryKey, false);
  assert.equal(byName['public.orders'].HasPrimaryKey, true);
  assert.equal(byName['public.orders'].DatabaseName, 'inv_src');
  assert.equal(body.PagingInfo.TotalCount, 4);
  assert.equal(body.PagingInfo.SelectedCount, 0);
  const page2 = await tables({ DataSourceName: 'pg_src', PageSize: 3, PageNumber: 2 });
  assert.deepEqual(names(page2), ['sales.customers']);
});

test('ListDataSourceTables: the TableMappings preview selects what CreateDIJob then syncs', async () => {
  const preview = await tables({ DataSourceName: 'pg_src', TableMappings: RULES });
  assert.deepEqual(preview.PagingInfo.Tables.filter((t: any) => t.Selected).map((t: any) => t.TableName), ['orders']);
  assert.equal(preview.PagingInfo.Tables.find((t: any) => t.TableName === 'orders').MappingIndex, 0);
  assert.equal(preview.PagingInfo.Tables.find((t: any) => t.TableName === 'order_items').MappingIndex, -1);
  const only = await tables({ DataSourceName: 'pg_src', TableMappings: RULES, SelectedOnly: true });
  assert.deepEqual(names(only), ['public.orders']);
  assert.equal(only.PagingInfo.SelectedCount, 1);

  const job = await call24(client, 'CreateDIJob', {
    ProjectId: projectId, Name: 'preview_check', JobType: 'DatabaseRealtimeMigration', MigrationType: 'FullAndRealtimeIncremental',
    SourceDataSourceType: 'PostgreSQL', DestinationDataSourceType: 'PostgreSQL',
    SourceDataSourceSettings: [{ DataSourceName: 'pg_src' }], DestinationDataSourceSettings: [{ DataSourceName: 'pg_dst' }], TableMappings: RULES,
  });
  assert.deepEqual(Object.keys(await runDetails(client, job.Id)), ['public.orders']);
  await call24(client, 'DeleteDIJob', { Id: job.Id });
});

test('ListDataSourceTables: a MySQL source names databases, not schemas', async () => {
  const body = await tables({ DataSourceName: 'my_src' });
  const shop = body.PagingInfo.Tables.filter((t: any) => t.DatabaseName === 'shop');
  assert.deepEqual(shop.map((t: any) => [t.TableName, t.SchemaName, t.HasPrimaryKey]), [['notes', '', false], ['orders', '', true]]);
  assert.ok(shop[1].EstimatedRows > 0, 'InnoDB statistics after ANALYZE TABLE');
  const picked = await tables({ DataSourceName: 'my_src', SelectedOnly: true, TableMappings: [{ SourceObjectSelectionRules: [
    { ObjectType: 'Database', Action: 'Include', ExpressionType: 'Exact', Expression: 'shop' },
    { ObjectType: 'Table', Action: 'Include', ExpressionType: 'Exact', Expression: 'orders' }] }] });
  assert.deepEqual(names(picked), ['shop.orders']);
});

test('ListDataSourceTables: bad input, unknown names, other principals and unreachable databases get clear errors', async () => {
  await expectApiError(tables({ DataSourceName: 'nope' }), 404, 'Invalid.DataSource.NotExists', 'nope');
  await expectApiError(tables({ DataSourceName: 'pg_src', TableMappings: [{ SourceObjectSelectionRules: [{ ObjectType: 'Column', Action: 'Include', ExpressionType: 'Exact', Expression: 'x' }] }] }),
    400, 'Param.Invalid', 'TableMappings\\[0\\]\\.SourceObjectSelectionRules\\[0\\]\\.ObjectType');
  await expectApiError(tables({ DataSourceName: 'pg_src', TableMappings: [{ SourceObjectSelectionRules: [{ ObjectType: 'Table', Action: 'Include', ExpressionType: 'Regex', Expression: '(' }] }] }),
    400, 'Param.Invalid', 'Expression');
  await expectApiError(tables({ DataSourceName: 'pg_src', SelectedOnly: true }), 400, 'Param.Invalid', 'SelectedOnly');
  await expectApiError(tables({ DataSourceName: 'pg_src', PageSize: 1001 }), 400, 'Param.Invalid', 'PageSize');
  const outsider = JSON.parse(await svc.cli(['principal', 'create', 'outsider']));
  const theirs = svc.client('v3', { accessKeyId: outsider.AccessKeyId, accessKeySecret: outsider.AccessKeySecret });
  await expectApiError(theirs.call('ListDataSourceTables', { ProjectId: projectId, DataSourceName: 'pg_src' }, '2024-05-18'), 403, 'Forbidden.Access');
  await assert.rejects(tables({ DataSourceName: 'pg_down' }), (e: any) => {
    assert.equal(e.statusCode, 503);
    assert.equal(e.code, 'OperationFailed.DataSource');
    assert.match(e.data.Message, /pg_down/);
    assert.doesNotMatch(e.data.Message, /never-shown-pw/);
    return true;
  });
});

test('ListDIJobDirtyRecords: rows a PostgreSQL and a MySQL target rejected, newest first, with their errors; long values cut', async () => {
  const toPg = await createDeployedTask(client, projectId, 'dirty_to_pg', realtimeScript('pg_src', 'pg_dst', ['public.orders']));
  const toMy = await createDeployedTask(client, projectId, 'dirty_to_my', realtimeScript('pg_src', 'my_copy', ['public.orders'], { writer: 'mysql' }));
  const empty = await call24(client, 'ListDIJobDirtyRecords', { DIJobId: toMy });
  assert.deepEqual(empty.PagingInfo, { PageNumber: 1, PageSize: 20, TotalCount: 0, DirtyRecords: [] });
  for (const id of [toPg, toMy]) {
    await taskCall(client, 'StartDISyncInstance', projectId, id, { StartParam: JSON.stringify({ errorLimit: { record: 10 } }) });
    await waitForStatus(client, projectId, id, ['RUN']);
  }
  await withDb(pgi, 'inv_src', async (c) => {
    await c.query(`INSERT INTO public.orders VALUES (1001, -1, 'first bad')`);
    await c.query(`INSERT INTO public.orders VALUES (1002, 5, 'fine')`);
    await c.query(`INSERT INTO public.orders VALUES (1003, -2, repeat('long ', 2000))`);
  });
  for (const id of [toPg, toMy]) {
    await waitUntil(async () => (await instanceInfo(client, projectId, id)).Metrics.DirtyRecords === 2 || undefined, 30_000, `task ${id} to count 2 dirty records`);
    const body = await call24(client, 'ListDIJobDirtyRecords', { DIJobId: id });
    const records = body.PagingInfo.DirtyRecords;
    assert.equal(body.PagingInfo.TotalCount, 2);
    assert.deepEqual(records.map((r: any) => JSON.parse(r.RowKey)), [['1003'], ['1001']], 'newest first');
    assert.ok(records[0].Id > records[1].Id);
    for (const r of records) {
      assert.match(r.ErrorMessage, /check constraint|CONSTRAINT `orders.qty` failed/);
      assert.match(r.Operation, /^(insert|upsert)$/);
      assert.match(r.TableName, /orders/);
      assert.ok(Math.abs(r.RecordedAt - Date.now() / 1000) < 300);
    }
    assert.equal(records[0].Truncated, true);
    assert.equal(records[0].RowValues.length, 4000);
    assert.equal(records[1].Truncated, false);
    assert.equal(JSON.parse(records[1].RowValues).note, 'first bad');
    const second = await call24(client, 'ListDIJobDirtyRecords', { Id: id, PageSize: 1, PageNumber: 2 });
    assert.deepEqual(second.PagingInfo.DirtyRecords.map((r: any) => r.Id), [records[1].Id]);
    await taskCall(client, 'StopDISyncInstance', projectId, id);
  }
  await expectApiError(call24(client, 'ListDIJobDirtyRecords', { DIJobId: toPg, PageSize: 101 }), 400, 'Param.Invalid', 'PageSize');
  await expectApiError(call24(client, 'ListDIJobDirtyRecords', { DIJobId: toPg, PageSize: 100, PageNumber: 1002 }), 400, 'Param.Invalid', 'PageNumber');
  const outsider = JSON.parse(await svc.cli(['principal', 'create', 'stranger']));
  const theirs = svc.client('v3', { accessKeyId: outsider.AccessKeyId, accessKeySecret: outsider.AccessKeySecret });
  await expectApiError(theirs.call('ListDIJobDirtyRecords', { DIJobId: toPg }, '2024-05-18'), 404, 'Invalid.DIJob.NotExists');
  await expectApiError(call24(client, 'ListDIJobDirtyRecords', { DIJobId: 999999 }), 404, 'Invalid.DIJob.NotExists');
});
