/**
 * The PostgreSQL -> PostgreSQL pipeline against private servers (test/harness/postgres.ts), no
 * mocks: types and TOAST, graceful stop/resume under a writer, crash + takeover, fencing, a lost
 * slot, and a 200k-row transaction. Source and target are separate databases of one instance;
 * each test gets fresh ones. Exactly-once is checked with a target-side audit trigger (ENABLE
 * ALWAYS, so it fires under session_replication_role=replica): every applied insert or re-applied
 * (conflicting) row adds an audit row in the same target transaction, so a replayed transaction
 * would show up as extra audit rows.
 */
import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { startPostgres, type PgInstance } from './harness/postgres.ts';
import { PgPipelineEnv, auditedTargetDdl, logger, type Ctx } from './harness/pg-pipeline.ts';
import { Pipeline, UnrecoverableError, releaseTaskResources } from '../src/engine/pipeline.ts';
import { FencedError } from '../src/engine/errors.ts';

let pgi: PgInstance;
let env: PgPipelineEnv;

before(async () => { pgi = await startPostgres(); env = new PgPipelineEnv(pgi, '', 100); });
// A failed test must not leave its pipeline streaming into the next one.
afterEach(async () => {
  await Promise.allSettled(writers.splice(0).map((w) => w.stop()));
  await env.stopAll();
});
after(async () => { await pgi?.destroy(); });

async function assertNoWalsender(ctx: Ctx): Promise<void> {
  assert.equal(await env.walsenders(ctx), 0, 'no walsender left');
  assert.equal((await env.sql('postgres', `SELECT count(*)::int AS n FROM pg_stat_replication`))[0].n, 0, 'pg_stat_replication is empty');
  const slot = await env.sql('postgres', `SELECT active FROM pg_replication_slots WHERE slot_name = $1`, [ctx.slot]);
  assert.equal(slot.length, 1, 'the slot is kept');
  assert.equal(slot[0].active, false, 'the slot is inactive');
}

const writers: { stop(): Promise<number> }[] = [];

/** Inserts consecutive ids in small transactions until stopped; returns how many it committed. */
function startWriter(database: string, table: string, firstId: number, rowsPerTxn = 10) {
  let running = true;
  let next = firstId;
  const done = (async () => {
    const c = new pg.Client({ ...pgi.connectionConfig(), database });
    await c.connect();
    try {
      while (running) {
        await c.query(`INSERT INTO ${table} (id, payload) SELECT g, md5(g::text) FROM generate_series($1::bigint, $2::bigint) g`, [next, next + rowsPerTxn - 1]);
        next += rowsPerTxn;
        await new Promise((r) => setTimeout(r, 2));
      }
    } finally { await c.end(); }
  })();
  done.catch(() => undefined); // surfaced by stop()
  const writer = { stop: async () => { running = false; await done; return next - firstId; } };
  writers.push(writer);
  return writer;
}

const EVENTS_DDL = `CREATE TABLE events (id bigint PRIMARY KEY, payload text NOT NULL)`;
/** The target table created ahead, with an audit trigger that counts every applied row image. */
const AUDITED_TARGET_DDL = auditedTargetDdl('events', 'id bigint PRIMARY KEY, payload text NOT NULL');

const assertExactlyOnce = (ctx: Ctx) => env.assertExactlyOnce(ctx, 'events');

