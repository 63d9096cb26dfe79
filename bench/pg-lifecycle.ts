/**
 * Lifecycle and steady-state figures for a PG -> PG task (issue "Benchmarks", items 2, 3, 5):
 *  - lag: a writer at a fixed rate; commit at the source -> commit at the target (visible there),
 *    per row, from the commit timestamps both servers record (track_commit_timestamp: the row's
 *    xmin commit time; one machine, one clock);
 *  - stop/start: StopDISyncInstance -> PAUSE under a continuous writer and
 *    StartDISyncInstance -> first new row applied, target == source after every cycle;
 *  - memory: service RSS while streaming steadily and during a one-million-row transaction.
 */
import pg from 'pg';
import { startPostgres, type PgInstance } from '../test/harness/postgres.ts';
import { OpenDIService } from '../test/harness/opendi-service.ts';
import { ContinuousWriter } from '../test/harness/continuous-writer.ts';
import {
  addPostgresDataSource, createDeployedTask, createWorkspace, realtimeScript, taskCall, waitForEqualTables, waitForStatus, waitUntil,
} from '../test/harness/realtime-scenario.ts';
import { memoryOf } from './process-memory.ts';

export const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

interface Env { src: PgInstance; dst: PgInstance; svc: OpenDIService; projectId: number; seq: number }

export async function setup(serviceEnv: Record<string, string> = {}): Promise<Env> {
  // synchronous_commit on at the source, as PostgreSQL ships: a walsender sends only flushed WAL, and
  // with the harness's `off` a commit waits for the WAL writer (wal_writer_delay, 200 ms) before
  // any subscriber can see it, which alone measured ~250 ms p50 at 100 changes/s.
  const settings = { track_commit_timestamp: 'on' };
  const src = await startPostgres({ settings: { ...settings, synchronous_commit: 'on' } });
  const dst = await startPostgres({ settings });
  const svc = await OpenDIService.start({ env: { OPENDI_LOG_LEVEL: 'warn', ...serviceEnv } });
  const projectId = await createWorkspace(svc.client(), 'lc_ws');
  return { src, dst, svc, projectId, seq: 0 };
}

async function newTask(env: Env, ddlSrc: string, ddlDst?: string): Promise<{ fileId: number; db: string }> {
  const db = `lc${++env.seq}`;
  await env.src.createDatabase(db);
  await env.dst.createDatabase(db);
  await env.src.query(ddlSrc, [], db);
  if (ddlDst) await env.dst.query(ddlDst, [], db);
  const client = env.svc.client();
  await addPostgresDataSource(client, env.projectId, `${db}_s`, env.src, db);
  await addPostgresDataSource(client, env.projectId, `${db}_d`, env.dst, db);
  const fileId = await createDeployedTask(client, env.projectId, `${db}_task`, realtimeScript(`${db}_s`, `${db}_d`, ['public.t']));
  await taskCall(client, 'StartDISyncInstance', env.projectId, fileId);
  await waitForStatus(client, env.projectId, fileId, ['RUN']);
  return { fileId, db };
}

/** Lag at a fixed rate: rows in transactions of 10 every (10 / rate) s. */
export async function benchLag(env: Env, ratePerSec: number, seconds: number) {
  const { fileId, db } = await newTask(env,
    `CREATE TABLE public.t (id bigint PRIMARY KEY, created_at timestamptz NOT NULL)`);
  const c = new pg.Client(env.src.connectionConfig(db));
  await c.connect();
  const perTxn = 10;
  const interval = (perTxn / ratePerSec) * 1000;
  const start = performance.now();
  let id = 1;
  let rss = 0;
  while (performance.now() - start < seconds * 1000) {
    const due = start + ((id - 1) / perTxn) * interval;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    await c.query(`INSERT INTO t SELECT g, clock_timestamp() FROM generate_series($1::bigint, $2::bigint) g`, [id, id + perTxn - 1]);
    id += perTxn;
    if (id % 5000 < perTxn) rss = Math.max(rss, memoryOf(env.svc.pid!).rssMiB);
  }
  const achieved = (id - 1) / ((performance.now() - start) / 1000);
  await c.end();
  await waitUntil(async () => Number((await env.dst.query(`SELECT count(*) AS n FROM t`, [], db)).rows[0].n) === id - 1 || undefined, 60_000, 'lag run to drain');
  // Commit time of each row's transaction on both sides (track_commit_timestamp), epoch ms.
  const COMMITS = `SELECT id, extract(epoch FROM pg_xact_commit_timestamp(xmin)) * 1000 AS at FROM t ORDER BY id`;
  const committed = (await env.src.query(COMMITS, [], db)).rows.map((r) => Number(r.at));
  const visible = (await env.dst.query(COMMITS, [], db)).rows.map((r) => Number(r.at));
  const lags = visible.map((at, i) => at - committed[i]);
  await taskCall(env.svc.client(), 'StopDISyncInstance', env.projectId, fileId);
  return { targetRate: ratePerSec, achievedRate: achieved, p50Ms: percentile(lags, 50), p99Ms: percentile(lags, 99), maxMs: lags.reduce((a, b) => Math.max(a, b), 0), steadyRssMiB: rss };
}

