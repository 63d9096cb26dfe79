/**
 * A single MySQL transaction of one million rows streams through to PostgreSQL in bounded memory
 * (issue 3, hard case): the service's peak RSS (VmHWM) is reported and must stay far below what
 * holding the transaction would take. Own servers and service, so the peak is this test's.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import type { OpenDIService } from './harness/opendi-service.ts';
import type { PgInstance } from './harness/postgres.ts';
import type { MariaDbInstance } from './harness/mariadb.ts';
import { startCrossEngineEnv, type CrossEngineEnv } from './harness/cross-engine-env.ts';
import {
  addMySqlDataSource, addPostgresDataSource, createDeployedTask, createWorkspace, realtimeScript, taskCall, waitForStatus, waitUntil, withDb,
} from './harness/realtime-scenario.ts';

let env: CrossEngineEnv;
let pgi: PgInstance;
let mdb: MariaDbInstance;
let svc: OpenDIService;

before(async () => { env = await startCrossEngineEnv(); ({ pgi, mdb, svc } = env); });
after(async () => { await env?.destroy(); });

const rssMiB = (pid: number, field: 'VmRSS' | 'VmHWM') =>
  Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

test('a one-million-row MySQL transaction streams into PostgreSQL in bounded memory', async () => {
  const client = svc.client();
  const projectId = await createWorkspace(client, 'ws_big');
  await mdb.createDatabase('big_src');
  await mdb.query(`CREATE TABLE t (id INT PRIMARY KEY, a BIGINT, b VARCHAR(40), c DECIMAL(12,2))`, [], 'big_src');
  await pgi.createDatabase('big_dst');
  await addMySqlDataSource(client, projectId, 'big_src', mdb, 'big_src');
  await addPostgresDataSource(client, projectId, 'big_dst', pgi, 'big_dst');
  const fileId = await createDeployedTask(client, projectId, 'big_task', realtimeScript('big_src', 'big_dst', ['big_src.t'], { reader: 'mysql' }));
  await taskCall(client, 'StartDISyncInstance', projectId, fileId);
  await waitForStatus(client, projectId, fileId, ['RUN']);
  const baseline = rssMiB(svc.pid!, 'VmRSS');

  const t0 = Date.now();
  await mdb.query(`INSERT INTO t SELECT seq, seq * 7, CONCAT('row ', seq, ' of the big one'), seq / 100 FROM seq_1_to_1000000`, [], 'big_src');
  const committed = Date.now();
  await waitUntil(async () => withDb(pgi, 'big_dst', async (c) => {
    const r = await c.query(`SELECT to_regclass('public.t') IS NOT NULL AS e`);
    return r.rows[0].e && Number((await c.query(`SELECT count(*) AS n FROM public.t`)).rows[0].n) === 1_000_000;
  }), 300_000, 'one million rows in the target');
  const done = Date.now();
  const peak = rssMiB(svc.pid!, 'VmHWM');
  console.log(`# 1,000,000-row transaction: source commit ${committed - t0} ms, applied ${done - committed} ms after it `
    + `(${Math.round(1_000_000 / ((done - committed) / 1000))} rows/s); service RSS before ${baseline.toFixed(0)} MiB, peak ${peak.toFixed(0)} MiB`);
  // Holding the transaction would take well over 1 GiB of JS objects; the bound is the point.
  assert.ok(peak < 512, `service peak RSS ${peak.toFixed(0)} MiB`);
  const sample = await withDb(pgi, 'big_dst', async (c) => (await c.query(`SELECT a::text, b, c::text FROM public.t WHERE id = 123457`)).rows[0]);
  assert.deepEqual(sample, { a: String(123457 * 7), b: 'row 123457 of the big one', c: '1234.57' });
  await taskCall(client, 'TerminateDISyncInstance', projectId, fileId);
});
