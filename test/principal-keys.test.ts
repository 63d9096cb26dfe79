/**
 * Key management (issue 8 item 11; security review MEDIUM-5, LOW-7): `opendi principal
 * keys|revoke|disable|enable` against a running service (effective at once), rotation of the
 * environment-provided admin key, the file key kept until revoked, the reserved name admin.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { OpenDIService } from './harness/opendi-service.ts';
import { call, createWorkspace, expectApiError } from './harness/realtime-scenario.ts';

test('keys are listed without secrets, revoked and disabled with immediate effect on the running service', async () => {
  const svc = await OpenDIService.start();
  try {
    const dave = JSON.parse(await svc.cli(['principal', 'create', 'dave']));
    const daveClient = () => svc.client('v3', { accessKeyId: dave.AccessKeyId, accessKeySecret: dave.AccessKeySecret });
    await createWorkspace(daveClient(), 'ws_dave');
    const listed = JSON.parse(await svc.cli(['principal', 'keys', 'dave']));
    assert.deepEqual(listed.AccessKeys.map((k: any) => [k.AccessKeyId, k.Status, k.Origin]), [[dave.AccessKeyId, 'active', 'issued']]);
    assert.ok(!JSON.stringify(listed).includes(dave.AccessKeySecret));

    await svc.cli(['principal', 'disable', 'dave']);
    await expectApiError(call(daveClient(), 'ListProjects', {}), 404, 'InvalidAccessKeyId.NotFound');
    await svc.cli(['principal', 'enable', 'dave']);
    assert.equal((await call(daveClient(), 'ListProjects', {})).PageResult.TotalCount, 1);

    await svc.cli(['principal', 'revoke', dave.AccessKeyId]);
    await expectApiError(call(daveClient(), 'ListProjects', {}), 404, 'InvalidAccessKeyId.NotFound');
    assert.equal(JSON.parse(await svc.cli(['principal', 'keys', 'dave'])).AccessKeys[0].Status, 'revoked');
    await assert.rejects(svc.cli(['principal', 'revoke', dave.AccessKeyId]), /already revoked/);
    await assert.rejects(svc.cli(['principal', 'revoke', 'ODAKNOSUCHKEY']), /no AccessKey/);
  } finally {
    await svc.destroy();
  }
});

test('the name admin is reserved: it cannot be created (also before the first start) or disabled', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opendi-admin-'));
  const svc = await OpenDIService.start({ dataDir: dir });
  try {
    await assert.rejects(svc.cli(['principal', 'create', 'admin']), /reserved/);
    await assert.rejects(svc.cli(['principal', 'create', 'ADMIN']), /reserved/);
    await assert.rejects(svc.cli(['principal', 'disable', 'admin']), /cannot be disabled/);
    // A bad --catalog-url is named as `serve` names it, its password never printed.
    await assert.rejects(svc.cli(['principal', 'keys', 'admin', '--catalog-url', 'mysql://u:s3cretpw@h/db']),
      (err: Error) => {
        const stderr = err.message.slice(err.message.indexOf(' exited '));
        return /must start with postgres:\/\//.test(stderr) && !stderr.includes('s3cretpw');
      });
    const keys = JSON.parse(await svc.cli(['principal', 'keys', 'admin']));
    assert.deepEqual(keys.AccessKeys.map((k: any) => k.AccessKeyId), [svc.accessKeyId]);
  } finally {
    await svc.destroy();
  }
});

test('a new admin key from the environment replaces the previous one; the file key stays until revoked, then a new file is made', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opendi-rotate-'));
  const noEnv = { OPENDI_ACCESS_KEY_ID: undefined as unknown as string, OPENDI_ACCESS_KEY_SECRET: undefined as unknown as string };
  const first = await OpenDIService.start({ dataDir: dir, env: noEnv });
  await first.stop();
  const fileKey = JSON.parse(fs.readFileSync(path.join(dir, 'admin-access-key.json'), 'utf8'));
  const F = { accessKeyId: fileKey.AccessKeyId, accessKeySecret: fileKey.AccessKeySecret };
  const K1 = { accessKeyId: 'ODAKROTATEK1', accessKeySecret: 'rotate-secret-one-0123456789' };
  const K2 = { accessKeyId: 'ODAKROTATEK2', accessKeySecret: 'rotate-secret-two-0123456789' };
  const withKey = (k: typeof K1) => ({ OPENDI_ACCESS_KEY_ID: k.accessKeyId, OPENDI_ACCESS_KEY_SECRET: k.accessKeySecret });
  const svc = await OpenDIService.start({ dataDir: dir, env: withKey(K1) });
  try {
    const ok = async (k: typeof K1) => assert.equal(typeof (await call(svc.client('v3', k), 'ListProjects', {})).PageResult.TotalCount, 'number');
    const gone = (k: typeof K1) => expectApiError(call(svc.client('v3', k), 'ListProjects', {}), 404, 'InvalidAccessKeyId.NotFound');
    await ok(K1);
    await ok(F);
    await svc.stop();

    Object.assign(svc, { env: withKey(K2) });
    await svc.restart();
    await ok(K2);
    await ok(F);
    await gone(K1);

    await svc.cli(['principal', 'revoke', F.accessKeyId]);
    await gone(F);
    await svc.stop();
    Object.assign(svc, { env: noEnv });
    await svc.restart();
    await gone(F);
    const renewed = JSON.parse(fs.readFileSync(path.join(dir, 'admin-access-key.json'), 'utf8'));
    assert.notEqual(renewed.AccessKeyId, F.accessKeyId);
    assert.equal(fs.statSync(path.join(dir, 'admin-access-key.json')).mode & 0o777, 0o600);
    await ok({ accessKeyId: renewed.AccessKeyId, accessKeySecret: renewed.AccessKeySecret });
    await ok(K2);
  } finally {
    await svc.destroy();
  }
});
