/**
 * Fidelity to the official SDK models and the cloud's behaviour (spec/di-api-audit.md section 3,
 * issue 8 items 13 and 14), through @alicloud/openapi-core against the real service; nothing here
 * needs a database engine.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { OpenDIService } from './harness/opendi-service.ts';
import { call, createWorkspace, expectApiError, realtimeScript, waitUntil } from './harness/realtime-scenario.ts';
import { assertMatchesModel } from './harness/sdk-model.ts';
import { SQLITE_MIGRATIONS } from '../src/store/sqlite/migrations.ts';
import { openSqliteCatalog } from '../src/store/sqlite/sqlite-catalog-store.ts';
import { CLIENT_TOKEN_TTL_MS } from '../src/actions/client-token.ts';

let svc: OpenDIService;
before(async () => { svc = await OpenDIService.start(); });
after(async () => { await svc.destroy(); });

const RT = { TaskType: 'DI_REALTIME' };

/** The SDK's own TaskContent example (QueryDISyncTaskConfigProcessResult), with engines OpenDI serves. */
function cloudTaskContent(name: string | undefined, source = 'src_ds', target = 'dst_ds'): string {
  return JSON.stringify({
    extend: { mode: 'migration_holo', resourceGroup: '280749', ...(name ? { name } : {}) }, type: 'job', version: '2.0',
    steps: [
      { stepType: 'mysql', name: 'reader', category: 'reader', parameter: { connection: [{ datasourceType: 'mysql', datasource: source,
        selectedTables: [{ schema: [{ tableInfos: [{ enable: true, table: 'm_v1', tableName: 'm_v1' }] }], dbName: 'm' }] }] } },
      { stepType: 'postgresql', name: 'writer', category: 'writer', parameter: { datasource: target } },
    ],
    order: { hops: [{ from: 'reader', to: 'writer' }] },
  });
}

test('real-time tasks are FileType 900; ListFiles filters type and folder in the store (TotalCount and pages count matches only)', async () => {
  const client = svc.client();
  const projectId = await createWorkspace(client, 'ws_fid_files');
  const ids: Record<string, number[]> = { 'Team/rt': [], Other: [] };
  for (let i = 0; i < 9; i++) {
    const folder = i < 7 ? 'Team/rt' : 'Other';
    const r = await call(client, 'CreateDISyncTask', { ProjectId: projectId, ...RT, TaskName: `f_${i}`, TaskContent: realtimeScript('a', 'b', ['t']), TaskParam: JSON.stringify({ FileFolderPath: folder }) });
    assertMatchesModel('CreateDISyncTask', r);
    ids[folder].push(r.Data.FileId);
  }
  const all = await call(client, 'ListFiles', { ProjectId: projectId, FileTypes: '900' });
  assert.equal(all.Data.TotalCount, 9);
  assert.ok(all.Data.Files.every((f: any) => f.FileType === 900));
  assert.deepEqual(assertMatchesModel('ListFiles', all), []);
  assert.equal((await call(client, 'ListFiles', { ProjectId: projectId, FileTypes: '23' })).Data.TotalCount, 0);
  const page2 = await call(client, 'ListFiles', { ProjectId: projectId, FileFolderPath: 'Team', PageNumber: 2, PageSize: 5 });
  assert.equal(page2.Data.TotalCount, 7);
  assert.deepEqual(page2.Data.Files.map((f: any) => f.FileId), ids['Team/rt'].slice(5));
  assert.equal((await call(client, 'ListFiles', { ProjectId: projectId, FileFolderPath: 'Tea' })).Data.TotalCount, 0, 'a folder filter matches whole path components');
  assert.equal((await call(client, 'ListFiles', { ProjectId: projectId, FileFolderPath: 'team' })).Data.TotalCount, 0, 'folder paths are case-sensitive');
  const file = await call(client, 'GetFile', { ProjectId: projectId, FileId: ids.Other[0] });
  assert.equal(file.Data.File.FileType, 900);
  assertMatchesModel('GetFile', file);
});

