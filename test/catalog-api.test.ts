/**
 * Workspaces, data sources, task files and access control, through @alicloud/openapi-core
 * against the real service (no database engine needed: nothing here connects to a source).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { OpenDIService } from './harness/opendi-service.ts';
import { call, createWorkspace, realtimeScript, expectApiError } from './harness/realtime-scenario.ts';

let svc: OpenDIService;
before(async () => { svc = await OpenDIService.start(); });
after(async () => { await svc.destroy(); });

const PASSWORD = 'S3cret-Pa55word-never-shown';


test('workspaces: create, get by id and identifier, list with paging', async () => {
  const client = svc.client();
  const ids: number[] = [];
  for (let i = 0; i < 5; i++) ids.push(await createWorkspace(client, `ws_page_${i}`));
  const got = await call(client, 'GetProject', { ProjectId: ids[2] });
  assert.equal(got.Data.ProjectIdentifier, 'ws_page_2');
  assert.equal((await call(client, 'GetProject', { ProjectIdentifier: 'ws_page_3' })).Data.ProjectId, ids[3]);
  const page = await call(client, 'ListProjects', { PageNumber: 2, PageSize: 2 });
  assert.ok(page.PageResult.TotalCount >= 5);
  assert.equal(page.PageResult.ProjectList.length, 2);
  assert.equal(page.PageResult.PageNumber, 2);
  await expectApiError(call(client, 'CreateProject', { ProjectName: 'dup', ProjectIdentifier: 'ws_page_0' }), 400, 'Param.Invalid', 'ProjectIdentifier');
  await expectApiError(call(client, 'GetProject', { ProjectId: 99999999 }), 403, 'Forbidden.Access');
});

test('data sources: the password is stored and used, but never returned', async () => {
  const client = svc.client('v2');
  const projectId = await createWorkspace(client, 'ws_ds');
  const content = { jdbcUrl: 'jdbc:postgresql://127.0.0.1:5432/app', username: 'app', password: PASSWORD, tag: 'public' };
  const created = await call(client, 'CreateDataSource', { ProjectId: projectId, Name: 'pg_app', DataSourceType: 'postgresql', EnvType: 1, Content: JSON.stringify(content) });
  const id = created.Data;
  assert.equal(typeof id, 'number');
  const listed = await call(client, 'ListDataSources', { ProjectId: projectId });
  assert.equal(listed.Data.TotalCount, 1);
  const shown = JSON.parse(listed.Data.DataSources[0].Content);
  assert.equal(shown.jdbcUrl, content.jdbcUrl);
  assert.equal(shown.password, '***');
  assert.ok(!JSON.stringify(listed).includes(PASSWORD));

  // Sending the shown Content back ("***") keeps the stored password; another user needs it again; a bad update echoes no secret.
  await call(client, 'UpdateDataSource', { DataSourceId: id, Content: JSON.stringify(shown), Description: 'same place' });
  await expectApiError(call(client, 'UpdateDataSource', { DataSourceId: id, Content: JSON.stringify({ ...shown, username: 'app2' }) }), 400, 'Param.Invalid', 'Content.password');
  await call(client, 'UpdateDataSource', { DataSourceId: id, Content: JSON.stringify({ ...shown, username: 'app2', password: PASSWORD }), Description: 'renamed user' });
  const bad = { jdbcUrl: 'not-a-url', username: 'x', password: PASSWORD };
  await assert.rejects(call(client, 'UpdateDataSource', { DataSourceId: id, Content: JSON.stringify(bad) }), (err: any) => {
    assert.equal(err.code, 'Param.Invalid');
    assert.ok(!JSON.stringify(err.data).includes(PASSWORD));
    return true;
  });
  const again = JSON.parse((await call(client, 'ListDataSources', { ProjectId: projectId, Name: 'pg_' })).Data.DataSources[0].Content);
  assert.equal(again.username, 'app2');

  await expectApiError(call(client, 'CreateDataSource', { ProjectId: projectId, Name: 'pg_app', DataSourceType: 'postgresql', EnvType: 1, Content: JSON.stringify(content) }), 400, 'Param.Invalid', 'Name');
  await expectApiError(call(client, 'CreateDataSource', { ProjectId: projectId, Name: 'odps1', DataSourceType: 'odps', EnvType: 1, Content: '{}' }), 400, 'Param.Invalid', 'DataSourceType');
  await expectApiError(call(client, 'CreateDataSource', { ProjectId: projectId, Name: 'my1', DataSourceType: 'mysql', EnvType: 1, Content: JSON.stringify(content) }), 400, 'Param.Invalid', 'Content');

  assert.equal((await call(client, 'DeleteDataSource', { DataSourceId: id })).Data, true);
  assert.equal((await call(client, 'ListDataSources', { ProjectId: projectId })).Data.TotalCount, 0);
  assert.ok(!svc.log.includes(PASSWORD), 'the service log must not contain the password');
});

test('tasks are real-time synchronization files (FileType 900) with paging; bad input is Param.Invalid', async () => {
  const client = svc.client();
  const projectId = await createWorkspace(client, 'ws_files');
  const script = realtimeScript('src', 'dst', ['public.orders']);
  const fileIds: number[] = [];
  for (let i = 0; i < 12; i++) {
    const r = await call(client, 'CreateDISyncTask', { ProjectId: projectId, TaskType: 'DI_REALTIME', TaskName: `rt_task_${String(i).padStart(2, '0')}`, TaskContent: script });
    assert.equal(r.Data.Status, 'success');
    fileIds.push(r.Data.FileId);
  }
  const p1 = await call(client, 'ListFiles', { ProjectId: projectId, FileTypes: '900', PageNumber: 1, PageSize: 5 });
  const p3 = await call(client, 'ListFiles', { ProjectId: projectId, FileTypes: '900', PageNumber: 3, PageSize: 5 });
  assert.equal(p1.Data.TotalCount, 12);
  assert.deepEqual(p1.Data.Files.map((f: any) => f.FileId), fileIds.slice(0, 5));
  assert.deepEqual(p3.Data.Files.map((f: any) => f.FileId), fileIds.slice(10));
  assert.ok(p1.Data.Files.every((f: any) => f.FileType === 900));
  const kw = await call(client, 'ListFiles', { ProjectId: projectId, Keyword: 'task_1' });
  assert.equal(kw.Data.TotalCount, 2);
  const file = await call(client, 'GetFile', { ProjectId: projectId, FileId: fileIds[0] });
  assert.equal(file.Data.File.FileName, 'rt_task_00');
  assert.equal(JSON.parse(file.Data.File.Content).steps[0].parameter.connection[0].table[0], 'public.orders');

  const got = await call(client, 'GetDISyncTask', { ProjectId: projectId, TaskType: 'DI_REALTIME', FileId: fileIds[1] });
  assert.equal(got.Data.Status, 'success');
  assert.equal(JSON.parse(got.Data.Code).extend.name, 'rt_task_01');

  const dup = await call(client, 'CreateDISyncTask', { ProjectId: projectId, TaskType: 'DI_REALTIME', TaskName: 'rt_task_00', TaskContent: script });
  assert.equal(dup.Data.Status, 'fail');
  await expectApiError(call(client, 'CreateDISyncTask', { ProjectId: projectId, TaskType: 'DI_REALTIME', TaskName: 'x1', TaskContent: '{"steps":[]}' }), 400, 'Param.Invalid', 'TaskContent');
  await expectApiError(call(client, 'CreateDISyncTask', { ProjectId: projectId, TaskType: 'DI_OFFLINE', TaskName: 'x2', TaskContent: script }), 400, 'Param.Invalid', 'TaskType');
  await expectApiError(call(client, 'GetDISyncTask', { ProjectId: 'abc', TaskType: 'DI_REALTIME', FileId: 1 }), 400, 'Param.Invalid', 'ProjectId');

  // Start of a task that is not deployed says so and changes nothing.
  const start = await call(client, 'StartDISyncInstance', { ProjectId: projectId, TaskType: 'DI_REALTIME', FileId: fileIds[2] });
  assert.equal(start.Data.Status, 'fail');
  assert.match(start.Data.Message, /not deployed/);
  const info = await call(client, 'GetDISyncInstanceInfo', { ProjectId: projectId, TaskType: 'DI_REALTIME', FileId: fileIds[2] });
  assert.equal(info.Data.Status, 'NORUN');
  // A bad StartParam is rejected, naming the setting.
  await expectApiError(call(client, 'StartDISyncInstance', { ProjectId: projectId, TaskType: 'DI_REALTIME', FileId: fileIds[2], StartParam: '{"failoverLimit":{"count":-1,"interval":5}}' }), 400, 'Param.Invalid', 'failoverLimit.count');
  await expectApiError(call(client, 'StartDISyncInstance', { ProjectId: projectId, TaskType: 'DI_REALTIME', FileId: fileIds[2], StartParam: '{"ddlMarkMap":{"ADDCOLUMN":"LOUD"}}' }), 400, 'Param.Invalid', 'ddlMarkMap.ADDCOLUMN');

  const del = await call(client, 'DeleteDISyncTask', { ProjectId: projectId, TaskType: 'DI_REALTIME', FileId: fileIds[11] });
  assert.equal(del.Data.Status, 'success');
  assert.equal((await call(client, 'ListFiles', { ProjectId: projectId })).Data.TotalCount, 11);
});

test('a principal without access to a workspace gets 403 Forbidden.Access', async () => {
  const admin = svc.client();
  const projectId = await createWorkspace(admin, 'ws_private');
  const task = await call(admin, 'CreateDISyncTask', { ProjectId: projectId, TaskType: 'DI_REALTIME', TaskName: 'secret_task', TaskContent: realtimeScript('a', 'b', ['t']) });
  const bob = JSON.parse(await svc.cli(['principal', 'create', 'bob']));
  const bobClient = svc.client('v3', { accessKeyId: bob.AccessKeyId, accessKeySecret: bob.AccessKeySecret });
  for (const action of ['StopDISyncInstance', 'StartDISyncInstance', 'GetDISyncInstanceInfo', 'TerminateDISyncInstance', 'GetDISyncTask']) {
    await expectApiError(call(bobClient, action, { ProjectId: projectId, TaskType: 'DI_REALTIME', FileId: task.Data.FileId }), 403, 'Forbidden.Access');
  }
  await expectApiError(call(bobClient, 'ListDataSources', { ProjectId: projectId }), 403, 'Forbidden.Access');
  const bobList = await call(bobClient, 'ListProjects', {});
  assert.equal(bobList.PageResult.TotalCount, 0);
  // Bob's own workspace is his; after a grant he sees the other one too.
  const own = await createWorkspace(bobClient, 'ws_bob');
  assert.equal((await call(bobClient, 'GetProject', { ProjectId: own })).Data.ProjectIdentifier, 'ws_bob');
  await svc.cli(['principal', 'grant', 'bob', '--project', String(projectId)]);
  const info = await call(bobClient, 'GetDISyncInstanceInfo', { ProjectId: projectId, TaskType: 'DI_REALTIME', FileId: task.Data.FileId });
  assert.equal(info.Data.Status, 'NORUN');
});
