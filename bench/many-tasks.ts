/**
 * Many tasks on one service (issue 14, "Many tasks"): `tasks` PG -> PG tasks on one source and one
 * target server, each with a source and a target database of its own (layout 'databases'), or each
 * with a table of its own in one shared source and one shared target database ('tables': the tasks
 * then share the control and target connection pools of those data sources), every one fed `ratePerTask`
 * changes/s (10-row transactions) for `seconds`. Reported: service RSS per task (running, idle
 * and under the writers, above the service's RSS with no task), service CPU per task (idle and
 * under load), the database connections the tasks hold per task on each server (pg_stat_activity,
 * walsenders and client backends apart), the servers' CPU, and the lag p50 / p99 / max over every
 * row of every task (commit at the source -> commit at the target, track_commit_timestamp).
 */
import pg from 'pg';
import { startPostgres, type PgInstance } from '../test/harness/postgres.ts';
import { OpenDIService } from '../test/harness/opendi-service.ts';
import { addPostgresDataSource, createDeployedTask, createWorkspace, realtimeScript, taskCall, waitForStatus, waitUntil } from '../test/harness/realtime-scenario.ts';
import { cpuSecondsOfTree, serverPid } from './common.ts';
import { memoryOf } from './process-memory.ts';
import { percentile } from './pg-lifecycle.ts';

/** Runs `fn` over `items` with at most `n` at a time. */
export async function inParallel<T>(items: T[], n: number, fn: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, async () => {
    while (next < items.length) { const i = next++; await fn(items[i], i); }
  }));
}

/** Connections to a server by backend type, the bench's own query excluded. */
async function connections(inst: PgInstance): Promise<{ walsenders: number; clients: number }> {
  const r = await inst.query(`SELECT count(*) FILTER (WHERE backend_type = 'walsender') AS w, count(*) FILTER (WHERE backend_type = 'client backend') AS c
    FROM pg_stat_activity WHERE pid <> pg_backend_pid()`);
  return { walsenders: Number(r.rows[0].w), clients: Number(r.rows[0].c) };
}

