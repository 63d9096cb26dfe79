/**
 * Data source actions against hostile callers, through @alicloud/openapi-core (issue 8 items 8,
 * 10 and 12; security review HIGH-2, LOW-3, LOW-4, LOW-5, LOW-6).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { OpenDIService } from './harness/opendi-service.ts';
import { startFakePostgres } from './harness/fake-postgres.ts';
import { call, createWorkspace, expectApiError, realtimeScript, waitUntil } from './harness/realtime-scenario.ts';

let svc: OpenDIService;
before(async () => { svc = await OpenDIService.start(); });
after(async () => { await svc.destroy(); });

const ADMIN_PASSWORD = 'Adm1nOnlyPr0dPassw0rd';

async function member(name: string, projectId: number) {
  const key = JSON.parse(await svc.cli(['principal', 'create', name]));
  await svc.cli(['principal', 'grant', name, '--project', String(projectId)]);
  return svc.client('v3', { accessKeyId: key.AccessKeyId, accessKeySecret: key.AccessKeySecret });
}

test('HIGH-2: a member cannot move a data source to their own server and have the stored password sent there', async () => {
  const admin = svc.client();
  const projectId = await createWorkspace(admin, 'ws_high2');
  const id = (await call(admin, 'CreateDataSource', {
    ProjectId: projectId, Name: 'prod', DataSourceType: 'postgresql', EnvType: 1,
    Content: JSON.stringify({ jdbcUrl: 'jdbc:postgresql://127.0.0.1:5432/srcdb', username: 'postgres', password: ADMIN_PASSWORD }),
  })).Data;
  const alice = await member('alice_high2', projectId);
  const capture = await startFakePostgres('cleartext');
  try {
    const moved = { jdbcUrl: `jdbc:postgresql://127.0.0.1:${capture.port}/srcdb`, username: 'postgres' };
    await expectApiError(call(alice, 'UpdateDataSource', { DataSourceId: id, Content: JSON.stringify(moved) }), 400, 'Param.Invalid', 'Content.password must be given again');
    await expectApiError(call(alice, 'UpdateDataSource', { DataSourceId: id, Content: JSON.stringify({ ...moved, password: '***' }) }), 400, 'Param.Invalid', 'Content.password');
    const gen = await call(alice, 'GenerateDISyncTaskConfigForCreating', { ProjectId: projectId, TaskType: 'DI_REALTIME', TaskParam: realtimeScript('prod', 'prod', ['public.t']) });
    await waitUntil(async () => !/still being generated/.test((await call(alice, 'QueryDISyncTaskConfigProcessResult', { ProjectId: projectId, TaskType: 'DI_REALTIME', AsyncProcessId: gen.Data.ProcessId })).Data.Message ?? ''), 20_000, 'check');
    assert.equal(capture.connections, 0, 'nothing was sent to the member\'s server');
    assert.deepEqual(capture.passwords, []);
    const shown = JSON.parse((await call(alice, 'ListDataSources', { ProjectId: projectId })).Data.DataSources[0].Content);
    assert.equal(shown.jdbcUrl, 'jdbc:postgresql://127.0.0.1:5432/srcdb', 'the data source did not move');
    assert.equal(shown.password, '***');
  } finally {
    await capture.close();
  }
});

test('LOW-5: every secret-like key and password= in the jdbcUrl come back as "***"; "***" sent back keeps them', async () => {
  const admin = svc.client('v2');
  const projectId = await createWorkspace(admin, 'ws_low5');
  const content = { jdbcUrl: 'jdbc:postgresql://127.0.0.1:5432/srcdb?user=postgres&password=InUrlPw1', username: 'postgres', password: 'p', Password: 'CapitalPw2', pwd: 'PwdKey3' };
  const id = (await call(admin, 'CreateDataSource', { ProjectId: projectId, Name: 'many', DataSourceType: 'postgresql', EnvType: 1, Content: JSON.stringify(content) })).Data;
  const listed = await call(admin, 'ListDataSources', { ProjectId: projectId });
  for (const secret of ['InUrlPw1', 'CapitalPw2', 'PwdKey3']) assert.ok(!JSON.stringify(listed).includes(secret), secret);
  const shown = JSON.parse(listed.Data.DataSources[0].Content);
  assert.deepEqual(shown, { ...content, jdbcUrl: 'jdbc:postgresql://127.0.0.1:5432/srcdb?user=postgres&password=***', password: '***', Password: '***', pwd: '***' });
  await call(admin, 'UpdateDataSource', { DataSourceId: id, Content: JSON.stringify({ ...shown, tag: 'public' }) });
  assert.deepEqual(JSON.parse((await call(admin, 'ListDataSources', { ProjectId: projectId })).Data.DataSources[0].Content), { ...shown, tag: 'public' });
  assert.ok(!svc.log.includes('CapitalPw2') && !svc.log.includes('InUrlPw1'));
});

test('LOW-6: another workspace\'s data source id answers exactly like an unknown id', async () => {
  const admin = svc.client();
  const hidden = await createWorkspace(admin, 'ws_low6_hidden');
  const id = (await call(admin, 'CreateDataSource', {
    ProjectId: hidden, Name: 'secret_ds', DataSourceType: 'postgresql', EnvType: 1,
    Content: JSON.stringify({ jdbcUrl: 'jdbc:postgresql://127.0.0.1:5432/db', username: 'u', password: 'x' }),
  })).Data;
  const own = await createWorkspace(admin, 'ws_low6_own');
  const mallory = await member('mallory_low6', own);
  const answers: { status: number; code: string; message: string }[] = [];
  for (const target of [id, 99_999_999]) {
    for (const action of ['UpdateDataSource', 'DeleteDataSource']) {
      await assert.rejects(call(mallory, action, { DataSourceId: target, Description: 'x' }), (e: any) => {
        answers.push({ status: e.statusCode, code: e.code, message: e.data.Message.replace(String(target), 'ID') });
        return true;
      });
    }
  }
  assert.deepEqual(answers.slice(0, 2), answers.slice(2));
  assert.equal(answers[0].status, 404);
  assert.equal(answers[0].code, 'Invalid.DataSource.NotExists');
});

test('LOW-3: a name conflict is a 400 naming Name: moving EnvType onto an existing name, and past 100 similar names', async () => {
  const admin = svc.client();
  const projectId = await createWorkspace(admin, 'ws_low3');
  const content = JSON.stringify({ jdbcUrl: 'jdbc:postgresql://127.0.0.1:5432/db', username: 'u', password: 'x' });
  const dev = (await call(admin, 'CreateDataSource', { ProjectId: projectId, Name: 'envx', DataSourceType: 'postgresql', EnvType: 0, Content: content })).Data;
  await call(admin, 'CreateDataSource', { ProjectId: projectId, Name: 'envx', DataSourceType: 'postgresql', EnvType: 1, Content: content });
  await expectApiError(call(admin, 'UpdateDataSource', { DataSourceId: dev, EnvType: 1 }), 400, 'Param.Invalid', '^Name');
  for (let i = 0; i < 101; i++) {
    await call(admin, 'CreateDataSource', { ProjectId: projectId, Name: `a_similar_${i}`, DataSourceType: 'postgresql', EnvType: 1, Content: content });
  }
  await call(admin, 'CreateDataSource', { ProjectId: projectId, Name: 'similar', DataSourceType: 'postgresql', EnvType: 1, Content: content });
  await expectApiError(call(admin, 'CreateDataSource', { ProjectId: projectId, Name: 'similar', DataSourceType: 'postgresql', EnvType: 1, Content: content }), 400, 'Param.Invalid', '^Name');
  // Concurrent creates of one name: one wins, the others are clean 400s.
  const results = await Promise.allSettled(Array.from({ length: 10 }, () =>
    call(admin, 'CreateDataSource', { ProjectId: projectId, Name: 'raced', DataSourceType: 'postgresql', EnvType: 1, Content: content })));
  assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
  for (const r of results) if (r.status === 'rejected') assert.equal((r.reason as any).statusCode, 400);
});

test('LOW-4 / item 12: NUL and control characters in the jdbcUrl and the username, bad TLS settings: 400 naming the field', async () => {
  const admin = svc.client();
  const projectId = await createWorkspace(admin, 'ws_low4');
  const create = (content: Record<string, unknown>) => call(admin, 'CreateDataSource', {
    ProjectId: projectId, Name: 'bad', DataSourceType: 'postgresql', EnvType: 1, Content: JSON.stringify({ username: 'u', password: 'x', ...content }),
  });
  await expectApiError(create({ jdbcUrl: 'jdbc:postgresql://127.0.0.1:5432/postgres%00options%00-c%20log_statement%3Dall' }), 400, 'Param.Invalid', '^Content.jdbcUrl');
  await expectApiError(create({ jdbcUrl: 'jdbc:postgresql://127.0.0.1:5432/db', username: 'u\u0000x' }), 400, 'Param.Invalid', '^Content.username');
  await expectApiError(create({ jdbcUrl: 'jdbc:postgresql://127.0.0.1:5432/db?sslmode=prefer' }), 400, 'Param.Invalid', '^Content.jdbcUrl');
  await expectApiError(create({ jdbcUrl: 'jdbc:postgresql://127.0.0.1:5432/db?sslrootcert=/etc/ssl/x.pem' }), 400, 'Param.Invalid', 'caCertificate');
  await expectApiError(create({ jdbcUrl: 'jdbc:postgresql://127.0.0.1:5432/db', caCertificate: '/etc/ssl/ca.pem' }), 400, 'Param.Invalid', '^Content.caCertificate');
  assert.equal((await call(admin, 'ListDataSources', { ProjectId: projectId })).Data.TotalCount, 0);
});
