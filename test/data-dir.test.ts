/**
 * One data dir, one owner (issue 8 item 9; security review MEDIUM-3, MEDIUM-4, LOW-8, LOW-10):
 * a second service on a data dir in use exits at once and changes nothing; the lock dies with a
 * kill -9; tasks resume only once the listener is up; an installation whose catalog is empty
 * refuses to start; an existing directory keeps its mode; catalog files and keys are owner-only
 * and hold no clear secret; unknown flags stop the service naming the flag.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import Database from 'better-sqlite3';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { OpenDIService } from './harness/opendi-service.ts';
import { call, createWorkspace, realtimeScript, waitForStatus, taskCall, waitUntil } from './harness/realtime-scenario.ts';
import type { DataWorksClient } from '../src/client/dataworks-client.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** `opendi serve` expected to stop by itself. */
async function serveUntilExit(args: string[], env: Record<string, string | undefined> = {}, timeoutMs = 30_000) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve', ...args], { cwd: ROOT, env: { ...process.env, ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => { stdout += d; });
  child.stderr.on('data', (d) => { stderr += d; });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  clearTimeout(timer);
  return { code, stdout, stderr };
}

function runtimeRow(dataDir: string, fileId: number): Record<string, unknown> {
  const db = new Database(path.join(dataDir, 'catalog.sqlite'), { readonly: true, fileMustExist: true });
  try {
    return db.prepare(`SELECT status, message, desired, fence, updated_at FROM task_runtime WHERE file_id = ?`).get(fileId) as Record<string, unknown>;
  } finally {
    db.close();
  }
}

/** A task meant to run (desired RUN) whose databases refuse connections: it keeps retrying in WAIT. */
async function retryingTask(client: DataWorksClient, identifier: string): Promise<number> {
  const p = await createWorkspace(client, identifier);
  for (const name of ['src', 'dst']) {
    await call(client, 'CreateDataSource', {
      ProjectId: p, Name: name, DataSourceType: 'postgresql', EnvType: 1,
      Content: JSON.stringify({ jdbcUrl: 'jdbc:postgresql://127.0.0.1:1/db', username: 'u', password: 'x' }),
    });
  }
  const f = (await call(client, 'CreateDISyncTask', { ProjectId: p, TaskType: 'DI_REALTIME', TaskName: 'retrying', TaskContent: realtimeScript('src', 'dst', ['public.t']) })).Data.FileId;
  await taskCall(client, 'DeployDISyncTask', p, f);
  await taskCall(client, 'StartDISyncInstance', p, f);
  await waitForStatus(client, p, f, ['WAIT']);
  return f;
}

let svc: OpenDIService;
let fileId: number;
before(async () => {
  svc = await OpenDIService.start();
  fileId = await retryingTask(svc.client(), 'ws_datadir');
});
after(async () => { await svc.destroy(); });