/** Stop/Start cycles under a continuous writer. */
export async function benchStopStart(env: Env, cycles: number) {
  const { fileId, db } = await newTask(env, `CREATE TABLE public.t (id bigint PRIMARY KEY, payload text)`);
  const client = env.svc.client();
  const stops: number[] = [];
  const starts: number[] = [];
  let nextId = 1;
  for (let i = 0; i < cycles; i++) {
    const writer = new ContinuousWriter(env.src, db, 'public.t', nextId, 20, 5);
    await new Promise((r) => setTimeout(r, 300));
    let t0 = performance.now();
    const stop = await taskCall(client, 'StopDISyncInstance', env.projectId, fileId);
    stops.push(performance.now() - t0);
    if (stop.Data.Status !== 'success') throw new Error(`stop failed: ${stop.Data.Message}`);
    const before = Number((await env.dst.query(`SELECT count(*) AS n FROM t`, [], db)).rows[0].n);
    t0 = performance.now();
    await taskCall(client, 'StartDISyncInstance', env.projectId, fileId);
    await waitUntil(async () => Number((await env.dst.query(`SELECT count(*) AS n FROM t`, [], db)).rows[0].n) > before || undefined, 30_000, 'first row after start');
    starts.push(performance.now() - t0);
    nextId += await writer.stop();
    await waitForEqualTables(env.src, db, env.dst, db, 'public.t', 60_000);
  }
  await taskCall(client, 'StopDISyncInstance', env.projectId, fileId);
  return { cycles, stopP50Ms: percentile(stops, 50), stopP99Ms: percentile(stops, 99), startToFirstRowP50Ms: percentile(starts, 50), startToFirstRowP99Ms: percentile(starts, 99) };
}

/** Peak service RSS while a one-million-row source transaction streams through. */
export async function benchBigTransaction(env: Env, rows: number) {
  const { fileId, db } = await newTask(env, `CREATE TABLE public.t (id bigint PRIMARY KEY, payload text)`);
  const client = env.svc.client();
  await taskCall(client, 'StopDISyncInstance', env.projectId, fileId);
  await env.src.query(`INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, $1::bigint) g`, [rows], db);
  const base = memoryOf(env.svc.pid!).rssMiB;
  let peak = base;
  const t0 = performance.now();
  await taskCall(client, 'StartDISyncInstance', env.projectId, fileId);
  await waitUntil(async () => {
    peak = Math.max(peak, memoryOf(env.svc.pid!).rssMiB);
    return Number((await env.dst.query(`SELECT count(*) AS n FROM t`, [], db)).rows[0].n) === rows || undefined;
  }, 600_000, 'the big transaction to arrive');
  const seconds = (performance.now() - t0) / 1000;
  await taskCall(client, 'StopDISyncInstance', env.projectId, fileId);
  return { rows, rowsPerSec: rows / seconds, rssBeforeMiB: base, peakRssMiB: peak };
}

/** Changes/s of the lag runs: nearly idle (one 10-row transaction every 100 ms), and the two rates of the target. */
export const LAG_RATES = [100, 2000, 10000];

export async function benchLifecycle(opts: { lagSeconds: number; cycles: number; bigRows: number }) {
  const env = await setup();
  try {
    const lag = [];
    for (const rate of LAG_RATES) lag.push(await benchLag(env, rate, opts.lagSeconds));
    const stopStart = await benchStopStart(env, opts.cycles);
    const bigTransaction = await benchBigTransaction(env, opts.bigRows);
    return { lag, stopStart, bigTransaction };
  } finally {
    await env.svc.destroy();
    await env.src.destroy();
    await env.dst.destroy();
  }
}
