/**
 * What the throughput benchmarks share: the workload shape (inserts, then updates, then deletes,
 * in transactions of 1..maxTxnRows rows of deterministic sizes, optionally over rows preloaded on
 * both sides), the workload writers for PostgreSQL and MariaDB, a row digest both dialects compute
 * identically (count + sum of a 32-bit hash of each row's canonical text), pg_recvlogical as the
 * raw PostgreSQL read, the OpenDI task (pinned, then timed), the two native peers (CREATE
 * SUBSCRIPTION, MariaDB replication), and timing.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import mysql from 'mysql2/promise';
import type { PgInstance } from '../test/harness/postgres.ts';
import type { MariaDbInstance } from '../test/harness/mariadb.ts';
import type { OpenDIService } from '../test/harness/opendi-service.ts';
import {
  addMySqlDataSource, addPostgresDataSource, createDeployedTask, createWorkspace, instanceInfo, realtimeScript, taskCall, waitForStatus,
} from '../test/harness/realtime-scenario.ts';

export const run = promisify(execFile);

/**
 * `preload`: rows 1..preload written to the source and every target before anything is pinned
 * (untimed, not part of the change stream); the inserts then follow from id preload + 1.
 */
export interface Workload { inserts: number; updates: number; deletes: number; maxTxnRows: number; preload?: number }
/**
 * The throughput workload: BENCH_CHANGES changes (default 3,000,000, so that one OpenDI run lasts
 * well over 15 s and start-up and the final comparison weigh little), 60% inserts, 24% updates,
 * 16% deletes (the shape of the earlier 500,000-change workload).
 */
export function workloadOf(changes: number): Workload {
  const inserts = Math.round(changes * 0.6);
  const updates = Math.round(changes * 0.24);
  return { inserts, updates, deletes: changes - inserts - updates, maxTxnRows: 1000 };
}
export const BENCH_CHANGES = Number(process.env.BENCH_CHANGES ?? 3_000_000);
export const DEFAULT_WORKLOAD: Workload = workloadOf(BENCH_CHANGES);
/** The lane counts (`runtime.realtime.concurrent`) each throughput direction runs OpenDI with, side by side on the same backlog: BENCH_LANES, default 1,2,4. */
export const BENCH_LANES = (process.env.BENCH_LANES ?? '1,2,4').split(',').map((x) => Number(x.trim()));
/** The 2020 task script's `setting` that asks for `lanes` apply lanes: setting.speed.concurrent (pipeline-factory.ts; runtime.realtime.concurrent of 2024 jobs). */
export const lanesSetting = (lanes: number): Record<string, unknown> => (lanes === 1 ? {} : { speed: { concurrent: lanes } });
/**
 * Updates (of non-key columns) and deletes only, two to one, over as many rows already on both
 * sides as there are changes: BENCH_UD_CHANGES, default 1,500,000, so that one OpenDI run lasts
 * over 10 s and its start-up weighs little (at 300,000 a run lasted about 3 s).
 */
export function updateDeleteWorkloadOf(changes: number): Workload {
  const updates = Math.round((changes * 2) / 3);
  return { preload: changes, inserts: 0, updates, deletes: changes - updates, maxTxnRows: 1000 };
}
export const UPDATE_DELETE_WORKLOAD: Workload = updateDeleteWorkloadOf(Number(process.env.BENCH_UD_CHANGES ?? 1_500_000));
/** The highest id the workload ever holds (the last one deleted). */
const lastIdOf = (w: Workload) => (w.preload ?? 0) + w.inserts;
export const changesOf = (w: Workload) => w.inserts + w.updates + w.deletes;

export const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
export const perSec = (n: number, t0: number) => n / ((performance.now() - t0) / 1000);