test('a second service on a data dir in use exits at once, names the owner, and changes nothing', async () => {
  await svc.stop();
  const stopped = runtimeRow(svc.dataDir, fileId);
  assert.equal(stopped.desired, 'RUN');
  await svc.restart();
  await waitUntil(async () => (runtimeRow(svc.dataDir, fileId).updated_at as number) > (stopped.updated_at as number), 10_000, 'the resumed task to write its row');
  // The running service may write the row itself; the second one must not: hold the first one still.
  process.kill(svc.pid!, 'SIGSTOP');
  const before = runtimeRow(svc.dataDir, fileId);
  const second = await serveUntilExit(['--port', '0', '--data-dir', svc.dataDir], { OPENDI_ACCESS_KEY_ID: svc.accessKeyId, OPENDI_ACCESS_KEY_SECRET: svc.accessKeySecret });
  assert.notEqual(second.code, 0);
  assert.match(second.stderr, new RegExp(`another OpenDI service \\(pid \\d+\\) is using the data dir ${svc.dataDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  assert.ok(!second.stdout.includes('"listening"'));
  const afterwards = runtimeRow(svc.dataDir, fileId);
  process.kill(svc.pid!, 'SIGCONT');
  assert.deepEqual(afterwards, before, 'the task row is untouched');
  assert.ok((await call(svc.client(), 'ListProjects', {})).PageResult.TotalCount >= 1, 'the first service still serves');
});

test('tasks resume only once the listener is up: a start that cannot listen leaves them untouched', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opendi-resume-'));
  const blocker = net.createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  const busyPort = (blocker.address() as net.AddressInfo).port;
  const own = await OpenDIService.start({ dataDir: dir });
  try {
    const f = await retryingTask(own.client(), 'ws_resume');
    await own.stop();
    const before = runtimeRow(dir, f);
    assert.equal(before.desired, 'RUN');
    const res = await serveUntilExit(['--port', String(busyPort), '--data-dir', dir], { OPENDI_ACCESS_KEY_ID: own.accessKeyId, OPENDI_ACCESS_KEY_SECRET: own.accessKeySecret });
    assert.notEqual(res.code, 0);
    assert.match(res.stderr, /EADDRINUSE/);
    assert.deepEqual(runtimeRow(dir, f), before, 'nothing was resumed before the listener failed');
  } finally {
    blocker.close();
    await own.destroy();
  }
});

test('the data dir lock dies with a kill -9: the next start takes it (and holds it)', async () => {
  const crashed = await OpenDIService.start();
  try {
    await crashed.kill();
    await crashed.restart();
    assert.equal((await call(crashed.client(), 'ListProjects', {})).PageResult.TotalCount, 0);
    const second = await serveUntilExit(['--port', '0', '--data-dir', crashed.dataDir], { OPENDI_ACCESS_KEY_ID: crashed.accessKeyId, OPENDI_ACCESS_KEY_SECRET: crashed.accessKeySecret });
    assert.match(second.stderr, /another OpenDI service \(pid \d+\) is using the data dir/);
  } finally {
    await crashed.destroy();
  }
});

test('an installation whose catalog is empty or missing refuses to start, says why, and leaves it as it is', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opendi-trunc-'));
  const env = { OPENDI_ACCESS_KEY_ID: undefined, OPENDI_ACCESS_KEY_SECRET: undefined };
  const first = await OpenDIService.start({ dataDir: dir, env: {} });
  await first.stop();
  assert.ok(fs.existsSync(path.join(dir, 'master.key')));
  const catalog = path.join(dir, 'catalog.sqlite');
  for (const f of ['-wal', '-shm']) fs.rmSync(catalog + f, { force: true });
  fs.truncateSync(catalog, 0);
  const res = await serveUntilExit(['--port', '0', '--data-dir', dir], env);
  assert.notEqual(res.code, 0);
  assert.match(res.stderr, new RegExp(`holds an installation .* but its catalog ${catalog.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is empty`));
  assert.ok(!res.stderr.includes('    at '), 'one clear line, no stack trace');
  assert.equal(fs.statSync(catalog).size, 0, 'the catalog was not turned into a new installation');
  fs.rmSync(catalog);
  const missing = await serveUntilExit(['--port', '0', '--data-dir', dir], env);
  assert.match(missing.stderr, /is missing/);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('an existing data dir keeps its mode; a created one is 0700; catalog files and keys are 0600 and hold no clear secret', async () => {
  const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'opendi-mode-'));
  fs.chmodSync(parent, 0o755);
  const created = path.join(parent, 'new-dir');
  const a = await OpenDIService.start({ dataDir: parent });
  const b = await OpenDIService.start({ dataDir: created });
  try {
    assert.equal(fs.statSync(parent).mode & 0o777, 0o755, 'a directory the service did not create keeps its mode');
    assert.equal(fs.statSync(created).mode & 0o777, 0o700);
    const client = a.client();
    const p = await createWorkspace(client, 'ws_rest');
    await call(client, 'CreateDataSource', {
      ProjectId: p, Name: 'pw', DataSourceType: 'postgresql', EnvType: 1,
      Content: JSON.stringify({ jdbcUrl: 'jdbc:postgresql://127.0.0.1:5432/db?password=UrlSecret777', username: 'u', password: 'ClearPassword999' }),
    });
    const bob = JSON.parse(await a.cli(['principal', 'create', 'bob_rest']));
    const files = fs.readdirSync(parent).filter((f) => f.startsWith('catalog.sqlite'));
    assert.ok(files.length >= 2, files.join(','));
    for (const f of [...files, 'master.key']) assert.equal(fs.statSync(path.join(parent, f)).mode & 0o777, 0o600, f);
    const bytes = Buffer.concat(files.map((f) => fs.readFileSync(path.join(parent, f))));
    for (const secret of ['ClearPassword999', 'UrlSecret777', bob.AccessKeySecret, a.accessKeySecret]) {
      assert.ok(!bytes.includes(secret), 'a secret is in the catalog files in clear');
    }
  } finally {
    await a.stop();
    await b.destroy();
    fs.rmSync(parent, { recursive: true, force: true });
  }
});

test('a wrong master key is refused at start with a clear message', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opendi-mk-'));
  const key = (b: string) => b.repeat(64);
  const first = await OpenDIService.start({ dataDir: dir, env: { OPENDI_MASTER_KEY: key('a') } });
  await first.stop();
  const res = await serveUntilExit(['--port', '0', '--data-dir', dir], { OPENDI_MASTER_KEY: key('b'), OPENDI_ACCESS_KEY_ID: first.accessKeyId, OPENDI_ACCESS_KEY_SECRET: first.accessKeySecret });
  assert.notEqual(res.code, 0);
  assert.match(res.stderr, /sealed with another master key/);
  assert.ok(!fs.existsSync(path.join(dir, 'master.key')), 'with OPENDI_MASTER_KEY no key file is written');
  const bad = await serveUntilExit(['--port', '0', '--data-dir', dir], { OPENDI_MASTER_KEY: 'short' });
  assert.match(bad.stderr, /OPENDI_MASTER_KEY must hold a 32-byte key/);
  await first.destroy();
});

test('unknown command-line flags stop the service with a message naming the flag, before it touches anything', async () => {
  const dir = path.join(os.tmpdir(), `opendi-flags-${process.pid}`);
  const res = await serveUntilExit(['--port', '0', '--data-dir', dir, '--prot', '9000']);
  assert.notEqual(res.code, 0);
  assert.match(res.stderr, /unknown flag --prot/);
  assert.ok(!fs.existsSync(dir));
});
