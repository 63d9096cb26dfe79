/**
 * The MySQL/MariaDB source in the engine's pipeline (MariaDB -> MariaDB on one private server, the
 * MySQL sink): a crash in the middle of a multi-table transaction replays it whole; a graceful stop
 * under load and while idle ends within its bound with no binlog dump thread left, and a restart
 * loses and doubles nothing; a streaming task holds only its binlog connection at the source.
 */
import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import mysql from 'mysql2/promise';
import { startMariaDb, type MariaDbInstance } from './harness/mariadb.ts';
import { TcpProxy } from './harness/tcp-proxy.ts';
import { DEFAULT_DDL_MARKS } from '../src/domain/start-param.ts';
import { Pipeline, UnrecoverableError, type PipelineSpec } from '../src/engine/pipeline.ts';
import { createLogger } from '../src/logger.ts';

const logger = createLogger(process.env.OPENDI_TEST_LOG === '1' ? 'info' : 'silent');
let db: MariaDbInstance;
let seq = 0;
const launched: Pipeline[] = [];

before(async () => { db = await startMariaDb(); });
afterEach(async () => { await Promise.allSettled(launched.splice(0).map((p) => p.stop(2_000))); });
after(async () => { await db?.destroy(); });

interface Ctx { src: string; dst: string; taskId: number }

async function fresh(ddl: string[]): Promise<Ctx> {
  const n = ++seq;
  const ctx = { src: `psrc_${n}`, dst: `pdst_${n}`, taskId: 500 + n };
  await db.createDatabase(ctx.src);
  await db.createDatabase(ctx.dst);
  for (const sql of ddl) await db.query(sql, [], ctx.src);
  return ctx;
}

function pipeline(ctx: Ctx, fence: number, tables: string[], opts: { via?: { host: string; port: number }; initialLoad?: boolean; controlIdleMs?: number } = {}): Pipeline {
  const spec: PipelineSpec = {
    taskId: ctx.taskId, fence,
    source: {
      kind: 'mysql', serverId: 7_000 + ctx.taskId, resourcesCreated: fence > 1, tables: tables.map((table) => ({ schema: ctx.src, table })),
      endpoint: { host: opts.via?.host ?? db.host, port: opts.via?.port ?? db.port, database: ctx.src, user: db.user, password: '' },
      controlIdleMs: opts.controlIdleMs,
    },
    target: { kind: 'mysql', endpoint: { host: db.host, port: db.port, database: ctx.dst, user: db.user, password: '' }, schema: ctx.dst, installationId: 'test-installation' },
    initialLoad: opts.initialLoad ?? false, errorLimit: 0, ddlMarks: DEFAULT_DDL_MARKS,
  };
  const p = new Pipeline(spec, {}, logger);
  launched.push(p);
  return p;
}

const dumpThreads = async () => (await db.query<{ Command: string }[]>('SHOW PROCESSLIST')).filter((p) => /binlog dump/i.test(p.Command)).length;