test('inserts, updates, deletes, key changes, NULLs and many types (incl. TOAST) stream through; target equals source', async () => {
  const ctx = await env.fresh(`
    CREATE TABLE items (id bigint PRIMARY KEY, amount numeric(30,10), at timestamptz, label text, raw bytea,
                        doc jsonb, big text, n int NOT NULL DEFAULT 0, tags text[], d date, f double precision);
    CREATE TABLE pairs (a int, b text, v int, PRIMARY KEY (a, b));
    ALTER TABLE pairs REPLICA IDENTITY FULL;`);
  let created = 0;
  const { p, done } = await env.launch(env.spec(ctx, 1, ['items', 'pairs']), { onResourcesCreated: () => { created++; } });
  assert.equal(created, 1, 'onResourcesCreated reported the new slot + publication');

  await env.sql(ctx.src, `
    INSERT INTO items (id, amount, at, label, raw, doc, n, tags, d, f)
    SELECT g, (g * 1234567.0123456789)::numeric(30,10) + 12345678901234567890, timestamptz '2024-02-29 23:59:59.123456+05:30' + g * interval '1 day',
           CASE WHEN g % 5 = 0 THEN NULL ELSE 'grüße 😀 𝄞 #' || g END, decode(lpad(to_hex(g), 8, '0') || '00ff', 'hex'),
           jsonb_build_object('g', g, 'nested', jsonb_build_array(1, 'two', NULL, 3.5), 'emoji', '🚀'), g, ARRAY['a,b', 'c"d', NULL], date '2000-01-01' + g, g / 3.0
      FROM generate_series(1, 200) g`);
  await env.sql(ctx.src, `
    BEGIN;
    UPDATE items SET label = NULL, amount = -0.0000000001 WHERE id % 7 = 0;
    DELETE FROM items WHERE id % 11 = 0;
    UPDATE items SET id = id + 1000 WHERE id IN (3, 4, 5);     -- key changes
    UPDATE items SET id = 4 WHERE id = 1004;                     -- and back onto a freed key
    INSERT INTO items (id, label) VALUES (11, 're-inserted after delete');
    COMMIT;`);
  await env.sql(ctx.src, `INSERT INTO pairs SELECT g, 'k' || g, g FROM generate_series(1, 50) g`);
  await env.sql(ctx.src, `UPDATE pairs SET v = v * 10 WHERE a <= 10; UPDATE pairs SET b = b || '!' WHERE a BETWEEN 11 AND 20; DELETE FROM pairs WHERE a > 40`);
  await env.waitEqual(ctx, 'items');
  await env.waitEqual(ctx, 'pairs');

  // A large, incompressible value is stored out of line (TOAST); updates of other columns send it as 'u'.
  const bigValue = `(SELECT string_agg(md5(random()::text || g), '') FROM generate_series(1, 4000) g)`;
  await env.sql(ctx.src, `INSERT INTO items (id, big, label) VALUES (500, ${bigValue}, 'toasted'), (501, ${bigValue}, 'toasted too')`);
  await env.waitEqual(ctx, 'items');
  await env.sql(ctx.src, `UPDATE items SET n = n + 1, label = 'touched' WHERE id = 500`); // no earlier image in the batch
  await env.sql(ctx.src, `
    BEGIN;
    INSERT INTO items (id, big) VALUES (502, ${bigValue});
    UPDATE items SET n = 7 WHERE id = 502;            -- merged with the insert of the same batch
    UPDATE items SET id = 600, n = 8 WHERE id = 501;  -- key change keeping the TOASTed value
    UPDATE items SET n = 9 WHERE id = 600;
    COMMIT;`);
  await env.sql(ctx.src, `TRUNCATE pairs; INSERT INTO pairs VALUES (1, 'after truncate', 1)`);
  const { n } = await env.waitEqual(ctx, 'items');
  await env.waitEqual(ctx, 'pairs');
  assert.equal(n, 186);
  const big = await env.sql(ctx.dst, `SELECT id, length(big) AS len FROM items WHERE big IS NOT NULL ORDER BY id`);
  assert.deepEqual(big.map((r) => [Number(r.id), r.len]), [[500, 128_000], [502, 128_000], [600, 128_000]]);
  const types = (db: string) => env.sql(db, `SELECT attname, format_type(atttypid, atttypmod) AS t, attnotnull FROM pg_attribute WHERE attrelid = 'items'::regclass AND attnum > 0 ORDER BY attnum`);
  assert.deepEqual(await types(ctx.dst), await types(ctx.src), 'the target table was created with the source column types');

  assert.deepEqual(await p.stop(), { forced: false });
  await done;
  await assertNoWalsender(ctx);
  const m = p.metrics();
  assert.equal(m.rowsApplied, 339);
  assert.equal(m.transactionsApplied, 8);
  const cp = (await env.sql(ctx.dst, `SELECT position, fence FROM opendi.sync_checkpoint WHERE task_id = $1`, [ctx.taskId]))[0];
  assert.equal(cp.position, m.committedPosition);
  const slot = (await env.sql(ctx.src, `SELECT confirmed_flush_lsn::text AS lsn FROM pg_replication_slots WHERE slot_name = $1`, [ctx.slot]))[0];
  assert.equal(slot.lsn, m.committedPosition, 'the slot was acknowledged up to the committed position');
});

