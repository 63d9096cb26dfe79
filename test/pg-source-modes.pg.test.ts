/**
 * CDC failure modes on the PostgreSQL source (docs/cdc-failure-modes.md), engine level against
 * private servers: a large committed transaction still being decoded, the slot ahead of the
 * checkpoint, a crash inside a multi-table transaction and inside a multi-chunk initial load, a
 * promoted standby without the slot, tables renamed while streaming and while stopped, columns
 * renamed, retyped and dropped while stopped, and a least-privilege user with a DBA's publication.
 */
import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startPostgres, type PgInstance } from './harness/postgres.ts';
import { PgPipelineEnv, auditedTargetDdl, eventually, logger, type Ctx } from './harness/pg-pipeline.ts';
import { Pipeline, UnrecoverableError, releaseTaskResources, type DdlMark, type EngineEvent, type PipelineSpec } from '../src/engine/pipeline.ts';
import { delaySeconds } from '../src/runtime/delay-seconds.ts';

let pgi: PgInstance;
let env: PgPipelineEnv;

before(async () => { pgi = await startPostgres(); env = new PgPipelineEnv(pgi, 'm', 300); });
afterEach(async () => { await env.stopAll(); });
after(async () => { await pgi?.destroy(); });

/** A task on `events` that applied ten rows and stopped; its committed checkpoint. */
async function stoppedAfterTenRows(): Promise<{ ctx: Ctx; checkpoint: string }> {
  const ctx = await env.fresh(`CREATE TABLE events (id bigint PRIMARY KEY, payload text NOT NULL)`);
  const first = await env.launch(env.spec(ctx, 1, ['events']));
  await env.sql(ctx.src, `INSERT INTO events SELECT g, 'x' FROM generate_series(1, 10) g`);
  await env.waitEqual(ctx, 'events');
  await first.p.stop();
  await first.done;
  return { ctx, checkpoint: first.p.metrics().committedPosition! };
}

const failure = (p: Promise<unknown>) => p.then(() => undefined, (e: Error) => e);
const count = async (ctx: Ctx, table: string) => (await env.tsql(ctx, `SELECT count(*)::int AS n FROM ${table}`))[0].n as number;
const targetColumns = async (ctx: Ctx, table: string) => (await env.tsql(ctx,
  `SELECT attname || ' ' || format_type(atttypid, atttypmod) AS c FROM pg_attribute WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
  [`public.${table}`])).map((r) => r.c as string);

test('while the walsender still decodes a large committed transaction, the pipeline is not caught up and its delay grows; then it is', async () => {
  const ctx = await env.fresh(`CREATE TABLE events (id bigint PRIMARY KEY, payload text NOT NULL); CREATE TABLE noise (id int PRIMARY KEY)`);
  const run = await env.launch(env.spec(ctx, 1, ['events']));
  await env.sql(ctx.src, `INSERT INTO events VALUES (1, 'a')`);
  await env.waitEqual(ctx, 'events');
  await eventually(async () => run.p.metrics().caughtUp, 10_000, 'caught up');
  // A large transaction on a table the task does not capture: PostgreSQL decodes it when it commits
  // and, with proto 1, sends nothing for it while it does.
  await env.sql(ctx.src, `INSERT INTO noise SELECT g FROM generate_series(1, 600000) g`);
  const committed = Date.now();
  await env.sql(ctx.src, `INSERT INTO events VALUES (2, 'b')`);
  let notCaughtUp = 0;
  let maxDelay = 0;
  while ((await env.digest(ctx.dst, 'events', ctx.target)).n < 2) {
    const m = run.p.metrics();
    if (!m.caughtUp) notCaughtUp++;
    maxDelay = Math.max(maxDelay, delaySeconds(m) ?? 0);
    assert.ok(Date.now() - committed < 60_000, 'the row after the large transaction arrived');
    await new Promise((r) => setTimeout(r, 50));
  }
  console.log(`# decoding took ${Date.now() - committed} ms after the commit; not caught up in ${notCaughtUp} samples; delay up to ${maxDelay.toFixed(1)} s`);
  assert.ok(notCaughtUp > 0 && maxDelay > 0, 'not caught up while the server was still decoding');
  await eventually(async () => run.p.metrics().caughtUp && delaySeconds(run.p.metrics()) === 0, 10_000, 'caught up again');
});

