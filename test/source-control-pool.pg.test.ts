/**
 * PostgreSQL sources share their control connections per data source
 * (src/engine/sources/postgres/control-pools.ts): three tasks reading one source database, with an
 * initial load each, hold one walsender each and together one control connection (a pool of at
 * most one here); the pool's connection killed under them costs no task anything; the last task
 * stopping closes the pool.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startPostgres, type PgInstance } from './harness/postgres.ts';
import { PgPipelineEnv, eventually, logger, type Ctx } from './harness/pg-pipeline.ts';
import { SourceControlPools } from '../src/engine/sources/postgres/control-pools.ts';

let pgi: PgInstance;
let env: PgPipelineEnv;

before(async () => { pgi = await startPostgres(); env = new PgPipelineEnv(pgi, 'cp', 700); });
after(async () => { await env?.stopAll(); await pgi?.destroy(); });

const tables = ['a', 'b', 'c'];

test('three tasks on one source database: one walsender each, one shared control connection; a broken one is replaced', async () => {
  const first = await env.fresh(tables.map((t) => `CREATE TABLE ${t} (id bigint PRIMARY KEY, v text); INSERT INTO ${t} SELECT g, 'x' FROM generate_series(1, 25000) g;`).join(''));
  // Three tasks, each with its own slot and target database, all reading the first task's source database.
  const ctxs: Ctx[] = [first];
  for (let i = 1; i < tables.length; i++) {
    const own = await env.fresh('SELECT 1');
    ctxs.push({ ...own, src: first.src });
  }
  const pools = new SourceControlPools(logger, { max: 1, acquireTimeoutMs: 10_000, idleMs: 60_000 });
  const runs = await Promise.all(ctxs.map((ctx, i) => {
    const spec = env.spec(ctx, 1, [tables[i]], { initialLoad: true });
    return env.launch({ ...spec, source: { ...spec.source, controlPools: pools } as typeof spec.source });
  }));
  let failed: unknown = null;
  for (const r of runs) r.done.catch((err) => { failed = err; });
  // The initial loads (three chunks each) read through the one control connection.
  for (const [i, ctx] of ctxs.entries()) await env.waitEqual(ctx, tables[i]);

  const sessions = async () => (await env.sql('postgres', `SELECT application_name AS app, backend_type AS type FROM pg_stat_activity
      WHERE datname = $1 AND application_name LIKE 'opendi%'`, [first.src])).map((r) => `${r.type === 'walsender' ? 'walsender' : 'client'} ${r.app}`).sort();
  const expected = ['client opendi:source-pool', ...ctxs.map((ctx) => `walsender opendi:task-${ctx.taskId}:source`)].sort();
  await eventually(async () => JSON.stringify(await sessions()) === JSON.stringify(expected) || undefined, 10_000, 'one walsender per task and one shared control connection')
    .catch(async (err) => { throw new Error(`${(err as Error).message}: ${JSON.stringify(await sessions())}`); });
  assert.equal(pools.sizes(), 1);

  // The shared connection dies: the pool opens another, every task streams on.
  await env.sql('postgres', `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'opendi:source-pool'`);
  for (const t of tables) await env.sql(first.src, `INSERT INTO ${t} SELECT g, 'y' FROM generate_series(30001, 30100) g`);
  for (const [i, ctx] of ctxs.entries()) await env.waitEqual(ctx, tables[i]);
  await eventually(async () => (await sessions()).includes('client opendi:source-pool') || undefined, 10_000, 'a new control connection');
  assert.equal(failed, null, 'no task failed');

  await Promise.all(runs.map((r) => r.p.stop()));
  await eventually(async () => (await sessions()).length === 0 || undefined, 10_000, 'the pool closed with its last task');
  assert.equal(pools.sizes(), 0);
});