test('an upgraded catalog: tasks stored as FileType 23 become 900 and keep working', async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'opendi-old-'));
  const db = new Database(path.join(dataDir, 'catalog.sqlite'));
  for (const [i, m] of SQLITE_MIGRATIONS.slice(0, 2).entries()) { db.exec(m); db.pragma(`user_version = ${i + 1}`); }
  const now = Date.now();
  db.prepare(`INSERT INTO projects VALUES (10000, 'old_ws', 'old_ws', '', 'p', '[]', 0, 1, 3, '', ?, ?)`).run(now, now);
  db.prepare(`INSERT INTO task_files VALUES (100000, 10000, 'old_task', 23, 'DI_REALTIME', 'Data Integration', ?, 1, NULL, NULL, 'p', 'p', ?, ?)`)
    .run(realtimeScript('a', 'b', ['public.t']), now, now);
  db.prepare(`INSERT INTO task_runtime VALUES (100000, 'NORUN', NULL, 'STOP', NULL, 0, 0, ?, NULL)`).run(now);
  db.close();
  const old = await OpenDIService.start({ dataDir });
  try {
    const client = old.client();
    const listed = await call(client, 'ListFiles', { ProjectId: 10000, FileTypes: '900' });
    assert.deepEqual(listed.Data.Files.map((f: any) => [f.FileId, f.FileType]), [[100000, 900]]);
    const got = await call(client, 'GetDISyncTask', { ProjectId: 10000, ...RT, FileId: 100000 });
    assert.equal(got.Data.Status, 'success');
    assert.equal((await call(client, 'GetDISyncInstanceInfo', { ProjectId: 10000, ...RT, FileId: 100000 })).Data.Status, 'NORUN');
  } finally {
    await old.destroy();
  }
});

test('TaskContent in the cloud\'s shape is accepted and produced; TaskName defaults to the script\'s name; GetDISyncTask matches its model', async () => {
  const client = svc.client();
  const projectId = await createWorkspace(client, 'ws_fid_content');
  const created = await call(client, 'CreateDISyncTask', { ProjectId: projectId, ...RT, TaskContent: cloudTaskContent('h_task') });
  assert.equal(created.Data.Status, 'success', created.Data.Message);
  const got = await call(client, 'GetDISyncTask', { ProjectId: projectId, ...RT, FileId: created.Data.FileId });
  assert.deepEqual(assertMatchesModel('GetDISyncTask', got), [], 'GetDISyncTask sends only fields of the SDK model');
  assert.equal(got.Data.SolutionDetail, null);
  const code = JSON.parse(got.Data.Code);
  assert.deepEqual([code.type, code.version, code.extend], ['job', '2.0', { mode: 'migration_holo', resourceGroup: '280749', name: 'h_task' }]);
  assert.deepEqual(code.order, { hops: [{ from: 'reader', to: 'writer' }] });
  assert.deepEqual(code.steps[0].parameter.connection[0].table, ['m.m_v1']);
  const files = await call(client, 'ListFiles', { ProjectId: projectId, ExactFileName: 'h_task' });
  assert.equal(files.Data.Files[0].FileId, created.Data.FileId);

  // The TaskParam shape (type realtime) is accepted too and stored in the cloud's shape, named from setting.name.
  const v1 = JSON.stringify({ type: 'realtime', version: '1.0', setting: { name: 'from_setting', initialLoad: true }, steps: JSON.parse(realtimeScript('a', 'b', ['t'])).steps });
  const c2 = await call(client, 'CreateDISyncTask', { ProjectId: projectId, ...RT, TaskContent: v1 });
  const code2 = JSON.parse((await call(client, 'GetDISyncTask', { ProjectId: projectId, ...RT, FileId: c2.Data.FileId })).Data.Code);
  assert.deepEqual([code2.type, code2.version, code2.extend.name, code2.setting.initialLoad], ['job', '2.0', 'from_setting', true]);
  // An explicit TaskName wins; no name anywhere is refused, naming TaskName.
  const c3 = await call(client, 'CreateDISyncTask', { ProjectId: projectId, ...RT, TaskName: 'explicit', TaskContent: cloudTaskContent('ignored_name') });
  assert.equal(JSON.parse((await call(client, 'GetDISyncTask', { ProjectId: projectId, ...RT, FileId: c3.Data.FileId })).Data.Code).extend.name, 'explicit');
  await expectApiError(call(client, 'CreateDISyncTask', { ProjectId: projectId, ...RT, TaskContent: cloudTaskContent(undefined) }), 400, 'Param.Invalid', 'TaskName');
  // UpdateDISyncTask takes the cloud's shape as well and keeps the file's name.
  const upd = await call(client, 'UpdateDISyncTask', { ProjectId: projectId, ...RT, FileId: c2.Data.FileId, TaskContent: cloudTaskContent('other') });
  assert.equal(upd.Data.Status, 'success');
  assert.equal(JSON.parse((await call(client, 'GetDISyncTask', { ProjectId: projectId, ...RT, FileId: c2.Data.FileId })).Data.Code).extend.name, 'from_setting');
});

