/**
 * Issue 8 item 7 (security review HIGH-1, MEDIUM-1, LOW-9): config checks against hostile data
 * sources (fake PostgreSQL and MySQL servers that hang up, reset or stall after authenticating,
 * or never speak) end `fail` with a message; the service stays up, SIGTERM completes while checks
 * hang, and a check a crash interrupted is failed at the next start. Calls go through openapi-core.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { OpenDIService } from './harness/opendi-service.ts';
import { startFakePostgres, type FakePgMode, type FakeServer } from './harness/fake-postgres.ts';
import { startFakeMySql, type FakeMySqlMode } from './harness/fake-mysql.ts';
import { call, createWorkspace, realtimeScript, waitUntil } from './harness/realtime-scenario.ts';
import type { DataWorksClient } from '../src/client/dataworks-client.ts';

const BOUNDS = { OPENDI_CHECK_CONNECT_TIMEOUT_MS: '2000', OPENDI_CHECK_STATEMENT_TIMEOUT_MS: '1500', OPENDI_CHECK_TIMEOUT_MS: '5000' };

let svc: OpenDIService;
const fakes: FakeServer[] = [];
before(async () => { svc = await OpenDIService.start({ env: BOUNDS }); });
after(async () => {
  await svc.destroy();
  await Promise.all(fakes.map((f) => f.close()));
});

let seq = 0;
/** A workspace whose data source `hostile` points at the fake server; returns the started ProcessId. */
async function submitCheck(client: DataWorksClient, kind: 'postgresql' | 'mysql', port: number): Promise<{ projectId: number; processId: number }> {
  const projectId = await createWorkspace(client, `hostile_${process.pid}_${seq++}`);
  const scheme = kind === 'postgresql' ? 'postgresql' : 'mysql';
  await call(client, 'CreateDataSource', {
    ProjectId: projectId, Name: 'hostile', DataSourceType: kind, EnvType: 1,
    Content: JSON.stringify({ jdbcUrl: `jdbc:${scheme}://127.0.0.1:${port}/x`, username: 'u', password: 'p-hostile' }),
  });
  const table = kind === 'postgresql' ? 'public.t' : 'x.t';
  const gen = await call(client, 'GenerateDISyncTaskConfigForCreating', {
    ProjectId: projectId, TaskType: 'DI_REALTIME', TaskParam: realtimeScript('hostile', 'hostile', [table], { reader: kind, writer: kind }),
  });
  return { projectId, processId: gen.Data.ProcessId };
}

async function processResult(client: DataWorksClient, projectId: number, processId: number, timeoutMs = 20_000): Promise<any> {
  return waitUntil(async () => {
    const q = await call(client, 'QueryDISyncTaskConfigProcessResult', { ProjectId: projectId, TaskType: 'DI_REALTIME', AsyncProcessId: processId });
    // A process still unfinished after Query's own wait answers fail "...still being generated; retry".
    return q.Data.Status === 'fail' && /still being generated/.test(q.Data.Message) ? undefined : q.Data;
  }, timeoutMs, `config process ${processId}`);
}

const HOSTILE: ['postgresql' | 'mysql', FakePgMode | FakeMySqlMode][] = [
  ['postgresql', 'drop'], ['postgresql', 'reset'], ['postgresql', 'stall'], ['postgresql', 'silent'],
  ['mysql', 'drop'], ['mysql', 'reset'], ['mysql', 'stall'],
];

for (const [kind, mode] of HOSTILE) {
  test(`${kind} source that ${mode === 'silent' ? 'never speaks' : `${mode}s after authenticating`}: the check fails, the service stays up`, async () => {
    const fake = kind === 'postgresql' ? await startFakePostgres(mode as FakePgMode) : await startFakeMySql(mode as FakeMySqlMode);
    fakes.push(fake);
    const client = svc.client();
    const { projectId, processId } = await submitCheck(client, kind, fake.port);
    const result = await processResult(client, projectId, processId);
    assert.equal(result.Status, 'fail');
    assert.match(result.Message, /cannot check the source database 127\.0\.0\.1/);
    assert.ok(fake.connections >= 1, 'the check reached the fake server');
    assert.equal((await call(client, 'ListProjects', {})).PageResult.TotalCount > 0, true, 'the service still answers');
  });
}

