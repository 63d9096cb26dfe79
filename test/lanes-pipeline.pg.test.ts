/**
 * The pipeline with 4 lanes (docs/target-checkpoint.md "Lanes") through real PostgreSQL source
 * and target: the initial load, inserts, updates, key changes moving rows between lanes, deletes,
 * a transaction with a TRUNCATE in its middle and a column added while streaming all end with
 * the target equal to the source, across a stop and a start.
 */
import { after, before, test } from 'node:test';
import { startPostgres, type PgInstance } from './harness/postgres.ts';
import { PgPipelineEnv } from './harness/pg-pipeline.ts';

let pgi: PgInstance;
let env: PgPipelineEnv;
before(async () => { pgi = await startPostgres(); env = new PgPipelineEnv(pgi, 'lanes', 7000); });
after(async () => { await env?.stopAll(); await pgi?.destroy(); });

test('4 lanes: load, changes across lanes, TRUNCATE mid-transaction, ADD COLUMN, stop and start: target equals source', async () => {
  const ctx = await env.fresh(`CREATE TABLE t (id bigint PRIMARY KEY, v text);
    INSERT INTO t SELECT g, 'loaded ' || g FROM generate_series(1, 3000) g;
    CREATE TABLE u (id bigint PRIMARY KEY, v text)`);
  const spec = (fence: number) => {
    const s = env.spec(ctx, fence, ['t', 'u'], { initialLoad: true, resourcesCreated: fence > 1 });
    return { ...s, target: { ...s.target, lanes: 4 } };
  };
  const first = await env.launch(spec(1));
  await env.waitEqual(ctx, 't');
  await env.sql(ctx.src, `INSERT INTO t SELECT g, 'new ' || g FROM generate_series(3001, 4000) g`);
  await env.sql(ctx.src, `UPDATE t SET v = v || ' updated' WHERE id % 3 = 0`);
  await env.sql(ctx.src, `UPDATE t SET id = id + 100000 WHERE id % 7 = 0`); // key changes, most of them to another lane
  await env.sql(ctx.src, `DELETE FROM t WHERE id % 11 = 0`);
  await env.sql(ctx.src, `INSERT INTO u SELECT g, 'u' FROM generate_series(1, 500) g`);
  await env.sql(ctx.src, `BEGIN; INSERT INTO u SELECT g, 'before' FROM generate_series(501, 600) g; TRUNCATE u; INSERT INTO u SELECT g, 'after' FROM generate_series(1, 50) g; COMMIT`);
  await env.waitEqual(ctx, 'u');
  await env.waitEqual(ctx, 't');
  await env.sql(ctx.src, `ALTER TABLE t ADD COLUMN w text DEFAULT 'w'`);
  await env.sql(ctx.src, `INSERT INTO t SELECT g, 'with w', 'x' || g FROM generate_series(5001, 5500) g`);
  await env.waitEqual(ctx, 't');
  await first.p.stop();
  await env.sql(ctx.src, `UPDATE t SET w = 'while stopped' WHERE id % 5 = 0`);
  await env.sql(ctx.src, `INSERT INTO u SELECT g, 'later' FROM generate_series(1000, 1999) g`);
  const second = await env.launch(spec(2));
  await env.waitEqual(ctx, 't');
  await env.waitEqual(ctx, 'u');
  await second.p.stop();
});