test('QueryDISyncTaskConfigProcessResult answers only success or fail, also while the check is still running', async () => {
  // A "database" that accepts connections and never answers keeps the config check busy.
  const sockets = new Set<net.Socket>();
  const silent = net.createServer((s) => { sockets.add(s); s.on('error', () => undefined); });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const port = (silent.address() as net.AddressInfo).port;
  try {
    const client = svc.client();
    const projectId = await createWorkspace(client, 'ws_fid_query');
    for (const name of ['slow_src', 'any_dst']) {
      await call(client, 'CreateDataSource', { ProjectId: projectId, Name: name, DataSourceType: 'postgresql', EnvType: 1,
        Content: JSON.stringify({ jdbcUrl: `jdbc:postgresql://127.0.0.1:${port}/db`, username: 'u', password: 'p' }) });
    }
    const gen = await call(client, 'GenerateDISyncTaskConfigForCreating', { ProjectId: projectId, ...RT, TaskParam: realtimeScript('slow_src', 'any_dst', ['t']) });
    assertMatchesModel('GenerateDISyncTaskConfigForCreating', gen);
    const q = await call(client, 'QueryDISyncTaskConfigProcessResult', { ProjectId: projectId, ...RT, AsyncProcessId: gen.Data.ProcessId });
    assertMatchesModel('QueryDISyncTaskConfigProcessResult', q);
    assert.ok(['success', 'fail'].includes(q.Data.Status), `Status ${q.Data.Status}`);
    assert.equal(q.Data.Status, 'fail');
    assert.equal(q.Data.TaskContent, null);
    // Unfinished after Query's own wait: "fail", saying to retry (a check bound shorter than that wait ends it earlier).
    assert.match(q.Data.Message, /still being generated; retry|connect|time/);
  } finally {
    for (const s of sockets) s.destroy();
    silent.close();
  }
});

test('GetDISyncInstanceInfo: SolutionInfo is null for DI_REALTIME and the answer matches the SDK model', async () => {
  const client = svc.client();
  const projectId = await createWorkspace(client, 'ws_fid_info');
  const created = await call(client, 'CreateDISyncTask', { ProjectId: projectId, ...RT, TaskName: 'info_task', TaskContent: realtimeScript('a', 'b', ['t']) });
  const info = await call(client, 'GetDISyncInstanceInfo', { ProjectId: projectId, ...RT, FileId: created.Data.FileId });
  assert.deepEqual(assertMatchesModel('GetDISyncInstanceInfo', info), ['Data.Metrics'], 'only the documented Metrics extension is extra');
  assert.equal(info.Data.SolutionInfo, null);
  assert.deepEqual([info.Data.Status, info.Data.Name, info.Data.Message], ['NORUN', 'info_task', null]);
});

