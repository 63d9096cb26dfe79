/**
 * PostgreSQL sources share their control connections (src/engine/sources/postgres/control-pools.ts):
 * three tasks reading one source database, with an initial load each, hold one walsender each and
 * together one control connection (a pool of at most one here) plus one for the server-wide
 * queries; the pools' connections killed under them cost no task anything; the last task stopping
 * closes the pools. Tasks of two databases of one server hold only their walsenders there once
 * they stream (the server-wide queries run on the maintenance database); a user who may not
 * connect to it gets the server-wide queries on its own database.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startPostgres, type PgInstance } from './harness/postgres.ts';
import { PgPipelineEnv, eventually, logger, type Ctx } from './harness/pg-pipeline.ts';
import { SourceControlPools, serverPool } from '../src/engine/sources/postgres/control-pools.ts';
import { createLogger } from '../src/logger.ts';

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
  const serverWide = async () => (await env.sql('postgres', `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = 'postgres' AND application_name = 'opendi:source-pool'`))[0].n as number;
  const expected = ['client opendi:source-pool', ...ctxs.map((ctx) => `walsender opendi:task-${ctx.taskId}:source`)].sort();
  await eventually(async () => JSON.stringify(await sessions()) === JSON.stringify(expected) || undefined, 10_000, 'one walsender per task and one shared control connection')
    .catch(async (err) => { throw new Error(`${(err as Error).message}: ${JSON.stringify(await sessions())}`); });
  // Opened by the first WAL sample, which comes at a task's first idle look-around (pipeline.ts IDLE_MS).
  await eventually(async () => (await serverWide()) === 1 || undefined, 10_000, 'the WAL samples and probes of the three on one connection to the maintenance database');
  assert.equal(pools.sizes(), 2);

  // The shared connection dies: the pool opens another, every task streams on.
  await env.sql('postgres', `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'opendi:source-pool'`);
  for (const t of tables) await env.sql(first.src, `INSERT INTO ${t} SELECT g, 'y' FROM generate_series(30001, 30100) g`);
  for (const [i, ctx] of ctxs.entries()) await env.waitEqual(ctx, tables[i]);
  await eventually(async () => (await sessions()).includes('client opendi:source-pool') || undefined, 10_000, 'a new control connection');
  assert.equal(failed, null, 'no task failed');

  await Promise.all(runs.map((r) => r.p.stop()));
  await eventually(async () => ((await sessions()).length === 0 && (await serverWide()) === 0) || undefined, 10_000, 'the pools closed with their last task');
  assert.equal(pools.sizes(), 0);
});

test('tasks of two databases of one server: once they stream, only their walsenders are in their databases', async () => {
  const ctxs = [await env.fresh(`CREATE TABLE d (id bigint PRIMARY KEY, v text)`), await env.fresh(`CREATE TABLE d (id bigint PRIMARY KEY, v text)`)];
  // Idle connections close after 2 s: a database's pool empties when its tasks only stream (the WAL sample, once a
  // second, would keep it open).
  const pools = new SourceControlPools(logger, { max: 2, acquireTimeoutMs: 10_000, idleMs: 2_000 });
  const runs = await Promise.all(ctxs.map((ctx) => {
    const spec = env.spec(ctx, 1, ['d']);
    return env.launch({ ...spec, source: { ...spec.source, controlPools: pools } as typeof spec.source });
  }));
  let failed: unknown = null;
  for (const r of runs) r.done.catch((err) => { failed = err; });
  const inDatabases = async () => (await env.sql('postgres', `SELECT datname || ' ' || backend_type AS s FROM pg_stat_activity
      WHERE datname = ANY($1) AND application_name LIKE 'opendi%'`, [ctxs.map((c) => c.src)])).map((r) => r.s as string).sort();
  const expected = ctxs.map((c) => `${c.src} walsender`).sort();
  await eventually(async () => JSON.stringify(await inDatabases()) === JSON.stringify(expected) || undefined, 10_000, 'only the walsenders in the source databases')
    .catch(async (err) => { throw new Error(`${(err as Error).message}: ${JSON.stringify(await inDatabases())}`); });
  for (const ctx of ctxs) await env.sql(ctx.src, `INSERT INTO d SELECT g, 'x' FROM generate_series(1, 100) g`);
  for (const ctx of ctxs) await env.waitEqual(ctx, 'd');
  assert.equal(failed, null, 'no task failed');
  await Promise.all(runs.map((r) => r.p.stop()));
});

test('a source user who may not connect to the maintenance database: the server-wide queries use its own database', async () => {
  await pgi.createDatabase('own_db');
  await env.sql('postgres', `CREATE ROLE no_maint LOGIN; REVOKE CONNECT ON DATABASE postgres FROM PUBLIC`);
  try {
    const quiet = createLogger('silent');
    const databaseOf = async (user: string) => {
      const pool = serverPool({ host: pgi.host, port: pgi.port, database: 'own_db', user }, 'opendi-test', quiet, { max: 1, acquireTimeoutMs: 10_000, idleMs: 60_000 });
      const c = await pool.acquire();
      try {
        return (await c.query('SELECT current_database() AS d')).rows[0].d as string;
      } finally {
        pool.release(c, false);
        await pool.end();
      }
    };
    assert.equal(await databaseOf(pgi.user), 'postgres');
    assert.equal(await databaseOf('no_maint'), 'own_db');
  } finally {
    await env.sql('postgres', `GRANT CONNECT ON DATABASE postgres TO PUBLIC`);
  }
});
