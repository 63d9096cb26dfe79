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
 * BENCH_ONLY=pg-pg,mysql-pg,pg-mysql,mysql-mysql,updates-deletes,lifecycle,api,monitoring runs only the
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

const SECTIONS = ['pg-pg', ...DIRECTIONS, 'updates-deletes', 'lifecycle', 'many-tasks', 'catalog', 'api', 'monitoring'] as const;
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
/** Medians over the runs of one direction, per lane count; CPU per change in microseconds. */
function summarize(samples: ThroughputSample[]) {
  const med = (xs: (number | undefined)[]) => { const v = xs.filter((x): x is number => typeof x === 'number'); return v.length ? median(v) : undefined; };
  const m = (k: keyof ThroughputSample) => med(samples.map((s) => s[k] as number | undefined));
  const cpuOf = (xs: (CpuUse | undefined)[], changes: number) => {
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
  };
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

const KEYS: Record<'pg-pg' | Direction, string> = { 'pg-pg': 'pgToPg', 'mysql-pg': 'mysqlToPg', 'pg-mysql': 'pgToMySql', 'mysql-mysql': 'mysqlToMySql' };
const LABELS: Record<'pg-pg' | Direction, string> = { 'pg-pg': 'PG->PG', 'mysql-pg': 'MySQL->PG', 'pg-mysql': 'PG->MySQL', 'mysql-mysql': 'MySQL->MySQL' };
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

const UD_KEYS: Record<UdDirection, string> = { 'pg-pg': 'pgToPgUpdatesDeletes', 'mysql-mysql': 'mysqlToMySqlUpdatesDeletes' };
const updatesDeletes: Record<string, ReturnType<typeof summarizeUd>> = {};
function summarizeUd(samples: UdResult[]) {
  const m = (f: (s: UdResult) => number | undefined) => { const xs = samples.map(f).filter((x): x is number => typeof x === 'number'); return xs.length ? median(xs) : undefined; };
  const cpu = (k: 'opendiCpu' | 'peerCpu') => ({
    wallSeconds: m((s) => s[k].wallSeconds)!, serviceCpuSeconds: m((s) => s[k].serviceCpuSeconds),
    sourceDbCpuSeconds: m((s) => s[k].sourceDbCpuSeconds)!, targetDbCpuSeconds: m((s) => s[k].targetDbCpuSeconds)!,
  });
  const opendi = m((s) => s.opendiPerSec)!;
  const peer = m((s) => s.peerPerSec)!;
  return {
    runs: samples.length,
    workload: { ...UPDATE_DELETE_WORKLOAD, changes: samples[0].changes, transactions: samples[0].txns, finalRows: samples[0].finalRows },
    opendiPerSec: opendi, peerPerSec: peer, ratioToPeer: opendi / peer,
    opendiCpu: cpu('opendiCpu'), peerCpu: cpu('peerCpu'),
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
  manyTasks = await benchManyTasks({ tasks, ratePerTask: Number(process.env.BENCH_MANY_RATE ?? 100), seconds: Number(process.env.BENCH_MANY_SECONDS ?? 30), log });
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

/** The targets of issue 14, checked on the figures above (only those whose section ran). */
const targets: { target: string; value: string; met: boolean }[] = [];
for (const d of ['pg-pg', ...DIRECTIONS] as const) {
  const p = directions[KEYS[d]];
  if (!p) continue;
  const best = p.lanes.reduce((a, b) => (b.ratioToMinRaw > a.ratioToMinRaw ? b : a));
  targets.push({ target: `${LABELS[d]} OpenDI >= 0.85 of min(raw read, raw write)`, value: `${best.ratioToMinRaw.toFixed(2)} (${best.lanes} lane${best.lanes > 1 ? 's' : ''}, the best)`, met: best.ratioToMinRaw >= 0.85 });
}
for (const [k, L, want] of [['pgToPgUpdatesDeletes', 'PG->PG', 1.0], ['mysqlToMySqlUpdatesDeletes', 'MySQL->MySQL', 0.6]] as const) {
  const p = updatesDeletes[k];
  if (p) targets.push({ target: `${L} updates+deletes OpenDI >= ${want.toFixed(1)}x the peer`, value: p.ratioToPeer.toFixed(2), met: p.ratioToPeer >= want });
}
if (lifecycle) {
  for (const l of lifecycle.lag.filter((x) => x.targetRate >= 2000)) {
    targets.push({ target: `lag at ${l.targetRate.toLocaleString('en-US')}/s p50 < 50 ms and p99 < 200 ms`, value: `${Math.round(l.p50Ms)} / ${Math.round(l.p99Ms)} ms`, met: l.p50Ms < 50 && l.p99Ms < 200 });
  }
  targets.push({ target: 'Stop p99 < 2 s', value: `${Math.round(lifecycle.stopStart.stopP99Ms)} ms`, met: lifecycle.stopStart.stopP99Ms < 2000 });
  const big = lifecycle.bigTransaction;
  targets.push({ target: `RSS < 300 MB through a 1,000,000-row transaction${big.rows < 1_000_000 ? ` (measured at ${big.rows.toLocaleString('en-US')} rows)` : ''}`, value: `${Math.round(big.peakRssMiB * 1.048576)} MB`, met: big.peakRssMiB * 1.048576 < 300 && big.rows >= 1_000_000 });
}

const totalSeconds = (performance.now() - started) / 1000;
const result = {
  date: new Date().toISOString(),
  machine: { cpus: os.cpus().length, memGiB: Math.round(os.totalmem() / 2 ** 30) },
  totalSeconds,
  load: { before: loadBefore, after: os.loadavg() },
  settings: { changes: DEFAULT_WORKLOAD.inserts + DEFAULT_WORKLOAD.updates + DEFAULT_WORKLOAD.deletes, lanes: BENCH_LANES, runs, mysqlRuns, udRuns },
  ...(only ? { sections: only } : {}),
  targets,
  ...directions,
  ...updatesDeletes,
  ...(lifecycle ? { lifecycle: { runs: 1, ...lifecycle } } : {}),
  ...(manyTasks ? { manyTasks: { runs: 1, ...manyTasks } } : {}),
  ...(catalog ? { catalog: { runs: 1, ...catalog } } : {}),
  ...(api ? { api: { runs: 1, ...api } } : {}),
  ...(monitoring ? { monitoring } : {}),
};
fs.mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
const outFile = process.env.BENCH_OUT ?? (only ? 'partial.json' : 'latest.json');
fs.writeFileSync(new URL(`./results/${outFile}`, import.meta.url), JSON.stringify(result, null, 2) + '\n');

const f = (n: number) => Math.round(n).toLocaleString('en-US');
const ms = (n: number) => `${Math.round(n)} ms`;
const lines = [`| figure | value | runs |`, `|---|---|---|`];
const s1 = (x: number | undefined) => (x ?? 0).toFixed(1);
const us = (x: number | undefined) => (x === undefined ? '-' : x.toFixed(2));
for (const d of ['pg-pg', ...DIRECTIONS] as const) {
  const p = directions[KEYS[d]];
  if (!p) continue;
  const L = LABELS[d];
  const n = `median of ${p.runs}`;
  const binlog = p.workload.binlogBytes ? `, binlog ${(p.workload.binlogBytes / 2 ** 20).toFixed(1)} MiB` : '';
  const rows = p.workload.finalRows !== undefined ? `; ${f(p.workload.finalRows)} final rows` : '';
  lines.push(`| ${L} workload | ${f(p.workload.changes)} changes in ${p.workload.transactions} transactions${binlog}${rows} | |`);
  if (p.binlogDecodePerSec !== undefined) {
    lines.push(`| ${L} (a) raw read, mariadb-binlog from the server: to /dev/null ${f(p.binlogDecodePerSec)}, --raw ${f(p.binlogRawPerSec!)} (the faster) | ${f(p.rawReadPerSec)} changes/s | ${n} |`);
    lines.push(`| ${L} (for context) mariadb-binlog --verbose, rows decoded | ${f(p.binlogVerbosePerSec!)} changes/s | ${n} |`);
  } else {
    lines.push(`| ${L} (a) raw read, pg_recvlogical | ${f(p.rawReadPerSec)} changes/s | ${n} |`);
  }
  const sink = d === 'mysql-pg' || d === 'pg-pg' ? 'COPY + upsert' : 'LOAD DATA LOCAL INFILE .. REPLACE';
  lines.push(`| ${L} (b) raw write, ${sink} of the final rows | ${f(p.rawWritePerSec)} rows/s | ${n} |`);
  if (p.peerPerSec !== undefined) {
    const peer = d === 'pg-pg' ? 'CREATE SUBSCRIPTION (enable -> caught up)' : 'MariaDB replication (START SLAVE -> caught up)';
    const pc = p.peerCpu;
    lines.push(`| ${L} (c) peer, ${peer} | ${f(p.peerPerSec)} changes/s${pc ? `; CPU s source / target ${s1(pc.sourceDbCpuSeconds)} / ${s1(pc.targetDbCpuSeconds)} in ${s1(pc.wallSeconds)} s = ${us(pc.usPerChange.source)} / ${us(pc.usPerChange.target)} µs per change` : ''} | ${n} |`);
  }
  for (const l of p.lanes) {
    const c = l.cpu;
    const peer = l.ratioToPeer !== undefined ? `, ${l.ratioToPeer.toFixed(2)} of the peer` : '';
    lines.push(`| ${L} OpenDI, ${l.lanes} lane${l.lanes > 1 ? 's' : ''}: Start -> target equal; steady state (engine counter, 10%..90%); Start -> first row | ${f(l.opendiPerSec)} changes/s (${l.ratioToMinRaw.toFixed(2)} of min(a, b)${peer}); ${l.steadyPerSec === undefined ? '-' : f(l.steadyPerSec)} changes/s; ${s1(l.firstRowSeconds)} s | ${n} |`);
    if (c) lines.push(`| ${L} OpenDI, ${l.lanes} lane${l.lanes > 1 ? 's' : ''}: CPU s service / source server / target server in wall s; µs per change | ${s1(c.serviceCpuSeconds)} / ${s1(c.sourceDbCpuSeconds)} / ${s1(c.targetDbCpuSeconds)} in ${s1(c.wallSeconds)}; ${us(c.usPerChange.service)} / ${us(c.usPerChange.source)} / ${us(c.usPerChange.target)} | ${n} |`);
  }
}
const UD_LABELS: Record<UdDirection, [string, string]> = {
  'pg-pg': ['PG->PG', 'CREATE SUBSCRIPTION (enable -> caught up)'], 'mysql-mysql': ['MySQL->MySQL', 'MariaDB replication (START SLAVE -> caught up)'],
};
for (const d of UD_DIRECTIONS) {
  const p = updatesDeletes[UD_KEYS[d]];
  if (!p) continue;
  const [L, peer] = UD_LABELS[d];
  const n = `median of ${p.runs}`;
  const s1 = (x: number | undefined) => (x ?? 0).toFixed(1);
  lines.push(
    `| ${L} updates+deletes workload | ${f(p.workload.changes)} changes (${f(p.workload.updates)} updates, ${f(p.workload.deletes)} deletes) in ${p.workload.transactions} transactions over ${f(p.workload.preload ?? 0)} preloaded rows | |`,
    `| ${L} updates+deletes, peer, ${peer} | ${f(p.peerPerSec)} changes/s | ${n} |`,
    `| ${L} updates+deletes, OpenDI end to end | ${f(p.opendiPerSec)} changes/s | ${n} |`,
    `| ${L} updates+deletes, OpenDI / peer | ${p.ratioToPeer.toFixed(2)} | |`,
    `| ${L} updates+deletes, CPU seconds (service) / source server / target server, in wall seconds: OpenDI; peer | ${s1(p.opendiCpu.serviceCpuSeconds)} / ${s1(p.opendiCpu.sourceDbCpuSeconds)} / ${s1(p.opendiCpu.targetDbCpuSeconds)} in ${s1(p.opendiCpu.wallSeconds)}; - / ${s1(p.peerCpu.sourceDbCpuSeconds)} / ${s1(p.peerCpu.targetDbCpuSeconds)} in ${s1(p.peerCpu.wallSeconds)} | ${n} |`,
  );
}
if (lifecycle) {
  lines.push(
    ...lifecycle.lag.map((l) => `| lag at ${f(l.targetRate)}/s (achieved ${f(l.achievedRate)}/s) p50 / p99 / max | ${ms(l.p50Ms)} / ${ms(l.p99Ms)} / ${ms(l.maxMs)} | 1 |`),
    `| Stop -> PAUSE under a writer, p50 / p99 (${lifecycle.stopStart.cycles} cycles) | ${ms(lifecycle.stopStart.stopP50Ms)} / ${ms(lifecycle.stopStart.stopP99Ms)} | 1 |`,
    `| Start -> first row applied, p50 / p99 | ${ms(lifecycle.stopStart.startToFirstRowP50Ms)} / ${ms(lifecycle.stopStart.startToFirstRowP99Ms)} | 1 |`,
  );
}
if (monitoring) {
  const m = monitoring;
  lines.push(
    `| PG->PG ${f(m.changes)} changes, monitoring off / on with two alarm rules | ${f(m.offPerSec)} / ${f(m.onPerSec)} changes/s, cost ${(m.cost * 100).toFixed(1)}% | median of ${m.runs} each |`,
    `| metric history per task per day: raw (5 s) / downsampled (1 min) | ${(m.rawBytesPerTaskDay / 1024).toFixed(0)} KiB / ${(m.downsampledBytesPerTaskDay / 1024).toFixed(0)} KiB | |`,
  );
}
if (manyTasks) {
  const m = manyTasks;
  const L = `${m.tasks} tasks at ${f(m.ratePerTask)} changes/s each (achieved ${f(m.achievedRate)}/s in all, ${Math.round(m.seconds)} s)`;
  lines.push(
    `| ${L}: service RSS with no task / all idle / peak under load; per task idle / under load | ${f(m.rssMiB.noTasks)} / ${f(m.rssMiB.idle)} / ${f(m.rssMiB.loadPeak)} MiB; ${m.rssMiB.perTaskIdle.toFixed(2)} / ${m.rssMiB.perTaskLoad.toFixed(2)} MiB | 1 |`,
    `| ${L}: service CPU per task idle / under load (% of one core); µs per change | ${m.serviceCpu.idlePerTaskPercent.toFixed(3)} / ${m.serviceCpu.loadPerTaskPercent.toFixed(3)} %; ${m.serviceCpu.usPerChange.toFixed(1)} µs | 1 |`,
    `| ${L}: connections per task, source (walsenders + clients) / target | ${m.connections.perTaskSource.toFixed(2)} (${m.connections.source.walsenders} + ${m.connections.source.clients}) / ${m.connections.perTaskTarget.toFixed(2)} (${m.connections.target.walsenders} + ${m.connections.target.clients}) | 1 |`,
    `| ${L}: CPU s of the source / target server under load | ${s1(m.serverCpuSeconds.source)} / ${s1(m.serverCpuSeconds.target)} | 1 |`,
    `| ${L}: lag p50 / p99 / max over ${f(m.lag.rows)} rows | ${ms(m.lag.p50Ms)} / ${ms(m.lag.p99Ms)} / ${ms(m.lag.maxMs)} | 1 |`,
  );
}
if (catalog) {
  lines.push(`| ${f(catalog.tasks)} tasks in the catalog: CreateDISyncTask, 16 at a time | ${f(catalog.createPerSec)} tasks/s | 1 |`);
  for (const c of catalog.calls) lines.push(`| ${f(catalog.tasks)} tasks in the catalog: ${c.call}, p50 / p99 of ${catalog.callsEach} calls in a row | ${c.p50Ms.toFixed(1)} / ${c.p99Ms.toFixed(1)} ms | 1 |`);
}
if (api) lines.push(`| GetDISyncInstanceInfo, V3, ${api.concurrency} clients, ${api.tasks} tasks | ${f(api.rps)} req/s, p99 ${api.p99Ms.toFixed(1)} ms | 1 |`);
if (lifecycle) {
  lines.push(
    `| service RSS streaming steadily (10k/s) | ${f(lifecycle.lag.find((l) => l.targetRate === 10000)!.steadyRssMiB)} MiB | 1 |`,
    `| service peak RSS, ${f(lifecycle.bigTransaction.rows)}-row transaction | ${f(lifecycle.bigTransaction.peakRssMiB)} MiB (${f(lifecycle.bigTransaction.rowsPerSec)} rows/s) | 1 |`,
  );
}
if (targets.length) {
  lines.push(`| **targets (issue 14)** | | |`);
  for (const t of targets) lines.push(`| ${t.target} | ${t.value}: **${t.met ? 'met' : 'missed'}** | |`);
}
lines.push(`| load average (1 min) at start / end | ${loadBefore[0].toFixed(2)} / ${os.loadavg()[0].toFixed(2)} on ${os.cpus().length} cores | |`);
lines.push(`| whole \`npm run bench\`${only ? ` (${only.join(', ')} only)` : ''} | ${f(totalSeconds)} s | 1 |`);
console.log(lines.join('\n'));