test('graceful stop under a concurrent writer, restart with a new fence: nothing lost, nothing applied twice', async () => {
  const ctx = await env.fresh(EVENTS_DDL);
  await env.tsql(ctx, AUDITED_TARGET_DDL);
  const first = await env.launch(env.spec(ctx, 1, ['events'], { batch: { maxRows: 500, maxDelayMs: 100 } }));
  const writer = startWriter(ctx.src, 'events', 1);
  await new Promise((r) => setTimeout(r, 1200));
  const t0 = Date.now();
  assert.deepEqual(await first.p.stop(), { forced: false });
  await first.done;
  const stopMs = Date.now() - t0;
  await assertNoWalsender(ctx);
  await new Promise((r) => setTimeout(r, 500)); // writes while stopped
  const second = await env.launch(env.spec(ctx, 2, ['events'], { resourcesCreated: true, batch: { maxRows: 500, maxDelayMs: 100 } }));
  await new Promise((r) => setTimeout(r, 500));
  const written = await writer.stop();
  await assertExactlyOnce(ctx);
  assert.equal((await env.digest(ctx.dst, 'events')).n, written);
  assert.equal(first.p.metrics().rowsApplied + second.p.metrics().rowsApplied, written, 'each source row delivered once across the restart');
  await second.p.stop();
  await second.done;
  await assertNoWalsender(ctx);
  console.log(`# graceful stop under a writer took ${stopMs} ms; ${written} rows written`);
});

test('crash (connections cut mid-batch, no graceful stop), takeover with a higher fence converges exactly once', async () => {
  const ctx = await env.fresh(EVENTS_DDL);
  await env.tsql(ctx, AUDITED_TARGET_DDL);
  // Big, slow batches so the crash most likely hits an open target transaction.
  const first = await env.launch(env.spec(ctx, 1, ['events'], { batch: { maxRows: 100_000, maxDelayMs: 400 } }));
  const writer = startWriter(ctx.src, 'events', 1, 25);
  await new Promise((r) => setTimeout(r, 1000));
  // The crash: every connection of the pipeline dies at once (walsender, source control, target).
  await env.cutConnections(ctx);
  await assert.rejects(first.done);
  await new Promise((r) => setTimeout(r, 300));
  const second = await env.launch(env.spec(ctx, 2, ['events'], { resourcesCreated: true }));
  await new Promise((r) => setTimeout(r, 500));
  await writer.stop();
  await assertExactlyOnce(ctx);
  await second.p.stop();
  await second.done;
});

test('a stale owner (lower fence) cannot commit; the newer owner takes over', async () => {
  const ctx = await env.fresh(EVENTS_DDL);
  await env.tsql(ctx, AUDITED_TARGET_DDL);
  const old = await env.launch(env.spec(ctx, 1, ['events'], { batch: { maxRows: 100_000, maxDelayMs: 200 } }));
  const writer = startWriter(ctx.src, 'events', 1);
  await new Promise((r) => setTimeout(r, 500));
  // A new owner claims the task while the old one still streams: the old one's next commit is refused.
  const newer = await env.launch(env.spec(ctx, 2, ['events'], { resourcesCreated: true }));
  const err = await old.done.then(() => undefined, (e) => e);
  assert.ok(err instanceof FencedError && err instanceof UnrecoverableError, `old owner fenced, got ${err}`);
  // An owner with a lower fence than the checkpoint's cannot even start.
  const stale = new Pipeline(env.spec(ctx, 1, ['events'], { resourcesCreated: true }), {}, logger);
  await assert.rejects(stale.run(), FencedError);
  await new Promise((r) => setTimeout(r, 300));
  await writer.stop();
  await assertExactlyOnce(ctx);
  assert.equal((await env.sql(ctx.dst, `SELECT fence FROM opendi.sync_checkpoint WHERE task_id = $1`, [ctx.taskId]))[0].fence, '2');
  await newer.p.stop();
  await newer.done;
});

