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
import { benchPgToPg, DEFAULT_WORKLOAD, type PgBenchResult } from './pg-to-pg.ts';
import { benchDirection, DIRECTIONS, type Direction, type DirectionResult } from './mysql-directions.ts';
import { benchUpdateDelete, UD_DIRECTIONS, type UdDirection, type UdResult } from './update-delete.ts';
import { benchLifecycle } from './pg-lifecycle.ts';
import { benchApi } from './api-load.ts';
import { median, UPDATE_DELETE_WORKLOAD } from './common.ts';
import { benchMonitoring } from './monitoring-overhead.ts';

const SECTIONS = ['pg-pg', ...DIRECTIONS, 'updates-deletes', 'lifecycle', 'api', 'monitoring'] as const;
const only = process.env.BENCH_ONLY ? process.env.BENCH_ONLY.split(',').map((s) => s.trim()) : undefined;
for (const s of only ?? []) if (!(SECTIONS as readonly string[]).includes(s)) throw new Error(`BENCH_ONLY: unknown section ${s} (sections: ${SECTIONS.join(', ')})`);
const want = (s: (typeof SECTIONS)[number]) => !only || only.includes(s);

const runs = Number(process.env.BENCH_RUNS ?? 3);
const mysqlRuns = Number(process.env.BENCH_MYSQL_RUNS ?? runs);
const udRuns = Number(process.env.BENCH_UD_RUNS ?? runs);
const log = (msg: string) => console.error(`[bench] ${msg}`);
const started = performance.now();

let pgToPg;
if (want('pg-pg')) {
  const samples: PgBenchResult[] = [];
  for (let i = 0; i < runs; i++) {
    const r = await benchPgToPg(DEFAULT_WORKLOAD);
    log(`PG->PG throughput run ${i + 1}/${runs}: ${JSON.stringify(r)}`);
    samples.push(r);
  }
  const m = (k: keyof PgBenchResult) => median(samples.map((s) => s[k]));
  pgToPg = {
    runs,
    workload: { ...DEFAULT_WORKLOAD, changes: samples[0].changes, transactions: samples[0].txns },
    rawReadPerSec: m('rawReadPerSec'), rawWritePerSec: m('rawWritePerSec'), peerPerSec: m('peerPerSec'), opendiPerSec: m('opendiPerSec'),
    ratioToMinRaw: m('opendiPerSec') / Math.min(m('rawReadPerSec'), m('rawWritePerSec')),
    ratioToPeer: m('opendiPerSec') / m('peerPerSec'),
  };
}

