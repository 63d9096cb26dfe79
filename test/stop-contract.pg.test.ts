/**
 * Every row of the StopDISyncInstance contract (docs/design.md section 1), through
 * @alicloud/openapi-core against the real service and a private PostgreSQL.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import Database from 'better-sqlite3';
import { OpenDIService } from './harness/opendi-service.ts';
import { startPostgres, type PgInstance } from './harness/postgres.ts';
import {
  addPostgresDataSource, call, createDeployedTask, createWorkspace, instanceInfo, realtimeScript,
  replicationConnections, taskCall, waitForEqualTables, waitForStatus, withDb, expectApiError,
} from './harness/realtime-scenario.ts';

let pgi: PgInstance;
let svc: OpenDIService;
let projectId: number;

before(async () => {
  pgi = await startPostgres();
  await pgi.createDatabase('src');
  await pgi.createDatabase('dst');
  await withDb(pgi, 'src', (c) => c.query(`CREATE TABLE public.items (id bigint PRIMARY KEY, note text)`));
  svc = await OpenDIService.start({ env: { OPENDI_CATALOG_BUSY_TIMEOUT_MS: '300' } });
  const client = svc.client();
  projectId = await createWorkspace(client, 'ws_stop');
  await addPostgresDataSource(client, projectId, 'pg_src', pgi, 'src');
  await addPostgresDataSource(client, projectId, 'pg_dst', pgi, 'dst');
});
after(async () => { await svc?.destroy(); await pgi?.destroy(); });

let taskSeq = 0;
async function newTask(): Promise<number> {
  return createDeployedTask(svc.client(), projectId, `stop_task_${++taskSeq}`, realtimeScript('pg_src', 'pg_dst', ['public.items']));
}


test('a parameter missing, not a number, or TaskType not DI_REALTIME: 400 Param.Invalid naming it', async () => {
  const client = svc.client();
  await expectApiError(call(client, 'StopDISyncInstance', { ProjectId: projectId, TaskType: 'DI_REALTIME' }), 400, 'Param.Invalid', 'FileId');
  await expectApiError(call(client, 'StopDISyncInstance', { TaskType: 'DI_REALTIME', FileId: 1 }), 400, 'Param.Invalid', 'ProjectId');
  await expectApiError(call(client, 'StopDISyncInstance', { ProjectId: projectId, TaskType: 'DI_REALTIME', FileId: '12x' }), 400, 'Param.Invalid', 'FileId');
  await expectApiError(call(client, 'StopDISyncInstance', { ProjectId: projectId, TaskType: 'DI_OFFLINE', FileId: 1 }), 400, 'Param.Invalid', 'TaskType');
  await expectApiError(svc.client('v2').call('StopDISyncInstance', { ProjectId: projectId, FileId: 1 }), 400, 'Param.Invalid', 'TaskType');
});

test('workspace unknown, or no access to it: 403 Forbidden.Access', async () => {
  await expectApiError(taskCall(svc.client(), 'StopDISyncInstance', 987654, 1), 403, 'Forbidden.Access');
  const eve = JSON.parse(await svc.cli(['principal', 'create', 'eve']));
  const eveClient = svc.client('v3', { accessKeyId: eve.AccessKeyId, accessKeySecret: eve.AccessKeySecret });
  await expectApiError(taskCall(eveClient, 'StopDISyncInstance', projectId, 1), 403, 'Forbidden.Access');
});

test('FileId not a real-time task of the workspace: 200, fail, "fileId:[N] is invalid."', async () => {
  const client = svc.client();
  const r = await taskCall(client, 'StopDISyncInstance', projectId, 424242);
  assert.equal(r.Success, true);
  assert.deepEqual(r.Data, { Status: 'fail', Message: 'fileId:[424242] is invalid.' });
  // A real task of another workspace is just as invalid here.
  const other = await createWorkspace(client, 'ws_stop_other');
  const fileId = await newTask();
  const r2 = await taskCall(client, 'StopDISyncInstance', other, fileId);
  assert.equal(r2.Data.Message, `fileId:[${fileId}] is invalid.`);
});

test('task never started (NORUN): fail, says it is not running', async () => {
  const fileId = await newTask();
  const r = await taskCall(svc.client(), 'StopDISyncInstance', projectId, fileId);
  assert.equal(r.Data.Status, 'fail');
  assert.match(r.Data.Message, /not running/);
  assert.equal((await instanceInfo(svc.client(), projectId, fileId)).Status, 'NORUN');
});

test('task running: graceful stop, success with Message null, PAUSE, no walsender left; stop again is idempotent', async () => {
  const client = svc.client();
  const fileId = await newTask();
  assert.equal((await taskCall(client, 'StartDISyncInstance', projectId, fileId)).Data.Status, 'success');
  await waitForStatus(client, projectId, fileId, ['RUN']);
  await withDb(pgi, 'src', (c) => c.query(`INSERT INTO items SELECT g, 'row ' || g FROM generate_series(1, 500) g`));
  await waitForEqualTables(pgi, 'src', pgi, 'dst', 'public.items');
  const stop = await taskCall(client, 'StopDISyncInstance', projectId, fileId);
  assert.deepEqual(stop.Data, { Status: 'success', Message: null });
  assert.equal((await instanceInfo(client, projectId, fileId)).Status, 'PAUSE');
  assert.equal(await replicationConnections(pgi), 0, 'no walsender may remain after a stop');
  const again = await taskCall(client, 'StopDISyncInstance', projectId, fileId);
  assert.deepEqual(again.Data, { Status: 'success', Message: null });
  await taskCall(client, 'TerminateDISyncInstance', projectId, fileId);
});

test('task in WAIT (just started): stop succeeds and leaves PAUSE', async () => {
  const client = svc.client();
  const fileId = await newTask();
  await taskCall(client, 'StartDISyncInstance', projectId, fileId);
  const stop = await taskCall(client, 'StopDISyncInstance', projectId, fileId);
  assert.equal(stop.Data.Status, 'success');
  assert.equal((await instanceInfo(client, projectId, fileId)).Status, 'PAUSE');
  assert.equal(await replicationConnections(pgi), 0);
  await taskCall(client, 'TerminateDISyncInstance', projectId, fileId);
});

test('task failed (its slot is gone): FAILED with a clear message; stop succeeds and makes it PAUSE', async () => {
  const client = svc.client();
  const fileId = await newTask();
  await taskCall(client, 'StartDISyncInstance', projectId, fileId);
  await waitForStatus(client, projectId, fileId, ['RUN']);
  await taskCall(client, 'StopDISyncInstance', projectId, fileId);
  await withDb(pgi, 'src', (c) => c.query(`SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name LIKE $1`, [`%\\_${fileId}`]));
  await taskCall(client, 'StartDISyncInstance', projectId, fileId);
  const failed = await waitForStatus(client, projectId, fileId, ['FAILED']);
  assert.match(failed.Message, /slot/i);
  assert.match(failed.Message, /Terminate/);
  const stop = await taskCall(client, 'StopDISyncInstance', projectId, fileId);
  assert.deepEqual(stop.Data, { Status: 'success', Message: null });
  assert.equal((await instanceInfo(client, projectId, fileId)).Status, 'PAUSE');
  await taskCall(client, 'TerminateDISyncInstance', projectId, fileId);
});

test('concurrent Stop and Start calls are serialized and give consistent answers', async () => {
  const client = svc.client();
  const fileId = await newTask();
  await taskCall(client, 'StartDISyncInstance', projectId, fileId);
  await waitForStatus(client, projectId, fileId, ['RUN']);
  const answers = await Promise.all([
    taskCall(client, 'StopDISyncInstance', projectId, fileId),
    taskCall(client, 'StopDISyncInstance', projectId, fileId),
    taskCall(svc.client('v2'), 'StopDISyncInstance', projectId, fileId),
  ]);
  for (const a of answers) assert.deepEqual(a.Data, { Status: 'success', Message: null });
  assert.equal((await instanceInfo(client, projectId, fileId)).Status, 'PAUSE');
  assert.equal(await replicationConnections(pgi), 0);
  const [start, stop] = await Promise.all([
    taskCall(client, 'StartDISyncInstance', projectId, fileId),
    taskCall(client, 'StopDISyncInstance', projectId, fileId),
  ]);
  assert.equal(start.Data.Status, 'success');
  assert.equal(stop.Data.Status, 'success');
  const info = await instanceInfo(client, projectId, fileId);
  assert.ok(['PAUSE', 'WAIT', 'RUN'].includes(info.Status), info.Status);
  await taskCall(client, 'StopDISyncInstance', projectId, fileId);
  assert.equal(await replicationConnections(pgi), 0);
  await taskCall(client, 'TerminateDISyncInstance', projectId, fileId);
});

test('unexpected fault (catalog locked by another process): 500 InternalError.System, task state stays consistent', async () => {
  const client = svc.client();
  const fileId = await newTask();
  await taskCall(client, 'StartDISyncInstance', projectId, fileId);
  await waitForStatus(client, projectId, fileId, ['RUN']);
  const lock = new Database(path.join(svc.dataDir, 'catalog.sqlite'));
  lock.prepare('BEGIN EXCLUSIVE').run();
  try {
    await expectApiError(taskCall(client, 'StopDISyncInstance', projectId, fileId), 500, 'InternalError.System');
  } finally {
    lock.prepare('ROLLBACK').run();
    lock.close();
  }
  // The task never stopped: it is still RUN and still streaming.
  assert.equal((await instanceInfo(client, projectId, fileId)).Status, 'RUN');
  await withDb(pgi, 'src', (c) => c.query(`INSERT INTO items SELECT g, 'after fault' FROM generate_series(100001, 100100) g`));
  await waitForEqualTables(pgi, 'src', pgi, 'dst', 'public.items');
  const stop = await taskCall(client, 'StopDISyncInstance', projectId, fileId);
  assert.equal(stop.Data.Status, 'success');
  assert.ok(!svc.log.includes('test-admin-secret'), 'the AccessKey secret never reaches the log');
  await taskCall(client, 'TerminateDISyncInstance', projectId, fileId);
});