test('the slot ahead of the checkpoint (advanced, or recreated by someone else) fails the start with the policy; nothing is skipped silently', async () => {
  const { ctx, checkpoint } = await stoppedAfterTenRows();
  await env.sql(ctx.src, `INSERT INTO events SELECT g, 'while stopped' FROM generate_series(11, 15) g`);
  const expectRefused = async (fence: number, why: string) => {
    const err = await failure(new Pipeline(env.spec(ctx, fence, ['events'], { resourcesCreated: true }), {}, logger).run());
    assert.ok(err instanceof UnrecoverableError, `${why}: UnrecoverableError expected, got ${err}`);
    assert.match(err.message, new RegExp(`already released the changes up to .* past the target's checkpoint ${checkpoint}`));
    assert.match(err.message, /TerminateDISyncInstance.*Start/);
  };
  // As after a target that lost its last commits: the slot confirmed more than the checkpoint holds.
  await env.sql(ctx.src, `SELECT pg_replication_slot_advance($1, pg_current_wal_lsn())`, [ctx.slot]);
  await expectRefused(2, 'advanced');
  await env.sql(ctx.src, `SELECT pg_drop_replication_slot($1)`, [ctx.slot]);
  await env.sql(ctx.src, `SELECT pg_create_logical_replication_slot($1, 'pgoutput')`, [ctx.slot]);
  await env.sql(ctx.src, `INSERT INTO events VALUES (16, 'after the new slot')`);
  await expectRefused(3, 'recreated');
  assert.equal(await count(ctx, 'events'), 10, 'the target kept what it had');
});

test('a slot invalidated while the task was stopped (max_slot_wal_keep_size) fails the start with what to do', async () => {
  const { ctx } = await stoppedAfterTenRows();
  await env.sql('postgres', `ALTER SYSTEM SET max_slot_wal_keep_size = '1MB'`);
  await env.sql('postgres', `SELECT pg_reload_conf()`);
  try {
    await eventually(async () => {
      // A new WAL segment and a checkpoint: the slot falls more than 1 MB behind and is invalidated.
      await env.sql(ctx.src, `SELECT pg_switch_wal(); CHECKPOINT;`);
      return (await env.sql('postgres', `SELECT wal_status FROM pg_replication_slots WHERE slot_name = $1`, [ctx.slot]))[0].wal_status === 'lost' || undefined;
    }, 60_000, 'the slot invalidated');
  } finally {
    await env.sql('postgres', `ALTER SYSTEM RESET max_slot_wal_keep_size`);
    await env.sql('postgres', `SELECT pg_reload_conf()`);
  }
  const err = await failure(new Pipeline(env.spec(ctx, 2, ['events'], { resourcesCreated: true }), {}, logger).run());
  assert.ok(err instanceof UnrecoverableError, `UnrecoverableError expected, got ${err}`);
  assert.match(err.message, /invalidated: its WAL was removed.*TerminateDISyncInstance, then Start/);
});