const KEYS: Record<Direction, string> = { 'mysql-pg': 'mysqlToPg', 'pg-mysql': 'pgToMySql', 'mysql-mysql': 'mysqlToMySql' };
const directions: Record<string, ReturnType<typeof summarize>> = {};
function summarize(samples: DirectionResult[]) {
  const m = (k: keyof DirectionResult) => { const xs = samples.map((s) => s[k]).filter((x): x is number => typeof x === 'number'); return xs.length ? median(xs) : undefined; };
  const s0 = samples[0];
  const opendi = m('opendiPerSec')!;
  const rawRead = m('rawReadPerSec')!;
  const rawWrite = m('rawWritePerSec')!;
  const peer = m('peerPerSec');
  const cpu = (k: 'opendiCpu' | 'peerCpu') => {
    const xs = samples.map((s) => s[k]).filter((x) => x !== undefined);
    if (xs.length === 0) return undefined;
    const mm = (f: keyof NonNullable<DirectionResult['opendiCpu']>) => { const v = xs.map((x) => x[f]).filter((y): y is number => typeof y === 'number'); return v.length ? median(v) : undefined; };
    return { wallSeconds: mm('wallSeconds')!, serviceCpuSeconds: mm('serviceCpuSeconds'), sourceDbCpuSeconds: mm('sourceDbCpuSeconds')!, targetDbCpuSeconds: mm('targetDbCpuSeconds')! };
  };
  return {
    runs: samples.length,
    workload: { ...DEFAULT_WORKLOAD, changes: s0.changes, transactions: s0.txns, finalRows: s0.finalRows, binlogBytes: s0.binlogBytes },
    rawReadPerSec: rawRead, binlogDecodePerSec: m('binlogDecodePerSec'), binlogRawPerSec: m('binlogRawPerSec'), binlogVerbosePerSec: m('binlogVerbosePerSec'),
    rawWritePerSec: rawWrite, opendiPerSec: opendi, peerPerSec: peer,
    ratioToMinRaw: opendi / Math.min(rawRead, rawWrite),
    ratioToPeer: peer === undefined ? undefined : opendi / peer,
    opendiCpu: cpu('opendiCpu'), peerCpu: cpu('peerCpu'),
  };
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

const totalSeconds = (performance.now() - started) / 1000;
const result = {
  date: new Date().toISOString(),
  machine: { cpus: os.cpus().length, memGiB: Math.round(os.totalmem() / 2 ** 30) },
  totalSeconds,
  ...(only ? { sections: only } : {}),
  ...(pgToPg ? { pgToPg } : {}),
  ...directions,
  ...updatesDeletes,
  ...(lifecycle ? { lifecycle: { runs: 1, ...lifecycle } } : {}),
  ...(api ? { api: { runs: 1, ...api } } : {}),
  ...(monitoring ? { monitoring } : {}),
};
fs.mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
fs.writeFileSync(new URL(only ? './results/partial.json' : './results/latest.json', import.meta.url), JSON.stringify(result, null, 2) + '\n');

const f = (n: number) => Math.round(n).toLocaleString('en-US');
const ms = (n: number) => `${Math.round(n)} ms`;
const lines = [`| figure | value | runs |`, `|---|---|---|`];
if (pgToPg) {
  const p = pgToPg;
  lines.push(
    `| PG->PG workload | ${f(p.workload.changes)} changes in ${p.workload.transactions} transactions | |`,
    `| (a) raw read, pg_recvlogical | ${f(p.rawReadPerSec)} changes/s | median of ${runs} |`,
    `| (b) raw write, COPY + upsert of the final rows | ${f(p.rawWritePerSec)} rows/s | median of ${runs} |`,
    `| (c) peer, CREATE SUBSCRIPTION | ${f(p.peerPerSec)} changes/s | median of ${runs} |`,
    `| OpenDI end to end | ${f(p.opendiPerSec)} changes/s | median of ${runs} |`,
    `| OpenDI / min(a, b) | ${p.ratioToMinRaw.toFixed(2)} | |`,
    `| OpenDI / peer | ${p.ratioToPeer.toFixed(2)} | |`,
  );
}
const LABELS: Record<Direction, string> = { 'mysql-pg': 'MySQL->PG', 'pg-mysql': 'PG->MySQL', 'mysql-mysql': 'MySQL->MySQL' };
for (const d of DIRECTIONS) {
  const p = directions[KEYS[d]];
  if (!p) continue;
  const L = LABELS[d];
  const n = `median of ${p.runs}`;
  const binlog = p.workload.binlogBytes ? `, binlog ${(p.workload.binlogBytes / 2 ** 20).toFixed(1)} MiB` : '';
  lines.push(`| ${L} workload | ${f(p.workload.changes)} changes in ${p.workload.transactions} transactions${binlog}; ${f(p.workload.finalRows)} final rows | |`);
  if (p.binlogDecodePerSec !== undefined) {
    lines.push(`| ${L} (a) raw read, mariadb-binlog from the server: to /dev/null ${f(p.binlogDecodePerSec)}, --raw ${f(p.binlogRawPerSec!)} (the faster) | ${f(p.rawReadPerSec)} changes/s | ${n} |`);
    lines.push(`| ${L} (for context) mariadb-binlog --verbose, rows decoded | ${f(p.binlogVerbosePerSec!)} changes/s | ${n} |`);
  } else {
    lines.push(`| ${L} (a) raw read, pg_recvlogical | ${f(p.rawReadPerSec)} changes/s | ${n} |`);
  }
  const sink = d === 'mysql-pg' ? 'COPY + upsert' : 'LOAD DATA LOCAL INFILE .. REPLACE';
  lines.push(`| ${L} (b) raw write, ${sink} of the final rows | ${f(p.rawWritePerSec)} rows/s | ${n} |`);
  if (p.peerPerSec !== undefined) lines.push(`| ${L} (c) peer, MariaDB replication (START SLAVE -> caught up) | ${f(p.peerPerSec)} changes/s | ${n} |`);
  lines.push(`| ${L} OpenDI end to end | ${f(p.opendiPerSec)} changes/s | ${n} |`);
  const c = p.opendiCpu;
  const s1 = (x: number | undefined) => (x ?? 0).toFixed(1);
  if (c) lines.push(`| ${L} OpenDI run, CPU seconds: service / source server / target server, in wall seconds | ${s1(c.serviceCpuSeconds)} / ${s1(c.sourceDbCpuSeconds)} / ${s1(c.targetDbCpuSeconds)} in ${s1(c.wallSeconds)} | ${n} |`);
  if (p.peerCpu) lines.push(`| ${L} peer run, CPU seconds: source server / replica, in wall seconds | ${s1(p.peerCpu.sourceDbCpuSeconds)} / ${s1(p.peerCpu.targetDbCpuSeconds)} in ${s1(p.peerCpu.wallSeconds)} | ${n} |`);
  lines.push(`| ${L} OpenDI / min(a, b) | ${p.ratioToMinRaw.toFixed(2)} | |`);
  if (p.ratioToPeer !== undefined) lines.push(`| ${L} OpenDI / peer | ${p.ratioToPeer.toFixed(2)} | |`);
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
if (api) lines.push(`| GetDISyncInstanceInfo, V3, ${api.concurrency} clients, ${api.tasks} tasks | ${f(api.rps)} req/s, p99 ${api.p99Ms.toFixed(1)} ms | 1 |`);
if (lifecycle) {
  lines.push(
    `| service RSS streaming steadily (10k/s) | ${f(lifecycle.lag.find((l) => l.targetRate === 10000)!.steadyRssMiB)} MiB | 1 |`,
    `| service peak RSS, ${f(lifecycle.bigTransaction.rows)}-row transaction | ${f(lifecycle.bigTransaction.peakRssMiB)} MiB (${f(lifecycle.bigTransaction.rowsPerSec)} rows/s) | 1 |`,
  );
}
lines.push(`| whole \`npm run bench\`${only ? ` (${only.join(', ')} only)` : ''} | ${f(totalSeconds)} s | 1 |`);
console.log(lines.join('\n'));
