/**
 * The initial load survives a crash (issue 3, point 3): the service is killed with SIGKILL in the
 * middle of copying a table while the source keeps changing; after the restart the copy goes on
 * from the last committed chunk (not from the first row) and the target converges to the source.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { OpenDIService } from './harness/opendi-service.ts';
import type { PgInstance } from './harness/postgres.ts';
import type { MariaDbInstance } from './harness/mariadb.ts';
import { startCrossEngineEnv, type CrossEngineEnv } from './harness/cross-engine-env.ts';
import {
  addMySqlDataSource, addPostgresDataSource, createDeployedTask, createWorkspace, instanceInfo, realtimeScript, taskCall, waitForStatus, waitUntil, withDb,
} from './harness/realtime-scenario.ts';

let env: CrossEngineEnv;
let pgi: PgInstance;
let mdb: MariaDbInstance;
let svc: OpenDIService;

before(async () => { env = await startCrossEngineEnv(); ({ pgi, mdb, svc } = env); });
after(async () => { await env?.destroy(); });

const ROWS = 300_000;

test('a crash during the initial load resumes from the last committed chunk; nothing lost or doubled', async () => {
  const client = svc.client();
  const projectId = await createWorkspace(client, 'ws_load');
  await mdb.createDatabase('load_src');
  await mdb.query(`CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(40), n INT)`, [], 'load_src');
  await mdb.query(`INSERT INTO t SELECT seq, CONCAT('row ', seq), 0 FROM seq_1_to_${ROWS}`, [], 'load_src');
  await pgi.createDatabase('load_dst');
  await addMySqlDataSource(client, projectId, 'load_src', mdb, 'load_src');
  await addPostgresDataSource(client, projectId, 'load_dst', pgi, 'load_dst');
  const script = realtimeScript('load_src', 'load_dst', ['load_src.t'], { reader: 'mysql', setting: { initialLoad: true } });
  const fileId = await createDeployedTask(client, projectId, 'load_task', script);
  await taskCall(client, 'StartDISyncInstance', projectId, fileId);

  const targetCount = () => withDb(pgi, 'load_dst', async (c) => {
    const exists = (await c.query(`SELECT to_regclass('public.t') IS NOT NULL AS e`)).rows[0].e;
    return exists ? Number((await c.query(`SELECT count(*) AS n FROM public.t`)).rows[0].n) : 0;
  });
  await waitUntil(async () => (await targetCount()) >= 30_000 || undefined, 60_000, 'part of the table copied');
  // Changes during the copy, on rows already copied and on rows not copied yet.
  await mdb.query(`UPDATE t SET n = n + 1 WHERE id % 1000 = 0`, [], 'load_src');
  await mdb.query(`DELETE FROM t WHERE id % 997 = 0`, [], 'load_src');
  await svc.kill();

  const checkpoint = await withDb(pgi, 'load_dst', async (c) => (await c.query(`SELECT position FROM opendi.sync_checkpoint WHERE task_id = $1`, [fileId])).rows[0].position as string);
  const copied = await targetCount();
  assert.match(checkpoint, /^load:/, 'the checkpoint records the copy in progress');
  const progress = JSON.parse(checkpoint.slice(5));
  assert.equal(progress.table, 'load_src.t');
  assert.ok(Number(progress.after[0]) >= 10_000 && copied < ROWS, `killed mid-copy (after key ${progress.after[0]}, ${copied} rows in the target)`);

  await mdb.query(`INSERT INTO t SELECT seq, 'late', 1 FROM seq_${ROWS + 1}_to_${ROWS + 1000}`, [], 'load_src');
  await svc.restart();
  await waitForStatus(client, projectId, fileId, ['RUN']);
  const select = { mysql: `SELECT COUNT(*) AS n, SUM(id) AS s, SUM(n) AS m FROM t`, pg: `SELECT count(*)::text AS n, sum(id)::text AS s, sum(n)::text AS m FROM public.t` };
  const want = (await mdb.query<{ n: string; s: string; m: string }[]>(select.mysql, [], 'load_src'))[0];
  await waitUntil(async () => {
    const got = await withDb(pgi, 'load_dst', async (c) => (await c.query(select.pg)).rows[0]);
    return got.n === String(want.n) && got.s === String(want.s) && got.m === String(want.m) || undefined;
  }, 120_000, 'target equal to source');
  const info = await instanceInfo(client, projectId, fileId);
  // This run copied only what the first one had not committed (plus the 1,000 rows added meanwhile).
  assert.ok(info.Metrics.RowsLoaded <= ROWS + 1_000 - Number(progress.after[0]), `rows loaded after the restart: ${info.Metrics.RowsLoaded}`);
  assert.equal(info.Metrics.Phase, 'INCREMENTAL');
  await waitUntil(async () => (await instanceInfo(client, projectId, fileId)).Metrics.DelaySeconds === 0 || undefined, 10_000, 'caught up: delay 0');
  await taskCall(client, 'TerminateDISyncInstance', projectId, fileId);
});