/** Transaction sizes in 1..maxTxnRows summing to `total` (deterministic). */
export function txnSizes(total: number, maxTxnRows: number): number[] {
  const out: number[] = [];
  let left = total;
  let s = 7;
  while (left > 0) { s = (s * 7919 + 13) % maxTxnRows + 1; const n = Math.min(left, s); out.push(n); left -= n; }
  return out;
}

/**
 * The workload as one statement per transaction (autocommit): `insert(from, to)`, `update(from, to)`,
 * `del(from, to)` on id ranges. Updates and deletes touch disjoint id ranges so every change is a
 * real change. Returns the number of transactions.
 */
async function drive(w: Workload, exec: (kind: 'insert' | 'update' | 'delete', from: number, to: number) => Promise<unknown>): Promise<number> {
  let txns = 0;
  let id = (w.preload ?? 0) + 1;
  for (const n of txnSizes(w.inserts, w.maxTxnRows)) { await exec('insert', id, id + n - 1); id += n; txns++; }
  let uid = 1;
  for (const n of txnSizes(w.updates, w.maxTxnRows)) { await exec('update', uid, uid + n - 1); uid += n; txns++; }
  let did = lastIdOf(w) - w.deletes + 1;
  for (const n of txnSizes(w.deletes, w.maxTxnRows)) { await exec('delete', did, did + n - 1); did += n; txns++; }
  return txns;
}

/** The PG -> PG table (timestamptz set by now()). */
export const PG_TABLE_DDL = `CREATE TABLE public.bench (id bigint PRIMARY KEY, k int NOT NULL, v text, n numeric(12,2), ts timestamptz)`;
/** The cross-engine table: the same logical types on both sides, values that print identically. */
export const PG_XTABLE_DDL = `CREATE TABLE public.bench (id bigint PRIMARY KEY, k int NOT NULL, v varchar(64), n numeric(12,2), ts timestamp(6))`;
export const MY_XTABLE_DDL = `CREATE TABLE bench (id BIGINT PRIMARY KEY, k INT NOT NULL, v VARCHAR(64), n DECIMAL(12,2), ts DATETIME(6)) ENGINE=InnoDB`;

type Kind = 'insert' | 'update' | 'delete';
/** One workload statement on PostgreSQL, ids $1..$2. `cross`: the deterministic ts of the cross-engine table. */
function pgStatement(kind: Kind, cross: boolean): string {
  const ts = cross ? `timestamp '2024-01-01' + g * interval '1 second' + (g % 1000) * interval '1 microsecond'` : 'now()';
  return kind === 'insert' ? `INSERT INTO bench SELECT g, g % 1000, md5(g::text), g / 7.0, ${ts} FROM generate_series($1::bigint, $2::bigint) g`
    : kind === 'update' ? `UPDATE bench SET k = k + 1, v = v || 'u' WHERE id BETWEEN $1 AND $2`
      : `DELETE FROM bench WHERE id BETWEEN $1 AND $2`;
}
/** The same on MariaDB (same values), inserts from the SEQUENCE engine. */
function myStatement(kind: Kind, a: number, b: number): string {
  return kind === 'insert' ? `INSERT INTO bench SELECT seq, seq % 1000, MD5(seq), seq / 7.0,
          TIMESTAMP'2024-01-01 00:00:00' + INTERVAL seq SECOND + INTERVAL (seq % 1000) MICROSECOND FROM seq_${a}_to_${b}`
    : kind === 'update' ? `UPDATE bench SET k = k + 1, v = CONCAT(v, 'u') WHERE id BETWEEN ? AND ?`
      : `DELETE FROM bench WHERE id BETWEEN ? AND ?`;
}

/** Writes the workload to `bench` in a PostgreSQL database. `cross`: the deterministic ts of the cross-engine table. */
export async function writePgWorkload(pgi: PgInstance, db: string, w: Workload, cross = false): Promise<number> {
  const c = new pg.Client(pgi.connectionConfig(db));
  await c.connect();
  try {
    return await drive(w, (kind, a, b) => c.query(pgStatement(kind, cross), [a, b]));
  } finally { await c.end(); }
}

