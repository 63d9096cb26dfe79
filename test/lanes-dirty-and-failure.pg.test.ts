/**
 * Lanes (sinks/laned-sink.ts) with rows the target refuses and with a lane that fails mid-chunk:
 * dirty records count against errorLimit before anything commits, each is kept once, and a lane
 * connection cut while the other lane applies fails the run with nothing of the source transaction
 * committed in any lane; the restart then applies every row exactly once. Real PostgreSQL source
 * and target.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startPostgres, type PgInstance } from './harness/postgres.ts';
import { PgPipelineEnv, auditedTargetDdl, eventually, type Ctx } from './harness/pg-pipeline.ts';
import type { PipelineSpec } from '../src/engine/pipeline.ts';

let pgi: PgInstance;
let env: PgPipelineEnv;
before(async () => { pgi = await startPostgres(); env = new PgPipelineEnv(pgi, 'lanesdirty', 7600); });
after(async () => { await env?.stopAll(); await pgi?.destroy(); });

const laned = (ctx: Ctx, fence: number, errorLimit: number): PipelineSpec => {
  const s = env.spec(ctx, fence, ['t'], { resourcesCreated: fence > 1 });
  return { ...s, errorLimit, target: { ...s.target, lanes: 2 } };
};

/** 30,000 rows in one source transaction (three chunks of the pipeline), `bad` of them refused by the target's CHECK. */
async function bigTransaction(ctx: Ctx, bad: number[]): Promise<void> {
  await env.sql(ctx.src, `INSERT INTO t SELECT g, CASE WHEN g = ANY($1::int[]) THEN 'bad' ELSE 'v' || g END FROM generate_series(1, 30000) g`, [bad]);
}

async function fresh(): Promise<Ctx> {
  const ctx = await env.fresh('CREATE TABLE t (id bigint PRIMARY KEY, v text)');
  await env.tsql(ctx, auditedTargetDdl('t', `id bigint PRIMARY KEY, v text CHECK (v <> 'bad')`));
  return ctx;
}

/** The run's end, or a failure of the test when it is still running after `ms`. */
const endOf = (done: Promise<void>, ms = 30_000) => Promise.race([done,
  new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`the run did not end within ${ms} ms`)), ms).unref())]);

const committed = async (ctx: Ctx) => (await env.tsql(ctx, 'SELECT count(*)::int AS n FROM t'))[0].n as number;

test('2 lanes: a refused row counts before the commit; past errorLimit nothing of its transaction commits in any lane', async () => {
  const ctx = await fresh();
  const { done } = await env.launch(laned(ctx, 1, 0));
  await bigTransaction(ctx, [29_999]);
  await assert.rejects(endOf(done), /dirty|error limit|errorLimit/i);
  assert.equal(await committed(ctx), 0, 'the transaction with the refused row did not commit in any lane');
  const dirty = await env.tsql(ctx, 'SELECT count(*)::int AS n FROM opendi.dirty_record WHERE task_id = $1', [ctx.taskId]);
  assert.equal(dirty[0].n, 0, 'nor did its dirty record');
});

test('2 lanes: rows refused within errorLimit are counted once each, kept in the target, and the rest commits exactly once', async () => {
  const ctx = await fresh();
  const { p } = await env.launch(laned(ctx, 1, 10));
  await bigTransaction(ctx, [7, 15_001, 29_999]);
  await eventually(async () => (await committed(ctx)) === 29_997 || undefined, 30_000, 'the good rows applied');
  await eventually(async () => p.metrics().rowsApplied === 30_000 || undefined, 10_000, 'the transaction committed');
  assert.equal(p.metrics().dirtyRecords, 3);
  const dirty = await env.tsql(ctx, 'SELECT count(*)::int AS n FROM opendi.dirty_record WHERE task_id = $1', [ctx.taskId]);
  assert.equal(dirty[0].n, 3);
  const audit = await env.tsql(ctx, `SELECT count(*)::int AS n, count(DISTINCT id)::int AS ids FROM audit WHERE tbl = 't'`);
  assert.deepEqual(audit[0], { n: 29_997, ids: 29_997 }, 'every good row applied once');
  await p.stop();
});

test('2 lanes: a lane connection cut mid-transaction fails the run before any commit; the restart converges exactly once', async () => {
  const ctx = await fresh();
  const first = await env.launch(laned(ctx, 1, 0));
  // The test holds the target table: the lanes block on it mid-transaction, then lose their connections.
  await env.holdingTable(ctx, 't', async () => {
    await bigTransaction(ctx, []);
    await eventually(async () => (await env.lockWaiters(ctx)).length >= 1 || undefined, 20_000, 'a lane waiting on the table');
    await env.tsql(ctx, 'SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) pid', [await env.lockWaiters(ctx)]);
    await assert.rejects(endOf(first.done), (err: Error) => !/did not end within/.test(err.message));
  });
  assert.equal(await committed(ctx), 0, 'nothing of the source transaction committed');
  const second = await env.launch(laned(ctx, 2, 0));
  await env.assertExactlyOnce(ctx, 't');
  await second.p.stop();
});