test('slot dropped while stopped: run() rejects with UnrecoverableError and a clear message; release is idempotent', async () => {
  const ctx = await env.fresh(EVENTS_DDL);
  const first = await env.launch(env.spec(ctx, 1, ['events']));
  await env.sql(ctx.src, `INSERT INTO events SELECT g, 'x' FROM generate_series(1, 10) g`);
  await env.waitEqual(ctx, 'events');
  await first.p.stop();
  await first.done;
  const position = first.p.metrics().committedPosition!;
  await env.sql(ctx.src, `SELECT pg_drop_replication_slot($1)`, [ctx.slot]);
  await env.sql(ctx.src, `INSERT INTO events SELECT g, 'lost' FROM generate_series(11, 20) g`);

  for (const resourcesCreated of [true, false]) { // false: the target's checkpoint says the task ran before
    const p = new Pipeline(env.spec(ctx, 2 + Number(!resourcesCreated), ['events'], { resourcesCreated }), {}, logger);
    const err = await p.run().then(() => undefined, (e) => e);
    assert.ok(err instanceof UnrecoverableError, `UnrecoverableError expected, got ${err}`);
    assert.match(err.message, /replication slot .* is gone/);
    assert.ok(err.message.includes(position), `the message names the checkpoint ${position}: ${err.message}`);
    assert.match(err.message, /TerminateDISyncInstance.*Start/);
  }
  assert.equal(await env.slots(ctx), 0, 'never silently recreated');
  assert.equal((await env.digest(ctx.dst, 'events')).n, 10);

  const s = env.spec(ctx, 9, ['events'], { resourcesCreated: true });
  await releaseTaskResources(s);
  await releaseTaskResources(s);
  assert.equal((await env.sql(ctx.src, `SELECT count(*)::int AS n FROM pg_publication`))[0].n, 0);
  assert.equal((await env.sql(ctx.dst, `SELECT count(*)::int AS n FROM opendi.sync_checkpoint`))[0].n, 0);
});

test('tables without a primary key are rejected', async () => {
  const ctx = await env.fresh(`CREATE TABLE nopk (a int, b text)`);
  const err = await new Pipeline(env.spec(ctx, 1, ['nopk']), {}, logger).run().then(() => undefined, (e) => e);
  assert.ok(err instanceof UnrecoverableError);
  assert.match(err.message, /nopk.*primary key/);
});

test('releaseTaskResources drops an active slot (terminating its walsender), the publication and the checkpoint', async () => {
  const ctx = await env.fresh(EVENTS_DDL);
  const run = await env.launch(env.spec(ctx, 1, ['events']));
  await releaseTaskResources(env.spec(ctx, 1, ['events'], { resourcesCreated: true }));
  await assert.rejects(run.done);
  await run.p.stop(1000);
  assert.equal(await env.slots(ctx), 0);
  assert.equal(await env.walsenders(ctx), 0);
  assert.equal((await env.sql(ctx.src, `SELECT count(*)::int AS n FROM pg_publication`))[0].n, 0);
});

test('stop past its bound (target blocked by a lock) forces down: {forced: true}, no walsender left, resume converges', async () => {
  const ctx = await env.fresh(EVENTS_DDL);
  const first = await env.launch(env.spec(ctx, 1, ['events']));
  await env.sql(ctx.src, `INSERT INTO events SELECT g, 'a' FROM generate_series(1, 100) g`);
  await env.waitEqual(ctx, 'events');
  await env.holdingTable(ctx, 'events', async () => {
    await env.sql(ctx.src, `INSERT INTO events SELECT g, 'b' FROM generate_series(101, 200) g`);
    // Wait until the pipeline is stuck on the lock inside its batch.
    for (let i = 0; ; i++) {
      if ((await env.lockWaiters(ctx)).length > 0) break;
      assert.ok(i < 100, 'the pipeline never blocked on the lock');
      await new Promise((r) => setTimeout(r, 50));
    }
    const t0 = Date.now();
    assert.deepEqual(await first.p.stop(1000), { forced: true });
    assert.ok(Date.now() - t0 < 3500, `forced stop took ${Date.now() - t0} ms`);
    await first.done;
    await assertNoWalsender(ctx);
  });
  assert.equal((await env.digest(ctx.dst, 'events')).n, 100, 'the abandoned batch did not commit');
  const second = await env.launch(env.spec(ctx, 2, ['events'], { resourcesCreated: true }));
  await env.waitEqual(ctx, 'events');
  await second.p.stop();
  await second.done;
});

