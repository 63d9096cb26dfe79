/**
 * `npm run bench`: throughput PG -> PG (median of BENCH_RUNS, default 3, each against baselines
 * measured in the same run), MySQL -> PG, PG -> MySQL and MySQL -> MySQL (median of
 * BENCH_MYSQL_RUNS, default BENCH_RUNS), updates and deletes only against the native peers, PG -> PG
 * and MySQL -> MySQL (median of BENCH_UD_RUNS, default BENCH_RUNS), lag at fixed rates, stop/start
 * cycles, API load and service memory. Prints a markdown table and writes
 * bench/results/latest.json. Figures are ratios or distributions measured here, never asserted
 * anywhere.
 *
 * Monitoring: PG -> PG with monitoring off vs on with two alarm rules (BENCH_MONITORING_RUNS,
 * default BENCH_RUNS, alternating), and the catalog bytes of one task's metric history per day.
 *
 * Cluster takeover (bench/cluster-takeover.ts): BENCH_TAKEOVER_RUNS kill -9 rounds (default 5), BENCH_TAKEOVER_STOP_RUNS SIGSTOP rounds (2).
 *
 * Many tasks (bench/many-tasks.ts): BENCH_MANY_TASKS (100) tasks at BENCH_MANY_RATE (100) changes/s each for
 * BENCH_MANY_SECONDS (30); BENCH_MANY_LAYOUT=tables puts every task's table in one shared source and target database.
 *
 * BENCH_ONLY=pg-pg,mysql-pg,pg-mysql,mysql-mysql,updates-deletes,lifecycle,many-tasks,catalog,api,monitoring,takeover runs only the
 * sections named; such a partial run writes bench/results/partial.json instead of latest.json.
 */
import fs from 'node:fs';
import os from 'node:os';
import { benchPgToPg, DEFAULT_WORKLOAD } from './pg-to-pg.ts';
import { benchDirection, DIRECTIONS, type Direction, type DirectionResult } from './mysql-directions.ts';
import { benchUpdateDelete, UD_DIRECTIONS, type UdDirection, type UdResult } from './update-delete.ts';
import { benchLifecycle } from './pg-lifecycle.ts';
import { benchApi } from './api-load.ts';
import { BENCH_LANES, median, UPDATE_DELETE_WORKLOAD, type CpuUse, type LaneRun } from './common.ts';
import { benchMonitoring } from './monitoring-overhead.ts';
import { benchManyTasks } from './many-tasks.ts';
import { benchCatalogApi } from './catalog-api.ts';
import { KEYS, UD_KEYS, renderTable, targetsOf } from './report.ts';
import { benchTakeover } from './cluster-takeover.ts';

const SECTIONS = ['pg-pg', ...DIRECTIONS, 'updates-deletes', 'lifecycle', 'many-tasks', 'catalog', 'api', 'monitoring', 'takeover'] as const;
const only = process.env.BENCH_ONLY ? process.env.BENCH_ONLY.split(',').map((s) => s.trim()) : undefined;
for (const s of only ?? []) if (!(SECTIONS as readonly string[]).includes(s)) throw new Error(`BENCH_ONLY: unknown section ${s} (sections: ${SECTIONS.join(', ')})`);
const want = (s: (typeof SECTIONS)[number]) => !only || only.includes(s);

const runs = Number(process.env.BENCH_RUNS ?? 3);
const mysqlRuns = Number(process.env.BENCH_MYSQL_RUNS ?? runs);
const udRuns = Number(process.env.BENCH_UD_RUNS ?? runs);
const log = (msg: string) => console.error(`[bench] ${msg}`);
const started = performance.now();
/** The machine's load average (1, 5, 15 min) when the bench started: other work on a shared machine shows here. */
const loadBefore = os.loadavg();