/** The same workload (same values) on MariaDB. */
export async function writeMySqlWorkload(mdb: MariaDbInstance, db: string, w: Workload): Promise<number> {
  const c = await mysql.createConnection(mdb.connectionConfig(db));
  try {
    return await drive(w, (kind, a, b) => c.query(myStatement(kind, a, b), [a, b]));
  } finally { await c.end(); }
}

/**
 * Writes the workload's preloaded rows 1..w.preload (one statement; the values the inserts would
 * write, deterministic ts on PostgreSQL) into `bench` of each side given: the source and the
 * targets get identical rows without replicating them.
 */
export async function writePreload(sides: Side[], w: Workload): Promise<void> {
  const n = w.preload ?? 0;
  if (n === 0) return;
  for (const s of sides) {
    if (s.kind === 'pg') await s.inst.query(pgStatement('insert', true), [1, n], s.db);
    else await s.inst.query(myStatement('insert', 1, n), [], s.db);
  }
}

/** Row count and the sum of a 32-bit hash of `id|k|v|n|ts` (ts with microseconds): equal on both dialects for equal rows. */
const PG_XDIGEST = `SELECT count(*) AS n, coalesce(sum(('x' || left(md5(concat_ws('|', id, k, v, n, to_char(ts, 'YYYY-MM-DD HH24:MI:SS.US'))), 8))::bit(32)::bigint), 0) AS h FROM bench`;
const MY_XDIGEST = `SELECT count(*) AS n, coalesce(sum(CAST(CONV(LEFT(MD5(CONCAT_WS('|', id, k, v, n, DATE_FORMAT(ts, '%Y-%m-%d %H:%i:%s.%f'))), 8), 16, 10) AS UNSIGNED)), 0) AS h FROM bench`;

export type Side = { kind: 'pg'; inst: PgInstance; db: string } | { kind: 'mysql'; inst: MariaDbInstance; db: string };

export async function countOf(s: Side): Promise<number> {
  if (s.kind === 'pg') return Number((await s.inst.query(`SELECT count(*) AS n FROM bench`, [], s.db)).rows[0].n);
  return Number((await s.inst.query<any[]>(`SELECT count(*) AS n FROM bench`, [], s.db))[0].n);
}

export async function digestOf(s: Side): Promise<string> {
  const r = s.kind === 'pg' ? (await s.inst.query(PG_XDIGEST, [], s.db)).rows[0] : (await s.inst.query<any[]>(MY_XDIGEST, [], s.db))[0];
  return `${r.n}:${r.h}`;
}

/** Polls `fn` every 100 ms until it returns true; an error thrown by `fn` ends the wait (unlike waitUntil). */
export async function poll(fn: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Whether the workload's last change is visible, by two primary-key lookups (cheap enough to poll
 * every 100 ms without loading the target): id 1 updated means every insert is in; then the last
 * delete removes the highest id (preload + inserts). Only a hint for changes applied in commit order: waitForDigest
 * confirms with the full digest.
 */
async function lastChangeVisible(s: Side, w: Workload): Promise<boolean> {
  const sql = `SELECT (SELECT count(*) FROM bench WHERE id = 1 AND v LIKE '%u') AS updated, (SELECT count(*) FROM bench WHERE id = ${lastIdOf(w)}) AS last`;
  const r = s.kind === 'pg' ? (await s.inst.query(sql, [], s.db)).rows[0] : (await s.inst.query<any[]>(sql, [], s.db))[0];
  return Number(r.updated) === 1 && Number(r.last) === 0;
}

/**
 * Waits until the target's digest equals `want`; returns when (performance.now()) the last change
 * was first seen. Polls the cheap lastChangeVisible, then confirms with the digest (and keeps
 * polling the digest if that differs). `check` may throw to give up early (a failed task).
 * `inCommitOrder` false (parallel apply lanes: a later source transaction can be visible before an
 * earlier one): the last change seen proves nothing, so the time is when the matching digest query
 * started (its snapshot already held every change).
 */
