/**
 * `npm run bench`: runs each benchmark N times (BENCH_RUNS, default 3) on private database
 * instances, reports medians as a markdown table and writes bench/results/latest.json.
 * Figures are ratios against baselines measured in the same run, never absolute claims.
 */
import fs from 'node:fs';
import os from 'node:os';
import { benchPgToPg, DEFAULT_WORKLOAD, type PgBenchResult } from './pg-to-pg.ts';

const runs = Number(process.env.BENCH_RUNS ?? 3);
const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };

const samples: PgBenchResult[] = [];
for (let i = 0; i < runs; i++) {
  const r = await benchPgToPg(DEFAULT_WORKLOAD);
  console.error(`run ${i + 1}/${runs}: ${JSON.stringify(r)}`);
  samples.push(r);
}
const m = (k: keyof PgBenchResult) => median(samples.map((s) => s[k]));
const result = {
  date: new Date().toISOString(),
  machine: { cpus: os.cpus().length, memGiB: Math.round(os.totalmem() / 2 ** 30) },
  runs,
  pgToPg: {
    workload: { ...DEFAULT_WORKLOAD, changes: samples[0].changes, transactions: samples[0].txns },
    rawReadPerSec: m('rawReadPerSec'), rawWritePerSec: m('rawWritePerSec'), peerPerSec: m('peerPerSec'), opendiPerSec: m('opendiPerSec'),
    ratioToMinRaw: m('opendiPerSec') / Math.min(m('rawReadPerSec'), m('rawWritePerSec')),
    ratioToPeer: m('opendiPerSec') / m('peerPerSec'),
  },
};
fs.mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
fs.writeFileSync(new URL('./results/latest.json', import.meta.url), JSON.stringify(result, null, 2) + '\n');
const p = result.pgToPg;
const f = (n: number) => Math.round(n).toLocaleString('en-US');
console.log(`| PG -> PG (${f(p.workload.changes)} changes, ${p.workload.transactions} txns; median of ${runs}) | changes/s |
|---|---|
| (a) raw read, pg_recvlogical | ${f(p.rawReadPerSec)} |
| (b) raw write, COPY + upsert (final rows/s) | ${f(p.rawWritePerSec)} |
| (c) peer, CREATE SUBSCRIPTION | ${f(p.peerPerSec)} |
| OpenDI end to end | ${f(p.opendiPerSec)} |
| OpenDI / min(a, b) | ${p.ratioToMinRaw.toFixed(2)} |
| OpenDI / peer | ${p.ratioToPeer.toFixed(2)} |`);