test('SIGTERM completes within the stop timeout while checks hang; their processes end fail', async () => {
  const fake = await startFakePostgres('stall');
  fakes.push(fake);
  const stopTimeoutMs = 3000;
  // Checks that would hang for ten minutes: only shutdown can end them.
  const long = await OpenDIService.start({ env: {
    OPENDI_STOP_TIMEOUT_MS: String(stopTimeoutMs), OPENDI_CHECK_STATEMENT_TIMEOUT_MS: '600000', OPENDI_CHECK_TIMEOUT_MS: '600000',
  } });
  try {
    const client = long.client();
    const submitted = [];
    for (let i = 0; i < 5; i++) submitted.push(await submitCheck(client, 'postgresql', fake.port));
    await waitUntil(async () => fake.connections >= 5, 10_000, 'checks to connect');
    const started = Date.now();
    await Promise.race([
      long.stop(),
      new Promise((_, reject) => setTimeout(() => reject(new Error('SIGTERM did not end the service')), stopTimeoutMs + 10_000)),
    ]);
    assert.ok(Date.now() - started < stopTimeoutMs + 5000, `shutdown took ${Date.now() - started} ms`);
    await long.restart();
    const { projectId, processId } = submitted[0];
    const result = await processResult(long.client(), projectId, processId, 5000);
    assert.equal(result.Status, 'fail');
    assert.match(result.Message, /interrupted by a service restart; run the check again/);
  } finally {
    await long.destroy();
  }
});

test('a check interrupted by kill -9 is marked fail at the next start, not left running', async () => {
  const fake = await startFakePostgres('stall');
  fakes.push(fake);
  const crashy = await OpenDIService.start({ env: { OPENDI_CHECK_STATEMENT_TIMEOUT_MS: '600000', OPENDI_CHECK_TIMEOUT_MS: '600000' } });
  try {
    const { projectId, processId } = await submitCheck(crashy.client(), 'postgresql', fake.port);
    await waitUntil(async () => fake.connections >= 1, 10_000, 'the check to connect');
    await crashy.kill();
    await crashy.restart();
    const q = await call(crashy.client(), 'QueryDISyncTaskConfigProcessResult', { ProjectId: projectId, TaskType: 'DI_REALTIME', AsyncProcessId: processId });
    assert.equal(q.Data.Status, 'fail');
    assert.match(q.Data.Message, /interrupted by a service restart/);
  } finally {
    await crashy.destroy();
  }
});

test('an unexpected error or rejection anywhere in the process is logged and the service keeps serving', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opendi-boom-'));
  const preload = path.join(dir, 'boom.mjs');
  // Once the service says it listens: one stray exception and one stray rejection.
  fs.writeFileSync(preload, [
    `const write = process.stdout.write.bind(process.stdout);`,
    `process.stdout.write = (chunk, ...rest) => {`,
    `  if (String(chunk).includes('"listening"')) {`,
    `    setTimeout(() => { throw new Error('boom-uncaught'); }, 100);`,
    `    setTimeout(() => { Promise.reject(new Error('boom-rejected')); }, 200);`,
    `  }`,
    `  return write(chunk, ...rest);`,
    `};`,
  ].join('\n'));
  const boom = await OpenDIService.start({ env: { NODE_OPTIONS: `--import=${preload}` } });
  try {
    await waitUntil(async () => boom.log.includes('boom-uncaught') && boom.log.includes('boom-rejected'), 10_000, 'both errors to be logged');
    assert.equal((await call(boom.client(), 'ListProjects', {})).PageResult.TotalCount, 0);
    assert.match(boom.log, /unexpected error; the service keeps running/);
  } finally {
    await boom.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
