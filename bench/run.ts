/**
 * `npm run bench`: throughput PG -> PG (median of BENCH_RUNS, default 3, each against baselines
 * measured in the same run), lag at fixed rates, stop/start cycles, API load and service memory.
 * Prints a markdown table and writes bench/results/latest.json. Figures are ratios or
 * distributions measured here, never asserted anywhere.
 */
import fs from 'node:fs';
import os from 'node:os';
import { benchPgToPg, DEFAULT_WORKLOAD, type PgBenchResult } from './pg-to-pg.ts';
import { benchLifecycle } from './pg-lifecycle.ts';
import { benchApi } from './api-load.ts';

const runs = Number(process.env.BENCH_RUNS ?? 3);
const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const log = (msg: string) => console.error(`[bench] ${msg}`);

const samples: PgBenchResult[] = [];
for (let i = 0; i < runs; i++) {
  const r = await benchPgToPg(DEFAULT_WORKLOAD);
  log(`throughput run ${i + 1}/${runs}: ${JSON.stringify(r)}`);
  samples.push(r);
}
const m = (k: keyof PgBenchResult) => median(samples.map((s) => s[k]));
log('lag, stop/start and memory');
const lifecycle = await benchLifecycle({ lagSeconds: Number(process.env.BENCH_LAG_SECONDS ?? 60), cycles: 20, bigRows: 1_000_000 });
log('API load');
const api = await benchApi({ tasks: 100, seconds: 10, concurrency: 8 });

const result = {
  date: new Date().toISOString(),
  machine: { cpus: os.cpus().length, memGiB: Math.round(os.totalmem() / 2 ** 30) },
  pgToPg: {
    runs,
    workload: { ...DEFAULT_WORKLOAD, changes: samples[0].changes, transactions: samples[0].txns },
    rawReadPerSec: m('rawReadPerSec'), rawWritePerSec: m('rawWritePerSec'), peerPerSec: m('peerPerSec'), opendiPerSec: m('opendiPerSec'),
    ratioToMinRaw: m('opendiPerSec') / Math.min(m('rawReadPerSec'), m('rawWritePerSec')),
    ratioToPeer: m('opendiPerSec') / m('peerPerSec'),
  },
  lifecycle: { runs: 1, ...lifecycle },
  api: { runs: 1, ...api },
};
fs.mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
fs.writeFileSync(new URL('./results/latest.json', import.meta.url), JSON.stringify(result, null, 2) + '\n');

const p = result.pgToPg;
const f = (n: number) => Math.round(n).toLocaleString('en-US');
const ms = (n: number) => `${Math.round(n)} ms`;
const lines = [
  `| figure | value | runs |`, `|---|---|---|`,
  `| PG->PG workload | ${f(p.workload.changes)} changes in ${p.workload.transactions} transactions | |`,
  `| (a) raw read, pg_recvlogical | ${f(p.rawReadPerSec)} changes/s | median of ${runs} |`,
  `| (b) raw write, COPY + upsert of the final rows | ${f(p.rawWritePerSec)} rows/s | median of ${runs} |`,
  `| (c) peer, CREATE SUBSCRIPTION | ${f(p.peerPerSec)} changes/s | median of ${runs} |`,
  `| OpenDI end to end | ${f(p.opendiPerSec)} changes/s | median of ${runs} |`,
  `| OpenDI / min(a, b) | ${p.ratioToMinRaw.toFixed(2)} | |`,
  `| OpenDI / peer | ${p.ratioToPeer.toFixed(2)} | |`,
  ...lifecycle.lag.map((l) => `| lag at ${f(l.targetRate)}/s (achieved ${f(l.achievedRate)}/s) p50 / p99 / max | ${ms(l.p50Ms)} / ${ms(l.p99Ms)} / ${ms(l.maxMs)} | 1 |`),
  `| Stop -> PAUSE under a writer, p50 / p99 (${lifecycle.stopStart.cycles} cycles) | ${ms(lifecycle.stopStart.stopP50Ms)} / ${ms(lifecycle.stopStart.stopP99Ms)} | 1 |`,
  `| Start -> first row applied, p50 / p99 | ${ms(lifecycle.stopStart.startToFirstRowP50Ms)} / ${ms(lifecycle.stopStart.startToFirstRowP99Ms)} | 1 |`,
  `| GetDISyncInstanceInfo, V3, ${api.concurrency} clients, ${api.tasks} tasks | ${f(api.rps)} req/s, p99 ${api.p99Ms.toFixed(1)} ms | 1 |`,
  `| service RSS streaming steadily (10k/s) | ${f(lifecycle.lag[1].steadyRssMiB)} MiB | 1 |`,
  `| service peak RSS, ${f(lifecycle.bigTransaction.rows)}-row transaction | ${f(lifecycle.bigTransaction.peakRssMiB)} MiB (${f(lifecycle.bigTransaction.rowsPerSec)} rows/s) | 1 |`,
];
console.log(lines.join('\n'));
