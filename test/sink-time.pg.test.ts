/**
 * Where a task's time goes (PipelineMetrics.sinkMs, Prometheus opendi_task_sink_seconds_total):
 * a target that holds the task's writes shows as time in the sink; a task with nothing to apply
 * adds next to none; it commits a position past log that carried nothing for it once per idle
 * interval (OPENDI_IDLE_CHECKPOINT_MS), not more often. Real PostgreSQL source and target.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startPostgres, type PgInstance } from './harness/postgres.ts';
import { PgPipelineEnv, eventually } from './harness/pg-pipeline.ts';

let pgi: PgInstance;
let env: PgPipelineEnv;
before(async () => { pgi = await startPostgres(); env = new PgPipelineEnv(pgi, 'sinktime', 7700); });
after(async () => { await env?.stopAll(); await pgi?.destroy(); });

test('time spent waiting on the target counts in sinkMs; an idle task adds next to none', async () => {
  const ctx = await env.fresh('CREATE TABLE t (id bigint PRIMARY KEY, v text)');
  const { p } = await env.launch(env.spec(ctx, 1, ['t']));
  await env.sql(ctx.src, `INSERT INTO t VALUES (1, 'a')`);
  await env.waitEqual(ctx, 't');

  const idleFrom = p.metrics().sinkMs;
  await new Promise((r) => setTimeout(r, 2_000));
  const idle = p.metrics().sinkMs - idleFrom;
  assert.ok(idle < 500, `2 s with nothing to apply: ${idle.toFixed(0)} ms in the sink`);

  const heldFrom = p.metrics().sinkMs;
  await env.holdingTable(ctx, 't', async () => {
    await env.sql(ctx.src, `INSERT INTO t VALUES (2, 'b')`);
    await eventually(async () => (await env.lockWaiters(ctx)).length > 0 || undefined, 20_000, 'the sink waiting on the table');
    await new Promise((r) => setTimeout(r, 1_500));
  });
  await env.waitEqual(ctx, 't');
  const held = p.metrics().sinkMs - heldFrom;
  assert.ok(held >= 1_400, `a target that held the write 1.5 s: ${held.toFixed(0)} ms in the sink`);
  await p.stop();
});

test('an idle task commits its position past log that carried nothing for it once per idle interval, and not in between', async () => {
  const ctx = await env.fresh('CREATE TABLE t (id bigint PRIMARY KEY, v text); CREATE TABLE other (id bigint PRIMARY KEY)');
  const idleMs = 2_500;
  const { p } = await env.launch({ ...env.spec(ctx, 1, ['t']), idleCheckpointMs: idleMs });
  await env.sql(ctx.src, `INSERT INTO t VALUES (1, 'a')`);
  await env.waitEqual(ctx, 't');
  const checkpoint = async () => (await env.tsql(ctx, `SELECT position FROM opendi.sync_checkpoint WHERE task_id = $1`, [ctx.taskId]))[0].position as string;
  const after = async (a: string, b: string) => (await env.sql(ctx.src, `SELECT $1::pg_lsn > $2::pg_lsn AS x`, [a, b]))[0].x as boolean;
  const applied = await checkpoint();
  const commitsAt: number[] = [];
  const t0 = Date.now();
  let seen = applied;
  // Log the task does not capture, written without pause: the server's position moves all the time.
  while (Date.now() - t0 < 2 * idleMs + 1_500) {
    await env.sql(ctx.src, `INSERT INTO other SELECT coalesce(max(id), 0) + 1 FROM other`);
    const now = await checkpoint();
    if (now !== seen) { commitsAt.push(Date.now() - t0); seen = now; }
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.ok(await after(seen, applied), 'the checkpoint moved past the other table\'s log');
  // The first comes once the interval since the row's commit is up (just under 2.5 s from t0), the next one
  // interval later, and no other (a third would be due past the 6.5 s watched).
  assert.equal(commitsAt.length, 2, `idle commits at ${JSON.stringify(commitsAt)} ms`);
  for (let i = 1; i < commitsAt.length; i++) assert.ok(commitsAt[i] - commitsAt[i - 1] >= idleMs - 300, `spaced by the interval: ${JSON.stringify(commitsAt)}`);
  const slot = (await env.sql(ctx.src, `SELECT confirmed_flush_lsn::text AS lsn FROM pg_replication_slots WHERE slot_name = $1`, [ctx.slot]))[0];
  assert.equal(slot.lsn, p.metrics().committedPosition, 'the slot was acknowledged up to the idle commit');
  assert.equal(slot.lsn, seen);
  await p.stop();
});