export async function waitForDigest(target: Side, w: Workload, want: string, what: string, check: () => Promise<void> = async () => undefined, timeoutMs = 900_000, inCommitOrder = true): Promise<number> {
  let n = 0;
  let seenAt: number | undefined;
  let matchedAt = 0;
  await poll(async () => {
    if (++n % 20 === 0) await check();
    if (seenAt === undefined) {
      const t = performance.now();
      if (!(await lastChangeVisible(target, w))) return false;
      seenAt = t;
    }
    matchedAt = performance.now();
    return (await digestOf(target)) === want;
  }, timeoutMs, what);
  return inCommitOrder ? seenAt! : matchedAt;
}

/**
 * CPU seconds (user + system) used so far by a process and its descendants, from /proc: each live
 * one's own time plus that of its exited children it has reaped (cutime + cstime), so that
 * PostgreSQL backends / walsenders / workers that end during a measurement still count.
 */
export function cpuSecondsOfTree(pid: number): number {
  const stats: { pid: number; ppid: number; ticks: number }[] = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const st = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
      stats.push({ pid: Number(d), ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]) });
    } catch { /* gone */ }
  }
  const tree = new Set([pid]);
  for (let grew = true; grew;) {
    grew = false;
    for (const s of stats) if (!tree.has(s.pid) && tree.has(s.ppid)) { tree.add(s.pid); grew = true; }
  }
  return stats.filter((s) => tree.has(s.pid)).reduce((a, s) => a + s.ticks, 0) / 100;
}

/** The server process of a private instance (pid files the harnesses write). */
export function serverPid(s: Side): number {
  const file = s.kind === 'pg' ? path.join(s.inst.dataDir, 'postmaster.pid') : path.join(s.inst.dir, 'mariadbd.pid');
  return Number(fs.readFileSync(file, 'utf8').split('\n')[0]);
}

/** (a) for a PostgreSQL source: pg_recvlogical draining `slot` (pgoutput) up to `endLsn` into /dev/null. Returns seconds. */
export async function pgRecvLogical(pgi: PgInstance, db: string, slot: string, publication: string, endLsn: string): Promise<number> {
  const t0 = performance.now();
  await run('pg_recvlogical', ['-h', pgi.host, '-p', String(pgi.port), '-U', 'postgres', '-d', db, '--slot', slot, '--start',
    '-o', 'proto_version=1', '-o', `publication_names=${publication}`, '-E', endLsn, '-f', '/dev/null', '--no-loop']);
  return (performance.now() - t0) / 1000;
}

export async function currentLsn(pgi: PgInstance, db: string): Promise<string> {
  return (await pgi.query(`SELECT pg_current_wal_lsn()::text AS l`, [], db)).rows[0].l;
}

/** The MariaDB server's binlog end: `file:pos`. */
export async function masterStatus(mdb: MariaDbInstance): Promise<{ file: string; pos: number }> {
  const r = (await mdb.query<any[]>(`SHOW MASTER STATUS`))[0];
  return { file: r.File, pos: Number(r.Position) };
}

/**
 * Calls `ping` every second until the returned function is called. Between a task's Stop and
 * its timed Start the API client sits idle while the baselines run; an idle keep-alive socket
 * that the service closes (Node's 5 s keepAliveTimeout) just as the client reuses it fails the
 * next call with "socket hang up" (seen once, uncaught, from the client's HTTP layer). A call a
 * second keeps the socket from ever idling that long.
 */
export function keepWarm(ping: () => Promise<unknown>): () => void {
  const timer = setInterval(() => { ping().catch(() => undefined); }, 1000);
  timer.unref(); // a failed run must not be kept alive by it
  return () => clearInterval(timer);
}

