/**
 * `opendi call` and `opendi watch` as a newcomer uses them (issue 8 item 15): help from the spec
 * that sends nothing, @file values, exit codes that say whether the call worked, a readable hint
 * when the service is not there, and the CLI run from any directory.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { OpenDIService } from './harness/opendi-service.ts';
import { freePort } from './harness/postgres.ts';
import { call, createWorkspace, realtimeScript } from './harness/realtime-scenario.ts';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'opendi.js');
let svc: OpenDIService;
let elsewhere: string;
before(async () => {
  svc = await OpenDIService.start();
  elsewhere = fs.mkdtempSync(path.join(os.tmpdir(), 'opendi-cwd-'));
});
after(async () => {
  await svc.destroy();
  fs.rmSync(elsewhere, { recursive: true, force: true });
});

interface Run { code: number | null; out: string; err: string }

/** Runs the CLI from a directory outside the repository; `keyed` passes the service's key and endpoint. */
function opendi(args: string[], o: { keyed?: boolean; cwd?: string; env?: Record<string, string>; onStart?: (child: ReturnType<typeof spawn>) => void } = {}): Promise<Run> {
  const keyEnv = o.keyed === false ? {} : { OPENDI_ACCESS_KEY_ID: svc.accessKeyId, OPENDI_ACCESS_KEY_SECRET: svc.accessKeySecret, OPENDI_ENDPOINT: svc.endpoint };
  const env: Record<string, string | undefined> = { ...process.env, OPENDI_ACCESS_KEY_ID: undefined, OPENDI_ACCESS_KEY_SECRET: undefined, OPENDI_ENDPOINT: undefined, OPENDI_DATA_DIR: undefined, ...keyEnv, ...o.env };
  for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
  const child = spawn(process.execPath, [BIN, ...args], { cwd: o.cwd ?? elsewhere, env });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { err += d; });
  o.onStart?.(child);
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, out, err })));
}

test('call --help lists the actions per version; call X --help prints X\'s parameters and sends nothing; unknown actions get close matches', async () => {
  const list = await opendi(['call', '--help'], { keyed: false });
  assert.equal(list.code, 0, list.err);
  assert.match(list.out, /API version 2020-05-18: served\n[\s\S]*StopDISyncInstance/);
  assert.match(list.out, /API version 2024-05-18: served\n[\s\S]*CreateDIJob[\s\S]*ListDIJobMetrics/);
  // Every operation of spec/ is served now; an action the build lacked would be listed as not served.
  assert.doesNotMatch(list.out, /not served/);

  // A listener that counts connections: the help must not open one.
  let connections = 0;
  const counter = net.createServer((s) => { connections++; s.destroy(); });
  await new Promise<void>((resolve) => counter.listen(0, '127.0.0.1', resolve));
  try {
    const endpoint = `127.0.0.1:${(counter.address() as net.AddressInfo).port}`;
    const help = await opendi(['call', 'CreateDISyncTask', '--help', '--endpoint', endpoint]);
    assert.equal(help.code, 0, help.err);
    assert.match(help.out, /CreateDISyncTask \(API version 2020-05-18, HTTP POST\)/);
    assert.match(help.out, /TaskContent\s+string\s+yes\s+form body/);
    assert.match(help.out, /TaskName\s+string\s+no\s+query/);
    const tags = await opendi(['call', 'CreateProject', '--help', '--endpoint', endpoint]);
    assert.match(tags.out, /Tags\s+list of objects\s+no\s+query, as one JSON string/);
    assert.equal(connections, 0);
  } finally {
    counter.close();
  }
  const unknown = await opendi(['call', 'ListFile']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.err, /unknown action ListFile\. Did you mean: ListFiles\?/);
  assert.match((await opendi(['call', 'stopdisyncinstance'])).err, /Did you mean: StopDISyncInstance/);
});

