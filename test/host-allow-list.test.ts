/**
 * The operator's allow-list of data source hosts (issue 8 item 12; security review MEDIUM-8):
 * parsing and matching (networks, addresses, names, suffixes, DNS), refusal at create/update,
 * the check again before connecting, and connection errors that no longer tell closed, open and
 * silent ports apart.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { HostAllowList } from '../src/config/host-allow-list.ts';
import { OpenDIService } from './harness/opendi-service.ts';
import { startFakePostgres, type FakeServer } from './harness/fake-postgres.ts';
import { call, createWorkspace, expectApiError, realtimeScript, waitUntil } from './harness/realtime-scenario.ts';
import type { DataWorksClient } from '../src/client/dataworks-client.ts';

test('allow-list entries: networks, addresses, names and suffixes; other names must resolve inside a listed network', async () => {
  const list = HostAllowList.parse('10.0.0.0/8, 192.168.1.5, fd00::/8, db.example.internal, *.corp.example, 127.0.0.0/8');
  assert.deepEqual(await list.resolve('10.1.2.3'), ['10.1.2.3']);
  assert.equal(await list.resolve('10.1.2.3'.replace('10', '11')), undefined);
  assert.deepEqual(await list.resolve('192.168.1.5'), ['192.168.1.5']);
  assert.equal(await list.resolve('192.168.1.6'), undefined);
  assert.deepEqual(await list.resolve('fd12::1'), ['fd12::1']);
  assert.equal(await list.resolve('169.254.169.254'), undefined);
  assert.deepEqual(await list.resolve('db.example.internal'), ['db.example.internal']);
  assert.deepEqual(await list.resolve('pg.eu.corp.example'), ['pg.eu.corp.example']);
  assert.equal(await list.resolve('corp.example.evil.com'), undefined);
  assert.equal(await list.resolve('no-such-host.invalid'), undefined);
  const v4only = HostAllowList.parse('127.0.0.1/32');
  const localhost = await v4only.resolve('localhost');
  assert.ok(localhost === undefined || localhost.every((a) => a === '127.0.0.1'), 'a name is allowed only when every address is');
  for (const bad of ['', '10.0.0.0/33', 'not a host!', '::1/129']) assert.throws(() => HostAllowList.parse(bad), bad);
});

let svc: OpenDIService;
let projectId: number;
const fakes: FakeServer[] = [];
before(async () => {
  svc = await OpenDIService.start({ args: ['--allowed-hosts', '127.0.0.1/32'], env: { OPENDI_CHECK_STATEMENT_TIMEOUT_MS: '1500', OPENDI_CHECK_TIMEOUT_MS: '4000', OPENDI_CHECK_CONNECT_TIMEOUT_MS: '1500' } });
  projectId = await createWorkspace(svc.client(), 'ws_allow');
});
after(async () => {
  await svc.destroy();
  await Promise.all(fakes.map((f) => f.close()));
});

const content = (host: string, port: number) => JSON.stringify({ jdbcUrl: `jdbc:postgresql://${host}:${port}/db`, username: 'u', password: 'x' });

test('a data source outside the allow-list is refused at create and update, naming Content.jdbcUrl', async () => {
  const client = svc.client();
  for (const host of ['169.254.169.254', '10.1.2.3', '[::1]']) {
    await expectApiError(call(client, 'CreateDataSource', { ProjectId: projectId, Name: 'outside', DataSourceType: 'postgresql', EnvType: 1, Content: content(host, 5432) }), 400, 'Param.Invalid', '^Content.jdbcUrl is not allowed: .* allow-list');
  }
  const id = (await call(client, 'CreateDataSource', { ProjectId: projectId, Name: 'inside', DataSourceType: 'postgresql', EnvType: 1, Content: content('127.0.0.1', 5432) })).Data;
  await expectApiError(call(client, 'UpdateDataSource', { DataSourceId: id, Content: content('10.9.9.9', 5432) }), 400, 'Param.Invalid', '^Content.jdbcUrl');
});

async function checkMessage(client: DataWorksClient, name: string, port: number): Promise<string> {
  await call(client, 'CreateDataSource', { ProjectId: projectId, Name: name, DataSourceType: 'postgresql', EnvType: 1, Content: content('127.0.0.1', port) });
  const gen = await call(client, 'GenerateDISyncTaskConfigForCreating', { ProjectId: projectId, TaskType: 'DI_REALTIME', TaskParam: realtimeScript(name, name, ['public.t']) });
  const result = await waitUntil(async () => {
    const q = await call(client, 'QueryDISyncTaskConfigProcessResult', { ProjectId: projectId, TaskType: 'DI_REALTIME', AsyncProcessId: gen.Data.ProcessId });
    return q.Data.Status === 'fail' && /still being generated/.test(q.Data.Message) ? undefined : q.Data;
  }, 20_000, 'check');
  assert.equal(result.Status, 'fail');
  return result.Message.replace(name, 'NAME');
}

test('with an allow-list, closed, open-but-not-a-database and silent ports give one and the same message', async () => {
  const client = svc.client();
  const closed = net.createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const closedPort = (closed.address() as AddressInfo).port;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  const web = http.createServer((_req, res) => res.end('hello'));
  await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', resolve));
  const silent = await startFakePostgres('silent');
  fakes.push(silent);
  try {
    const messages = [
      await checkMessage(client, 'closed_port', closedPort),
      await checkMessage(client, 'http_port', (web.address() as AddressInfo).port),
      await checkMessage(client, 'silent_port', silent.port),
    ];
    assert.deepEqual(new Set(messages), new Set(['cannot reach the data source NAME']), messages.join(' | '));
  } finally {
    web.closeAllConnections();
    web.close();
  }
});

test('the allow-list is checked again before connecting: a data source allowed before is refused after the list changed', async () => {
  const client = svc.client();
  const dsName = 'was_allowed';
  await call(client, 'CreateDataSource', { ProjectId: projectId, Name: dsName, DataSourceType: 'postgresql', EnvType: 1, Content: content('127.0.0.1', 1) });
  await svc.stop();
  Object.assign(svc, { args: ['--allowed-hosts', '10.0.0.0/8'] });
  await svc.restart();
  const gen = await call(svc.client(), 'GenerateDISyncTaskConfigForCreating', { ProjectId: projectId, TaskType: 'DI_REALTIME', TaskParam: realtimeScript(dsName, dsName, ['public.t']) });
  const result = await waitUntil(async () => {
    const q = await call(svc.client(), 'QueryDISyncTaskConfigProcessResult', { ProjectId: projectId, TaskType: 'DI_REALTIME', AsyncProcessId: gen.Data.ProcessId });
    return q.Data.Status === 'fail' && /still being generated/.test(q.Data.Message) ? undefined : q.Data;
  }, 20_000, 'check');
  assert.equal(result.Status, 'fail');
  assert.match(result.Message, /allow-list does not include/);
  const task = await call(svc.client(), 'CreateDISyncTask', { ProjectId: projectId, TaskType: 'DI_REALTIME', TaskName: 'moved', TaskContent: realtimeScript(dsName, dsName, ['public.t']) });
  const fileId = task.Data.FileId;
  await call(svc.client(), 'DeployDISyncTask', { ProjectId: projectId, TaskType: 'DI_REALTIME', FileId: fileId });
  await call(svc.client(), 'StartDISyncInstance', { ProjectId: projectId, TaskType: 'DI_REALTIME', FileId: fileId });
  const info = await waitUntil(async () => {
    const d = (await call(svc.client(), 'GetDISyncInstanceInfo', { ProjectId: projectId, TaskType: 'DI_REALTIME', FileId: fileId })).Data;
    return d.Status === 'FAILED' ? d : undefined;
  }, 20_000, 'the task to fail');
  assert.match(JSON.stringify(info), /allow-list/);
});