test('workspaces default to basic mode (ProjectMode 2, EnvTypes ["PRD"]); standard mode has ["DEV","PRD"]; data sources: PageSize 10, Status 1/2, SubType ""', async () => {
  const client = svc.client();
  const basic = await createWorkspace(client, 'ws_fid_basic');
  const b = await call(client, 'GetProject', { ProjectId: basic });
  assertMatchesModel('GetProject', b);
  assert.deepEqual([b.Data.ProjectMode, b.Data.EnvTypes], [2, ['PRD']]);
  const std = (await call(client, 'CreateProject', { ProjectName: 'std', ProjectIdentifier: 'ws_fid_std', ProjectMode: 3 })).Data;
  assert.deepEqual((await call(client, 'GetProject', { ProjectId: std })).Data.EnvTypes, ['DEV', 'PRD']);
  const list = await call(client, 'ListProjects', {});
  assertMatchesModel('ListProjects', list);

  const ds = (await call(client, 'CreateDataSource', { ProjectId: basic, Name: 'pg1', DataSourceType: 'postgresql', EnvType: 1, SubType: 'postgresql',
    Content: JSON.stringify({ jdbcUrl: 'jdbc:postgresql://127.0.0.1:5432/app', username: 'u', password: 'p' }) })).Data;
  await call(client, 'CreateDataSource', { ProjectId: basic, Name: 'pg2', DataSourceType: 'postgresql', EnvType: 1,
    Content: JSON.stringify({ jdbcUrl: 'jdbc:postgresql://127.0.0.1:5432/app', username: 'u', password: 'p' }) });
  await call(client, 'UpdateDataSource', { DataSourceId: ds, Status: 'DISABLED' });
  const listed = await call(client, 'ListDataSources', { ProjectId: basic });
  assertMatchesModel('ListDataSources', listed);
  assert.equal(listed.Data.PageSize, 10);
  assert.deepEqual(listed.Data.DataSources.map((d: any) => [d.Name, d.Status, d.SubType]), [['pg1', 2, ''], ['pg2', 1, '']]);
});

test('unknown top-level parameters and StartParam keys are ignored; errorLimit.record "" means the default', async () => {
  const client = svc.client();
  const projectId = await createWorkspace(client, 'ws_fid_unknown');
  const created = await call(client, 'CreateDISyncTask', { ProjectId: projectId, ...RT, TaskName: 'u_task', TaskContent: realtimeScript('a', 'b', ['t']) });
  const got = await client.call('GetDISyncTask', { ProjectId: projectId, ...RT, FileId: created.Data.FileId, DeprecatedField: 'x' });
  assert.equal(got.body.Data.Status, 'success');
  // The StartParam decodes; the start then fails only because the task is not deployed.
  const start = await call(client, 'StartDISyncInstance', { ProjectId: projectId, ...RT, FileId: created.Data.FileId,
    StartParam: JSON.stringify({ speed: { concurrent: 2 }, errorLimit: { record: '' } }) });
  assert.equal(start.Data.Status, 'fail');
  assert.match(start.Data.Message, /not deployed/);
});

test('at the default log level request lines are not logged; task operations are (info)', async () => {
  const client = svc.client();
  const projectId = await createWorkspace(client, 'ws_fid_logs');
  const fileId = (await call(client, 'CreateDISyncTask', { ProjectId: projectId, ...RT, TaskName: 'log_task', TaskContent: realtimeScript('a', 'b', ['t']) })).Data.FileId;
  await call(client, 'StopDISyncInstance', { ProjectId: projectId, ...RT, FileId: fileId });
  const lines = await waitUntil(async () => {
    const all = svc.log.trim().split('\n').map((l) => JSON.parse(l));
    return all.some((l) => l.msg === 'task operation' && l.action === 'StopDISyncInstance' && l.taskId === fileId) && all;
  }, 5_000, 'the task event in the log');
  assert.ok(lines.some((l) => l.msg === 'task operation' && l.level === 'info' && l.action === 'StopDISyncInstance' && l.taskId === fileId && l.ok === false));
  assert.ok(!lines.some((l) => l.msg === 'request'), 'one line per request is debug');
});