test('a walsender an earlier owner left frozen is terminated after the grace period and recorded; the new owner then streams', async () => {
  const ctx = await env.fresh(`CREATE TABLE events (id bigint PRIMARY KEY, payload text NOT NULL)`);
  const first = await env.launch(env.spec(ctx, 1, ['events']));
  await env.sql(ctx.src, `INSERT INTO events SELECT g, 'x' FROM generate_series(1, 10) g`);
  await env.waitEqual(ctx, 'events');
  const pid = (await pgi.walsenderPid(ctx.slot))!;
  process.kill(pid, 'SIGSTOP');
  try {
    // The earlier owner goes away, but its walsender cannot: a stopped process defers the termination signal.
    assert.deepEqual(await first.p.stop(1_000), { forced: true });
    await env.sql(ctx.src, `INSERT INTO events SELECT g, 'y' FROM generate_series(11, 20) g`);
    const events: EngineEvent[] = [];
    let streaming = false;
    const second = new Pipeline(env.spec(ctx, 2, ['events'], { resourcesCreated: true }), { onEvent: (e) => events.push(e), onStreaming: () => { streaming = true; } }, logger);
    const done = second.run();
    done.catch(() => undefined);
    const terminated = await eventually(async () => events.find((e) => e.type === 'warning' && e.code === 'STALE_WALSENDER_TERMINATED'), 30_000, 'the stale walsender terminated');
    assert.match((terminated as { detail: string }).detail, new RegExp(`held by walsender ${pid} \\(opendi:task-${ctx.taskId}:source\\)`));
    process.kill(pid, 'SIGCONT');
    await eventually(async () => streaming, 30_000, 'the new owner streams');
    await env.waitEqual(ctx, 'events');
    await second.stop();
    await done;
  } finally {
    try { process.kill(pid, 'SIGCONT'); } catch { /* exited */ }
  }
});

test('a crash between the row events of a multi-table transaction and of an FK cascade: whole transactions are replayed, exactly once', async () => {
  const ctx = await env.fresh(`
    CREATE TABLE parent (id bigint PRIMARY KEY, v text);
    CREATE TABLE child (id bigint PRIMARY KEY, parent_id bigint NOT NULL REFERENCES parent ON DELETE CASCADE, v text);
    CREATE INDEX ON child (parent_id);`);
  await env.tsql(ctx, auditedTargetDdl('parent', 'id bigint PRIMARY KEY, v text') + auditedTargetDdl('child', 'id bigint PRIMARY KEY, parent_id bigint, v text'));
  const tables = ['parent', 'child'];
  const crashMidTransaction = async (fence: number, statement: string) => {
    const run = await env.launch(env.spec(ctx, fence, tables, { resourcesCreated: fence > 1 }));
    for (const t of tables) await env.waitEqual(ctx, t, 60_000);
    const before = [await count(ctx, 'parent'), await count(ctx, 'child')];
    // Hold the sink in the middle of the transaction: parent's rows come first in the WAL (a
    // cascade's deletes of child rows run after the statement), and a SHARE lock on the target's
    // child table makes the sink wait there with parent's rows already in its open transaction.
    // Without it the whole transaction could commit between two polls (seen in CI).
    await env.holdingTable(ctx, 'child', async () => {
      await env.sql(ctx.src, statement);
      // A session waiting on a lock is inside a statement, so inside its open transaction.
      await eventually(async () => (await env.lockWaiters(ctx)).length > 0, 30_000, 'an open target transaction waiting on child');
      // The sink has part of the transaction in its open target transaction: cut every connection.
      await env.cutConnections(ctx);
      await assert.rejects(run.done);
    }, 'SHARE');
    const after = [await count(ctx, 'parent'), await count(ctx, 'child')];
    const atomic = after.every((n, i) => n === before[i]) ? 'rolled back' : 'committed whole';
    console.log(`# crash inside the transaction: ${atomic} (parent ${before[0]} -> ${after[0]}, child ${before[1]} -> ${after[1]})`);
  };
  await crashMidTransaction(1, `BEGIN;
    INSERT INTO parent SELECT g, 'p' || g FROM generate_series(1, 25000) g;
    INSERT INTO child SELECT g, g, 'c' || g FROM generate_series(1, 25000) g;
    UPDATE parent SET v = v || '!' WHERE id % 3 = 0;
    COMMIT`);
  const both = [await count(ctx, 'parent'), await count(ctx, 'child')];
  assert.ok((both[0] === 0 && both[1] === 0) || (both[0] === 25_000 && both[1] === 25_000), `never part of the transaction in either table: ${both}`);
  // The cascade: one DELETE on parent removes rows of both tables in one transaction.
  await crashMidTransaction(2, `DELETE FROM parent WHERE id % 2 = 0`);
  const resumed = await env.launch(env.spec(ctx, 3, tables, { resourcesCreated: true }));
  await env.waitEqual(ctx, 'parent');
  await env.waitEqual(ctx, 'child');
  assert.equal(await count(ctx, 'child'), 12_500);
  const audit = (await env.tsql(ctx, `SELECT count(*) FILTER (WHERE op = 'INSERT')::int AS inserts, count(*)::int AS images,
    (SELECT count(*)::int FROM (SELECT DISTINCT tbl, id, op FROM audit) d) AS distinct_images FROM audit`))[0];
  assert.equal(audit.inserts, 50_000, 'every inserted row applied');
  assert.equal(audit.images, audit.distinct_images, 'no row image applied twice');
  await resumed.p.stop();
});

