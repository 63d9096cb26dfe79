/**
 * No catalog id is ever reused (issue 8 item 2; security review MEDIUM-7): a task, data source
 * or workspace created after the newest one was deleted, even across a restart, gets a new id.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OpenDIService } from './harness/opendi-service.ts';
import { call, createWorkspace, realtimeScript } from './harness/realtime-scenario.ts';

test('a deleted FileId or DataSourceId is never handed out again, also after a restart', async () => {
  const svc = await OpenDIService.start();
  try {
    const client = svc.client();
    const projectId = await createWorkspace(client, 'ws_ids');
    assert.equal(projectId, 10000);
    const create = async (name: string) =>
      (await call(svc.client(), 'CreateDISyncTask', { ProjectId: projectId, TaskType: 'DI_REALTIME', TaskName: name, TaskContent: realtimeScript('a', 'b', ['public.t']) })).Data.FileId as number;
    const del = (fileId: number) => call(svc.client(), 'DeleteDISyncTask', { ProjectId: projectId, TaskType: 'DI_REALTIME', FileId: fileId });
    const first = await create('t1');
    assert.equal(first, 100000);
    await del(first);
    const second = await create('t1');
    assert.equal(second, 100001);
    const content = JSON.stringify({ jdbcUrl: 'jdbc:postgresql://127.0.0.1:5432/db', username: 'u', password: 'x' });
    const ds = (await call(client, 'CreateDataSource', { ProjectId: projectId, Name: 'd', DataSourceType: 'postgresql', EnvType: 1, Content: content })).Data;
    assert.equal(ds, 1000);
    await call(client, 'DeleteDataSource', { DataSourceId: ds });
    await del(second);
    await svc.stop();
    await svc.restart();
    assert.equal(await create('t1'), 100002);
    assert.equal((await call(svc.client(), 'CreateDataSource', { ProjectId: projectId, Name: 'd', DataSourceType: 'postgresql', EnvType: 1, Content: content })).Data, 1001);
  } finally {
    await svc.destroy();
  }
});
