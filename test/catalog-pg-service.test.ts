/**
 * The service on a PostgreSQL catalog (issue 12, point 1), end to end through the SDK: the catalog
 * lives in PostgreSQL (nothing in the data dir), ids are never reused across a restart, and a
 * PostgreSQL -> PostgreSQL task created there keeps running across a service restart (it resumes
 * from the catalog). The service reaches its catalog through a TCP proxy so a later test can cut
 * the catalog off while the data databases stay up.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { OpenDIService } from './harness/opendi-service.ts';
import { startPostgres, type PgInstance } from './harness/postgres.ts';
import { TcpProxy } from './harness/tcp-proxy.ts';
import {
  addPostgresDataSource, call, createDeployedTask, createWorkspace, expectApiError, realtimeScript, taskCall, waitForEqualTables, waitForStatus,
  waitUntil, withDb,
} from './harness/realtime-scenario.ts';

let pgi: PgInstance;
let proxy: TcpProxy;
let svc: OpenDIService;
let projectId: number;

before(async () => {
  pgi = await startPostgres();
  await pgi.createDatabase('catalog');
  proxy = await TcpProxy.start(pgi.host, pgi.port);
  svc = await OpenDIService.start({
    catalogUrl: `postgres://${pgi.user}@${proxy.host}:${proxy.port}/catalog`,
    env: { OPENDI_CATALOG_CONNECT_TIMEOUT_MS: '2000', OPENDI_CATALOG_STATEMENT_TIMEOUT_MS: '2000' },
  });
  projectId = await createWorkspace(svc.client(), 'ws_pgcat');
});
after(async () => { await svc?.destroy(); await proxy?.close(); await pgi?.destroy(); });

const catalogRows = async (table: string) => Number((await pgi.query(`SELECT count(*) AS n FROM opendi_catalog.${table}`, [], 'catalog')).rows[0].n);

test('the catalog is in PostgreSQL: a deleted FileId or DataSourceId is never handed out again, also after a restart', async () => {
  assert.equal(fs.existsSync(path.join(svc.dataDir, 'catalog.sqlite')), false, 'no SQLite catalog in the data dir');
  assert.equal(projectId, 10000);
  assert.equal(await catalogRows('projects'), 1);
  const create = async (name: string) =>
    (await call(svc.client(), 'CreateDISyncTask', { ProjectId: projectId, TaskType: 'DI_REALTIME', TaskName: name, TaskContent: realtimeScript('a', 'b', ['public.t']) })).Data.FileId as number;
  const del = (fileId: number) => call(svc.client(), 'DeleteDISyncTask', { ProjectId: projectId, TaskType: 'DI_REALTIME', FileId: fileId });
  const first = await create('ids1');
  await del(first);
  const second = await create('ids1');
  assert.equal(second, first + 1);
  await del(second);
  await svc.stop();
  await svc.restart();
  assert.equal(await create('ids1'), first + 2);
  assert.equal(await catalogRows('task_files'), 1);
});

test('a PostgreSQL -> PostgreSQL task on a PostgreSQL catalog streams, and resumes after a service restart', async () => {
  const client = svc.client();
  await pgi.createDatabase('orders_src');
  await pgi.createDatabase('orders_dst');
  await withDb(pgi, 'orders_src', (c) => c.query(`CREATE TABLE public.orders (id bigint PRIMARY KEY, item text, qty int);
    INSERT INTO orders SELECT g, 'item ' || g, g FROM generate_series(1, 500) g`));
  await addPostgresDataSource(client, projectId, 'orders_src', pgi, 'orders_src');
  await addPostgresDataSource(client, projectId, 'orders_dst', pgi, 'orders_dst');
  const fileId = await createDeployedTask(client, projectId, 'orders_task', realtimeScript('orders_src', 'orders_dst', ['public.orders'], { setting: { initialLoad: true } }));
  assert.equal((await taskCall(client, 'StartDISyncInstance', projectId, fileId)).Data.Status, 'success');
  await waitForStatus(client, projectId, fileId, ['RUN']);
  await withDb(pgi, 'orders_src', (c) => c.query(`UPDATE orders SET qty = qty * 2 WHERE id % 3 = 0; DELETE FROM orders WHERE id % 5 = 0`));
  await waitForEqualTables(pgi, 'orders_src', pgi, 'orders_dst', 'public.orders');
  const runtime = (await pgi.query(`SELECT desired, status FROM opendi_catalog.task_runtime WHERE file_id = $1`, [fileId], 'catalog')).rows[0];
  assert.deepEqual(runtime, { desired: 'RUN', status: 'RUN' });

  await svc.stop();
  await withDb(pgi, 'orders_src', (c) => c.query(`INSERT INTO orders SELECT g, 'late ' || g, g FROM generate_series(501, 800) g`));
  await svc.restart();
  await waitForStatus(svc.client(), projectId, fileId, ['RUN']);
  await withDb(pgi, 'orders_src', (c) => c.query(`UPDATE orders SET item = 'after restart' WHERE id > 700`));
  const rows = await waitForEqualTables(pgi, 'orders_src', pgi, 'orders_dst', 'public.orders');
  assert.equal(rows.length, 400 + 300);
  await taskCall(svc.client(), 'StopDISyncInstance', projectId, fileId);
  await taskCall(svc.client(), 'TerminateDISyncInstance', projectId, fileId);
});

test('catalog outage: calls answer 503 ServiceUnavailable.Catalog within seconds, and work again once the catalog is back, without a restart', async () => {
  const client = svc.client();
  await pgi.createDatabase('outage_src');
  await pgi.createDatabase('outage_dst');
  await withDb(pgi, 'outage_src', (c) => c.query(`CREATE TABLE public.t (id bigint PRIMARY KEY, v text); INSERT INTO t SELECT g, 'v' FROM generate_series(1, 100) g`));
  await addPostgresDataSource(client, projectId, 'outage_src', pgi, 'outage_src');
  await addPostgresDataSource(client, projectId, 'outage_dst', pgi, 'outage_dst');
  const fileId = await createDeployedTask(client, projectId, 'outage_task', realtimeScript('outage_src', 'outage_dst', ['public.t'], { setting: { initialLoad: true } }));
  await taskCall(client, 'StartDISyncInstance', projectId, fileId);
  await waitForStatus(client, projectId, fileId, ['RUN']);
  await waitForEqualTables(pgi, 'outage_src', pgi, 'outage_dst', 'public.t');

  // The catalog goes silent (open connections hear nothing) and refuses new connections; the data databases stay up.
  proxy.refuse(true);
  proxy.freeze();
  try {
    for (const [action, params] of [['ListProjects', {}], ['GetDISyncInstanceInfo', { ProjectId: projectId, TaskType: 'DI_REALTIME', FileId: fileId }]] as const) {
      const started = Date.now();
      await expectApiError(call(svc.client(), action, params), 503, 'ServiceUnavailable.Catalog', 'catalog database');
      outageAnswerMs.push(Date.now() - started);
    }
    await withDb(pgi, 'outage_src', (c) => c.query(`INSERT INTO t SELECT g, 'during outage' FROM generate_series(101, 200) g`));
  } finally {
    proxy.refuse(false);
    proxy.thaw();
  }
  const back = Date.now();
  await waitUntil(async () => (await call(svc.client(), 'ListProjects', {}).catch(() => undefined))?.PageResult, 20_000, 'the catalog to answer again')
    .catch((err) => { throw new Error(`${err.message}; the service said:\n${svc.log.slice(-3000)}`); });
  outageAnswerMs.push(Date.now() - back);
  await waitForStatus(client, projectId, fileId, ['RUN']);
  const rows = await waitForEqualTables(pgi, 'outage_src', pgi, 'outage_dst', 'public.t');
  assert.equal(rows.length, 200, 'nothing written during the outage is lost');
  // A catalog transaction that was under way when the cut came (the task's progress, say) was given up
  // by the service, but its session lives on at the server behind the cut, holding the task's row:
  // the server ends it (idle_in_transaction_session_timeout, pg-driver.ts) and a write of that row goes
  // through again within that bound, not hours later.
  const stopAsked = Date.now();
  await waitUntil(async () => (await taskCall(client, 'StopDISyncInstance', projectId, fileId)).Data.Status === 'success' || undefined, 20_000, 'Stop to go through')
    .catch((err) => { throw new Error(`${err.message}; the service said:\n${svc.log.slice(-3000)}`); });
  console.log(`catalog outage: 503 answered after ${outageAnswerMs.slice(0, 2).join(' / ')} ms; calls worked again ${outageAnswerMs[2]} ms after it returned; `
    + `the first Stop after it went through in ${Date.now() - stopAsked} ms`);
});

const outageAnswerMs: number[] = [];

test('a catalog that cannot be reached stops the start with one clear line, without the URL\'s password; a non-postgres URL is refused', async () => {
  const closed = await TcpProxy.start(pgi.host, pgi.port);
  closed.refuse(true);
  try {
    await assert.rejects(OpenDIService.start({ catalogUrl: `postgres://opendi:Catalog-Pw-42@${closed.host}:${closed.port}/catalog` }), (e: Error) => {
      assert.match(e.message, /cannot open the catalog postgres:\/\/opendi:\*\*\*@.*the catalog database is unavailable.*is the database up and reachable/);
      assert.ok(!e.message.includes('Catalog-Pw-42'));
      return true;
    });
  } finally {
    await closed.close();
  }
  await assert.rejects(OpenDIService.start({ catalogUrl: 'mysql://h/db' }), /--catalog-url must start with postgres:\/\//);
});