test('a crash in the middle of a multi-chunk initial load resumes from the last committed chunk; the target converges', async () => {
  const rows = 45_000;
  const ctx = await env.fresh(`CREATE TABLE big (id int PRIMARY KEY, v text, n int NOT NULL DEFAULT 0);
    INSERT INTO big SELECT g, md5(g::text), 0 FROM generate_series(1, ${rows}) g;`);
  const first = await env.launch(env.spec(ctx, 1, ['big'], { initialLoad: true }));
  const progress = await eventually(async () => {
    const cp = (await env.tsql(ctx, `SELECT position FROM opendi.sync_checkpoint WHERE task_id = $1`, [ctx.taskId]))[0]?.position as string | undefined;
    const p = cp?.startsWith('load:') ? JSON.parse(cp.slice(5)) : undefined;
    return p?.table === 'public.big' && Number(p.after[0]) >= 10_000 ? p : undefined;
  }, 60_000, 'a committed chunk');
  await env.cutConnections(ctx);
  await assert.rejects(first.done);
  const after = Number(progress.after[0]);
  assert.ok(after < rows, `crashed mid-load (after key ${after})`);
  await env.sql(ctx.src, `UPDATE big SET n = 1 WHERE id % 1000 = 0; DELETE FROM big WHERE id % 997 = 0; INSERT INTO big VALUES (${rows + 1}, 'late', 2)`);
  const second = await env.launch(env.spec(ctx, 2, ['big'], { initialLoad: true, resourcesCreated: true }));
  await env.waitEqual(ctx, 'big', 60_000);
  const loaded = second.p.metrics().rowsLoaded;
  assert.ok(loaded <= rows + 1 - after, `the second run copied only what was not committed: ${loaded} rows after key ${after}`);
  await second.p.stop();
});

test('a standby promoted without the slot: the start fails loudly with what to do, no silent restart from "now"', async () => {
  const { ctx } = await stoppedAfterTenRows();
  const standby = await pgi.startStandby();
  try {
    await env.sql(ctx.src, `INSERT INTO events SELECT g, 'before the failover' FROM generate_series(11, 20) g`);
    await pgi.waitReplayedBy(standby);
    await standby.promote();
    await standby.query(`INSERT INTO events VALUES (21, 'on the new primary')`, [], ctx.src);
    const s = env.spec(ctx, 2, ['events'], { resourcesCreated: true, source: { endpoint: { host: standby.host, port: standby.port, database: ctx.src, user: standby.user } } });
    const err = await failure(new Pipeline(s, {}, logger).run());
    assert.ok(err instanceof UnrecoverableError, `UnrecoverableError expected, got ${err}`);
    assert.match(err.message, /replication slot .* is gone .*failed over to a standby/);
    assert.match(err.message, /TerminateDISyncInstance, then Start the task again/);
    assert.equal((await standby.query(`SELECT count(*)::int AS n FROM pg_replication_slots`)).rows[0].n, 0, 'no slot was created on the new primary');
    assert.equal(await count(ctx, 'events'), 10, 'nothing skipped ahead');
  } finally {
    await standby.destroy();
  }
});

