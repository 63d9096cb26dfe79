/**
 * Signed requests against the real service: a bad signature, a replayed nonce and a stale
 * timestamp are rejected and change nothing (the workspace list and the task stay as they were).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { OpenDIService } from './harness/opendi-service.ts';
import { call, createWorkspace, realtimeScript } from './harness/realtime-scenario.ts';

let svc: OpenDIService;
before(async () => { svc = await OpenDIService.start(); });
after(async () => { await svc.destroy(); });

async function projectCount(): Promise<number> {
  return (await call(svc.client(), 'ListProjects', {})).PageResult.TotalCount;
}

for (const signature of ['v3', 'v2'] as const) {
  test(`${signature}: bad secret, replayed nonce and stale timestamp are rejected and change nothing`, async () => {
    const before = await projectCount();
    const wrong = svc.client(signature, { accessKeyId: svc.accessKeyId, accessKeySecret: 'not-the-secret-at-all' });
    await assert.rejects(call(wrong, 'CreateProject', { ProjectName: `bad_${signature}`, ProjectIdentifier: `bad_${signature}` }),
      (e: any) => e.statusCode === 400 && e.code === 'SignatureDoesNotMatch');

    const unknown = svc.client(signature, { accessKeyId: 'ODAKNOSUCHKEY', accessKeySecret: 'whatever-secret-123' });
    await assert.rejects(call(unknown, 'ListProjects', {}), (e: any) => e.statusCode === 404 && e.code === 'InvalidAccessKeyId.NotFound');

    const nonce = randomUUID();
    const extras = signature === 'v3' ? { headers: { 'x-acs-signature-nonce': nonce } } : { query: { SignatureNonce: nonce } };
    const client = svc.client(signature);
    const first = await client.call('CreateProject', { ProjectName: `ok_${signature}`, ProjectIdentifier: `ok_${signature}` }, undefined, extras);
    assert.equal(first.statusCode, 200);
    await assert.rejects(client.call('CreateProject', { ProjectName: `replay_${signature}`, ProjectIdentifier: `replay_${signature}` }, undefined, extras),
      (e: any) => e.statusCode === 400 && e.code === 'SignatureNonceUsed');

    const stale = new Date(Date.now() - 16 * 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const staleExtras = signature === 'v3' ? { headers: { 'x-acs-date': stale } } : { query: { Timestamp: stale } };
    await assert.rejects(client.call('CreateProject', { ProjectName: `stale_${signature}`, ProjectIdentifier: `stale_${signature}` }, undefined, staleExtras),
      (e: any) => e.statusCode === 400 && e.code === 'InvalidTimeStamp.Expired');

    assert.equal(await projectCount(), before + 1, 'only the one good request created a workspace');
  });
}

test('a rejected StopDISyncInstance leaves the task untouched; errors are JSON with RequestId', async () => {
  const client = svc.client();
  const projectId = await createWorkspace(client, 'ws_auth_stop');
  const created = await call(client, 'CreateDISyncTask', { ProjectId: projectId, TaskType: 'DI_REALTIME', TaskName: 'guarded', TaskContent: realtimeScript('a', 'b', ['t']) });
  const wrong = svc.client('v3', { accessKeyId: svc.accessKeyId, accessKeySecret: 'wrong-secret-xxxxxxxx' });
  await assert.rejects(call(wrong, 'DeleteDISyncTask', { ProjectId: projectId, TaskType: 'DI_REALTIME', FileId: created.Data.FileId }), (e: any) => {
    assert.equal(e.code, 'SignatureDoesNotMatch');
    assert.deepEqual(Object.keys(e.data).sort(), ['Code', 'HostId', 'Message', 'Recommend', 'RequestId']);
    assert.ok(e.data.RequestId);
    return true;
  });
  const file = await call(client, 'GetFile', { ProjectId: projectId, FileId: created.Data.FileId });
  assert.equal(file.Data.File.FileName, 'guarded');

  const ok = await client.call('GetDISyncInstanceInfo', { ProjectId: projectId, TaskType: 'DI_REALTIME', FileId: created.Data.FileId });
  assert.equal(ok.body.RequestId, ok.headers['x-acs-request-id']);
});
