/**
 * CPU profile of the service during one throughput run of a MySQL direction:
 *   node --import tsx bench/profile.ts [mysql-mysql|mysql-pg|pg-mysql] [top=25]
 * runs the direction once (one lane count: BENCH_LANES, default 1) with the V8 CPU profiler on in
 * the service (cpu-profile-preload.mjs through NODE_OPTIONS=--import: Node 20 refuses --cpu-prof
 * there), then prints the
 * functions with the most self time (summed over the profile's nodes by name and location), and
 * the same summed per source file. The profile covers the whole service process; idle time shows
 * as `(idle)`. The .cpuprofile stays in the printed directory (open it in Chrome DevTools). Last,
 * what the thread did while the task streamed (profile-stretch.ts): idle, GC, sink, source, ...
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { benchDirection, DIRECTIONS, type Direction } from './mysql-directions.ts';
import { DEFAULT_WORKLOAD } from './common.ts';
import { streamingStretch, type CpuProfile } from './profile-stretch.ts';


/** Self time per function (ms), from the samples and their time deltas. */
export function selfTimes(p: CpuProfile): { byFunction: Map<string, number>; byFile: Map<string, number>; totalMs: number } {
  const nodes = new Map(p.nodes.map((n) => [n.id, n]));
  const byFunction = new Map<string, number>();
  const byFile = new Map<string, number>();
  let totalMs = 0;
  const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
  const short = (url: string) => url.replace(/^file:\/\//, '').replace(root + '/', '');
  for (let i = 0; i < p.samples.length; i++) {
    const n = nodes.get(p.samples[i])!;
    // The delta before sample i+1 is the time spent in sample i.
    const ms = (p.timeDeltas[i + 1] ?? 0) / 1000;
    totalMs += ms;
    const f = n.callFrame;
    const file = f.url ? short(f.url) : '';
    // tsx-transpiled sources report line 0: the name and file say enough there.
    const key = `${f.functionName || '(anonymous)'} ${file}${file && f.lineNumber > 0 ? `:${f.lineNumber + 1}` : ''}`.trim();
    byFunction.set(key, (byFunction.get(key) ?? 0) + ms);
    const fileKey = file ? (file.includes('node_modules/') ? file.replace(/^.*node_modules\/((@[^/]+\/)?[^/]+).*$/, 'node_modules/$1') : file) : f.functionName;
    byFile.set(fileKey, (byFile.get(fileKey) ?? 0) + ms);
  }
  return { byFunction, byFile, totalMs };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const direction = (process.argv[2] ?? 'mysql-mysql') as Direction;
  if (!DIRECTIONS.includes(direction)) throw new Error(`direction: one of ${DIRECTIONS.join(', ')}`);
  const top = Number(process.argv[3] ?? 25);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opendi-cpuprof-'));
  // One lane count per profile (BENCH_LANES, default 1 here, as in cpu-per-change.ts): the runs of several would mix in one profile.
  const lanes = [Number(process.env.BENCH_LANES ?? '1')];
  const r = await benchDirection(direction, DEFAULT_WORKLOAD, {
    lanes,
    serviceEnv: {
      NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import ${new URL('./cpu-profile-preload.mjs', import.meta.url).href}`.trim(),
      BENCH_CPU_PROF_DIR: dir,
    },
    log: (m) => console.error(`[profile] ${m}`),
  });
  console.log(`${direction}: OpenDI ${Math.round(r.opendiPerSec).toLocaleString('en-US')} changes/s (with the profiler on)`);
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  if (files.length === 0) throw new Error(`no .cpuprofile in ${dir} (did the service exit normally?)`);
  for (const file of files) {
    const profile = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
    const { byFunction, byFile, totalMs } = selfTimes(profile);
    const busy = totalMs - (byFunction.get('(idle)') ?? 0);
    console.log(`\n${path.join(dir, file)}: ${(totalMs / 1000).toFixed(1)} s profiled, ${(busy / 1000).toFixed(1)} s not idle`);
    const show = (m: Map<string, number>, title: string) => {
      console.log(`\n| ${title} | self ms | % of non-idle |\n|---|---|---|`);
      for (const [k, ms] of [...m].filter(([k]) => !k.startsWith('(idle)')).sort((a, b) => b[1] - a[1]).slice(0, top)) {
        console.log(`| ${k} | ${Math.round(ms)} | ${((100 * ms) / busy).toFixed(1)} |`);
      }
    };
    show(byFunction, 'function');
    show(byFile, 'file / package');
    const stretch = streamingStretch(profile);
    console.log(`\nWhile the task streamed (${stretch.seconds.toFixed(1)} s, the middle 80%), the service's thread was:\n\n| part | share of wall time |\n|---|---|`);
    for (const [k, share] of stretch.shares) console.log(`| ${k} | ${(100 * share).toFixed(1)}% |`);
  }
}