test('a table renamed while streaming: WARNING keeps feeding the original target table with an alert, IGNORE too, NORMAL renames it and follows, CRITICAL fails', async () => {
  for (const mark of ['WARNING', 'IGNORE', 'NORMAL', 'CRITICAL'] as DdlMark[]) {
    const ctx = await env.fresh(`CREATE TABLE orders (id bigint PRIMARY KEY, v text)`);
    const run = await env.launch(env.spec(ctx, 1, ['orders'], { ddlMarks: { RENAMETABLE: mark } }));
    await env.sql(ctx.src, `INSERT INTO orders SELECT g, 'v' || g FROM generate_series(1, 5) g`);
    await env.waitEqual(ctx, 'orders');
    await env.sql(ctx.src, `ALTER TABLE orders RENAME TO orders_v2`);
    await env.sql(ctx.src, `INSERT INTO orders_v2 SELECT g, 'v' || g FROM generate_series(6, 10) g; UPDATE orders_v2 SET v = 'changed' WHERE id = 1`);
    if (mark === 'CRITICAL') {
      const err = await failure(run.done);
      assert.ok(err instanceof UnrecoverableError, `${mark}: ${err}`);
      assert.match(err.message, /RENAMETABLE on public.orders is marked CRITICAL/);
      continue;
    }
    const into = mark === 'NORMAL' ? 'orders_v2' : 'orders';
    await eventually(async () => (await env.digest(ctx.src, 'orders_v2')).md5 === (await env.digest(ctx.dst, into)).md5 || undefined, 30_000, `${mark}: target ${into} equal to the source`);
    const left = (await env.tsql(ctx, `SELECT to_regclass('public.orders') IS NOT NULL AS old, to_regclass('public.orders_v2') IS NOT NULL AS new`))[0];
    assert.deepEqual(left, mark === 'NORMAL' ? { old: false, new: true } : { old: true, new: false }, `${mark}: one target table, never a second one`);
    assert.equal(run.alerts.filter((a) => a.startsWith('RENAMETABLE')).length, mark === 'WARNING' ? 1 : 0, `${mark}: alerts ${run.alerts}`);
    await run.p.stop();
  }
});

test('renamed while the task was stopped: the table by its OID, its columns by attnum (rename, retype, drop), each by its ddlMarkMap', async () => {
  const ctx = await env.fresh(`CREATE TABLE orders (id bigint PRIMARY KEY, a text, b int, c text)`);
  const first = await env.launch(env.spec(ctx, 1, ['orders']));
  await env.sql(ctx.src, `INSERT INTO orders SELECT g, 'a' || g, g, 'c' || g FROM generate_series(1, 5) g`);
  await env.waitEqual(ctx, 'orders');
  await first.p.stop();
  await first.done;
  await env.sql(ctx.src, `ALTER TABLE orders RENAME TO orders_v2; ALTER TABLE orders_v2 RENAME COLUMN a TO a2;
    ALTER TABLE orders_v2 ALTER COLUMN b TYPE bigint; ALTER TABLE orders_v2 DROP COLUMN c`);
  await env.sql(ctx.src, `INSERT INTO orders_v2 VALUES (6, 'a6', 6000000000)`);
  // Defaults: RENAMETABLE and DROPCOLUMN WARNING, RENAMECOLUMN and MODIFYCOLUMN NORMAL.
  const second = await env.launch(env.spec(ctx, 2, ['orders'], { resourcesCreated: true }));
  await eventually(async () => (await count(ctx, 'orders')) === 6 || undefined, 30_000, 'the new row in the original target table');
  assert.deepEqual(await targetColumns(ctx, 'orders'), ['id bigint', 'a2 text', 'b bigint', 'c text'], 'a renamed (not re-added), b retyped, c kept (WARNING)');
  assert.deepEqual((await env.tsql(ctx, `SELECT a2, b::text FROM orders WHERE id IN (1, 6) ORDER BY id`)).map((r) => [r.a2, r.b]), [['a1', '1'], ['a6', '6000000000']]);
  assert.deepEqual(second.alerts.map((a) => a.split(' ')[0]).sort(), ['DROPCOLUMN', 'RENAMETABLE']);
  await second.p.stop();
  await second.done;

  // A rename while stopped meets RENAMECOLUMN's mark, never ADDCOLUMN's.
  await env.sql(ctx.src, `ALTER TABLE orders_v2 RENAME COLUMN a2 TO a3; INSERT INTO orders_v2 VALUES (7, 'a7', 7)`);
  const err = await failure(new Pipeline(env.spec(ctx, 3, ['orders'], { resourcesCreated: true, ddlMarks: { RENAMECOLUMN: 'CRITICAL' } }), {}, logger).run());
  assert.ok(err instanceof UnrecoverableError, `${err}`);
  assert.match(err.message, /RENAMECOLUMN on public.orders is marked CRITICAL/);
});