/** An OpenDI realtime task from `bench` of `src` to `bench` of `dst`, through the service API. */
export interface PinnedTask { client: ReturnType<OpenDIService['client']>; projectId: number; fileId: number }

/**
 * Creates the task and starts it once, so that it pins its source position (slot / binlog
 * position) at the source's current end, then stops it (PAUSE): what the source gets from now on
 * is the backlog its timed Start (timeOpenDI) replays.
 */
export async function pinnedTask(svc: OpenDIService, src: Side, dst: Side, lanes = 1, ws?: { projectId: number; seq: number }): Promise<PinnedTask> {
  const client = svc.client();
  // Several tasks of one run (one per lane count) share a workspace and the source data source.
  const projectId = ws?.projectId ?? await createWorkspace(client, 'bench_ws');
  const n = ws ? ws.seq++ : 0;
  for (const [name, s] of [...(n === 0 ? [['bsrc', src]] as const : []), [`bdst${n}`, dst]] as const) {
    if (s.kind === 'mysql') await addMySqlDataSource(client, projectId, name, s.inst, s.db); else await addPostgresDataSource(client, projectId, name, s.inst, s.db);
  }
  const engine = (s: Side) => (s.kind === 'mysql' ? 'mysql' : 'postgresql');
  const table = src.kind === 'mysql' ? `${src.db}.bench` : 'public.bench';
  const fileId = await createDeployedTask(client, projectId, `bench_task${n}`,
    realtimeScript('bsrc', `bdst${n}`, [table], { reader: engine(src), writer: engine(dst), setting: lanesSetting(lanes) }));
  const started = await taskCall(client, 'StartDISyncInstance', projectId, fileId);
  if (started.Data?.Status !== 'success') throw new Error(`StartDISyncInstance: ${JSON.stringify(started.Data)}`);
  await waitForStatus(client, projectId, fileId, ['RUN']);
  await taskCall(client, 'StopDISyncInstance', projectId, fileId);
  await waitForStatus(client, projectId, fileId, ['PAUSE']);
  return { client, projectId, fileId };
}

/**
 * OpenDI end to end: StartDISyncInstance -> `target` equals `want` (waitForDigest; a FAILED task
 * ends the wait). Returns the seconds from Start to the last change first seen; the task is left
 * running (the caller stops it, after reading its meters).
 */
export async function timeOpenDI(task: PinnedTask, target: Side, w: Workload, want: string, what: string): Promise<number> {
  return (await timeOpenDIRun(task, target, w, want, what)).seconds;
}

/**
 * An OpenDI run, timed two ways: `seconds`, Start -> target equals source (timeOpenDI); and
 * `steadyPerSec`, from the engine's own counter (GetDISyncInstanceInfo Metrics.RowsApplied, sampled
 * every 250 ms): the rows applied between the samples at 10% and at 90% of the workload over the
 * time between them, so start-up (connections, slot, first batch) and the final comparison are
 * left out. `firstRowSeconds`: Start -> the counter first moved.
 */
