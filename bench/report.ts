/**
 * The bench's report: the issue-14 targets checked on a result (`targetsOf`) and the printed
 * markdown table (`renderTable`), both from the JSON that run.ts writes, so that results of
 * sections run at different times (merge-results.ts) print and check the same way.
 */
import { DIRECTIONS, type Direction } from './mysql-directions.ts';
import { UD_DIRECTIONS, type UdDirection } from './update-delete.ts';

/** bench/results/*.json as run.ts writes it (sections present only when they ran). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type BenchResult = Record<string, any>;
export interface Target { target: string; value: string; met: boolean }

export const KEYS: Record<'pg-pg' | Direction, string> = { 'pg-pg': 'pgToPg', 'mysql-pg': 'mysqlToPg', 'pg-mysql': 'pgToMySql', 'mysql-mysql': 'mysqlToMySql' };
export const LABELS: Record<'pg-pg' | Direction, string> = { 'pg-pg': 'PG->PG', 'mysql-pg': 'MySQL->PG', 'pg-mysql': 'PG->MySQL', 'mysql-mysql': 'MySQL->MySQL' };
export const UD_KEYS: Record<UdDirection, string> = { 'pg-pg': 'pgToPgUpdatesDeletes', 'mysql-mysql': 'mysqlToMySqlUpdatesDeletes' };

/** The targets of issue 14, checked on a result's figures (only those whose section ran). */
export function targetsOf(r: BenchResult): Target[] {
  const targets: Target[] = [];
  const { lifecycle } = r;
for (const d of ['pg-pg', ...DIRECTIONS] as const) {
  const p = r[KEYS[d]];
  if (!p) continue;
  const best = p.lanes.reduce((a: any, b: any) => (b.ratioToMinRaw > a.ratioToMinRaw ? b : a));
  targets.push({ target: `${LABELS[d]} OpenDI >= 0.85 of min(raw read, raw write)`, value: `${best.ratioToMinRaw.toFixed(2)} (${best.lanes} lane${best.lanes > 1 ? 's' : ''}, the best)`, met: best.ratioToMinRaw >= 0.85 });
}
for (const [k, L, want] of [['pgToPgUpdatesDeletes', 'PG->PG', 1.0], ['mysqlToMySqlUpdatesDeletes', 'MySQL->MySQL', 0.6]] as const) {
  const p = r[k];
  if (p) targets.push({ target: `${L} updates+deletes OpenDI >= ${want.toFixed(1)}x the peer`, value: `${p.ratioToPeer.toFixed(2)}${p.bestLanes ? ` (${p.bestLanes} lane${p.bestLanes > 1 ? 's' : ''}, the best)` : ''}`, met: p.ratioToPeer >= want });
}
if (lifecycle) {
  for (const l of lifecycle.lag.filter((x: any) => x.targetRate >= 2000)) {
    targets.push({ target: `lag at ${l.targetRate.toLocaleString('en-US')}/s p50 < 50 ms and p99 < 200 ms`, value: `${Math.round(l.p50Ms)} / ${Math.round(l.p99Ms)} ms`, met: l.p50Ms < 50 && l.p99Ms < 200 });
  }
  targets.push({ target: 'Stop p99 < 2 s', value: `${Math.round(lifecycle.stopStart.stopP99Ms)} ms`, met: lifecycle.stopStart.stopP99Ms < 2000 });
  const big = lifecycle.bigTransaction;
  targets.push({ target: `RSS < 300 MB through a 1,000,000-row transaction${big.rows < 1_000_000 ? ` (measured at ${big.rows.toLocaleString('en-US')} rows)` : ''}`, value: `${Math.round(big.peakRssMiB * 1.048576)} MB`, met: big.peakRssMiB * 1.048576 < 300 && big.rows >= 1_000_000 });
}
  return targets;
}