test('a user who does not own the tables: refused at once with the fix; with a publication created by the DBA it streams only the task\'s tables', async () => {
  const ctx = await env.fresh(`
    CREATE TABLE events (id bigint PRIMARY KEY, payload text NOT NULL);
    CREATE TABLE other (id bigint PRIMARY KEY);
    CREATE ROLE cdc_reader LOGIN REPLICATION;
    GRANT SELECT ON events TO cdc_reader;`);
  const asReader = (fence: number, o: Partial<Extract<PipelineSpec['source'], { kind: 'postgresql' }>> = {}) => env.spec(ctx, fence, ['events'], {
    source: { endpoint: { host: pgi.host, port: pgi.port, database: ctx.src, user: 'cdc_reader' }, ...o },
  });
  const own = await failure(new Pipeline(asReader(1), {}, logger).run());
  assert.ok(own instanceof UnrecoverableError, `${own}`);
  assert.match(own.message, /cdc_reader does not own source table public.events.*ALTER TABLE public.events OWNER TO cdc_reader.*parameter "publication"/);
  assert.match(own.message, /GRANT CREATE ON DATABASE/);

  await env.sql(ctx.src, `CREATE PUBLICATION dba_pub FOR TABLE other`);
  const dba = { publicationName: 'dba_pub', externalPublication: true };
  const uncovered = await failure(new Pipeline(asReader(2, dba), {}, logger).run());
  assert.match(String(uncovered), /publication dba_pub does not cover source table public.events: run ALTER PUBLICATION dba_pub ADD TABLE public.events/);

  await env.sql(ctx.src, `DROP PUBLICATION dba_pub; CREATE PUBLICATION dba_pub FOR ALL TABLES`);
  const run = await env.launch(asReader(3, dba));
  await env.sql(ctx.src, `INSERT INTO events SELECT g, 'e' FROM generate_series(1, 20) g; INSERT INTO other VALUES (1)`);
  await env.waitEqual(ctx, 'events');
  assert.equal((await env.tsql(ctx, `SELECT to_regclass('public.other') IS NULL AS absent`))[0].absent, true, 'a table outside the task never reaches the target');
  await run.p.stop();
  await run.done;
  await releaseTaskResources(asReader(4, dba));
  assert.equal(await env.slots(ctx), 0, 'the task\'s slot is dropped');
  assert.equal((await env.sql(ctx.src, `SELECT count(*)::int AS n FROM pg_publication WHERE pubname = 'dba_pub'`))[0].n, 1, 'the DBA\'s publication is kept');

  // Ownership is needed to create the task's own publication, not to use it once it covers the tables.
  await env.sql(ctx.src, `CREATE TABLE mine (id bigint PRIMARY KEY); ALTER TABLE mine OWNER TO cdc_reader; GRANT CREATE ON DATABASE ${ctx.src} TO cdc_reader`);
  const mine = (fence: number) => ({ ...asReader(fence), source: { ...asReader(fence).source, tables: [{ schema: 'public', table: 'mine' }], resourcesCreated: fence > 5 } });
  const owned = await env.launch(mine(5));
  await owned.p.stop();
  await owned.done;
  await env.sql(ctx.src, `ALTER TABLE mine OWNER TO postgres; INSERT INTO mine VALUES (1)`);
  const again = await env.launch(mine(6));
  await env.waitEqual(ctx, 'mine');
  await again.p.stop();
});
