/**
 * The README's promises about first start and the CLI: `npm start -- --port P --data-dir D`
 * creates the administrator key owner-only and logs only its path; `opendi call` signs with it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function run(cmd: string, args: string[], env: Record<string, string | undefined>) {
  // detached: its own process group, so the whole npm -> sh -> node chain can be signalled.
  const child = spawn(cmd, args, { cwd: ROOT, env: { ...process.env, ...env }, detached: true });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => { stdout += d; });
  child.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  return { child, exited, out: () => stdout, err: () => stderr };
}

test('first start creates the admin key (0600, path logged, secret not); opendi call uses it', async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'opendi-cli-'));
  const env = { OPENDI_ACCESS_KEY_ID: undefined, OPENDI_ACCESS_KEY_SECRET: undefined };
  const svc = run('npm', ['start', '--silent', '--', '--port', '0', '--data-dir', dataDir], env);
  try {
    const deadline = Date.now() + 30_000;
    while (!svc.out().includes('"listening"')) {
      if (Date.now() > deadline) throw new Error(`service did not start:\n${svc.err()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const port = JSON.parse(svc.out().split('\n').find((l) => l.includes('"listening"'))!).listening.port;
    const keyFile = path.join(dataDir, 'admin-access-key.json');
    assert.equal(fs.statSync(keyFile).mode & 0o777, 0o600);
    assert.equal(fs.statSync(dataDir).mode & 0o777, 0o700);
    const key = JSON.parse(fs.readFileSync(keyFile, 'utf8'));
    assert.ok(svc.err().includes(keyFile), 'the log says where the key is');
    assert.ok(!svc.err().includes(key.AccessKeySecret), 'the log never shows the secret');

    const call = run(process.execPath, ['bin/opendi.js', 'call', 'CreateProject', '--ProjectName', 'cli_ws', '--ProjectIdentifier', 'cli_ws',
      '--endpoint', `127.0.0.1:${port}`, '--data-dir', dataDir], env);
    assert.equal(await call.exited, 0, call.err());
    const created = JSON.parse(call.out());
    assert.equal(created.Success, true);
    const list = run(process.execPath, ['bin/opendi.js', 'call', 'ListProjects', '--signature', 'v2', '--endpoint', `127.0.0.1:${port}`, '--data-dir', dataDir], env);
    assert.equal(await list.exited, 0, list.err());
    assert.equal(JSON.parse(list.out()).PageResult.ProjectList[0].ProjectId, created.Data);
    const bad = run(process.execPath, ['bin/opendi.js', 'call', 'GetProject', '--ProjectId', 'x', '--endpoint', `127.0.0.1:${port}`, '--data-dir', dataDir], env);
    assert.equal(await bad.exited, 1);
    assert.equal(JSON.parse(bad.out()).Code, 'Param.Invalid');
  } finally {
    process.kill(-svc.child.pid!, 'SIGTERM');
    await svc.exited;
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});