export interface OpenDIRun { seconds: number; steadyPerSec?: number; firstRowSeconds?: number }
export async function timeOpenDIRun(task: PinnedTask, target: Side, w: Workload, want: string, what: string, lanes = 1): Promise<OpenDIRun> {
  const { client, projectId, fileId } = task;
  const changes = changesOf(w);
  const samples: { t: number; rows: number }[] = [];
  let sampling = true;
  const t0 = performance.now();
  const resumed = await taskCall(client, 'StartDISyncInstance', projectId, fileId);
  if (resumed.Data?.Status !== 'success') throw new Error(`StartDISyncInstance: ${JSON.stringify(resumed.Data)}`);
  const sampler = (async () => {
    while (sampling) {
      const t = performance.now();
      try {
        const info = await instanceInfo(client, projectId, fileId);
        const rows = info.Metrics?.RowsApplied;
        if (typeof rows === 'number') samples.push({ t, rows });
      } catch { /* a sample less */ }
      await new Promise((r) => setTimeout(r, 250));
    }
  })();
  let doneAt: number;
  try {
    doneAt = await waitForDigest(target, w, want, `OpenDI ${what} to catch up`, async () => {
      const info = await instanceInfo(client, projectId, fileId);
      if (info.Status === 'FAILED') throw new Error(`OpenDI task FAILED: ${JSON.stringify(info).slice(0, 2000)}`);
    }, undefined, lanes === 1);
  } finally {
    sampling = false;
    await sampler;
  }
  const a = samples.find((s) => s.rows >= 0.1 * changes);
  const b = [...samples].reverse().find((s) => s.rows <= 0.9 * changes);
  const first = samples.find((s) => s.rows > 0);
  return {
    seconds: (doneAt - t0) / 1000,
    ...(a && b && b.t > a.t ? { steadyPerSec: (b.rows - a.rows) / ((b.t - a.t) / 1000) } : {}),
    ...(first ? { firstRowSeconds: (first.t - t0) / 1000 } : {}),
  };
}

/** One pinned task per lane count, each into its own target (`targets[i]` for `lanes[i]`), in one workspace with one source data source. */
export async function pinnedTasks(svc: OpenDIService, src: Side, targets: Side[], lanes: number[]): Promise<PinnedTask[]> {
  const ws = { projectId: await createWorkspace(svc.client(), 'bench_ws'), seq: 0 };
  const out: PinnedTask[] = [];
  for (let i = 0; i < lanes.length; i++) out.push(await pinnedTask(svc, src, targets[i], lanes[i], ws));
  return out;
}

/** Per lane count: the OpenDI run's figures and the CPU it used. */
export interface LaneRun { lanes: number; opendiPerSec: number; steadyPerSec?: number; firstRowSeconds?: number; cpu: CpuUse }

/**
 * Runs each pinned task in turn over the same backlog (each into its own target), measuring CPU;
 * returns them in `lanes` order. The order they run in turns with `round` (the run's number): the
 * first OpenDI run after the baselines measured slower than the next (first reads of the backlog
 * from disk, a fresh walsender), so each lane count gets its share of first places.
 */
let round = 0;
export async function runLanes(tasks: PinnedTask[], targets: Side[], lanes: number[], src: Side, w: Workload, want: string, what: string, servicePid: number | undefined, log: (m: string) => void): Promise<LaneRun[]> {
  const out: LaneRun[] = [];
  const order = lanes.map((_, i) => (i + round) % lanes.length);
  round++;
  for (const i of order) {
    const meter = cpuMeter(src, targets[i], servicePid);
    const r = await timeOpenDIRun(tasks[i], targets[i], w, want, `${what} lanes ${lanes[i]}`, lanes[i]);
    const cpu = meter();
    await stopTask(tasks[i]);
    const changes = changesOf(w);
    out.push({ lanes: lanes[i], opendiPerSec: changes / r.seconds, steadyPerSec: r.steadyPerSec, firstRowSeconds: r.firstRowSeconds, cpu });
    log(`${what} lanes ${lanes[i]}: ${Math.round(changes / r.seconds)} changes/s end to end, steady ${Math.round(r.steadyPerSec ?? 0)}/s, CPU ${JSON.stringify(cpu)}`);
  }
  return out.sort((a, b) => lanes.indexOf(a.lanes) - lanes.indexOf(b.lanes));
}

export async function stopTask(task: PinnedTask): Promise<void> {
  await taskCall(task.client, 'StopDISyncInstance', task.projectId, task.fileId);
}

/**
 * The PostgreSQL peer: CREATE SUBSCRIPTION on `target` (a PostgreSQL database) from an existing
 * pgoutput `slot` of `publication` on `srcPg`/`srcDb` (created before the workload, so the whole
 * workload is its backlog; copy_data = false), timed until `target` equals `want`; then the
 * subscription is dropped (the slot stays). Returns seconds. `caughtUp` as for mariaDbReplicaPeer.
 */
