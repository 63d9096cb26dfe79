/**
 * The remaining 2020 operations that need no database (issue 10 item 8): ListResourceGroups,
 * CreateFolder, ListDIProjectConfig / UpdateDIProjectConfig, through the client core against the
 * real service; each bad input a 400 naming the parameter.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { OpenDIService } from './harness/opendi-service.ts';
import { createWorkspace, expectApiError } from './harness/realtime-scenario.ts';

let svc: OpenDIService;
let projectId: number;
const call = async (action: string, params: Record<string, unknown>) => (await svc.client().call(action, params)).body as any;

before(async () => {
  svc = await OpenDIService.start({ env: { OPENDI_RESOURCE_GROUP: 'rg_opendi' } });
  projectId = await createWorkspace(svc.client(), 'ws_misc');
});
after(async () => { await svc?.destroy(); });

test('ListResourceGroups lists the configured group for Data Integration and scheduling types', async () => {
  const di = await call('ListResourceGroups', { ResourceGroupType: 4 });
  assert.equal(di.Success, true);
  assert.equal(di.Data.length, 1);
  const g = di.Data[0];
  assert.equal(g.Identifier, 'rg_opendi');
  assert.equal(g.ResourceGroupType, '4', 'a string in the SDK model');
  assert.equal(typeof g.Id, 'number');
  assert.equal(g.IsDefault, true);
  assert.match(g.CreateTime, /^[A-Z][a-z]{2} \d{1,2}, \d{4} \d{1,2}:\d{2}:\d{2} [AP]M$/);
  assert.equal((await call('ListResourceGroups', {})).Data[0].ResourceGroupType, '1');
  assert.deepEqual((await call('ListResourceGroups', { ResourceGroupType: 2 })).Data, []);
  assert.deepEqual((await call('ListResourceGroups', { ResourceGroupType: 4, Keyword: 'other' })).Data, []);
  assert.equal((await call('ListResourceGroups', { ResourceGroupType: 4, Keyword: 'OPENDI' })).Data.length, 1);
});

test('CreateFolder creates the path and its parents once; bad paths are refused', async () => {
  const created = await call('CreateFolder', { ProjectId: projectId, FolderPath: 'Business_process/System_Data/import_layer' });
  assert.equal(created.Success, true);
  assert.match(created.Data, /^[0-9a-f]{16}$/);
  const parent = await call('CreateFolder', { ProjectIdentifier: 'ws_misc', FolderPath: 'Business_process/other' });
  assert.notEqual(parent.Data, created.Data);
  await expectApiError(call('CreateFolder', { ProjectId: projectId, FolderPath: '/Business_process/System_Data/import_layer/' }), 400, 'Param.Invalid', 'already exists');
  await expectApiError(call('CreateFolder', { ProjectId: projectId, FolderPath: 'a/../b' }), 400, 'Param.Invalid', 'FolderPath');
  await expectApiError(call('CreateFolder', { ProjectId: projectId, FolderPath: 'a//b' }), 400, 'Param.Invalid', 'FolderPath');
  await expectApiError(call('CreateFolder', { ProjectId: 424242, FolderPath: 'x' }), 403, 'Forbidden.Access');
});

test('ListDIProjectConfig answers the defaults; UpdateDIProjectConfig merges per destination and source', async () => {
  const read = async (params: Record<string, unknown>) => JSON.parse((await call('ListDIProjectConfig', { ProjectId: projectId, ...params })).Data.Config);
  const defaults = await read({ DestinationType: 'postgresql' });
  assert.equal(defaults.DROPTABLE, 'WARNING');
  assert.equal(defaults.ADDCOLUMN, 'NORMAL');
  assert.equal(Object.keys(defaults).length, 8);
  const updated = await call('UpdateDIProjectConfig', { ProjectId: projectId, DestinationType: 'postgresql', ProjectConfig: '{"DROPTABLE":"IGNORE"}' });
  assert.deepEqual(updated.Data, { Status: 'success' });
  await call('UpdateDIProjectConfig', { ProjectId: projectId, DestinationType: 'postgresql', SourceType: 'mysql', ProjectConfig: '{"ADDCOLUMN":"CRITICAL"}' });
  assert.deepEqual([(await read({ DestinationType: 'postgresql' })).DROPTABLE, (await read({ DestinationType: 'postgresql' })).ADDCOLUMN], ['IGNORE', 'NORMAL']);
  const mysql = await read({ DestinationType: 'postgresql', SourceType: 'mysql' });
  assert.deepEqual([mysql.DROPTABLE, mysql.ADDCOLUMN], ['IGNORE', 'CRITICAL'], 'the source-specific marks over the destination default');
  assert.equal((await read({ DestinationType: 'mysql' })).DROPTABLE, 'WARNING');
  await expectApiError(call('UpdateDIProjectConfig', { ProjectId: projectId, DestinationType: 'postgresql', ProjectConfig: '{"DROPINDEX":"IGNORE"}' }), 400, 'Param.Invalid', 'ProjectConfig.DROPINDEX');
  await expectApiError(call('UpdateDIProjectConfig', { ProjectId: projectId, DestinationType: 'postgresql', ProjectConfig: '{"DROPTABLE":"SKIP"}' }), 400, 'Param.Invalid', 'ProjectConfig.DROPTABLE');
  await expectApiError(call('ListDIProjectConfig', { ProjectId: projectId, DestinationType: 'oracle' }), 400, 'Param.Invalid', 'DestinationType');
});