export async function benchManyTasks(o: { tasks: number; ratePerTask: number; seconds: number; layout?: 'databases' | 'tables'; log: (m: string) => void }) {
  const n = o.tasks;
  const layout = o.layout ?? 'databases';
  const limits = { max_connections: String(n * 4 + 50), max_replication_slots: String(n + 10), max_wal_senders: String(n + 10), track_commit_timestamp: 'on' };
  // synchronous_commit on at the source: see pg-lifecycle.ts (the WAL writer's delay otherwise).
  const [src, dst] = await Promise.all([startPostgres({ settings: { ...limits, synchronous_commit: 'on' } }), startPostgres({ settings: limits })]);
  const svc = await OpenDIService.start({ env: { OPENDI_LOG_LEVEL: 'warn' } });
  const writers: pg.Client[] = [];
  try {
    const client = svc.client();
    const projectId = await createWorkspace(client, 'many_ws');
    // Task i reads dbs[i].tables[i]: its own database's table t, or table t<i> of the one shared database.
    const dbs = Array.from({ length: n }, (_, i) => (layout === 'databases' ? `m${i}` : 'm'));
    const tables = Array.from({ length: n }, (_, i) => (layout === 'databases' ? 't' : `t${i}`));
    let t0 = performance.now();
    await inParallel([...new Set(dbs)], 4, async (db) => {
      await src.createDatabase(db);
      await dst.createDatabase(db);
    });
    await inParallel(dbs, 4, async (db, i) => {
      await src.query(`CREATE TABLE public.${tables[i]} (id bigint PRIMARY KEY, created_at timestamptz NOT NULL)`, [], db);
    });
    o.log(`many tasks: ${n} source tables (layout ${layout}) in ${Math.round(performance.now() - t0)} ms`);
    const settle = () => new Promise((r) => setTimeout(r, 3000));
    await settle();
    const rssNone = memoryOf(svc.pid!).rssMiB;
    t0 = performance.now();
    const fileIds: number[] = [];
    for (const db of new Set(dbs)) {
      await addPostgresDataSource(client, projectId, `${db}_s`, src, db);
      await addPostgresDataSource(client, projectId, `${db}_d`, dst, db);
    }
    await inParallel(dbs, 8, async (db, i) => {
      fileIds[i] = await createDeployedTask(client, projectId, `task_${i}`, realtimeScript(`${db}_s`, `${db}_d`, [`public.${tables[i]}`]));
      await taskCall(client, 'StartDISyncInstance', projectId, fileIds[i]);
      await waitForStatus(client, projectId, fileIds[i], ['RUN'], 120_000);
    });
    o.log(`many tasks: ${n} tasks created and running in ${Math.round(performance.now() - t0)} ms`);
    await settle();

    // Idle: every task running, nothing written.
    const idleSeconds = 12;
    const cpu0 = cpuSecondsOfTree(svc.pid!);
    await new Promise((r) => setTimeout(r, idleSeconds * 1000));
    const idleCpu = cpuSecondsOfTree(svc.pid!) - cpu0;
    const rssIdle = memoryOf(svc.pid!).rssMiB;
    // What the idle tasks hold, once the connections of their start (closed after 10 s unused) are gone.
    const conns = { source: await connections(src), target: await connections(dst) };

    // Under load: every task's source gets ratePerTask changes/s in 10-row transactions.
    for (const db of dbs) { const c = new pg.Client(src.connectionConfig(db)); await c.connect(); writers.push(c); }
    const perTxn = 10;
    const interval = (perTxn / o.ratePerTask) * 1000;
    const ids = dbs.map(() => 1);
    let rssPeak = 0;
    const pids = { source: serverPid({ kind: 'pg', inst: src, db: 'm0' }), target: serverPid({ kind: 'pg', inst: dst, db: 'm0' }) };
    const at = () => ({ t: performance.now(), svc: cpuSecondsOfTree(svc.pid!), src: cpuSecondsOfTree(pids.source), dst: cpuSecondsOfTree(pids.target) });
    const a = at();
    const end = a.t + o.seconds * 1000;
    const rssTimer = setInterval(() => { rssPeak = Math.max(rssPeak, memoryOf(svc.pid!).rssMiB); }, 1000);
    await Promise.all(writers.map(async (c, i) => {
      // Each writer starts at its own offset inside the interval, so the transactions spread out.
      const start = a.t + (interval * i) / n;
      for (let k = 0; ; k++) {
        const due = start + k * interval;
        if (due >= end) break;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        await c.query(`INSERT INTO ${tables[i]} SELECT g, clock_timestamp() FROM generate_series($1::bigint, $2::bigint) g`, [ids[i], ids[i] + perTxn - 1]);
        ids[i] += perTxn;
      }
    }));
    const b = at();
    clearInterval(rssTimer);
    const written = ids.reduce((s, x) => s + x - 1, 0);
    const achieved = written / ((b.t - a.t) / 1000);
    o.log(`many tasks: ${written} changes written at ${Math.round(achieved)}/s`);
    await waitUntil(async () => {
      for (let i = 0; i < n; i++) {
        if (Number((await dst.query(`SELECT count(*) AS n FROM ${tables[i]}`, [], dbs[i])).rows[0].n) !== ids[i] - 1) return undefined;
      }
      return true;
    }, 120_000, 'every task to drain');
    const commits = (table: string) => `SELECT extract(epoch FROM pg_xact_commit_timestamp(xmin)) * 1000 AS at FROM ${table} ORDER BY id`;
    const lags: number[] = [];
    for (const [i, db] of dbs.entries()) {
      const committed = (await src.query(commits(tables[i]), [], db)).rows.map((r) => Number(r.at));
      const visible = (await dst.query(commits(tables[i]), [], db)).rows.map((r) => Number(r.at));
      for (let i = 0; i < visible.length; i++) lags.push(visible[i] - committed[i]);
    }
    const wall = (b.t - a.t) / 1000;
    await inParallel(fileIds, 8, async (id) => { await taskCall(client, 'StopDISyncInstance', projectId, id); });
    const per = (x: number) => x / n;
    return {
      tasks: n, layout, ratePerTask: o.ratePerTask, seconds: wall, achievedRate: achieved,
      rssMiB: { noTasks: rssNone, idle: rssIdle, loadPeak: rssPeak, perTaskIdle: per(rssIdle - rssNone), perTaskLoad: per(rssPeak - rssNone) },
      serviceCpu: { idlePerTaskPercent: (100 * per(idleCpu)) / idleSeconds, loadPerTaskPercent: (100 * per(b.svc - a.svc)) / wall, loadSeconds: b.svc - a.svc, usPerChange: ((b.svc - a.svc) / written) * 1e6 },
      serverCpuSeconds: { source: b.src - a.src, target: b.dst - a.dst },
      connections: { ...conns, perTaskSource: per(conns.source.walsenders + conns.source.clients), perTaskTarget: per(conns.target.walsenders + conns.target.clients) },
      lag: { rows: lags.length, p50Ms: percentile(lags, 50), p99Ms: percentile(lags, 99), maxMs: lags.reduce((x, y) => Math.max(x, y), 0) },
    };
  } finally {
    await Promise.all(writers.map((c) => c.end().catch(() => undefined)));
    await svc.destroy();
    await Promise.all([src.destroy(), dst.destroy()]);
  }
}