type ThroughputSample = {
  changes: number; txns: number; finalRows?: number; binlogBytes?: number;
  rawReadPerSec: number; binlogDecodePerSec?: number; binlogRawPerSec?: number; binlogVerbosePerSec?: number;
  rawWritePerSec: number; peerPerSec?: number; peerCpu?: CpuUse; lanes: LaneRun[];
};
/** The median of the numbers present, undefined when none is. */
const med = (xs: (number | undefined)[]) => { const v = xs.filter((x): x is number => typeof x === 'number'); return v.length ? median(v) : undefined; };
/** Medians of the runs' CPU figures, with CPU microseconds per change. */
function cpuOf(xs: (CpuUse | undefined)[], changes: number) {
  const c = xs.filter((x): x is CpuUse => x !== undefined);
  if (c.length === 0) return undefined;
  const wallSeconds = med(c.map((x) => x.wallSeconds))!;
  const serviceCpuSeconds = med(c.map((x) => x.serviceCpuSeconds));
  const sourceDbCpuSeconds = med(c.map((x) => x.sourceDbCpuSeconds))!;
  const targetDbCpuSeconds = med(c.map((x) => x.targetDbCpuSeconds))!;
  const us = (x: number | undefined) => (x === undefined ? undefined : (x / changes) * 1e6);
  return {
    wallSeconds, serviceCpuSeconds, sourceDbCpuSeconds, targetDbCpuSeconds,
    usPerChange: { service: us(serviceCpuSeconds), source: us(sourceDbCpuSeconds), target: us(targetDbCpuSeconds) },
  };
}

/** Medians over the runs of one direction, per lane count; CPU per change in microseconds. */
function summarize(samples: ThroughputSample[]) {
  const m = (k: keyof ThroughputSample) => med(samples.map((s) => s[k] as number | undefined));
  const s0 = samples[0];
  const rawRead = m('rawReadPerSec')!;
  const rawWrite = m('rawWritePerSec')!;
  const minRaw = Math.min(rawRead, rawWrite);
  const peer = m('peerPerSec');
  const lanes = s0.lanes.map((l0, i) => {
    const perSec = med(samples.map((s) => s.lanes[i]?.opendiPerSec))!;
    return {
      lanes: l0.lanes, opendiPerSec: perSec, steadyPerSec: med(samples.map((s) => s.lanes[i]?.steadyPerSec)),
      firstRowSeconds: med(samples.map((s) => s.lanes[i]?.firstRowSeconds)),
      ratioToMinRaw: perSec / minRaw, ratioToPeer: peer === undefined ? undefined : perSec / peer,
      cpu: cpuOf(samples.map((s) => s.lanes[i]?.cpu), s0.changes),
    };
  });
  return {
    runs: samples.length,
    workload: { ...DEFAULT_WORKLOAD, changes: s0.changes, transactions: s0.txns, finalRows: s0.finalRows, binlogBytes: s0.binlogBytes },
    rawReadPerSec: rawRead, binlogDecodePerSec: m('binlogDecodePerSec'), binlogRawPerSec: m('binlogRawPerSec'), binlogVerbosePerSec: m('binlogVerbosePerSec'),
    rawWritePerSec: rawWrite, peerPerSec: peer, peerCpu: cpuOf(samples.map((s) => s.peerCpu), s0.changes),
    // The first lane count's figures under the earlier names; every lane count in `lanes`.
    opendiPerSec: lanes[0].opendiPerSec, ratioToMinRaw: lanes[0].ratioToMinRaw, ratioToPeer: lanes[0].ratioToPeer, opendiCpu: lanes[0].cpu,
    lanes,
  };
}

const directions: Record<string, ReturnType<typeof summarize>> = {};
if (want('pg-pg')) {
  const samples: ThroughputSample[] = [];
  for (let i = 0; i < runs; i++) {
    const r = await benchPgToPg(DEFAULT_WORKLOAD, BENCH_LANES, log);
    log(`PG->PG throughput run ${i + 1}/${runs}: ${JSON.stringify(r)}`);
    samples.push(r);
  }
  directions.pgToPg = summarize(samples);
}
for (const d of DIRECTIONS) {
  if (!want(d)) continue;
  const samples: DirectionResult[] = [];
  for (let i = 0; i < mysqlRuns; i++) {
    const r = await benchDirection(d, DEFAULT_WORKLOAD, { log });
    log(`${d} throughput run ${i + 1}/${mysqlRuns}: ${JSON.stringify(r)}`);
    samples.push(r);
  }
  directions[KEYS[d]] = summarize(samples);
}