export async function pgSubscriptionPeer(srcPg: PgInstance, srcDb: string, slot: string, publication: string, target: Side, w: Workload, want: string, caughtUp?: () => void): Promise<number> {
  if (target.kind !== 'pg') throw new Error('pgSubscriptionPeer: the target must be PostgreSQL');
  const t0 = performance.now();
  await target.inst.query(`CREATE SUBSCRIPTION peer CONNECTION 'host=${srcPg.host} port=${srcPg.port} user=postgres dbname=${srcDb}' PUBLICATION ${publication}
    WITH (create_slot = false, slot_name = '${slot}', copy_data = false)`, [], target.db);
  const doneAt = await waitForDigest(target, w, want, 'the subscription to catch up');
  caughtUp?.();
  await target.inst.query(`ALTER SUBSCRIPTION peer DISABLE`, [], target.db);
  await target.inst.query(`ALTER SUBSCRIPTION peer SET (slot_name = NONE)`, [], target.db);
  await target.inst.query(`DROP SUBSCRIPTION peer`, [], target.db);
  return (doneAt - t0) / 1000;
}

/**
 * The MariaDB peer: `replica` replicates `source` from the workload's first binlog position
 * (CHANGE MASTER TO `begin`), timed from START SLAVE until Exec_Master_Log_Pos reaches `end`; then
 * the replica is stopped and reset. The replica applies into the same database names as the source.
 * Returns seconds. `caughtUp` is called when it is (before the teardown): to read meters.
 */
export async function mariaDbReplicaPeer(source: MariaDbInstance, replica: MariaDbInstance, begin: { file: string; pos: number }, end: { file: string; pos: number }, caughtUp?: () => void): Promise<number> {
  await replica.query(`CHANGE MASTER TO MASTER_HOST='${source.host}', MASTER_PORT=${source.port}, MASTER_USER='root', MASTER_PASSWORD='',
    MASTER_LOG_FILE='${begin.file}', MASTER_LOG_POS=${begin.pos}`);
  const t0 = performance.now();
  await replica.query(`START SLAVE`);
  await poll(async () => {
    const st = (await replica.query<any[]>(`SHOW SLAVE STATUS`))[0];
    if (st.Last_SQL_Error || st.Last_IO_Error) throw new Error(`replica: ${st.Last_SQL_Error || st.Last_IO_Error}`);
    return st.Relay_Master_Log_File === end.file && Number(st.Exec_Master_Log_Pos) >= end.pos;
  }, 900_000, 'the replica to catch up');
  const seconds = (performance.now() - t0) / 1000;
  caughtUp?.();
  await replica.query(`STOP SLAVE`);
  await replica.query(`RESET SLAVE ALL`);
  return seconds;
}

/** Starts CPU accounting of the given process trees (the two servers, and the service if given); the returned function ends it. */
export interface CpuUse { wallSeconds: number; serviceCpuSeconds?: number; sourceDbCpuSeconds: number; targetDbCpuSeconds: number }
export function cpuMeter(src: Side, dst: Side, servicePid?: number): () => CpuUse {
  const pids = { source: serverPid(src), target: serverPid(dst) };
  const at = () => ({ t: performance.now(), svc: servicePid ? cpuSecondsOfTree(servicePid) : 0, src: cpuSecondsOfTree(pids.source), dst: cpuSecondsOfTree(pids.target) });
  const a = at();
  return () => {
    const b = at();
    return {
      wallSeconds: (b.t - a.t) / 1000, ...(servicePid ? { serviceCpuSeconds: b.svc - a.svc } : {}),
      sourceDbCpuSeconds: b.src - a.src, targetDbCpuSeconds: b.dst - a.dst,
    };
  };
}