test('ClientToken: a retried create answers the first answer and creates nothing new, also for concurrent duplicates and per caller', async () => {
  const admin = svc.client();
  const token = 'tok-project-1';
  const first = await call(admin, 'CreateProject', { ProjectName: 'ct', ProjectIdentifier: 'ws_fid_ct', ClientToken: token });
  const again = await call(admin, 'CreateProject', { ProjectName: 'ct', ProjectIdentifier: 'ws_fid_ct', ClientToken: token });
  assert.equal(again.Data, first.Data);
  assert.notEqual(again.RequestId, first.RequestId);
  await expectApiError(call(admin, 'CreateProject', { ProjectName: 'ct2', ProjectIdentifier: 'ws_fid_ct2', ClientToken: token }), 400, 'Param.Invalid', 'ClientToken');
  const projectId = first.Data as number;

  // Five concurrent duplicates: one task.
  const params = { ProjectId: projectId, ...RT, TaskName: 'ct_task', TaskContent: realtimeScript('a', 'b', ['t']), ClientToken: 'tok-task-1' };
  const answers = await Promise.all(Array.from({ length: 5 }, () => call(admin, 'CreateDISyncTask', params)));
  assert.deepEqual(new Set(answers.map((a) => `${a.Data.Status}:${a.Data.FileId}`)).size, 1, JSON.stringify(answers.map((a) => a.Data)));
  assert.equal(answers[0].Data.Status, 'success');
  assert.equal((await call(admin, 'ListFiles', { ProjectId: projectId })).Data.TotalCount, 1);

  // The config generators: the same process.
  const gen = { ProjectId: projectId, ...RT, TaskParam: realtimeScript('a', 'b', ['t']), ClientToken: 'tok-gen-1' };
  const g1 = await call(admin, 'GenerateDISyncTaskConfigForCreating', gen);
  const g2 = await call(admin, 'GenerateDISyncTaskConfigForCreating', gen);
  assert.equal(g2.Data.ProcessId, g1.Data.ProcessId);
  const upd = { ProjectId: projectId, ...RT, TaskId: answers[0].Data.FileId, TaskParam: '{}', ClientToken: 'tok-gen-2' };
  assert.equal((await call(admin, 'GenerateDISyncTaskConfigForUpdating', upd)).Data.ProcessId, (await call(admin, 'GenerateDISyncTaskConfigForUpdating', upd)).Data.ProcessId);

  // Another caller with the same token gets its own creation.
  const bob = JSON.parse(await svc.cli(['principal', 'create', 'fid_bob']));
  const bobClient = svc.client('v3', { accessKeyId: bob.AccessKeyId, accessKeySecret: bob.AccessKeySecret });
  const bobs = await call(bobClient, 'CreateProject', { ProjectName: 'ct', ProjectIdentifier: 'ws_fid_ct_bob', ClientToken: token });
  assert.notEqual(bobs.Data, first.Data);
  // A request that failed leaves the token free for the retry.
  await expectApiError(call(admin, 'CreateProject', { ProjectName: 'x', ProjectIdentifier: '1bad', ClientToken: 'tok-bad' }), 400, 'Param.Invalid', 'ProjectIdentifier');
  assert.equal(typeof (await call(admin, 'CreateProject', { ProjectName: 'x', ProjectIdentifier: 'ws_fid_retry', ClientToken: 'tok-bad' })).Data, 'number');
});

test('ClientToken records expire after 24 hours', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opendi-ct-'));
  const store = await openSqliteCatalog(path.join(dir, 'c.sqlite'));
  try {
    const key = { principalId: 'p', action: '2020-05-18/CreateProject', token: 't' };
    const t0 = 1_000_000;
    assert.deepEqual(await store.claimClientToken(key, 'h', t0, t0 + CLIENT_TOKEN_TTL_MS), { claimed: true });
    await store.completeClientToken(key, '{"Data":1}');
    assert.deepEqual(await store.claimClientToken(key, 'h', t0 + CLIENT_TOKEN_TTL_MS, t0 + 2 * CLIENT_TOKEN_TTL_MS), { claimed: false, requestHash: 'h', response: '{"Data":1}', createdAt: t0 });
    assert.deepEqual(await store.claimClientToken(key, 'h2', t0 + CLIENT_TOKEN_TTL_MS + 1, t0 + 2 * CLIENT_TOKEN_TTL_MS + 1), { claimed: true });
  } finally {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
