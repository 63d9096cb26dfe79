/**
 * Where a task's time goes (PipelineMetrics.sinkMs, Prometheus opendi_task_sink_seconds_total):
 * a target that holds the task's writes shows as time in the sink; a task with nothing to apply
 * adds next to none. Real PostgreSQL source and target.
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