async function waitFor<T>(fn: () => Promise<T | undefined | false>, what: string, timeoutMs = 60_000): Promise<T> {
  for (const deadline = Date.now() + timeoutMs; ;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v as T;
    assert.ok(Date.now() < deadline, `timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const count = async (database: string, sql: string) => Number((await db.query<{ n: number }[]>(sql, [], database))[0].n);

test('a crash between the row events of a multi-table transaction (one statement on two captured tables): nothing of it is committed; the resume applies it whole', async () => {
  const N = 15_000;
  const ctx = await fresh(['CREATE TABLE a (id INT PRIMARY KEY, v INT)', 'CREATE TABLE b (id INT PRIMARY KEY, a_id INT, v INT)']);
  await db.query(`INSERT INTO a SELECT seq, 0 FROM seq_1_to_${N}`, [], ctx.src);
  await db.query(`INSERT INTO b SELECT seq, seq, 0 FROM seq_1_to_${N}`, [], ctx.src);
  const proxy = await TcpProxy.start(db.host, db.port);
  try {
    const first = pipeline(ctx, 1, ['a', 'b'], { via: proxy, initialLoad: true });
    const run = first.run();
    run.catch(() => undefined);
    await waitFor(async () => first.metrics().phase === 'incremental' && first.metrics().caughtUp, 'the initial load and caught up');
    // One statement changes both tables: one transaction of 2N row changes. The stream is cut halfway through it.
    const cut = proxy.cutAfter(200_000);
    await db.query('UPDATE a JOIN b ON b.a_id = a.id SET a.v = 1, b.v = 1', [], ctx.src);
    await cut;
    const err = await run.then(() => undefined, (e: Error) => e);
    assert.ok(err && !(err instanceof UnrecoverableError), `a transient failure: ${err?.message}`);
    const updated = async () => (await count(ctx.dst, 'SELECT COUNT(*) AS n FROM a WHERE v = 1')) + (await count(ctx.dst, 'SELECT COUNT(*) AS n FROM b WHERE v = 1'));
    assert.equal(await updated(), 0, 'no part of the cut transaction was committed');
    assert.equal(first.metrics().transactionsApplied, 0);

    const second = pipeline(ctx, 2, ['a', 'b']);
    const run2 = second.run();
    await waitFor(async () => (await updated()) === 2 * N || undefined, 'the whole transaction applied');
    assert.equal(second.metrics().transactionsApplied, 1, 'replayed as the one transaction it is');
    await second.stop(5_000);
    await run2;
  } finally {
    await proxy.close();
  }
});

test('graceful stop while idle and under load: within the bound, no dump thread left; the restart loses and doubles nothing', async () => {
  const ctx = await fresh(['CREATE TABLE t (id INT PRIMARY KEY, pad VARCHAR(40))']);
  const BOUND = 5_000;
  const stopTimed = async (p: Pipeline, run: Promise<void>) => {
    const t0 = Date.now();
    const r = await p.stop(BOUND);
    await run;
    return { ...r, ms: Date.now() - t0 };
  };
  const idle = pipeline(ctx, 1, ['t']);
  const idleRun = idle.run();
  await waitFor(async () => (await dumpThreads()) === 1 || undefined, 'streaming');
  const idleStop = await stopTimed(idle, idleRun);
  assert.equal(idleStop.forced, false);
  assert.equal(await dumpThreads(), 0, 'no dump thread after an idle stop');

  // A writer commits small transactions without pause while the task is stopped.
  let writing = true;
  let nextId = 1;
  const writer = (async () => {
    const c = await mysql.createConnection(db.connectionConfig(ctx.src));
    try {
      while (writing) { await c.query('INSERT INTO t SELECT seq, MD5(seq) FROM seq_' + nextId + '_to_' + (nextId + 19)); nextId += 20; }
    } finally { await c.end(); }
  })();
  const busy = pipeline(ctx, 2, ['t']);
  const busyRun = busy.run();
  await waitFor(async () => busy.metrics().rowsApplied > 2_000 || undefined, 'rows flowing under load');
  const busyStop = await stopTimed(busy, busyRun);
  console.log(`# graceful stop: idle ${idleStop.ms} ms, under load ${busyStop.ms} ms (bound ${BOUND} ms); ${busy.metrics().rowsApplied} rows applied before the stop`);
  assert.equal(busyStop.forced, false);
  assert.ok(busyStop.ms < BOUND + 2_000 && idleStop.ms < BOUND + 2_000, 'within the bound');
  assert.equal(await dumpThreads(), 0, 'no dump thread after a stop under load');
  await new Promise((r) => setTimeout(r, 300)); // the writer goes on while nobody reads
  writing = false;
  await writer;

  const resumed = pipeline(ctx, 3, ['t']);
  const resumedRun = resumed.run();
  const total = await count(ctx.src, 'SELECT COUNT(*) AS n FROM t');
  await waitFor(async () => (await count(ctx.dst, 'SELECT COUNT(*) AS n FROM t')) === total || undefined, 'the target caught up');
  const digest = 'SELECT COUNT(*) AS n, SUM(id) AS s, MAX(id) AS m FROM t';
  assert.deepEqual(await db.query(digest, [], ctx.dst), await db.query(digest, [], ctx.src));
  await resumed.stop(BOUND);
  await resumedRun;
});

test('a streaming task holds only its binlog connection at the source: the control connection closes when idle and opens again for a DDL', async () => {
  const ctx = await fresh(['CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(20))']);
  await db.query(`INSERT INTO t SELECT seq, 'x' FROM seq_1_to_25000`, [], ctx.src);
  // Connections of the task at the source other than the binlog dump: the control connection (its database is the source's).
  const control = async () => (await db.query<{ Command: string; db: string | null }[]>('SHOW PROCESSLIST'))
    .filter((p) => p.db === ctx.src && !/binlog dump/i.test(p.Command)).length;
  const p = pipeline(ctx, 1, ['t'], { initialLoad: true, controlIdleMs: 300 });
  const run = p.run();
  await waitFor(async () => (await count(ctx.dst, 'SELECT COUNT(*) AS n FROM t').catch(() => 0)) === 25_000 || undefined, 'the initial load');
  await waitFor(async () => (await control()) === 0 || undefined, 'the control connection closed', 10_000);
  assert.equal(await dumpThreads(), 1, 'the binlog dump streams on');
  // A schema change makes the source re-read the table: on a control connection opened again.
  await db.query('ALTER TABLE t ADD COLUMN w INT', [], ctx.src);
  await db.query(`INSERT INTO t VALUES (25001, 'y', 7)`, [], ctx.src);
  await waitFor(async () => (await count(ctx.dst, 'SELECT COUNT(*) AS n FROM t WHERE w = 7').catch(() => 0)) === 1 || undefined, 'the row with the new column');
  await waitFor(async () => (await control()) === 0 || undefined, 'closed again when idle', 10_000);
  await p.stop(5_000);
  await run;
  assert.equal(await dumpThreads(), 0);
});