test('exit codes: 0 on success, 1 on an HTTP error, Success false or Data.Status fail; @file.json values', async () => {
  const projectId = await createWorkspace(svc.client(), 'ws_cli_exit');
  fs.writeFileSync(path.join(elsewhere, 'task.json'), realtimeScript('a', 'b', ['t']) + '\n');
  const created = await opendi(['call', 'CreateDISyncTask', '--ProjectId', String(projectId), '--TaskType', 'DI_REALTIME', '--TaskName', 'cli_task', '--TaskContent', '@task.json']);
  assert.equal(created.code, 0, created.err);
  const fileId = JSON.parse(created.out).Data.FileId;
  const got = await call(svc.client(), 'GetDISyncTask', { ProjectId: projectId, TaskType: 'DI_REALTIME', FileId: fileId });
  assert.deepEqual(JSON.parse(got.Data.Code).steps[0].parameter.connection[0].table, ['public.t'], 'the file\'s content was sent');

  const dup = await opendi(['call', 'CreateDISyncTask', '--ProjectId', String(projectId), '--TaskType', 'DI_REALTIME', '--TaskName', 'cli_task', '--TaskContent', '@task.json']);
  assert.equal(dup.code, 1, 'Data.Status fail is a failed call');
  assert.equal(JSON.parse(dup.out).Data.Status, 'fail', 'the answer is still printed for scripts');
  const httpError = await opendi(['call', 'GetProject', '--ProjectId', 'x']);
  assert.equal(httpError.code, 1);
  assert.equal(JSON.parse(httpError.out).Code, 'Param.Invalid');
  const missing = await opendi(['call', 'CreateDISyncTask', '--ProjectId', String(projectId), '--TaskType', 'DI_REALTIME', '--TaskContent', '@nope.json']);
  assert.equal(missing.code, 2);
  assert.match(missing.err, /--TaskContent @nope\.json: cannot read nope\.json \(ENOENT\)/);
});

test('a service that is not there gets a readable hint; the key is found in .opendi of the current directory or above', async () => {
  const port = await freePort();
  const refused = await opendi(['call', 'ListProjects', '--endpoint', `127.0.0.1:${port}`]);
  assert.equal(refused.code, 1);
  assert.match(refused.err, new RegExp(`cannot reach OpenDI at 127\\.0\\.0\\.1:${port} \\(connection refused\\): is the service running at 127\\.0\\.0\\.1:${port}\\?`));

  const root = fs.mkdtempSync(path.join(elsewhere, 'proj-'));
  fs.mkdirSync(path.join(root, '.opendi'));
  fs.writeFileSync(path.join(root, '.opendi', 'admin-access-key.json'), JSON.stringify({ AccessKeyId: svc.accessKeyId, AccessKeySecret: svc.accessKeySecret }));
  const sub = path.join(root, 'a', 'b');
  fs.mkdirSync(sub, { recursive: true });
  const listed = await opendi(['call', 'ListProjects', '--endpoint', svc.endpoint], { keyed: false, cwd: sub });
  assert.equal(listed.code, 0, listed.err);
  assert.equal(typeof JSON.parse(listed.out).PageResult.TotalCount, 'number');
  const nokey = await opendi(['call', 'ListProjects', '--endpoint', svc.endpoint], { keyed: false, cwd: elsewhere });
  assert.equal(nokey.code, 2);
  assert.match(nokey.err, /no AccessKey/);
});

test('opendi watch <FileId> follows the task (status, phase, delay, progress) until Ctrl-C; the workspace is found without --ProjectId', async () => {
  const projectId = await createWorkspace(svc.client(), 'ws_cli_watch');
  const fileId = (await call(svc.client(), 'CreateDISyncTask', { ProjectId: projectId, TaskType: 'DI_REALTIME', TaskName: 'watched', TaskContent: realtimeScript('a', 'b', ['t']) })).Data.FileId;
  const two = await opendi(['watch', String(fileId), '--count', '2', '--interval-ms', '200']);
  assert.equal(two.code, 0, two.err);
  const lines = two.out.trim().split('\n');
  assert.equal(lines.length, 2);
  assert.match(lines[0], /^\d\d:\d\d:\d\d NORUN dirty 0 alerts 0$/);

  let watcher: ReturnType<typeof spawn> | undefined;
  let lineSeen: () => void = () => undefined;
  const seen = new Promise<void>((resolve) => { lineSeen = resolve; });
  const followed = opendi(['watch', String(fileId), '--ProjectId', String(projectId), '--interval-ms', '200'], {
    onStart: (child) => { watcher = child; child.stdout!.on('data', () => lineSeen()); },
  });
  await seen;
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(watcher!.exitCode, null, 'watch keeps following until stopped');
  watcher!.kill('SIGINT'); // Ctrl-C
  const done = await followed;
  assert.equal(done.code, 0, done.err);
  assert.ok(done.out.trim().split('\n').length >= 2);

  const wrong = await opendi(['watch', '999999999', '--ProjectId', String(projectId), '--count', '1']);
  assert.equal(wrong.code, 1);
  assert.match(wrong.err, /fileId:\[999999999\] is invalid/);
});