/** The markdown table of a result (run.ts prints it; merge-results.ts prints the merged one). */
export function renderTable(r: BenchResult): string[] {
  const f = (n: number) => Math.round(n).toLocaleString('en-US');
const ms = (n: number) => `${Math.round(n)} ms`;
const lines = [`| figure | value | runs |`, `|---|---|---|`];
  const { lifecycle, manyTasks, catalog, api, monitoring, targets } = r;
const s1 = (x: number | undefined) => (x ?? 0).toFixed(1);
const us = (x: number | undefined) => (x === undefined ? '-' : x.toFixed(2));
for (const d of ['pg-pg', ...DIRECTIONS] as const) {
  const p = r[KEYS[d]];
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
  const p = r[UD_KEYS[d]];
  if (!p) continue;
  const [L, peer] = UD_LABELS[d];
  const n = `median of ${p.runs}`;
  const s1 = (x: number | undefined) => (x ?? 0).toFixed(1);
  const perChange = (x: number | undefined) => us(x === undefined ? undefined : (x / p.workload.changes) * 1e6);
  const cpu = (c: any) => `${s1(c.serviceCpuSeconds)} / ${s1(c.sourceDbCpuSeconds)} / ${s1(c.targetDbCpuSeconds)} in ${s1(c.wallSeconds)}; ${perChange(c.serviceCpuSeconds)} / ${perChange(c.sourceDbCpuSeconds)} / ${perChange(c.targetDbCpuSeconds)}`;
  // Results written before the lane counts ran side by side hold one (1-lane) run.
  const lanes = p.lanes ?? [{ lanes: 1, opendiPerSec: p.opendiPerSec, ratioToPeer: p.ratioToPeer, cpu: p.opendiCpu }];
  lines.push(
    `| ${L} updates+deletes workload | ${f(p.workload.changes)} changes (${f(p.workload.updates)} updates, ${f(p.workload.deletes)} deletes) in ${p.workload.transactions} transactions over ${f(p.workload.preload ?? 0)} preloaded rows | |`,
    `| ${L} updates+deletes, peer, ${peer}; CPU s source / target server in wall s; µs per change | ${f(p.peerPerSec)} changes/s; ${s1(p.peerCpu.sourceDbCpuSeconds)} / ${s1(p.peerCpu.targetDbCpuSeconds)} in ${s1(p.peerCpu.wallSeconds)}; ${perChange(p.peerCpu.sourceDbCpuSeconds)} / ${perChange(p.peerCpu.targetDbCpuSeconds)} | ${n} |`,
    ...lanes.flatMap((l: any) => [
      `| ${L} updates+deletes, OpenDI ${l.lanes} lane${l.lanes > 1 ? 's' : ''}, Start -> target equal; OpenDI / peer | ${f(l.opendiPerSec)} changes/s; ${l.ratioToPeer.toFixed(2)} | ${n} |`,
      `| ${L} updates+deletes, OpenDI ${l.lanes} lane${l.lanes > 1 ? 's' : ''}, CPU s service / source server / target server in wall s; µs per change | ${cpu(l.cpu)} | ${n} |`,
    ]),
  );
}
if (lifecycle) {
  lines.push(
    ...lifecycle.lag.map((l: any) => `| lag at ${f(l.targetRate)}/s (achieved ${f(l.achievedRate)}/s) p50 / p99 / max | ${ms(l.p50Ms)} / ${ms(l.p99Ms)} / ${ms(l.maxMs)} | 1 |`),
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
  const L = `${m.tasks} tasks${m.layout === 'tables' ? ' on one source and one target database' : ''} at ${f(m.ratePerTask)} changes/s each (achieved ${f(m.achievedRate)}/s in all, ${Math.round(m.seconds)} s)`;
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
  for (const c of catalog.calls as any[]) lines.push(`| ${f(catalog.tasks)} tasks in the catalog: ${c.call}, p50 / p99 of ${catalog.callsEach} calls in a row | ${c.p50Ms.toFixed(1)} / ${c.p99Ms.toFixed(1)} ms | 1 |`);
}
if (api) lines.push(`| GetDISyncInstanceInfo, V3, ${api.concurrency} clients, ${api.tasks} tasks | ${f(api.rps)} req/s, p99 ${api.p99Ms.toFixed(1)} ms | 1 |`);
if (lifecycle) {
  lines.push(
    `| service RSS streaming steadily (10k/s) | ${f(lifecycle.lag.find((l: any) => l.targetRate === 10000)!.steadyRssMiB)} MiB | 1 |`,
    `| service peak RSS, ${f(lifecycle.bigTransaction.rows)}-row transaction | ${f(lifecycle.bigTransaction.peakRssMiB)} MiB (${f(lifecycle.bigTransaction.rowsPerSec)} rows/s) | 1 |`,
  );
}
if (r.takeover) {
  const t = r.takeover;
  lines.push(
    `| cluster takeover after kill -9 of the busiest of 3 nodes, p50 / max (Kafka Connect default ~310 s, Flink ~50 s + restart, Canal ~45 s) | ${ms(t.killP50Ms)} / ${ms(t.killMaxMs)} | ${t.killRounds} |`,
    `| cluster takeover after SIGSTOP of an owner (lease ${t.leaseMs / 1000} s), p50 / max | ${ms(t.stopP50Ms)} / ${ms(t.stopMaxMs)} | ${t.stopRounds} |`,
  );
}
if (targets.length) {
  lines.push(`| **targets (issue 14)** | | |`);
  for (const t of targets as Target[]) lines.push(`| ${t.target} | ${t.value}: **${t.met ? 'met' : 'missed'}** | |`);
}
for (const [what, load] of Object.entries(r.load as Record<string, { before: number[]; after: number[] }>)) {
    lines.push(`| load average (1 min) at start / end${what === 'run' ? '' : ` (${what})`} | ${load.before[0].toFixed(2)} / ${load.after[0].toFixed(2)} on ${r.machine.cpus} cores | |`);
  }
  const sections = r.sections as string[] | undefined;
  lines.push(`| whole \`npm run bench\`${sections ? ` (${sections.join(', ')} only)` : ''} | ${f(r.totalSeconds)} s | 1 |`);
  return lines;
}