test('target server SIGKILLed mid-stream: after its restart a new owner converges exactly once', async () => {
  const target = await startPostgres();
  try {
    const ctx = await env.fresh(EVENTS_DDL, target);
    await env.tsql(ctx, AUDITED_TARGET_DDL);
    const first = await env.launch(env.spec(ctx, 1, ['events'], { batch: { maxRows: 200, maxDelayMs: 50 } }));
    const writer = startWriter(ctx.src, 'events', 1, 20);
    await new Promise((r) => setTimeout(r, 1000));
    await target.kill();
    await assert.rejects(first.done);
    await target.start();
    const second = await env.launch(env.spec(ctx, 2, ['events'], { resourcesCreated: true }));
    await new Promise((r) => setTimeout(r, 300));
    await writer.stop();
    await assertExactlyOnce(ctx);
    await second.p.stop();
    await second.done;
  } finally {
    await target.destroy();
  }
});

test('stop in the middle of a large transaction rolls its partial apply back; resume applies it whole', async () => {
  const ctx = await env.fresh(`CREATE TABLE bulk (id int PRIMARY KEY, b text)`);
  const first = await env.launch(env.spec(ctx, 1, ['bulk']));
  await env.sql(ctx.src, `INSERT INTO bulk SELECT g, md5(g::text) FROM generate_series(1, 100000) g`);
  // Stop once the sink has an open target transaction carrying part of it.
  for (let i = 0; ; i++) {
    const open = await env.sql('postgres', `SELECT 1 FROM pg_stat_activity WHERE datname = $1 AND application_name LIKE 'opendi%' AND xact_start IS NOT NULL`, [ctx.dst]);
    if (open.length > 0) break;
    assert.ok(i < 500, 'the sink never opened a transaction');
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.deepEqual(await first.p.stop(), { forced: false });
  await first.done;
  const afterStop = (await env.digest(ctx.dst, 'bulk')).n;
  assert.ok(afterStop === 0 || afterStop === 100_000, `never a partial transaction (target has ${afterStop} rows)`);
  assert.equal(first.p.metrics().rowsApplied, afterStop);
  await assertNoWalsender(ctx);
  const second = await env.launch(env.spec(ctx, 2, ['bulk'], { resourcesCreated: true }));
  await env.waitEqual(ctx, 'bulk');
  assert.equal(first.p.metrics().transactionsApplied + second.p.metrics().transactionsApplied, 1);
  console.log(`# stopped mid-transaction: ${afterStop === 0 ? 'rolled back and replayed' : 'it had already committed'}`);
  await second.p.stop();
  await second.done;
});

test('a 200k-row single transaction streams through in bounded memory', async () => {
  const ctx = await env.fresh(`CREATE TABLE bulk (id int PRIMARY KEY, a int NOT NULL, b text, c timestamptz)`);
  const { p, done } = await env.launch(env.spec(ctx, 1, ['bulk']));
  const rssBefore = process.memoryUsage().rss;
  let rssPeak = rssBefore;
  const sampler = setInterval(() => { rssPeak = Math.max(rssPeak, process.memoryUsage().rss); }, 50);
  const t0 = Date.now();
  await env.sql(ctx.src, `INSERT INTO bulk SELECT g, g * 2, 'row ' || g || ' ' || md5(g::text), now() FROM generate_series(1, 200000) g`);
  const t1 = Date.now();
  const deadline = Date.now() + 60_000;
  while (p.metrics().rowsApplied < 200_000) {
    if (Date.now() > deadline) throw new Error(`only ${p.metrics().rowsApplied} rows applied`);
    await new Promise((r) => setTimeout(r, 20));
  }
  const t2 = Date.now();
  clearInterval(sampler);
  await env.waitEqual(ctx, 'bulk');
  console.log(`# 200k-row transaction: source insert ${t1 - t0} ms, applied ${t2 - t1} ms after its commit = ${Math.round(200_000 / ((t2 - t1) / 1000))} rows/s (${Math.round(200_000 / ((t2 - t0) / 1000))} rows/s from the start of the insert); rss +${Math.round((rssPeak - rssBefore) / 1048576)} MB`);
  assert.equal(p.metrics().transactionsApplied, 1);
  // The queue bound (40k events) and 10k-row chunks, not the transaction's size, bound memory.
  assert.ok(rssPeak - rssBefore < 300 * 1048576, `rss grew by ${Math.round((rssPeak - rssBefore) / 1048576)} MB`);
  await p.stop();
  await done;
});