const updatesDeletes: Record<string, ReturnType<typeof summarizeUd>> = {};
function summarizeUd(samples: UdResult[]) {
  const changes = samples[0].changes;
  const peer = med(samples.map((s) => s.peerPerSec))!;
  const lanes = samples[0].lanes.map((l0, i) => {
    const perSec = med(samples.map((s) => s.lanes[i]?.opendiPerSec))!;
    return { lanes: l0.lanes, opendiPerSec: perSec, ratioToPeer: perSec / peer, cpu: cpuOf(samples.map((s) => s.lanes[i]?.cpu), changes)! };
  });
  // The lane count with the best median under the earlier names (the target is checked on it); every lane count in `lanes`.
  const best = lanes.reduce((a, b) => (b.opendiPerSec > a.opendiPerSec ? b : a));
  return {
    runs: samples.length,
    workload: { ...UPDATE_DELETE_WORKLOAD, changes: samples[0].changes, transactions: samples[0].txns, finalRows: samples[0].finalRows },
    opendiPerSec: best.opendiPerSec, bestLanes: best.lanes, peerPerSec: peer, ratioToPeer: best.ratioToPeer,
    opendiCpu: best.cpu, peerCpu: cpuOf(samples.map((s) => s.peerCpu), changes)!,
    lanes,
  };
}
if (want('updates-deletes')) {
  for (const d of UD_DIRECTIONS) {
    const samples: UdResult[] = [];
    for (let i = 0; i < udRuns; i++) {
      const r = await benchUpdateDelete(d, UPDATE_DELETE_WORKLOAD, { log });
      log(`updates/deletes ${d} run ${i + 1}/${udRuns}: ${JSON.stringify(r)}`);
      samples.push(r);
    }
    updatesDeletes[UD_KEYS[d]] = summarizeUd(samples);
  }
}

let lifecycle;
if (want('lifecycle')) {
  log('lag, stop/start and memory');
  lifecycle = await benchLifecycle({ lagSeconds: Number(process.env.BENCH_LAG_SECONDS ?? 60), cycles: Number(process.env.BENCH_STOP_CYCLES ?? 20), bigRows: Number(process.env.BENCH_BIG_ROWS ?? 1_000_000) });
}
let manyTasks;
if (want('many-tasks')) {
  const tasks = Number(process.env.BENCH_MANY_TASKS ?? 100);
  log(`${tasks} tasks on one service`);
  const layout = process.env.BENCH_MANY_LAYOUT === 'tables' ? 'tables' : 'databases';
  manyTasks = await benchManyTasks({ tasks, ratePerTask: Number(process.env.BENCH_MANY_RATE ?? 100), seconds: Number(process.env.BENCH_MANY_SECONDS ?? 30), layout, log });
}
let catalog;
if (want('catalog')) {
  const tasks = Number(process.env.BENCH_CATALOG_TASKS ?? 10_000);
  log(`API with ${tasks} tasks in the catalog`);
  catalog = await benchCatalogApi({ tasks, concurrency: 16, calls: 100, log });
}
let api;
if (want('api')) {
  log('API load');
  api = await benchApi({ tasks: 100, seconds: 10, concurrency: 8 });
}
let monitoring;
if (want('monitoring')) {
  log('monitoring off vs on with two alarm rules');
  monitoring = await benchMonitoring(Number(process.env.BENCH_MONITORING_RUNS ?? runs), undefined, log);
}
let takeover;
if (want('takeover')) {
  log('cluster takeover after kill -9 and SIGSTOP');
  takeover = await benchTakeover({ killRounds: Number(process.env.BENCH_TAKEOVER_RUNS ?? 5), stopRounds: Number(process.env.BENCH_TAKEOVER_STOP_RUNS ?? 2) }, log);
}

const totalSeconds = (performance.now() - started) / 1000;
const result = {
  date: new Date().toISOString(),
  machine: { cpus: os.cpus().length, memGiB: Math.round(os.totalmem() / 2 ** 30) },
  totalSeconds,
  load: { run: { before: loadBefore, after: os.loadavg() } },
  settings: { changes: DEFAULT_WORKLOAD.inserts + DEFAULT_WORKLOAD.updates + DEFAULT_WORKLOAD.deletes, lanes: BENCH_LANES, runs, mysqlRuns, udRuns },
  ...(only ? { sections: only } : {}),
  targets: [] as ReturnType<typeof targetsOf>,
  ...directions,
  ...updatesDeletes,
  ...(lifecycle ? { lifecycle: { runs: 1, ...lifecycle } } : {}),
  ...(manyTasks ? { manyTasks: { runs: 1, ...manyTasks } } : {}),
  ...(catalog ? { catalog: { runs: 1, ...catalog } } : {}),
  ...(api ? { api: { runs: 1, ...api } } : {}),
  ...(monitoring ? { monitoring } : {}),
  ...(takeover ? { takeover } : {}),
};
result.targets = targetsOf(result);
fs.mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
const outFile = process.env.BENCH_OUT ?? (only ? 'partial.json' : 'latest.json');
fs.writeFileSync(new URL(`./results/${outFile}`, import.meta.url), JSON.stringify(result, null, 2) + '\n');

console.log(renderTable(result).join('\n'));
